"""The convergence curves: panels, names, spreads, seed bands, label styles and tables, without drawing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gradiend_st.analysis import convergence_curves as cc
from gradiend_st.analysis.convergence import Convergence
from gradiend_st.analysis.convergence_curves import CurveSpec, RunCurves
from gradiend_st.io.training import read_training


def curves_of(runs_root, run_id, seeds: bool = False) -> RunCurves:
    training = read_training(runs_root / run_id / "model" / "training.json")
    paths = sorted((runs_root / run_id / "seeds").glob("seed_*/training.json")) if seeds else []
    return RunCurves(run_id, training, Convergence(True, "test"), [f"{run_id}/seeds/{p.parent.name}" for p in paths],
                     [read_training(p) for p in paths])


def raw_stats(runs_root, run_id):
    return json.loads((runs_root / run_id / "model" / "training.json").read_text())["training_stats"]


def test_panels_and_series_names(runs_root):
    he_she = curves_of(runs_root, "he_she")
    assert cc.panels([he_she]) == ["mean_by_class", "correlation"]  # the feature-class panel repeats the class one
    assert cc.panels([he_she], mean_by_feature_class=True, correlation=False) == ["mean_by_class",
                                                                                    "mean_by_feature_class"]
    assert cc.panels([he_she], mean_by_class=False) == ["correlation"]
    assert [c.name for c in cc.curves(he_she, "mean_by_class", CurveSpec())] == ["she", "he"]  # "-1.0" < "1.0"
    renamed = CurveSpec(label_name_mapping={"1.0": "masculine", "she": "feminine"})
    assert [c.name for c in cc.curves(he_she, "mean_by_class", renamed)] == ["feminine", "masculine"]
    assert cc.series_name("x", he_she.training, None) == "x"


def test_curve_values_and_class_spread(runs_root):
    he_she, raw = curves_of(runs_root, "he_she"), raw_stats(runs_root, "he_she")
    [she, he] = cc.curves(he_she, "mean_by_class", CurveSpec(class_spread="iqr"))
    steps, values = cc.xy(he.values)
    assert steps == sorted(int(s) for s in raw["scores"])
    assert values == [raw["mean_by_class"][str(s)]["1.0"] for s in steps]
    low, high = he.band
    assert low[10] == raw["q1_by_class"]["10"]["1.0"] and high[10] == raw["q3_by_class"]["10"]["1.0"]
    assert cc.curves(he_she, "mean_by_class", CurveSpec())[0].band is None
    [corr] = cc.curves(he_she, "correlation", CurveSpec(class_spread="iqr"))
    assert corr.band is None and cc.xy(corr.values)[1] == [raw["scores"][str(s)] for s in steps]


def test_seed_band_is_the_median_and_range_over_seeds(runs_root):
    run = curves_of(runs_root, "he_she_seeds", seeds=True)
    seeds = [json.loads((runs_root / sid / "training.json").read_text())["training_stats"]["scores"]
             for sid in run.seed_ids]
    assert len(seeds) == 3 and cc.uses_seed_band(run, "minmax") and not cc.uses_seed_band(run, None)
    [corr] = cc.curves(run, "correlation", CurveSpec(seed_band="minmax"))
    assert corr.values[0] == pytest.approx(float(np.median([s["0"] for s in seeds])))
    assert (corr.band[0][0], corr.band[1][0]) == (min(s["0"] for s in seeds), max(s["0"] for s in seeds))
    median, low, high = cc.seed_band([{0: 1.0, 1: 2.0}, {0: 3.0}, {0: 5.0, 1: 4.0}], "iqr")
    assert median == {0: 3.0, 1: 3.0} and low[0] == 2.0 and high[0] == 4.0
    assert cc.panel_seeds([run], "minmax") == 3 and cc.band_seeds(run, "iqr") == 3
    spec = CurveSpec(seed_band="minmax")
    assert cc.panel_title("correlation", spec, 3) == "Correlation (median of 3 seeds, shaded: min-max)"
    assert cc.panel_title("correlation", spec, 3, overlay=True) == "Correlation (seed runs: median, shaded: min-max)"
    assert cc.panel_title("mean_by_class", CurveSpec(class_spread="ci95")) == "Mean by class (shaded: 95% CI)"
    assert cc.overlay_label("he_she_seeds", run, "minmax") == "he_she_seeds (median of 3 seeds)"
    assert cc.overlay_label("he_she_seeds", run, None) == "he_she_seeds"


def test_label_styles_tell_labels_apart_in_overlays(runs_root):
    he_she = curves_of(runs_root, "he_she")
    [she, he] = cc.curves(he_she, "mean_by_class", CurveSpec())
    assert cc.label_style(he_she.training, "mean_by_class", he.key) == "-"
    assert cc.label_style(he_she.training, "mean_by_class", she.key) == "--"
    assert cc.label_style(he_she.training, "mean_by_feature_class", "she") == "--"  # mapped back to its label
    assert cc.label_style(he_she.training, "mean_by_class", "7.0") == cc.OTHER_STYLE
    assert cc.style_name(he, he_she.training, "mean_by_class", None) == "label 1.0"
    assert cc.style_name(he, he_she.training, "mean_by_class", {"1.0": "masc"}) == "masc"
    assert sorted(["--", cc.OTHER_STYLE, "-"], key=cc.style_rank) == ["-", "--", cc.OTHER_STYLE]
    assert sorted(["x", "label -1.0", "label 1.0"], key=cc.style_name_rank) == ["label 1.0", "label -1.0", "x"]


def test_titles_and_colour_names(runs_root):
    he_she = curves_of(runs_root, "he_she")
    assert cc.convergence_title(True, ["he_she"]) == "he_she \u2014 training convergence"
    assert cc.convergence_title(True, ["a", "b"]) == "Training convergence of 2 runs"
    assert cc.convergence_title(None, ["a"]) is None and cc.convergence_title("", ["a"]) is None
    assert cc.convergence_title("Figure 2", ["a"]) == "Figure 2"
    names = cc.class_names_by_curve([he_she], ["mean_by_class", "mean_by_feature_class", "correlation"],
                                    CurveSpec(label_name_mapping={"1.0": "HE"}))
    # the feature-class panel's "he" keeps its name (gradiend renames label values only), and is known as "1.0"
    assert names == {"she": ["-1.0", "she"], "HE": ["1.0", "he"], "he": ["he", "1.0"]}


def test_tables(runs_root):
    he_she, raw = curves_of(runs_root, "he_she"), raw_stats(runs_root, "he_she")
    table = cc.curve_table([he_she], None)
    assert list(table.columns) == cc.TABLE_COLUMNS
    row = table[(table.panel == "mean_by_class") & (table.series == "he") & (table.stat == "q3") & (table.step == 20)]
    assert row.value.tolist() == [raw["q3_by_class"]["20"]["1.0"]]
    points = cc.curve_points([he_she], {"he_she": "HS"}, ["mean_by_class", "correlation"], CurveSpec())
    assert list(points.columns) == cc.CURVE_COLUMNS and set(points.run) == {"HS"}
    assert set(points[points.series == "he"]["style"]) == {"label 1.0"}
    best = cc.best_points([he_she], {"he_she": "HS"})
    assert best.to_dict("records") == [{"run": "HS", "step": he_she.training.best_step,
                                        "correlation": he_she.training.best_correlation}]
