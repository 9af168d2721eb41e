"""Heatmap numbers and run names drawn by the stamping artist look like Text, measure like Text, stay text in SVG,
and re-draw from the cache."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.backends.backend_agg import RendererAgg
from PIL import Image

from gradiend_st.figures import stamped_text
from gradiend_st.figures.export import figure_bytes
from gradiend_st.figures.stamped_text import Placement, StampedText
from gradiend_st.figures.style import new_figure, studio_style
from gradiend_st.views import heatmap


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(1)
    runs = [f"run{i}" for i in range(6)]
    counts = rng.integers(0, 1000, (6, 6))
    counts = (counts + counts.T) // 2
    np.fill_diagonal(counts, 1000)
    return heatmap.HeatmapData(part="decoder-weight", topk=1000, runs=runs, sizes=dict.fromkeys(runs, 1000),
                               counts=counts)


def grey(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)


def render(data, *, labels: str) -> np.ndarray:
    """The heatmap at 300 dpi with numbers and names as the artist draws them, as plain Text objects, or left out
    (the figure keeps its size: the left-out labels are only hidden)."""
    fig = heatmap.build(data, heatmap.Options())
    for artist in fig.findobj(StampedText):
        if labels == "text":
            for text in artist.as_text_objects():
                text.set_in_layout(artist.get_in_layout())
                fig.axes[0].add_artist(text)
            artist.remove()
        elif labels == "none":
            artist.set_alpha(0)
            artist.draw = lambda renderer: None
    return grey(figure_bytes(fig, "png", dpi=300))


def test_raster_labels_match_text_rendering(data):
    blank = render(data, labels="none")
    stamped = render(data, labels="artist")
    text = render(data, labels="text")
    assert stamped.shape == text.shape == blank.shape  # measured alike: the same crop
    stamped, text = stamped - blank, text - blank
    # Same place, same glyphs: only sub-pixel placement differs (scores 0.998). A stamp 1 px off fails the
    # single-label test below, which compares each placement at 100 dpi.
    assert np.corrcoef(stamped.ravel(), text.ravel())[0, 1] > 0.98
    assert abs(np.abs(stamped).sum() / np.abs(text).sum() - 1) < 0.02  # same amount of ink


@pytest.mark.parametrize("placement", [Placement(), Placement("right", "top", 45, "anchor"),
                                       Placement("left", "baseline", 90)])
def test_stamp_measures_and_draws_like_text(placement):
    """One label, long enough at 600 dpi to need a canvas of its own (the shared one is 1024 px), and a short one."""
    for text, dpi in (("run_007 (renamed) \u2020", 100), ("a label far longer than the shared canvas " * 3, 600)):
        with studio_style():
            fig = new_figure((4, 4), layout=None)
            fig.dpi = dpi
            ax = fig.add_axes((0.3, 0.3, 0.4, 0.4))
            artist = StampedText(ax, [(0.5, 0.5)], [text], "black", 9, placement=placement)
            [as_text] = artist.as_text_objects()
            renderer = RendererAgg(1, 1, dpi)
            ours, theirs = artist.get_window_extent(renderer), as_text.get_window_extent(renderer)
            assert np.allclose(ours.bounds, theirs.bounds)
            pictures = []
            for draw in (artist.draw, as_text.draw):
                canvas = RendererAgg(int(fig.bbox.width), int(fig.bbox.height), dpi)
                draw(canvas)
                pictures.append(np.asarray(canvas.buffer_rgba())[..., 3].astype(float))
            assert np.corrcoef(pictures[0].ravel(), pictures[1].ravel())[0, 1] > 0.9, (text[:10], dpi)


def test_vector_output_keeps_labels_as_text(data):
    svg = figure_bytes(heatmap.build(data, heatmap.Options()), "svg").decode()
    shown = [f"{v:.0f}" for v in data.counts.ravel()] + data.runs
    assert all(f">{label}</text>" in svg for label in shown)


def test_redraw_rasterises_only_new_names(data):
    cache = stamped_text._CACHE
    figure_bytes(heatmap.build(data, heatmap.Options()), "png", dpi=100)
    misses, hits = cache.misses, cache.hits
    figure_bytes(heatmap.build(data, heatmap.Options(cmap="viridis", title="another title")), "png", dpi=100)
    assert cache.misses == misses and cache.hits > hits
    renamed = {data.runs[0]: "renamed run"}
    relabelled = heatmap.Options(row_label_mapping=renamed, column_label_mapping=renamed)
    figure_bytes(heatmap.build(data, relabelled), "png", dpi=100)
    assert cache.misses == misses + 2  # the new name, across and down


def test_stamp_cache_stays_within_its_size():
    def stamp(kilobytes: int) -> stamped_text.Stamp:
        return stamped_text.Stamp(np.zeros((kilobytes, 256, 4), np.uint8), 0, 0, None)

    cache = stamped_text.StampCache(max_bytes=10 << 10)
    for key in "abcd":
        cache.get(key, lambda: stamp(3))
    assert list(cache.stamps) == ["b", "c", "d"] and cache.bytes == 9 << 10  # "a" made room for "d"
    cache.get("b", lambda: stamp(3))  # a hit: "b" becomes the most recent
    cache.get("e", lambda: stamp(6))
    assert list(cache.stamps) == ["b", "e"] and cache.bytes <= cache.max_bytes
    assert (cache.hits, cache.misses) == (1, 5)
