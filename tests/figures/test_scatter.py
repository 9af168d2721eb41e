"""Encoder scatter: every row drawn once (or a stated sample), seeded jitter, safe hover text, working exports."""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

from gradiend_st.figures import export
from gradiend_st.io.discover import discover
from gradiend_st.views import registry, scatter
from tests.builders import write_run

HE_THEY = "suite_pronouns/he__they"
NAN = re.compile(r"\bnan\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def he_they(catalog):
    return scatter.load(catalog, [HE_THEY], scatter.Options())


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A built run whose CSV has markup in labels and text, and rows without a template (older CSVs)."""
    root = tmp_path_factory.mktemp("hostile")
    write_run(root, "evil", pair=("<script>alert(1)</script>", "she"))
    path = root / "evil" / "encoded_values_split_test.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[0, "template"] = "<script>alert('x')</script> [MASK] & more"
    frame.loc[1:4, "template"] = ""  # hover must fall back to `text`, never "nan"
    frame.loc[5, "encoded"] = ""  # no value: left out, and said so
    frame.to_csv(path, index=False)
    catalog = discover(root)
    return scatter.load(catalog, ["evil"], scatter.Options())


def traces_points(fig) -> int:
    return sum(len(trace.x) for trace in fig.data)


def test_every_row_is_one_point(he_they):
    fig = scatter.build(he_they, scatter.Options())
    assert traces_points(fig) == len(he_they.frame) == 160
    assert "showing" not in fig.layout.title.text
    assert fig.layout.title.text.startswith(HE_THEY + " \u2020")  # not converged


def test_subsample_is_stratified_seeded_and_announced(he_they):
    options = scatter.Options(max_points=50)
    fig = scatter.build(he_they, options)
    shown = traces_points(fig)
    assert 0 < shown <= 50
    assert f"showing {shown} of 160 points" in fig.layout.title.text
    drawn = scatter.points(he_they, options).table
    assert set(drawn["row"]) <= set(he_they.frame.index)
    # Every feature class (stratum) keeps points.
    assert set(he_they.frame.loc[drawn["row"], "feature_class_id"]) == set(he_they.frame["feature_class_id"])
    assert drawn["row"].tolist() == scatter.points(he_they, options).table["row"].tolist()  # seeded


def test_jitter_is_present_bounded_and_seeded(he_they):
    options = scatter.Options()
    table = scatter.points(he_they, options).table
    offsets = table["x"] - np.round(table["x"])
    assert np.all(np.abs(offsets) <= 0.15) and offsets.std() > 0.03
    assert table["x"].tolist() == scatter.points(he_they, options).table["x"].tolist()
    flat = scatter.points(he_they, scatter.Options(jitter_scale=0)).table
    assert np.all(flat["x"] == np.round(flat["x"]))


def test_neutral_rows_share_one_category(he_they):
    grouped = scatter.points(he_they, scatter.Options()).categories
    assert grouped == ["neutral", "he", "she", "they"]
    split = scatter.points(he_they, scatter.Options(neutral_category=False)).categories
    assert "was" in split and len(split) > 10  # each masked word its own category, as upstream


def test_colours_follow_labels_and_mapping(he_they):
    pts = scatter.points(he_they, scatter.Options())
    assert pts.color_order == ["they", "neutral (0)", "he"]  # training.json class names, numeric label order
    renamed = scatter.points(he_they, scatter.Options(label_name_mapping={"0": "other", "1.0": "HE"},
                                                     colors={"HE": "#000000"}))
    assert renamed.color_order == ["they", "other", "HE"] and renamed.colors["HE"] == "#000000"


def test_hover_never_nan_and_escapes_markup(hostile, he_they):
    for data in (he_they, hostile):
        hovers = scatter.points(data, scatter.Options()).table["hover"]
        assert not any(NAN.search(h) for h in hovers)
    fig = scatter.build(hostile, scatter.Options(run_labels={"evil": "<b>run</b>"}))
    hovers = [h for trace in fig.data for h in trace.text]
    texts = hovers + [trace.name for trace in fig.data] + [fig.layout.title.text]
    assert not any("<script" in t for t in texts)
    assert any("&lt;script&gt;alert('x')&lt;/script&gt; [MASK] &amp; more" in h for h in hovers)
    assert any(trace.name == "&lt;script&gt;alert(1)&lt;/script&gt;" for trace in fig.data)
    assert "&lt;b&gt;run&lt;/b&gt;" in fig.layout.title.text
    # Rows without a template show their sentence instead.
    assert sum("sat down" in h for h in hovers) >= 4
    assert "1 rows without an encoded value left out" in fig.layout.title.text


def test_html_export_is_standalone_and_safe(hostile):
    page = export.figure_bytes(scatter.build(hostile, scatter.Options()), "html").decode()
    assert "plotly.js" in page.lower() and len(page) > 1_000_000  # plotly.js inlined
    assert 'src="https://cdn' not in page
    assert "<script>alert" not in page


@pytest.mark.skipif(export.chromium_path() is None, reason="no Chromium for kaleido")
def test_png_export_through_kaleido(he_they):
    png = export.figure_bytes(scatter.build(he_they, scatter.Options(max_points=40)), "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


@pytest.mark.skipif(export.chromium_path() is None, reason="no Chromium for kaleido")
def test_svg_export_is_deterministic(he_they):
    """plotly.js names definitions and traces at random; the file names them the same every time."""
    options = scatter.Options(max_points=40)
    svg = scatter.export(he_they, options, "svg")
    assert svg == scatter.export(he_they, options, "svg") and b"<svg" in svg


@pytest.mark.parametrize("chromium", [True, False], ids=["kaleido", "matplotlib-twin"])
def test_png_download_follows_the_chosen_dpi(he_they, monkeypatch, chromium):
    """The download bar's DPI choice reaches the scatter's PNG, whichever renderer makes it."""
    if chromium and export.chromium_path() is None:
        pytest.skip("no Chromium for kaleido")
    if not chromium:
        monkeypatch.setattr(export, "chromium_path", lambda: None)
    options = scatter.Options(max_points=40)
    low, high = (Image.open(io.BytesIO(registry.file_bytes(scatter.VIEW, he_they, options, "png", dpi=dpi))).width
                 for dpi in (100, 300))
    assert high / low == pytest.approx(3, rel=0.05)


def test_static_twin_has_the_same_points_and_legend_outside(he_they):
    for options in (scatter.Options(), scatter.Options(max_points=50)):
        fig = scatter.build_static(he_they, options)
        ax = fig.axes[0]
        drawn = sum(len(c.get_offsets()) for c in ax.collections)
        assert drawn == traces_points(scatter.build(he_they, options))
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    assert legend.x0 >= ax.get_window_extent(renderer).x1  # beside the data, never over it
    assert "showing" in ax.get_title(loc="left")
    plotly_legend = scatter.build(he_they, scatter.Options()).layout.legend
    assert plotly_legend.x >= 1 and plotly_legend.xanchor == "left"


def test_static_export_fallback_without_chromium(he_they, monkeypatch):
    monkeypatch.setattr(export, "chromium_path", lambda: None)
    svg = scatter.export(he_they, scatter.Options(), "svg").decode()
    assert "<text" in svg and "Encoded value" in svg
    assert scatter.export(he_they, scatter.Options(), "png")[:4] == b"\x89PNG"


def test_table_lists_drawn_points(he_they):
    frame = scatter.table(he_they, scatter.Options(max_points=30))
    assert list(frame.columns) == ["row", "category", "x", "encoded", "color", "text"]
    assert len(frame) == traces_points(scatter.build(he_they, scatter.Options(max_points=30)))


def test_colours_by_class_name_raw_value_or_display_name(he_they):
    """`colors` keyed by a class name ("he", from training.json), a label value in either spelling, or the shown
    name colours that class's points."""
    by_class = scatter.points(he_they, scatter.Options(colors={"he": "#123456"}))
    assert by_class.colors["he"] == "#123456"
    assert scatter.points(he_they, scatter.Options(colors={"1": "#123456"})).colors["he"] == "#123456"
    renamed = scatter.points(he_they, scatter.Options(label_name_mapping={"1.0": "HE"}, colors={"he": "#123456"}))
    assert renamed.colors["HE"] == "#123456"
    fig = scatter.build(he_they, scatter.Options(colors={"he": "#123456"}))
    assert [t.marker.color for t in fig.data if t.name == "he"] == ["#123456"]
    others = [c for name, c in by_class.colors.items() if name != "he"]
    assert others == [c for name, c in scatter.points(he_they, scatter.Options()).colors.items() if name != "he"]


def test_a_run_that_cannot_be_drawn_is_left_out_and_says_why(catalog, monkeypatch):
    data = scatter.load(catalog, ["he_she"], scatter.Options(split="split_train"))
    assert data.runs == [] and data.left_out == {"he_she": "no encoded_values_split_train.csv (found: split_test)"}
    missing = scatter.load(catalog, ["not_a_run"], scatter.Options())
    assert missing.runs == [] and "no run 'not_a_run'" in missing.left_out["not_a_run"]
    fig = scatter.build(data, scatter.Options())
    assert fig.axes[0].texts[0].get_text() == (
        "Nothing to draw: he_she: no encoded_values_split_train.csv (found: split_test)")
    assert scatter.table(data, scatter.Options()).empty
    monkeypatch.setattr(export, "chromium_path", lambda: None)
    page = scatter.export(data, scatter.Options(), "html").decode()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "Nothing to draw" in page
    assert "<svg" in scatter.export(data, scatter.Options(), "svg").decode()
    assert scatter.export(data, scatter.Options(), "png")[:4] == b"\x89PNG"
