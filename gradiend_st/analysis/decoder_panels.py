"""What the decoder figures show, as numbers: the probability-shift curves of one class (gradiend's
`plot_probability_shifts`), the feature factor x learning rate grid of one metric, and the ΔP matrix of a selected
rewrite. No drawing here (`figures/decoder.py` draws).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gradiend_st.analysis.decoder import WEAKEN, Selection, candidate_metrics, metric_names, passes, select
from gradiend_st.analysis.decoder_runs import RunDecoder
from gradiend_st.io.decoder import GridEntry

NAN = float("nan")


# ----------------------------------------------------------------------------------------------- learning rate axis


@dataclass(frozen=True)
class LrAxis:
    """gradiend's `_lr_axis_config`: a log axis with the base model at min(lr)/10 when every lr is positive, else a
    symmetric log axis with the base model at 0."""

    scale: str  # "log" | "symlog"
    linthresh: float | None
    base_x: float
    limits: tuple[float, float]
    ticks: list[float]
    labels: list[str]


def lr_axis(lrs: list[float]) -> LrAxis:
    if not lrs:
        raise ValueError("no learning rates to plot")
    if all(lr > 0 for lr in lrs):
        base_x = min(lrs) / 10.0
        decades = _decades(min(lrs), max(lrs))
        return LrAxis("log", None, base_x, (base_x * 0.5, max(lrs) * 1.5), [base_x, *decades],
                      ["base", *map(_power_label, decades)])
    nonzero = [abs(lr) for lr in lrs if lr != 0]
    linthresh = max(min(nonzero) / 10.0 if nonzero else 1e-6, 1e-12)
    neg, pos = [lr for lr in lrs if lr < 0], [lr for lr in lrs if lr > 0]
    neg_ticks = [-t for t in reversed(_decades(min(map(abs, neg)), max(map(abs, neg))))] if neg else []
    pos_ticks = _decades(min(pos), max(pos)) if pos else []
    left = min(neg) * 1.5 if neg else -linthresh * 2
    right = max(pos) * 1.5 if pos else linthresh * 2
    return LrAxis("symlog", linthresh, 0.0, (left, right), [*neg_ticks, 0.0, *pos_ticks],
                  [*map(_power_label, neg_ticks), "base", *map(_power_label, pos_ticks)])


def _decades(low: float, high: float) -> list[float]:
    return [10.0 ** e for e in range(math.ceil(math.log10(low)), math.floor(math.log10(high)) + 1)]


def _power_label(value: float) -> str:
    """A decade as plain text, "0.001" where gradiend writes mathtext 10^-3: the studio draws text literally, and
    the venue fonts (STIX) have no superscript digits."""
    return f"{value:g}"


# ------------------------------------------------------------------------------------------ probability shifts


@dataclass
class Shifts:
    """The curves of gradiend's probability-shift plot for one target class."""

    target_class: str
    metric: str  # the summary key: the class, or "<class>_weaken"
    feature_factor: float
    lrs: list[float]  # ascending
    axis: LrAxis
    lms: list[float]
    base_lms: float
    classes: list[str]  # the curves of every dataset panel
    datasets: list[str]  # one panel per factual class of the rows (sorted, as gradiend)
    probs: dict[str, dict[str, list[float]]]  # dataset -> class -> P per lr (NaN where the file has none)
    base_probs: dict[str, dict[str, float]]  # dataset -> class -> P of the base model
    selection_dataset: str  # the panel whose curve of `selection_class` is the selection metric
    selection_class: str
    selection: Selection | None  # None: the metric is not in the grid
    star: tuple[float, float] | None  # (lr, P) of the selected cell on the selection curve
    lms_threshold: float | None  # ratio x base LMS (threshold policy)
    without_probs: int  # cells of this feature factor without probs_by_dataset


