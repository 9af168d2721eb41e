"""The Sweep view's numbers: grid cells aggregated per argument values, parallel axes, the runs a brush keeps."""

from __future__ import annotations

import math

import pytest

from gradiend_st.analysis import sweep

ARGS = {  # a 2 x 3 sweep with one missing cell and one cell shared by two runs
    "a": {"learning_rate": 1e-3, "pre_prune_config": None},
    "b": {"learning_rate": 1e-4, "pre_prune_config": None},
    "c": {"learning_rate": 1e-3, "pre_prune_config": {"topk": 0.05}},
    "d": {"learning_rate": 1e-3, "pre_prune_config": {"topk": 0.05}},
    "e": {"learning_rate": "tune", "pre_prune_config": {"topk": 0.05}},
}
CORR = {"a": 0.9, "b": 0.5, "c": 0.8, "d": 0.6}  # e has no value


def test_axis_values_in_order_none_numbers_texts_then_configs():
    axis = sweep.axis_values("learning_rate", ARGS)
    assert axis.values == [1e-4, 1e-3, "tune"]
    assert axis.labels == ["0.0001", "0.001", "tune"]
    assert axis.position == {"a": 1, "b": 0, "c": 1, "d": 1, "e": 2}
    config = sweep.axis_values("pre_prune_config", ARGS)
    assert config.values == [None, {"topk": 0.05}] and config.labels == ["none", "topk=0.05"]


@pytest.mark.parametrize(("how", "shared"), [("mean", 0.7), ("min", 0.6), ("max", 0.8)])
def test_runs_sharing_a_cell_are_aggregated_and_counted(how, shared):
    grid = sweep.sweep_grid(ARGS, CORR, "learning_rate", "pre_prune_config", "best_correlation", how)
    assert grid.shape == (2, 3)
    cell = grid.cells[(1, 1)]  # topk 0.05, lr 1e-3
    assert cell.runs == ["c", "d"] and cell.count == 2
    assert cell.value == pytest.approx(shared)
    assert grid.cells[(0, 1)].value == 0.9 and grid.cells[(0, 0)].value == 0.5
    assert (1, 0) not in grid.cells, "no run with lr 1e-4 and pre-pruning: a blank cell"
    assert grid.cells[(1, 2)].runs == ["e"] and grid.cells[(1, 2)].value is None, "a run without the metric: n/a"
    assert (0, 2) not in grid.cells


def test_one_axis_and_no_axis():
    row = sweep.sweep_grid(ARGS, CORR, "learning_rate", sweep.NO_AXIS, "best_correlation")
    assert row.y is None and row.shape == (1, 3)
    assert row.cells[(0, 1)].count == 3 and row.cells[(0, 1)].value == pytest.approx((0.9 + 0.8 + 0.6) / 3)
    same = sweep.sweep_grid(ARGS, CORR, None, None, "best_correlation")
    assert same.x.key == sweep.SAME and same.cells[(0, 0)].count == 5
    with pytest.raises(ValueError, match="aggregate"):
        sweep.sweep_grid(ARGS, CORR, "learning_rate", None, "x", "median")


def test_default_axes_skip_arguments_that_split_the_runs_the_same_way():
    args = {"a": {"max_seeds": 1, "saved": "x", "pre": None}, "b": {"max_seeds": 3, "saved": "y", "pre": None},
            "c": {"max_seeds": 1, "saved": "x", "pre": 0.1}}
    assert sweep.default_axes(["max_seeds", "saved", "pre"], args) == ("max_seeds", "pre")
    assert sweep.default_axes(["max_seeds", "saved"], args) == ("max_seeds", None)
    assert sweep.default_axes([], args) == (None, None)


def test_argument_axes_are_categories_and_metric_axes_number_lines_with_an_na_tick():
    runs = list(ARGS)
    lr = sweep.argument_axis("learning_rate", ARGS)
    assert lr.categorical and lr.ticktext == ["0.0001", "0.001", "tune"] and lr.positions["e"] == 2.0
    corr = sweep.metric_axis("best_correlation", CORR, runs)
    assert not corr.categorical and corr.missing == 1
    assert corr.ticktext[0] == "n/a" and corr.positions["e"] == corr.tickvals[0] < min(CORR.values())
    assert corr.range == (corr.tickvals[0], corr.tickvals[-1]) and corr.tickvals[-2:] == [0.8, 0.9]
    converged = sweep.metric_axis("converged", {"a": 1.0, "b": 0.0}, ["a", "b", "c"])
    assert converged.ticktext == ["?", "no", "yes"] and converged.positions == {"a": 1.0, "b": 0.0, "c": -1.0}


def test_many_numeric_values_get_a_number_line():
    args = {f"r{i}": {"learning_rate": 10 ** (-i / 4)} for i in range(20)}
    axis = sweep.argument_axis("learning_rate", args)
    assert not axis.categorical and axis.positions["r0"] == 1.0


def test_nice_ticks():
    assert sweep.nice_ticks(0.508, 0.99999) == [0.4, 0.6, 0.8, 1.0]
    assert sweep.nice_ticks(0, 143.8) == [0, 50, 100, 150]
    assert sweep.nice_ticks(1845, 36896) == [0, 10000, 20000, 30000, 40000]
    assert sweep.nice_ticks(0.25, 0.75) == [0.2, 0.4, 0.6, 0.8]
    assert sweep.tick_text(0.6, [0.6, 0.8]) == "0.6" and sweep.tick_text(10000, [0, 10000]) == "10,000"


def test_runs_in_brushed_ranges():
    axes = [sweep.argument_axis("learning_rate", ARGS), sweep.metric_axis("best_correlation", CORR, list(ARGS))]
    runs = list(ARGS)
    assert sweep.runs_in_ranges(axes, runs, {}) == runs
    assert sweep.runs_in_ranges(axes, runs, {"learning_rate": [0.5, 1.5]}) == ["a", "c", "d"]
    assert sweep.runs_in_ranges(axes, runs, {"learning_rate": [[-0.5, 0.5], [1.5, 2.5]]}) == ["b", "e"]
    both = {"learning_rate": [0.5, 1.5], "best_correlation": [0.75, 1.0]}
    assert sweep.runs_in_ranges(axes, runs, both) == ["a", "c"], "every brushed axis must hold the line"
    assert sweep.runs_in_ranges(axes, runs, {"no such axis": [0, 1]}) == runs
    bottom = axes[1].positions["e"]
    assert sweep.runs_in_ranges(axes, runs, {"best_correlation": [bottom, bottom]}) == ["e"], "the n/a tick"
    assert not math.isnan(bottom)
