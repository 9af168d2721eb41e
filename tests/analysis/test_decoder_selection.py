"""gradiend's decoder selection (LMSThresholdPolicy / LMSTimesMetricPolicy) recomputed from the grids.

The reference is `expected_decoder.json`: what gradiend 0.2.3's own `compute_metric_summaries` picks from the same
grids. Policies and edge cases gradiend's fixtures do not cover are checked on grids built here, and (when gradiend's
venv is on the machine) against gradiend's own selection code on random grids.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from gradiend_st.analysis.decoder import (
    candidate_metrics,
    class_feature_factors,
    decoder_source,
    select,
    select_all,
    summary_metrics,
)
from gradiend_st.analysis.decoder_runs import read_run_decoder
from gradiend_st.io.decoder import read_decoder_grid
from gradiend_st.io.discover import discover
from tests.conftest import REFERENCE
from tests.io.test_decoder_grid import GRID_RUNS, copy_run

GRADIEND_PYTHON = Path(os.environ.get("GRADIEND_VENV_PYTHON", "/opt/gvenv/bin/python"))


@pytest.fixture(scope="module")
def expected() -> dict:
    return json.loads((REFERENCE / "expected_decoder.json").read_text())["runs"]


def assert_matches(selections: dict, reference: dict) -> None:
    assert set(selections) == set(reference["selections"])
    for metric, ref in reference["selections"].items():
        got = selections[metric]
        assert (got.feature_factor, got.learning_rate) == (ref["feature_factor"], ref["learning_rate"]), metric
        assert (got.candidates, got.passing_lms_threshold) == (ref["candidates"], ref["passing_lms_threshold"])
        assert got.value == pytest.approx(ref["value"], abs=1e-9) and got.lms == pytest.approx(ref["lms"], abs=1e-9)
        assert got.entry.probs_by_dataset == ref["probs_by_dataset"]


@pytest.mark.parametrize("run_id", GRID_RUNS)
def test_selection_matches_gradiend_on_every_fixture_run(catalog, expected, run_id):
    decoder = read_run_decoder(catalog.get(run_id))
    reference = expected[run_id]
    assert decoder.class_to_ff == reference["class_to_feature_factor"]
    assert decoder.grid.base.lms == pytest.approx(reference["base_lms"], abs=1e-12)
    assert decoder.grid.base.probs_by_dataset == reference["selections"][decoder.classes[0]]["base_probs_by_dataset"]
    assert sorted(decoder.metrics()) == sorted(reference["classes_to_eval"])
    assert_matches(decoder.selections(), reference)


def test_the_selected_cell_as_the_upstream_plot_stars_it(catalog):
    """he_she, class he: P(he) on she rows at feature factor +1, learning rate 0.1 (the red star upstream)."""
    he = read_run_decoder(catalog.get("he_she")).selections()["he"]
    assert (he.feature_factor, he.learning_rate, round(he.value, 4), he.passing_lms_threshold) == (1.0, 0.1, 0.1589, 7)
    assert he.delta == pytest.approx(he.value - 0.019380201507980626) and he.lms_ratio == pytest.approx(1.0)


# --------------------------------------------------------------------------- grids built to test one rule each


def _grid(tmp_path: Path, cells: list[tuple[float, float, float, float]], *, base_lms: float = 1.0,
          extra: dict | None = None) -> Path:
    """A decoder_grid_cache.json with cells (feature factor, lr, lms, P(a) on b rows); class b's P is 1 - P(a)."""
    def entry(ident, lms, p):
        return {"id": ident, "lms": {"lms": lms}, "probs": {"a": p, "b": 1 - p},
                "probs_factual": {"a": 1 - p, "b": p}, "probs_by_dataset": {"a": {"a": 1 - p, "b": p},
                                                                            "b": {"a": p, "b": 1 - p}},
                **(extra or {})}
    results = [entry("base", base_lms, 0.1)]
    results += [entry({"feature_factor": ff, "learning_rate": lr}, lms, p) for ff, lr, lms, p in cells]
    path = tmp_path / "decoder_grid_cache.json"
    path.write_text(json.dumps({"results": results}))
    return path


CLASS_FF = {"a": 1.0, "b": -1.0}


