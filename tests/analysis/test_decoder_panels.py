"""What the decoder figures show, as numbers: probability-shift curves, the feature factor x learning rate grid and
the ΔP of a selected rewrite, checked against the grid file itself."""

from __future__ import annotations

import json
import math
import subprocess

import numpy as np
import pytest

from gradiend_st.analysis import decoder_panels as panels
from gradiend_st.analysis.decoder_runs import read_run_decoder
from tests.analysis.test_decoder_selection import GRADIEND_PYTHON


@pytest.fixture(scope="module")
def he_she(catalog):
    return read_run_decoder(catalog.get("he_she"))


@pytest.fixture(scope="module")
def raw(runs_root) -> dict:
    data = json.loads((runs_root / "he_she" / "decoder_grid_cache.json").read_text())
    return {("base" if e["id"] == "base" else (e["id"]["feature_factor"], e["id"]["learning_rate"])): e
            for e in data["results"]}


def test_log_axis_puts_the_base_model_a_decade_left_of_the_smallest_rate():
    axis = panels.lr_axis([100, 50, 0.5, 0.001])
    assert axis.scale == "log" and axis.base_x == pytest.approx(1e-4)
    assert axis.limits == pytest.approx((5e-5, 150))
    assert axis.ticks == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100])
    assert axis.labels == ["base", "0.001", "0.01", "0.1", "1", "10", "100"]


def test_rates_at_or_below_zero_get_a_symmetric_log_axis():
    axis = panels.lr_axis([-0.1, 0, 0.01, 1])
    assert axis.scale == "symlog" and axis.base_x == 0.0 and axis.linthresh == pytest.approx(1e-3)
    assert axis.ticks == pytest.approx([-0.1, 0, 0.01, 0.1, 1]) and axis.labels[:3] == ["-0.1", "base", "0.01"]
    assert axis.limits == pytest.approx((-0.15, 1.5))


@pytest.mark.skipif(not GRADIEND_PYTHON.is_file(), reason="gradiend's venv is not on this machine")
def test_axes_match_gradiends_lr_axis_config():
    cases = [[100, 50, 20, 10, 5, 2, 1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001], [3e-4, 7],
             [-5, -0.2, 0, 0.3], [-1, -0.01], [0, 2]]
    script = ("import json, sys\nfrom gradiend.visualizer.probability_shifts import _lr_axis_config\n"
              "print(json.dumps([_lr_axis_config(c) for c in json.load(sys.stdin)]))")
    done = subprocess.run([str(GRADIEND_PYTHON), "-c", script], input=json.dumps(cases), capture_output=True,
                          text=True, timeout=300, check=True)
    for lrs, (scale, linthresh, base_x, x_min, x_max, ticks, labels) in zip(cases, json.loads(done.stdout),
                                                                            strict=True):
        axis = panels.lr_axis(lrs)
        assert (axis.scale, axis.base_x) == (scale, pytest.approx(base_x))
        assert axis.linthresh == (None if linthresh is None else pytest.approx(linthresh))
        assert axis.limits == pytest.approx((x_min, x_max)) and axis.ticks == pytest.approx(ticks)
        assert [_as_mathtext(label) for label in axis.labels] == labels


def _as_mathtext(label: str) -> str:
    """The studio's plain "-0.001" as gradiend's mathtext "$-10^{-3}$"."""
    if label == "base":
        return label
    value = float(label)
    sign = "-" if value < 0 else ""
    return f"${sign}10^{{{int(round(math.log10(abs(value))))}}}$"


