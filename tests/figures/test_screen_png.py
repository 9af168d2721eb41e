"""The app's screen image: the same pixels the PNG download has at screen resolution, written by our own encoder."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from gradiend_st.figures import export
from gradiend_st.figures.png import encode_rgba
from gradiend_st.views import convergence, heatmap


def pixels(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGBA"))


def test_encoder_round_trips_exactly():
    rng = np.random.default_rng(3)
    noise = rng.integers(0, 256, (37, 53, 4), dtype=np.uint8)  # every byte value, wrap-around differences
    flat = np.full((20, 31, 4), 255, np.uint8)
    flat[5:9, 3:30] = (10, 200, 30, 128)  # a chart-like block, half transparent
    for image in (noise, flat, noise[:1], noise[:, :1]):
        assert np.array_equal(pixels(encode_rgba(np.ascontiguousarray(image))), image)
    with pytest.raises(ValueError, match="RGBA uint8"):
        encode_rgba(noise[..., :3])


@pytest.mark.parametrize("view", ["heatmap", "convergence"])
def test_screen_image_is_the_png_download_at_screen_dpi(catalog, view):
    """Fresh figures each time: the heatmap lays itself out, convergence uses constrained layout."""
    if view == "heatmap":
        data = heatmap.load(catalog, sorted(catalog.runs)[:4], heatmap.Options(topk=100))
        build = lambda: heatmap.build(data, heatmap.Options(topk=100))  # noqa: E731
    else:
        data = convergence.load(catalog, sorted(catalog.runs)[:3], convergence.Options())
        build = lambda: convergence.build(data, convergence.Options())  # noqa: E731
    shown = pixels(export.screen_png(build()))
    download = pixels(export.figure_bytes(build(), "png", dpi=export.SCREEN_DPI))
    assert shown.shape == download.shape and np.array_equal(shown, download)
