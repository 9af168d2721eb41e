"""The convergence view's interactive (Altair) mode: the same numbers as the matplotlib modes, files from vl-convert."""

import json
import struct

import altair as alt
import numpy as np
import pytest
from matplotlib.figure import Figure

from gradiend_st.figures import convergence_interactive as ci
from gradiend_st.figures.style import categorical_colors
from gradiend_st.views import convergence as cv

DAGGER = "\u2020"
RUNS = ["he_she", "she_they", "suite_pronouns/he__they"]


def interactive(catalog, run_ids, **options):
    opts = cv.Options(mode="interactive", **options)
    data = cv.load(catalog, run_ids, opts)
    return data, opts, cv.build(data, opts)


def stats(runs_root, run_id):
    return json.loads((runs_root / run_id / "model" / "training.json").read_text())["training_stats"]


def params(spec) -> dict:
    """Every parameter defined anywhere in a Vega-Lite spec, by name."""
    found = {}
    if isinstance(spec, dict):
        for param in spec.get("params", []):
            found[param["name"]] = param
        for value in spec.values():
            found.update(params(value))
    elif isinstance(spec, list):
        for value in spec:
            found.update(params(value))
    return found


def png_size(png: bytes) -> tuple[int, int]:
    return struct.unpack(">II", png[16:24])


def test_the_chart_holds_the_training_json_values(catalog, runs_root):
    data, opts, chart = interactive(catalog, RUNS)
    assert isinstance(chart, alt.VConcatChart)
    frame = ci.frame(data.curves, opts)
    raw = stats(runs_root, "he_she")
    steps = sorted(int(s) for s in raw["scores"])
    corr = frame[(frame.run_id == "he_she") & (frame.panel == "correlation")]
    assert corr.step.tolist() == steps and corr.value.tolist() == [raw["scores"][str(s)] for s in steps]
    for name, key in (("she", "-1.0"), ("he", "1.0")):
        rows = frame[(frame.run_id == "he_she") & (frame.panel == "mean_by_class") & (frame.series == name)]
        assert rows.value.tolist() == [raw["mean_by_class"][str(s)][key] for s in steps]
        assert set(rows["style"]) == {f"label {key}"}  # the dash pattern tells the label, as in the overlay
    assert set(frame.run) == {"he_she", "she_they", f"suite_pronouns/he__they {DAGGER}"}
    best = ci.best_steps(data.curves, opts)
    assert best.set_index("run").loc[f"suite_pronouns/he__they {DAGGER}", "step"] == 10


def test_legend_highlight_zoom_and_the_overlay_colours(catalog):
    data, opts, chart = interactive(catalog, RUNS, run_labels={"he_she": "Masc vs fem"})
    spec = chart.to_dict()
    found = params(spec)
    assert found["run_pick"]["bind"] == "legend" and found["run_pick"]["select"]["fields"] == ["run"]
    assert {name for name in found if name.startswith("zoom_")} == {"zoom_0", "zoom_1"}  # one per panel
    assert all(found[f"zoom_{i}"]["bind"] == "scales" for i in range(2))
    text = json.dumps(spec)
    labels = ["Masc vs fem", "she_they", f"suite_pronouns/he__they {DAGGER}"]
    colors = categorical_colors(3)
    assert json.dumps({"domain": labels, "range": colors})[1:-1] in text  # same colours as the matplotlib overlay
    assert '"Mean by class"' in text and '"Correlation"' in text and "Training convergence of 3 runs" in text