def test_shift_curves_are_the_grids_numbers(he_she, raw):
    shifts = panels.shifts(he_she, "he")
    assert (shifts.metric, shifts.feature_factor, shifts.selection_dataset, shifts.selection_class) == \
        ("he", 1.0, "she", "he")
    assert shifts.lrs == sorted(lr for ff, lr in [k for k in raw if k != "base"] if ff == 1.0)
    assert shifts.lms == [raw[(1.0, lr)]["lms"]["lms"] for lr in shifts.lrs]
    assert shifts.base_lms == raw["base"]["lms"]["lms"]
    for dataset in ("he", "she"):
        for cls in ("he", "she"):
            assert shifts.probs[dataset][cls] == [raw[(1.0, lr)]["probs_by_dataset"][dataset][cls]
                                                  for lr in shifts.lrs]
            assert shifts.base_probs[dataset][cls] == raw["base"]["probs_by_dataset"][dataset][cls]
    assert shifts.star == (0.1, raw[(1.0, 0.1)]["probs_by_dataset"]["she"]["he"])
    assert shifts.lms_threshold == pytest.approx(0.99 * raw["base"]["lms"]["lms"])


def test_the_star_follows_the_policy_and_the_weaken_direction(he_she, raw):
    product = panels.shifts(he_she, "he", policy="product")
    assert product.star == (1, raw[(1.0, 1)]["probs_by_dataset"]["she"]["he"]) and product.lms_threshold is None
    weaken = panels.shifts(he_she, "he", increase_target_probabilities=False)
    assert (weaken.metric, weaken.feature_factor, weaken.selection_dataset) == ("he_weaken", -1.0, "he")
    chosen = raw[(-1.0, weaken.selection.learning_rate)]
    assert weaken.selection.value == pytest.approx(1 - chosen["probs_factual"]["he"])


def test_unknown_classes_are_refused_with_the_classes_there_are(he_she):
    with pytest.raises(ValueError, match="target_class 'they' is not in he_she's grid \\(classes: he, she\\)"):
        panels.shifts(he_she, "they")
    with pytest.raises(ValueError, match="no classes to plot"):
        panels.shifts(he_she, "he", class_ids=["they"])
    assert panels.shifts(he_she, "he", class_ids=["she"]).classes == ["she"]


def test_grid_matrix_rows_columns_threshold_and_selected_cells(he_she, raw):
    selections = he_she.selections()
    matrix = panels.grid_matrix(he_she, "he", selections, ratio=0.99)
    assert matrix.feature_factors == [1.0, -1.0] and matrix.row_classes == [["he"], ["she"]]
    assert matrix.lrs == sorted({key[1] for key in raw if key != "base"})
    base_lms = raw["base"]["lms"]["lms"]
    for r, ff in enumerate(matrix.feature_factors):
        for c, lr in enumerate(matrix.lrs):
            assert matrix.values[r, c] == raw[(ff, lr)]["probs"]["he"]
            assert matrix.passing[r, c] == (raw[(ff, lr)]["lms"]["lms"] >= 0.99 * base_lms)
    assert matrix.selected == {"he": (0, matrix.lrs.index(0.1)), "she": (1, matrix.lrs.index(0.2))}
    assert matrix.passing[0].sum() == selections["he"].passing_lms_threshold
    lms = panels.grid_matrix(he_she, "lms.f1", selections, ratio=0.99)
    assert lms.values[1, 0] == raw[(-1.0, 0.001)]["lms"]["f1"]
    with pytest.raises(ValueError, match="metric 'bpi' is not in he_she's grid \\(choose one of: he, she, "
                                         "he_factual, he_weaken, she_factual, she_weaken, lms, lms.accuracy"):
        panels.grid_matrix(he_she, "bpi", selections, ratio=0.99)


def test_rewrite_is_the_selected_cell_minus_the_base(he_she, raw):
    she = panels.rewrite(he_she, he_she.selections()["she"])
    assert she.datasets == ["he", "she"] and she.classes == ["he", "she"]
    chosen, base = raw[(-1.0, 0.2)]["probs_by_dataset"], raw["base"]["probs_by_dataset"]
    expected = np.array([[chosen[d][c] - base[d][c] for c in she.classes] for d in she.datasets])
    assert np.array_equal(she.delta, expected)
    assert she.delta[0, 1] == pytest.approx(0.8862376014391581 - 0.005968562172104915)
    assert np.isfinite(she.delta).all()
