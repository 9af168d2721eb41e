import json
import shutil

import matplotlib.colors as mcolors
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection, PolyCollection

from gradiend_st.figures.export import figure_bytes
from gradiend_st.io.discover import discover
from gradiend_st.views import convergence as cv
from tests.builders import training_json, write_run

DAGGER = "\u2020"


def build(catalog, run_ids, **options):
    opts = cv.Options(**options)
    return cv.build(cv.load(catalog, run_ids, opts), opts)


def raw_training(runs_root, run_id):
    return json.loads((runs_root / run_id / "model" / "training.json").read_text())


def line(ax, label):
    found = [ln for ln in ax.get_lines() if ln.get_label() == label]
    assert len(found) == 1, [ln.get_label() for ln in ax.get_lines()]
    return found[0]


def legend_texts(legend):
    return [t.get_text() for t in legend.get_texts()]


def rendered(fig):
    FigureCanvasAgg(fig)
    fig.draw_without_rendering()  # runs constrained layout, so extents are final
    return fig.canvas.get_renderer()


def assert_legends_outside_axes(fig):
    renderer = rendered(fig)
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    assert legends
    for legend in legends:
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:
            assert not box.overlaps(ax.get_window_extent(renderer)), (legend_texts(legend), ax.get_title())


def test_single_run_lines_are_the_training_json_values(catalog, runs_root):
    raw = raw_training(runs_root, "he_she")["training_stats"]
    fig = build(catalog, ["he_she"])
    means, corr = fig.axes
    assert (means.get_title(), corr.get_title()) == ("Mean by class", "Correlation")
    steps = sorted(int(s) for s in raw["scores"])
    for name, key in (("she", "-1.0"), ("he", "1.0")):
        series = line(means, name)
        assert list(series.get_xdata()) == steps
        assert list(series.get_ydata()) == [raw["mean_by_class"][str(s)][key] for s in steps]
    assert list(line(corr, "correlation").get_ydata()) == [raw["scores"][str(s)] for s in steps]
    # gradiend draws label series in lexicographic key order: "-1.0" (she) before "1.0" (he)
    assert [ln.get_label() for ln in means.get_lines()][:2] == ["she", "he"]
    assert means.get_ylabel() == "Mean encoded value" and corr.get_xlabel() == "Step" and means.get_xlabel() == ""


def test_best_step_line_and_marker(catalog, runs_root):
    best = raw_training(runs_root, "suite_pronouns/he__they")["best_score_checkpoint"]
    fig = build(catalog, ["suite_pronouns/he__they"])
    for ax in fig.axes:
        vline = line(ax, f"best step ({best['global_step']})")
        assert list(vline.get_xdata()) == [best["global_step"]] * 2 and vline.get_linestyle() == "--"
    markers = [c for c in fig.axes[-1].collections if isinstance(c, PathCollection)]
    assert len(markers) == 1
    np.testing.assert_allclose(markers[0].get_offsets()[0], [best["global_step"], best["correlation"]])
    assert markers[0].get_label() == f"best (r = {best['correlation']:.3f})"
    no_best = build(catalog, ["suite_pronouns/he__they"], best_step=False)
    assert not any(ln.get_label().startswith("best") for ax in no_best.axes for ln in ax.get_lines())


def test_titles_and_non_convergence_marker(catalog):
    assert build(catalog, ["he_she"])._suptitle.get_text() == "he_she \u2014 training convergence"
    fig = build(catalog, ["suite_pronouns/he__they"])
    assert fig._suptitle.get_text() == f"suite_pronouns/he__they {DAGGER} \u2014 training convergence"
    plain = build(catalog, ["suite_pronouns/he__they"], highlight_non_convergence=False)
    assert DAGGER not in plain._suptitle.get_text()
    assert build(catalog, ["he_she"], title=False)._suptitle is None
    assert build(catalog, ["he_she"], title=None)._suptitle is None  # never the text "None"
    assert build(catalog, ["he_she"], title="Figure 2")._suptitle.get_text() == "Figure 2"
    renamed = build(catalog, ["suite_pronouns/he__they"], run_labels={"suite_pronouns/he__they": "he vs they"})
    assert renamed._suptitle.get_text().startswith(f"he vs they {DAGGER}")


def test_label_name_mapping_renames_raw_keys_and_class_names(catalog):
    fig = build(catalog, ["he_she"], label_name_mapping={"1.0": "masculine", "she": "feminine"})
    assert legend_texts(fig.axes[0].get_legend())[:2] == ["feminine", "masculine"]
    table = cv.table(cv.load(catalog, ["he_she"]), cv.Options(label_name_mapping={"1.0": "masculine"}))
    assert set(table.loc[table.panel == "mean_by_class", "series"]) == {"she", "masculine"}