def test_spread_and_seed_bands_are_the_view_bands(catalog, runs_root):
    data, opts, _ = interactive(catalog, ["he_she_seeds", "he_she"], seed_band="minmax", class_spread="iqr")
    frame = ci.frame(data.curves, opts)
    seeds = [json.loads(p.read_text())["training_stats"]["scores"]
             for p in sorted((runs_root / "he_she_seeds" / "seeds").glob("seed_*/training.json"))]
    corr = frame[(frame.run_id == "he_she_seeds") & (frame.panel == "correlation")].set_index("step")
    assert corr.loc[0, "value"] == pytest.approx(float(np.median([s["0"] for s in seeds])))
    assert (corr.loc[0, "low"], corr.loc[0, "high"]) == (min(s["0"] for s in seeds), max(s["0"] for s in seeds))
    assert set(corr.run) == {"he_she_seeds (median of 3 seeds)"}
    raw = stats(runs_root, "he_she")
    he = frame[(frame.run_id == "he_she") & (frame.series == "he")].set_index("step")
    assert he.loc[10, "low"] == raw["q1_by_class"]["10"]["1.0"] and he.loc[10, "high"] == raw["q3_by_class"]["10"]["1.0"]
    assert frame[(frame.run_id == "he_she") & (frame.panel == "correlation")].low.isna().all()


def test_files_from_vl_convert(catalog):
    data, opts, chart = interactive(catalog, RUNS)
    svg = cv.export(data, opts, "svg").decode()
    assert "<svg" in svg and f"suite_pronouns/he__they {DAGGER}" in svg and "Correlation" in svg
    assert svg == cv.export(data, opts, "svg").decode(), "deterministic"
    small, large = cv.export(data, opts, "png", dpi=100), cv.export(data, opts, "png", dpi=200)
    (w1, h1), (w2, h2) = png_size(small), png_size(large)
    assert abs(w2 - 2 * w1) <= 2 and abs(h2 - 2 * h1) <= 2, "dpi scales the chart as it does matplotlib figures"
    assert cv.export(data, opts, "pdf").startswith(b"%PDF")
    html = cv.export(data, opts, "html").decode()
    assert "run_pick" in html and "cdn.jsdelivr" not in html, "the page carries its libraries: it opens offline"
    with pytest.raises(ValueError, match="exports"):
        cv.export(data, opts, "gif")


def test_html_only_in_interactive_mode(catalog):
    overlay = cv.Options(mode="overlay")
    assert cv.VIEW.export_formats(overlay) == ("png", "pdf", "svg")
    assert cv.VIEW.export_formats(cv.Options(mode="interactive")) == ("png", "pdf", "svg", "html")
    with pytest.raises(ValueError, match="overlay mode exports png, pdf, svg"):
        cv.export(cv.load(catalog, RUNS, overlay), overlay, "html")


def test_nothing_to_draw_is_the_usual_message(catalog):
    data, _, chart = interactive(catalog, ["he_she"], plot_mean_by_class=False, plot_mean_by_feature_class=False,
                                 plot_correlation=False)
    assert isinstance(chart, Figure)
    assert any("Nothing to draw" in t.get_text() for t in chart.axes[0].texts)


def test_figsize_is_the_whole_chart_as_in_the_matplotlib_modes(catalog):
    opts = cv.Options(mode="interactive", figsize=[6.0, 4.0])
    data = cv.load(catalog, RUNS, opts)
    width, height = png_size(cv.export(data, opts, "png", dpi=100))
    assert 0.9 * 600 <= width <= 1.1 * 600 and 0.9 * 400 <= height <= 1.1 * 400, (width, height)


def test_run_colors_colour_the_runs_as_in_the_overlay(catalog):
    chosen = {"she_they": "#123456"}
    data, opts, chart = interactive(catalog, RUNS, run_colors=chosen)
    palette = categorical_colors(3)
    expected = [palette[0], "#123456", palette[1]]  # runs without a colour take the palette in order
    labels = ["he_she", "she_they", f"suite_pronouns/he__they {DAGGER}"]
    assert json.dumps({"domain": labels, "range": expected})[1:-1] in json.dumps(chart.to_dict())
    overlay = cv.build(data, cv.Options(mode="overlay", run_colors=chosen))
    lines = {ln.get_label(): ln.get_color() for ln in overlay.axes[-1].get_lines()}
    assert [lines[label] for label in labels] == expected