def grid_classes(decoder: RunDecoder) -> list[str]:
    """Classes with probabilities in the grid: the target pair first, then the others sorted."""
    found = {c for e in [decoder.grid.base, *decoder.grid.points] for d in e.probs_by_dataset.values() for c in d}
    return [c for c in decoder.classes if c in found] + sorted(found - set(decoder.classes))


def target_of(decoder: RunDecoder, target_class: str | None) -> str:
    """gradiend's default target class: the first target class."""
    if target_class:
        return target_class
    classes = list(decoder.classes) or grid_classes(decoder) or list(decoder.grid.base.probs)
    if not classes:
        raise ValueError(f"{decoder.run_id}: the grid names no class")
    return classes[0]


def summary_key(target_class: str, increase_target_probabilities: bool) -> str:
    if increase_target_probabilities or target_class.endswith(WEAKEN):
        return target_class
    return f"{target_class}{WEAKEN}"


def shifts(decoder: RunDecoder, target_class: str | None = None, *, increase_target_probabilities: bool = True,
           class_ids: list[str] | None = None, policy: str = "threshold", ratio: float = 0.99) -> Shifts:
    grid = decoder.grid
    in_grid = grid_classes(decoder)
    classes = [c for c in (class_ids or in_grid) if c in in_grid]
    if not classes:
        raise ValueError(f"no classes to plot: the grid has probabilities for {', '.join(in_grid) or 'none'}")
    target = target_of(decoder, target_class)
    metric = summary_key(target, increase_target_probabilities)
    base_class = metric.removesuffix(WEAKEN)
    if base_class not in in_grid:
        raise ValueError(f"target_class '{base_class}' is not in {decoder.run_id}'s grid (classes: {', '.join(in_grid)})")
    selection = select(grid, metric, decoder.class_to_ff, policy=policy, ratio=ratio) \
        if metric in metric_names(grid) else None
    ff = _plotted_feature_factor(decoder, base_class, metric, selection)
    cells = sorted((p for p in grid.points if p.feature_factor == ff), key=lambda p: p.learning_rate)
    lrs = [p.learning_rate for p in cells]
    datasets = sorted({d for e in [grid.base, *grid.points] for d in e.probs_by_dataset})
    others = [c for c in classes if c != base_class]
    if metric.endswith(WEAKEN):
        selection_dataset = base_class
    elif grid.context.prob_on_other_class is not False:
        selection_dataset = others[0] if others else base_class
    else:
        selection_dataset = base_class
    probs = {d: {c: [_prob(p, d, c) for p in cells] for c in classes} for d in datasets}
    return Shifts(
        target_class=base_class, metric=metric, feature_factor=ff, lrs=lrs, axis=lr_axis(lrs),
        lms=[p.lms for p in cells], base_lms=grid.base.lms, classes=classes, datasets=datasets, probs=probs,
        base_probs={d: {c: _prob(grid.base, d, c) for c in classes} for d in datasets},
        selection_dataset=selection_dataset, selection_class=base_class, selection=selection,
        star=_star(selection, ff, selection_dataset, base_class),
        lms_threshold=ratio * grid.base.lms if policy == "threshold" else None,
        without_probs=sum(not p.probs_by_dataset for p in cells),
    )


def _plotted_feature_factor(decoder: RunDecoder, base_class: str, metric: str, selection: Selection | None) -> float:
    """The strengthening feature factor of the class (a weaken plot: the selected cell's), else gradiend's fallback,
    the smallest feature factor of the grid."""
    ff = decoder.class_to_ff.get(base_class)
    if metric.endswith(WEAKEN) and selection is not None and selection.entry is not None:
        ff = selection.feature_factor
    present = sorted({p.feature_factor for p in decoder.grid.points})
    if ff is None:
        ff = present[0]
    if ff not in present:
        raise ValueError(f"no cell of {decoder.run_id}'s grid has feature factor {ff:+g}, which strengthens "
                         f"'{base_class}' (the grid has {', '.join(f'{f:+g}' for f in present)})")
    return ff