def test_feature_class_panel_auto_hidden_and_forced(catalog):
    assert len(build(catalog, ["he_she"]).axes) == 2  # redundant with the class panel: hidden, as gradiend does
    fig = build(catalog, ["he_she"], plot_mean_by_feature_class=True, plot_correlation=False)
    assert [ax.get_title() for ax in fig.axes] == ["Mean by class", "Mean by feature class"]
    assert fig.axes[-1].get_xlabel() == "Step"
    only_corr = build(catalog, ["he_she"], plot_mean_by_class=False)
    assert [ax.get_title() for ax in only_corr.axes] == ["Correlation"]


def test_class_spread_band_uses_quartiles(catalog, runs_root):
    raw = raw_training(runs_root, "he_she")["training_stats"]
    fig = build(catalog, ["he_she"], class_spread="iqr")
    ax = fig.axes[0]
    assert ax.get_title() == "Mean by class (shaded: IQR)"
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2
    ys = bands[1].get_paths()[0].vertices[:, 1]  # "1.0" (he) is drawn second
    for step in (10, 20):
        assert np.isclose(ys, raw["q1_by_class"][str(step)]["1.0"]).any()
        assert np.isclose(ys, raw["q3_by_class"][str(step)]["1.0"]).any()
    with pytest.raises(ValueError, match="class_spread"):
        build(catalog, ["he_she"], class_spread="sd")


def test_seed_band_is_median_and_range_over_the_seed_training_files(catalog, runs_root):
    seeds = [json.loads(p.read_text())["training_stats"]["scores"]
             for p in sorted((runs_root / "he_she_seeds" / "seeds").glob("seed_*/training.json"))]
    assert len(seeds) == 3
    fig = build(catalog, ["he_she_seeds"], seed_band="minmax")
    corr = fig.axes[-1]
    assert corr.get_title() == "Correlation (median of 3 seeds, shaded: min-max)"
    steps = sorted(int(s) for s in seeds[0])
    expected = [float(np.median([s[str(step)] for s in seeds])) for step in steps]
    np.testing.assert_allclose(line(corr, "correlation").get_ydata(), expected)
    band = [c for c in corr.collections if isinstance(c, PolyCollection)][0].get_paths()[0].vertices[:, 1]
    assert np.isclose(band, min(s["0"] for s in seeds)).any() and np.isclose(band, max(s["0"] for s in seeds)).any()
    table = cv.table(cv.load(catalog, ["he_she_seeds"]))
    assert {"he_she_seeds", "he_she_seeds/seeds/seed_0", "he_she_seeds/seeds/seed_2"} <= set(table.run)


def test_overlay_one_colour_per_run_and_marked_legend(catalog, runs_root):
    ids = ["he_she", "she_they", "suite_pronouns/he__they"]
    fig = build(catalog, ids, mode="overlay")
    corr = fig.axes[-1]
    lines = {ln.get_label(): ln for ln in corr.get_lines() if not ln.get_label().startswith("best")}
    assert set(lines) == {"he_she", "she_they", f"suite_pronouns/he__they {DAGGER}"}
    assert len({ln.get_color() for ln in lines.values()}) == 3
    scores = raw_training(runs_root, "she_they")["training_stats"]["scores"]
    assert list(lines["she_they"].get_ydata()) == [scores[k] for k in sorted(scores, key=int)]
    assert len(fig.legends) == 1
    texts = legend_texts(fig.legends[0])
    assert texts[:3] == ["he_she", "she_they", f"suite_pronouns/he__they {DAGGER}"]
    assert {"label 1.0", "label -1.0", "best step", "best"} <= set(texts)
    assert fig._suptitle.get_text() == "Training convergence of 3 runs"
    # each run's best step: a dotted line in its colour on every panel, its best correlation a dot in its colour
    colours = [lines[label].get_color() for label in texts[:3]]
    best_steps = [raw_training(runs_root, rid)["best_score_checkpoint"]["global_step"] for rid in ids]
    for ax in fig.axes:
        [steps] = [c for c in ax.collections if c.get_gid() == "best-steps"]
        assert [segment[0, 0] for segment in steps.get_segments()] == best_steps
        assert [mcolors.to_hex(c) for c in steps.get_colors()] == colours
    [dots] = [c for c in corr.collections if c.get_gid() == "best-correlations"]
    assert dots.get_offsets()[:, 0].tolist() == best_steps
    # "single" with several runs overlays them rather than dropping runs
    assert len([ln for ln in build(catalog, ids[:2]).axes[-1].get_lines() if ln.get_linestyle() == "-"]) == 2