def test_threshold_keeps_cells_at_or_above_ratio_times_base(tmp_path):
    grid = read_decoder_grid(_grid(tmp_path, [(1, 0.1, 0.99, 0.3), (1, 1, 0.98, 0.9), (1, 10, 1.2, 0.2)]))
    chosen = select(grid, "a", CLASS_FF)
    assert (chosen.learning_rate, chosen.passing_lms_threshold, chosen.candidates) == (0.1, 2, 3)  # 0.99 == cutoff
    assert select(grid, "a", CLASS_FF, ratio=0.98).learning_rate == 1  # now 0.98 passes and has the largest P
    assert select(grid, "a", CLASS_FF, policy="product").learning_rate == 1  # 0.9 * 0.98 is the largest product


def test_ties_go_to_the_first_cell_in_the_files_order(tmp_path):
    grid = read_decoder_grid(_grid(tmp_path, [(1, 5, 1.0, 0.5), (1, 0.5, 1.0, 0.5), (1, 50, 1.0, 0.5)]))
    assert select(grid, "a", CLASS_FF).learning_rate == 5
    assert select(grid, "a", CLASS_FF, policy="product").learning_rate == 5


def test_no_passing_cell_falls_back_to_the_smallest_nonzero_learning_rate(tmp_path):
    grid = read_decoder_grid(_grid(tmp_path, [(1, 0, 0.1, 0.9), (1, -0.01, 0.1, 0.2), (1, 0.5, 0.2, 0.8),
                                              (1, 0.01, 0.3, 0.1)]))
    chosen = select(grid, "a", CLASS_FF)
    assert chosen.fallback and chosen.passing_lms_threshold == 0
    assert chosen.learning_rate == -0.01  # |lr| ties: the first in the file


def test_only_the_strengthening_feature_factor_competes(tmp_path):
    grid = read_decoder_grid(_grid(tmp_path, [(-1, 0.1, 1.0, 0.99), (1, 0.1, 1.0, 0.2), (1, 1, 1.0, 0.3)]))
    assert select(grid, "a", CLASS_FF).feature_factor == 1 and select(grid, "a", CLASS_FF).value == 0.3
    assert select(grid, "a", None).feature_factor == -1  # no class -> feature factor map: every cell competes
    weaken = select(grid, "a_weaken", CLASS_FF)  # weaken a: the other class's feature factor, 1 - P_factual(a)
    assert (weaken.feature_factor, weaken.candidates, weaken.value) == (-1, 1, pytest.approx(0.99))
    with pytest.raises(ValueError, match="no cell has feature factor \\+2, which strengthens 'a'"):
        select(grid, "a", {"a": 2.0, "b": -2.0})


def test_custom_metrics_are_selectable_like_gradiends(tmp_path):
    path = _grid(tmp_path, [(1, 0.1, 1.0, 0.2), (1, 1, 1.0, 0.3)], extra={"bpi": 0.0})
    data = json.loads(path.read_text())
    data["results"][1]["bpi"] = 0.7
    path.write_text(json.dumps(data))
    grid = read_decoder_grid(path)
    assert list(candidate_metrics(grid.points[0])) == ["a", "b", "a_factual", "a_weaken", "b_factual", "b_weaken",
                                                       "bpi"]
    assert select(grid, "bpi", CLASS_FF).learning_rate == 0.1
    with pytest.raises(ValueError, match="no cell has the metric 'mpi'"):
        select(grid, "mpi", CLASS_FF)


def test_feature_factor_per_class_follows_gradiends_source_rules(tmp_path, runs_root):
    assert class_feature_factors({"he": 1, "she": -1, "it": 0}, "alternative") == {"he": 1.0, "she": -1.0}
    assert class_feature_factors({"he": 1, "she": -1}, "factual") == {"he": -1.0, "she": 1.0}
    assert decoder_source("alternative", "diff") == "diff"  # training.json's source wins, as in from_pretrained
    assert decoder_source("alternative", None) == "alternative"
    assert decoder_source(None, "alternative") == "factual"  # no valid context source: gradiend's default
    folder = copy_run(runs_root, "he_she", tmp_path / "he_she")
    context = folder / "model" / "gradiend_context.json"
    context.write_text(json.dumps({"source": "factual", "target": "diff"}))  # no direction, like pre-pruned runs
    training = folder / "model" / "training.json"
    data = json.loads(training.read_text())
    data["training_args"]["source"] = "factual"
    training.write_text(json.dumps(data))
    decoder = read_run_decoder(discover(tmp_path).get("he_she"))
    assert decoder.ff_origin == "training.json label names" and decoder.classes == ("he", "she")
    assert decoder.class_to_ff == {"he": -1.0, "she": 1.0}
    assert select(decoder.grid, "he", decoder.class_to_ff).feature_factor == -1.0