def _prob(entry: GridEntry, dataset: str, cls: str) -> float:
    return entry.probs_by_dataset.get(dataset, {}).get(cls, NAN)


def _star(selection: Selection | None, ff: float, dataset: str, cls: str) -> tuple[float, float] | None:
    if selection is None or selection.entry is None or selection.feature_factor != ff:
        return None
    value = _prob(selection.entry, dataset, cls)
    return None if math.isnan(value) else (selection.learning_rate, value)


# ------------------------------------------------------------------------------ feature factor x learning rate grid


@dataclass
class GridMatrix:
    metric: str
    feature_factors: list[float]  # rows: the target classes' feature factors first
    row_classes: list[list[str]]  # the classes each row strengthens
    lrs: list[float]  # columns, ascending
    values: np.ndarray  # the metric per cell (NaN: not evaluated or no such value)
    passing: np.ndarray  # lms >= ratio x base lms (False where not evaluated)
    base_value: float  # the metric on the base model
    selected: dict[str, tuple[int, int]]  # selection metric -> (row, column) of its selected cell


def cell_metrics(decoder: RunDecoder) -> list[str]:
    """Everything a grid can be coloured by: gradiend's metrics, the LMS and every other number of `lms`."""
    lms_fields = dict.fromkeys(f"lms.{k}" for p in decoder.grid.points for k in p.lms_fields if k != "lms")
    return [*metric_names(decoder.grid), "lms", *lms_fields]


def cell_value(entry: GridEntry, metric: str) -> float:
    if metric == "lms":
        return entry.lms
    if metric.startswith("lms."):
        return entry.lms_fields.get(metric[4:], NAN)
    return candidate_metrics(entry).get(metric, NAN)


def grid_matrix(decoder: RunDecoder, metric: str, selections: dict[str, Selection], *, ratio: float) -> GridMatrix:
    if metric not in cell_metrics(decoder):
        raise ValueError(f"metric '{metric}' is not in {decoder.run_id}'s grid "
                         f"(choose one of: {', '.join(cell_metrics(decoder))})")
    points = decoder.grid.points
    by_class = {}
    for cls, ff in decoder.class_to_ff.items():
        by_class.setdefault(ff, []).append(cls)
    present = {p.feature_factor for p in points}
    rows = [ff for ff in by_class if ff in present] + sorted(present - set(by_class), reverse=True)
    lrs = sorted({p.learning_rate for p in points})
    values = np.full((len(rows), len(lrs)), NAN)
    passing = np.zeros(values.shape, dtype=bool)
    where = {}
    for p in points:
        r, c = rows.index(p.feature_factor), lrs.index(p.learning_rate)
        values[r, c] = cell_value(p, metric)
        passing[r, c] = passes(p, decoder.grid.base.lms, ratio)
        where[p.index] = (r, c)
    selected = {m: where[s.entry.index] for m, s in selections.items() if s.entry is not None}
    return GridMatrix(metric, rows, [by_class.get(ff, []) for ff in rows], lrs, values, passing,
                      cell_value(decoder.grid.base, metric), selected)


# -------------------------------------------------------------------------------------------- the selected rewrite


@dataclass
class Rewrite:
    selection: Selection
    datasets: list[str]  # rows: factual class of the rows
    classes: list[str]  # columns: the class whose probability changed
    delta: np.ndarray  # P(selected) - P(base); NaN where either is missing


def rewrite(decoder: RunDecoder, selection: Selection) -> Rewrite:
    base = decoder.grid.base
    entry = selection.entry or base
    datasets = sorted(set(base.probs_by_dataset) | set(entry.probs_by_dataset))
    classes = grid_classes(decoder)
    delta = np.array([[_prob(entry, d, c) - _prob(base, d, c) for c in classes] for d in datasets], dtype=float)
    return Rewrite(selection, datasets, classes, delta.reshape(len(datasets), len(classes)))