def test_facet_one_column_per_run(catalog):
    fig = build(catalog, ["he_she", "suite_pronouns/he__they"], mode="facet")
    assert len(fig.axes) == 4
    assert fig.axes[0].get_title() == "he_she\nMean by class"
    assert fig.axes[1].get_title() == f"suite_pronouns/he__they {DAGGER}\nMean by class"
    # one colour per class name in every column
    colors = {ln.get_label(): ln.get_color() for ax in fig.axes for ln in ax.get_lines()}
    assert colors["he"] != colors["they"] != colors["she"]
    assert_legends_outside_axes(fig)


@pytest.mark.parametrize("mode", ["single", "overlay"])
def test_legends_never_cover_the_axes(catalog, mode):
    ids = ["suite_pronouns/he__they"] if mode == "single" else ["he_she", "she_they", "he_it", "1SG_1PL"]
    assert_legends_outside_axes(build(catalog, ids, mode=mode))


def test_legend_below_and_many_series_figure_legend(catalog, tmp_path):
    fig = build(catalog, ["he_she"], legend_loc="below")
    renderer = rendered(fig)
    assert len(fig.legends) == 1
    assert fig.legends[0].get_window_extent(renderer).y1 <= min(ax.get_window_extent(renderer).y0 for ax in fig.axes)
    # six label series: one figure legend on the right (gradiend's rule), still outside every axes
    data = training_json()
    for groups in data["training_stats"]["mean_by_class"].values():
        groups.update({f"{i}.5": 0.1 * i for i in range(4)})
    write_run(tmp_path, "many", training=data)
    fig = build(discover(tmp_path), ["many"])
    assert len(fig.legends) == 1 and not any(ax.get_legend() for ax in fig.axes)
    assert_legends_outside_axes(fig)


def test_unreadable_run_is_a_note_not_a_crash(tmp_path):
    write_run(tmp_path, "good")
    write_run(tmp_path, "bad")
    (tmp_path / "bad" / "model" / "training.json").write_text("{\"training_stats\": 3}")
    catalog = discover(tmp_path)
    data = cv.load(catalog, ["good", "bad", "missing"])
    assert data.runs == [r.run_id for r in data.curves] == ["good"]
    assert list(data.left_out) == ["bad", "missing"]
    assert data.left_out["bad"].startswith("bad/model/training.json: ")
    assert data.left_out["missing"] == "no run 'missing' under " + tmp_path.name  # no quotes around the reason
    fig = cv.build(data, cv.Options())
    assert fig._supxlabel.get_text().startswith("Not shown: bad: ")
    empty = cv.build(cv.load(catalog, ["missing"]), cv.Options())
    assert empty.axes[0].texts[0].get_text() == f"Nothing to draw: missing: no run 'missing' under {tmp_path.name}"


def test_table_long_format(catalog, runs_root):
    raw = raw_training(runs_root, "he_she")["training_stats"]
    table = cv.table(cv.load(catalog, ["he_she"]))
    assert list(table.columns) == ["run", "panel", "series", "step", "value", "stat"]
    row = table[(table.panel == "mean_by_class") & (table.series == "he") & (table.stat == "q3") & (table.step == 20)]
    assert row.value.tolist() == [raw["q3_by_class"]["20"]["1.0"]]
    assert len(table[table.stat == "correlation"]) == len(raw["scores"])


def test_svg_has_text_literal_labels_and_is_deterministic(catalog, tmp_path):
    shutil.copytree(catalog.root / "he_she", tmp_path / "run$_%")
    local = discover(tmp_path)
    opts = dict(title="Convergence of $x_1$ \\alpha", label_name_mapping={"1.0": "$x_1$", "-1.0": "50% \\textbf{a}_b"})
    svg = figure_bytes(build(local, ["run$_%"], **opts), "svg").decode()
    for text in ("Convergence of $x_1$ \\alpha", "$x_1$", "50% \\textbf{a}_b", "Mean by class", "best step (40)"):
        assert f">{text}</text>" in svg or f">{text} </text>" in svg, text
    assert svg == figure_bytes(build(local, ["run$_%"], **opts), "svg").decode()
    assert figure_bytes(build(local, ["run$_%"]), "png") == figure_bytes(build(local, ["run$_%"]), "png")