def test_summary_metrics_come_from_the_grids_selection_context(catalog):
    grid = read_run_decoder(catalog.get("3SG_3PL")).grid
    assert summary_metrics(grid) == ["3PL", "3SG"]
    grid.context.metrics_for_summary = None
    grid.context.classes_to_eval = None
    assert summary_metrics(grid, ("3SG", "3PL")) == ["3SG", "3PL"]
    assert summary_metrics(grid) == list(grid.base.probs)


# --------------------------------------------------------------------------- against gradiend's own code

ORACLE = """
import json, sys
from gradiend.evaluator.decoder import compute_metric_summaries, LMSThresholdPolicy, LMSTimesMetricPolicy
from gradiend.evaluator.decoder_eval_utils import convert_results_to_dict
out = []
for case in json.load(sys.stdin):
    selector = LMSThresholdPolicy(case["ratio"]) if case["policy"] == "threshold" else LMSTimesMetricPolicy()
    summary = compute_metric_summaries(convert_results_to_dict(case["results"]), case["metrics"], selector=selector,
                                       class_to_ff=case["class_to_ff"])
    out.append({m: [s["feature_factor"], s["learning_rate"], s["value"], s["lms"]] for m, s in summary.items()})
print(json.dumps(out))
"""


def _random_results(rng) -> list[dict]:
    lms_levels = rng.choice([0.0, 0.1, 0.17, 0.18, 0.2], size=40)  # few levels: many ties and threshold edges
    results = [{"id": "base", "lms": {"lms": 0.18}, "probs": {"a": 0.1, "b": 0.2},
                "probs_factual": {"a": 0.9, "b": 0.8}}]
    for i, lr in enumerate(rng.choice([0.001, 0.01, 0.1, 1.0, 10.0], size=20, replace=True)):
        for ff in (1.0, -1.0):
            p = float(rng.choice([0.2, 0.5, 0.9]))
            results.append({"id": {"feature_factor": ff, "learning_rate": float(lr)},
                            "lms": {"lms": float(lms_levels[2 * i + (ff < 0)])}, "probs": {"a": p, "b": 1 - p},
                            "probs_factual": {"a": 1 - p, "b": p}, "bpi": float(rng.random())})
    return results


@pytest.mark.skipif(not GRADIEND_PYTHON.is_file(), reason="gradiend's venv is not on this machine")
def test_random_grids_select_as_gradiends_own_code(tmp_path):
    rng = np.random.default_rng(7)
    cases = []
    for n in range(60):
        cases.append({"results": _random_results(rng), "metrics": ["a", "b", "a_weaken", "bpi"],
                      "class_to_ff": CLASS_FF, "policy": ("threshold", "product")[n % 2],
                      "ratio": float(rng.choice([0.5, 0.95, 0.99, 1.0]))})
    done = subprocess.run([str(GRADIEND_PYTHON), "-c", ORACLE], input=json.dumps(cases), capture_output=True,
                          text=True, timeout=600, check=True)
    for case, reference in zip(cases, json.loads(done.stdout), strict=True):
        path = tmp_path / "decoder_grid_cache.json"
        path.write_text(json.dumps({"results": case["results"]}))
        ours = select_all(read_decoder_grid(path), case["metrics"], CLASS_FF, policy=case["policy"],
                          ratio=case["ratio"])
        for metric, (ff, lr, value, lms) in reference.items():
            got = ours[metric]
            assert (got.feature_factor, got.learning_rate) == (ff, lr), (case["policy"], case["ratio"], metric)
            assert math.isclose(got.value, value, abs_tol=1e-12) and math.isclose(got.lms, lms, abs_tol=1e-12)
