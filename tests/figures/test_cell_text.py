"""Heatmap cell numbers drawn by one cached artist look like Text, stay text in SVG, and re-draw from the cache."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from gradiend_st.figures import cell_text, heatmap
from gradiend_st.figures.cell_text import CellLabels
from gradiend_st.figures.export import figure_bytes


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(1)
    runs = [f"run{i}" for i in range(6)]
    counts = rng.integers(0, 1000, (6, 6))
    counts = (counts + counts.T) // 2
    np.fill_diagonal(counts, 1000)
    return heatmap.HeatmapData("decoder-weight", 1000, runs, dict.fromkeys(runs, 1000), counts)


def grey(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)


def render(data, *, numbers: str) -> np.ndarray:
    """The heatmap at 300 dpi with its numbers as the artist draws them, as plain Text objects, or left out."""
    fig = heatmap.build(data, heatmap.Options(annot=numbers != "none"))
    if numbers == "text":
        [labels] = fig.findobj(CellLabels)
        for text in labels.as_text_objects():
            text.set_in_layout(False)
            fig.axes[0].add_artist(text)
        labels.remove()
    return grey(figure_bytes(fig, "png", dpi=300))


def test_raster_numbers_match_text_rendering(data):
    blank = render(data, numbers="none")
    stamped = render(data, numbers="artist") - blank
    text = render(data, numbers="text") - blank
    # Same place, same glyphs: only sub-pixel placement differs. Correct scores 0.95; stamped 1 px to the side
    # 0.83, upside down 0.39.
    assert np.corrcoef(stamped.ravel(), text.ravel())[0, 1] > 0.9
    assert abs(np.abs(stamped).sum() / np.abs(text).sum() - 1) < 0.02  # same amount of ink


def test_vector_output_keeps_numbers_as_text(data):
    svg = figure_bytes(heatmap.build(data, heatmap.Options()), "svg").decode()
    shown = [f"{v:.0f}" for v in data.counts.ravel()]
    assert all(f">{number}</text>" in svg for number in shown)


def test_redraw_after_relabel_rasterises_nothing_new(data):
    figure_bytes(heatmap.build(data, heatmap.Options()), "png", dpi=100)
    before = cell_text._rasterised.cache_info()
    relabelled = heatmap.Options(run_labels={rid: f"{rid} renamed" for rid in data.runs})
    figure_bytes(heatmap.build(data, relabelled), "png", dpi=100)
    after = cell_text._rasterised.cache_info()
    assert after.misses == before.misses and after.hits > before.hits
