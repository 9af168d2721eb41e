"""The Sweep view's numbers: runs on a grid of one or two training arguments with a metric aggregated per cell, and
the axes of parallel coordinates (one line per run across arguments and metrics) with the runs a brush keeps.

Plain functions on run ids, their training_args (`analysis.run_diff`) and {run id: number} metrics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from gradiend_st.analysis.run_diff import compact_texts, identity, metric_label, same

AGGREGATES = ("mean", "min", "max")
NO_AXIS = "(none)"  # y_arg: one row only
SAME = "(same arguments)"  # the x axis when no argument differs: one column of every run
MAX_CATEGORIES = 12  # a numeric argument with more distinct values gets a number axis, not one tick per value
MISSING = "n/a"


# ---------------------------------------------------------------------------------------------------------- grid


@dataclass(frozen=True)
class AxisValues:
    """The distinct values of one training argument among some runs, in axis order, and where each run sits."""

    key: str
    values: list  # distinct stored values
    labels: list[str]  # their texts (nested configs compact)
    position: dict[str, int]  # run id -> index into `values`


def axis_values(key: str, args: dict[str, dict]) -> AxisValues:
    """`args`: run id -> training_args. Order: none first, then numbers ascending, texts, then the rest by text."""
    distinct: list = []
    for run_args in args.values():
        value = run_args.get(key)
        if not any(same(value, seen) for seen in distinct):
            distinct.append(value)
    texts = dict(zip(map(identity, distinct), compact_texts(key, distinct), strict=True))
    distinct.sort(key=lambda v: _order(v, texts[identity(v)]))
    index = {identity(v): i for i, v in enumerate(distinct)}
    return AxisValues(key, distinct, [texts[identity(v)] for v in distinct],
                      {rid: index[identity(a.get(key))] for rid, a in args.items()})


def _order(value, text: str) -> tuple:
    if value is None:
        return (0, 0.0, "")
    if isinstance(value, bool):
        return (1, float(value), "")
    if isinstance(value, (int, float)):
        return (2, float(value), "")
    if isinstance(value, str):
        return (3, 0.0, value)
    return (4, 0.0, text)


@dataclass(frozen=True)
class Cell:
    runs: list[str]  # every run with these argument values
    values: list[float]  # the metric of those runs that have it
    value: float | None  # aggregated; None when no run of the cell has the metric

    @property
    def count(self) -> int:
        return len(self.runs)


@dataclass(frozen=True)
class SweepGrid:
    x: AxisValues
    y: AxisValues | None  # None: one row
    metric: str
    aggregate: str
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)  # (row, column); absent: no run there

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.y.values) if self.y else 1, len(self.x.values))

    def finite_values(self) -> list[float]:
        return [c.value for c in self.cells.values() if c.value is not None]


def sweep_grid(args: dict[str, dict], metric: dict[str, float], x_key: str | None, y_key: str | None,
               metric_name: str, aggregate: str = "mean") -> SweepGrid:
    """Runs (`args`: run id -> training_args) placed by their `x_key` (and `y_key`) values, `metric` (run id ->
    number; a run without one is counted in its cell but not aggregated) aggregated per cell. `x_key` None: one
    column of every run (they were trained with the same arguments)."""
    if aggregate not in AGGREGATES:
        raise ValueError(f"aggregate must be one of {', '.join(AGGREGATES)}, not {aggregate!r}")
    x = axis_values(x_key, args) if x_key else AxisValues(SAME, [None], [f"{len(args)} runs"], dict.fromkeys(args, 0))
    y = axis_values(y_key, args) if y_key and y_key != NO_AXIS else None
    members: dict[tuple[int, int], list[str]] = {}
    for rid in args:
        members.setdefault((y.position[rid] if y else 0, x.position[rid]), []).append(rid)
    cells = {}
    for where, runs in members.items():
        values = [metric[r] for r in runs if r in metric and math.isfinite(metric[r])]
        cells[where] = Cell(runs, values, aggregate_values(values, aggregate))
    return SweepGrid(x, y, metric_name, aggregate, cells)


def aggregate_values(values: list[float], how: str) -> float | None:
    if not values:
        return None
    if how == "min":
        return min(values)
    if how == "max":
        return max(values)
    return sum(values) / len(values)


def default_axes(keys: list[str], args: dict[str, dict]) -> tuple[str | None, str | None]:
    """(x, y) when the user has not chosen: the first differing argument, then the first one that splits the runs
    differently (arguments that change together, such as max_seeds and saved_seed_runs, would repeat the x axis)."""
    if not keys:
        return None, None
    x = keys[0]
    split = _partition(x, args)
    return x, next((k for k in keys[1:] if _partition(k, args) != split), None)


def _partition(key: str, args: dict[str, dict]) -> frozenset:
    groups: dict[str, set] = {}
    for rid, run_args in args.items():
        groups.setdefault(identity(run_args.get(key)), set()).add(rid)
    return frozenset(frozenset(g) for g in groups.values())


# ---------------------------------------------------------------------------------------------------------- parallel


@dataclass(frozen=True)
class ParallelAxis:
    name: str  # a training_args key or a metric name
    label: str
    positions: dict[str, float]  # run id -> where its line crosses the axis
    tickvals: list[float]
    ticktext: list[str]
    range: tuple[float, float]
    categorical: bool  # one tick per value (plotly: an ordinal axis, whose brush snaps to the ticks)
    missing: int = 0  # runs without a value: drawn on the "n/a" tick below a number line


def argument_axis(key: str, args: dict[str, dict]) -> ParallelAxis:
    """One tick per distinct value (evenly spaced), or a number axis for a numeric argument with many values."""
    found = axis_values(key, args)
    numeric = [v for v in found.values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if len(numeric) > MAX_CATEGORIES:
        values = {rid: a.get(key) for rid, a in args.items()}
        return number_axis(key, key, {r: float(v) for r, v in values.items() if _is_number(v)}, list(args))
    n = len(found.values)
    return ParallelAxis(key, key, {rid: float(i) for rid, i in found.position.items()}, [float(i) for i in range(n)],
                        list(found.labels), (-0.5, n - 0.5) if n > 1 else (-1.0, 1.0), True)


def metric_axis(name: str, values: dict[str, float], run_ids: list[str]) -> ParallelAxis:
    if name == "converged":  # yes / no (and ? for unknown), not a number line
        positions = {rid: values[rid] if rid in values else -1.0 for rid in run_ids}
        ticks = ([-1.0] if len(values) < len(run_ids) else []) + [0.0, 1.0]
        return ParallelAxis(name, metric_label(name), positions, ticks,
                            ["?" if t < 0 else ("yes" if t else "no") for t in ticks], (min(ticks) - 0.5, 1.5), True)
    return number_axis(name, metric_label(name), values, run_ids)


def number_axis(name: str, label: str, values: dict[str, float], run_ids: list[str]) -> ParallelAxis:
    """A number line over the runs' values; runs without a value sit on an "n/a" tick below it."""
    finite = [v for r, v in values.items() if r in run_ids and math.isfinite(v)]
    low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
    if high == low:
        low, high = low - (abs(low) * 0.05 or 0.5), high + (abs(high) * 0.05 or 0.5)
    ticks = nice_ticks(low, high)
    tickvals, ticktext = ticks, [tick_text(t, ticks) for t in ticks]
    missing = [rid for rid in run_ids if rid not in values or not math.isfinite(values[rid])]
    bottom = ticks[0]
    if missing:
        bottom = bottom - 0.12 * (ticks[-1] - ticks[0])
        tickvals, ticktext = [bottom, *tickvals], [MISSING, *ticktext]
    positions = {rid: (values[rid] if rid not in missing else bottom) for rid in run_ids}
    return ParallelAxis(name, label, positions, tickvals, ticktext, (bottom, ticks[-1]), False, len(missing))


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About `count` round tick values (1, 2, 2.5 or 5 times a power of ten), from the last one at or below `low`
    to the first one at or above `high`: the axis spans them."""
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    return [round(i * step, 12) for i in range(first, max(last, first + 1) + 1)]


def tick_text(value: float, ticks: list[float]) -> str:
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else abs(value) or 1.0
    if abs(value) >= 1e5 or (value and abs(value) < 1e-3):
        return f"{value:.3g}"
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0
    return f"{value:,.{decimals}f}"


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def brush_spans(ranges) -> dict[str, list[list[float]]]:
    """{axis name: [[low, high], ...]} from plotly's parcoords `constraintrange` form ([low, high] or a list of
    them), as a link, a preset or the browser gives it; anything that is not such a range is dropped."""
    found = {}
    for name, spans in (ranges.items() if isinstance(ranges, dict) else ()):
        if not isinstance(spans, list) or not spans:
            continue
        pairs = [spans] if not isinstance(spans[0], list) else spans
        pairs = [sorted(float(v) for v in pair) for pair in pairs
                 if isinstance(pair, list) and len(pair) == 2 and all(_is_number(v) for v in pair)]
        if pairs:
            found[str(name)] = pairs
    return found


def runs_in_ranges(axes: list[ParallelAxis], run_ids: list[str], ranges) -> list[str]:
    """The runs whose lines pass every brushed axis (`ranges`: see `brush_spans`); an axis not in `axes` is
    ignored."""
    by_name = {axis.name: axis for axis in axes}
    kept = list(run_ids)
    for name, pairs in brush_spans(ranges).items():
        if name in by_name:
            positions = by_name[name].positions
            kept = [rid for rid in kept if any(_within(positions.get(rid), pair) for pair in pairs)]
    return kept


def _within(value: float | None, pair: list[float]) -> bool:
    low, high = pair
    tolerance = 1e-9 * max(1.0, abs(low), abs(high))
    return value is not None and low - tolerance <= value <= high + tolerance
