"""The weight map's figures: what each plot draws (cells, numbers, shared scale, heads, rows, Sankey links), its CSV,
and its files (matplotlib PNG/SVG; the Sankey's HTML and kaleido SVG, deterministic)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from matplotlib.collections import QuadMesh
from matplotlib.figure import Figure

from gradiend_st.analysis import weightmap as wm
from gradiend_st.figures.export import chromium_path, figure_bytes
from gradiend_st.figures.stamped_text import StampedText
from gradiend_st.views import weightmap as view

RUNS = ["he_she", "she_they", "suite_pronouns/he__they"]


@pytest.fixture(scope="module")
def data(catalog):
    return view.load(catalog, RUNS, view.Options(topk=1000))


def cells(fig: Figure) -> list[QuadMesh]:
    return [mesh for mesh in fig.findobj(QuadMesh) if mesh.get_gid() == "weightmap-cells"]


def texts(fig: Figure) -> list[str]:
    from gradiend_st.ui.view_page import figure_texts

    return figure_texts(fig)


def test_map_draws_one_panel_per_run_on_one_scale(data):
    fig = view.build(data, view.Options())
    meshes = cells(fig)
    assert len(meshes) == 3 and len({id(m.norm) for m in meshes}) == 1  # one colour scale
    top = max(wm.grid(data.layout, data.maps[r]).counts.max() for r in RUNS)
    assert meshes[0].norm.vmax == top and meshes[0].norm.vmin == 0
    shown = texts(fig)
    assert "Top-1000 weights (decoder-weight) by layer and component" in shown
    assert "suite_pronouns/he__they † (k = 1,000)" in shown  # the non-convergence marker
    numbers = [s for s in fig.findobj(StampedText) if s.get_gid() == "weightmap-cell"][0]
    drawn = [int(t.replace(",", "")) for t in numbers.texts]
    expected = []
    for rid in RUNS:  # panel by panel, row by row; cells without input scalars get no number
        grid = wm.grid(data.layout, data.maps[rid])
        expected += [int(c) for c in grid.counts[grid.space > 0]]
    assert drawn == expected and sum(drawn) == 3000


def test_over_representation_is_diverging_at_one(data):
    fig = view.build(data, view.Options(value="overrepresentation"))
    norm = cells(fig)[0].norm
    assert norm.vcenter == 0 and norm.vmin == -norm.vmax  # log2 scale: ratio 1 in the middle
    figure_bytes(fig, "png", dpi=50)  # tick labels exist once drawn
    assert {"×0.5", "×1", "×2"} <= set(texts(fig))
    values = wm.grid(data.layout, data.maps["he_she"]).values("overrepresentation")
    numbers = [s for s in fig.findobj(StampedText) if s.get_gid() == "weightmap-cell"][0].texts
    assert len(numbers) == len(RUNS) * np.count_nonzero(~np.isnan(values))
    assert numbers[0] == view.drawing.number_text(values[0, 0], "ratio")


def test_numbers_follow_the_heatmaps_cell_limit(data):
    many = replace(data, runs=RUNS * 9)  # 27 panels of 24 cells: more than 625 cells
    fig = view.build(many, view.Options())
    assert not [s for s in fig.findobj(StampedText) if s.get_gid() == "weightmap-cell"]
    fig = view.build(many, view.Options(annot=True))
    assert len([s for s in fig.findobj(StampedText) if s.get_gid() == "weightmap-cell"][0].texts) == 27 * 16


def test_difference_of_two_runs(data):
    fig = view.build(data, view.Options(plot="difference", value="share"))
    a, b, values, _ = view.difference(data, view.Options(plot="difference", value="share"))
    assert (a, b) == ("he_she", "she_they")
    expected = (wm.grid(data.layout, data.maps[a]).values("share") - wm.grid(data.layout, data.maps[b]).values("share"))
    assert np.allclose(values, expected, equal_nan=True)
    shown = " ".join(texts(fig)).replace("\n", " ")  # a title wider than the figure is wrapped
    assert "he_she − she_they" in shown and "first two of 3 runs" in shown
    single = replace(data, runs=["he_she"])
    assert "Nothing to draw: a difference map needs at least 2 runs" in texts(view.build(single, view.Options(plot="difference")))


def test_heads_need_a_known_shape_or_num_heads(data):
    asked = texts(view.build(data, view.Options(plot="heads")))
    assert any("set num_heads: a query weight with 32 output rows is not a known shape" in t for t in asked)
    fig = view.build(data, view.Options(plot="heads", num_heads=2))
    assert len(cells(fig)) == 3 * len(RUNS)
    assert "he_she (k = 1,000): value heads" in texts(fig)


def test_rows_default_to_the_fullest_layer(data):
    options = view.Options(plot="rows")
    layer = view.rows_layer(data, options)
    totals = {name: sum(int(wm.rows_of(data.layout, data.maps[r].counts, name, c)[1].sum())
                        for r in RUNS for c in ("intermediate", "output")) for name in ("layer.0", "layer.1")}
    assert layer == max(totals, key=totals.get)
    fig = view.build(data, options)
    steps = [p for ax in fig.axes for p in ax.patches if p.get_gid() == "weightmap-rows"]
    assert sorted(len(p.get_data().values) for p in steps) == [32] * 3 + [64] * 3  # output units, neurons
    total = sum(int(p.get_data().values.sum()) for p in steps)
    assert total == sum(int(wm.rows_of(data.layout, data.maps[r].counts, layer, c)[1].sum())
                        for r in RUNS for c in ("intermediate", "output"))
    assert any("layer 7 is not in the model" in t for t in texts(view.build(data, view.Options(plot="rows", layer=7))))


def test_flow_links_sum_to_k_and_the_threshold_hides_small_ones(data):
    result, hidden = view.flow(data, view.Options(plot="flow", score_threshold=0.0))
    assert hidden == [0, 0]
    runs = [i for i, c in enumerate(result.columns) if c == 0]
    leaving = sum(v for s, v in zip(result.sources, result.values, strict=True) if s in runs)
    assert leaving == 3000 and sum(result.values) == 6000  # every weight once into its layer, once to its component
    pruned, (links, weights) = view.flow(data, view.Options(plot="flow", score_threshold=0.05))
    assert links > 0 and sum(pruned.values) == 6000 - weights
    assert all(v >= 50 for v in pruned.values)
    fig = view.build(data, view.Options(plot="flow", score_threshold=0.05))
    assert f"{links} links under 5% of k hidden ({weights:,} weights)" in fig.layout.title.text


def test_flow_by_sign_splits_links(catalog):
    signed = view.load(catalog, ["he_she"], view.Options(topk=100, color_by_sign=True))
    result, _ = view.flow(signed, view.Options(plot="flow", color_by_sign=True, score_threshold=0.0))
    colors = set(result.colors)
    assert {"rgba(0,0,255,0.3)", "rgba(255,0,0,0.3)"} <= colors
    mapped = signed.maps["he_she"]
    positive = sum(v for v, c in zip(result.values, result.colors, strict=True) if c == "rgba(0,0,255,0.3)")
    assert positive == 2 * mapped.positive.sum()


def test_table_is_the_figures_numbers(data):
    frame = view.table(data, view.Options())
    assert set(frame["run"]) == set(RUNS)
    mine = frame[frame["run"] == "he_she"]
    assert mine["count"].sum() == 1000 and mine["base_scalars"].sum() == 36896
    heads = view.table(data, view.Options(plot="heads", num_heads=2))
    assert set(heads["head"]) == {0, 1} and len(heads) == len(RUNS) * 3 * 2 * 2


def test_matplotlib_files_are_deterministic(data):
    options = view.Options(value="share")
    assert view.export(data, options, "svg") == view.export(data, options, "svg")
    assert view.export(data, options, "png", dpi=100)[:8] == b"\x89PNG\r\n\x1a\n"
    assert view.formats(options) == ("png", "pdf", "svg")
    assert view.formats(view.Options(plot="flow")) == ("html", "png", "pdf", "svg")


def test_flow_without_links_still_exports_html(data):
    options = view.Options(plot="flow", score_threshold=1.0)
    assert any("every link is under score_threshold" in t for t in texts(view.build(data, options)))
    page = view.export(data, options, "html")
    assert page.startswith(b"<!DOCTYPE html>") and b"<svg" in page


def test_flow_html_and_svg(data):
    options = view.Options(plot="flow")
    page = view.export(data, options, "html")
    assert b"<html" in page and b"sankey" in page
    if chromium_path() is None:
        pytest.skip("no Chromium for kaleido")
    svg = view.export(data, options, "svg")
    assert svg.startswith(b"<svg") or svg.startswith(b"<?xml")
    assert svg == view.export(data, options, "svg")  # fixed ids: the app's download and the CLI's render agree
    assert b"layer.0" in svg and b"attention output" in svg
