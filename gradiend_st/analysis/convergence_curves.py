"""The curves of the training-convergence view (FORMAT.md §9.1), for the matplotlib modes and the interactive chart.

Which panels a selection has, the series of each panel under gradiend's names, class spreads and multi-seed bands,
panel titles, the line style that tells a label in overlays, and the long tables behind the CSV and the chart.
Both figure modules draw from these functions, so every mode shows the same numbers under the same names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gradiend_st.analysis.convergence import Convergence
from gradiend_st.io.training import Series, TrainingLog

SPREAD_SUFFIX = {"minmax": " (shaded: min-max)", "iqr": " (shaded: IQR)", "ci95": " (shaded: 95% CI)"}
SEED_BAND_TEXT = {"minmax": "min-max", "iqr": "IQR"}
PANEL_TITLES = {"mean_by_class": "Mean by class", "mean_by_feature_class": "Mean by feature class",
                "correlation": "Correlation"}
PANEL_YLABELS = {"mean_by_class": "Mean encoded value", "mean_by_feature_class": "Mean encoded value",
                 "correlation": "Correlation"}
LABEL_STYLES = {"1.0": "-", "-1.0": "--", "0.0": "-."}  # overlay: line style tells the label, colour the run
OTHER_STYLE = (0, (3, 1, 1, 1, 1, 1))
OTHER_CLASSES = "other classes"


@dataclass
class RunCurves:
    """Everything the view needs of one run: its training log, status and (optional) seed logs."""

    run_id: str
    training: TrainingLog
    convergence: Convergence
    seed_ids: list[str] = field(default_factory=list)
    seed_logs: list[TrainingLog] = field(default_factory=list)


@dataclass
class CurveSpec:
    """The options that decide what a panel's curves are and what they are called (gradiend's names)."""

    label_name_mapping: dict | None = None
    class_spread: str | None = None  # "minmax" | "iqr" | "ci95"
    seed_band: str | None = None  # "minmax" | "iqr"

    @classmethod
    def of(cls, options) -> CurveSpec:
        """The spec of a convergence Options (any object with these three fields)."""
        return cls(options.label_name_mapping, options.class_spread, options.seed_band)


@dataclass
class Curve:
    """One drawable line: what it is (for the table and the legend) and its points."""

    key: str
    name: str
    values: Series
    band: tuple[Series, Series] | None = None


# ----------------------------------------------------------------------------------------------- names


def series_name(key: str, training: TrainingLog, mapping: dict | None) -> str:
    """gradiend's naming: mapping[raw key], else the class name of the label (renamed by mapping), else the key."""
    mapping = mapping or {}
    if key in mapping:
        return str(mapping[key])
    class_name = training.label_value_to_class_name.get(key)
    if class_name is not None:
        return str(mapping.get(class_name, class_name))
    return key


def convergence_title(title: bool | str | None, run_names: list[str]) -> str | None:
    """The caption: the user's title, none (False/None/""), or one made from the drawn runs' names."""
    if title is False or title is None:
        return None
    if isinstance(title, str):
        return title or None
    if len(run_names) == 1:
        return f"{run_names[0]} \u2014 training convergence"
    return f"Training convergence of {len(run_names)} runs"


def overlay_label(run_name: str, run: RunCurves, seed_band: str | None) -> str:
    """A run's legend entry when runs share axes: its name, and what its curves are when they are seed medians."""
    seeds = f" (median of {len(run.seed_logs)} seeds)" if uses_seed_band(run, seed_band) else ""
    return run_name + seeds


def panel_title(panel: str, spec: CurveSpec, seeds: int = 0, overlay: bool = False) -> str:
    """A panel's title, saying what is shaded (seed band, class spread)."""
    title = PANEL_TITLES[panel]
    if seeds >= 2 and overlay:  # only some runs may have seeds: their legend entries say so
        return f"{title} (seed runs: median, shaded: {SEED_BAND_TEXT[spec.seed_band]})"
    if seeds >= 2:
        return f"{title} (median of {seeds} seeds, shaded: {SEED_BAND_TEXT[spec.seed_band]})"
    if panel != "correlation" and spec.class_spread:
        return title + SPREAD_SUFFIX[spec.class_spread]
    return title


def class_names_by_curve(runs: list[RunCurves], panels: list[str], spec: CurveSpec) -> dict[str, list[str]]:
    """Every class curve's display name (first appearance order) -> the other names it is known by (raw key, its
    label value, training.json's class name): what a user's `colors` may name it by."""
    names: dict[str, list[str]] = {}
    for run in runs:
        for panel in panels:
            if panel == "correlation":
                continue
            for curve in curves(run, panel, spec):
                known = names.setdefault(curve.name, [])
                label = label_key(run.training, panel, curve.key)
                for other in (curve.key, label, run.training.label_value_to_class_name.get(label)):
                    if other is not None and other not in known:
                        known.append(other)
    return names


# ----------------------------------------------------------------------------------------------- panels and series


def feature_class_redundant(training: TrainingLog) -> bool:
    """True when the feature-class panel would repeat the class panel (same class names)."""
    names = {training.label_value_to_class_name.get(key, key) for key in training.by_class}
    return set(training.by_feature_class) == names


def panels(runs: list[RunCurves], *, mean_by_class: bool = True, mean_by_feature_class: bool | None = None,
           correlation: bool = True) -> list[str]:
    """The panels to draw, top to bottom; the feature-class panel by default only where it adds something."""
    found = []
    if mean_by_class and any(groups(r.training, "mean_by_class") for r in runs):
        found.append("mean_by_class")
    show_feature = mean_by_feature_class
    if show_feature is None:
        show_feature = any(not feature_class_redundant(r.training) for r in runs)
    if show_feature and any(groups(r.training, "mean_by_feature_class") for r in runs):
        found.append("mean_by_feature_class")
    if correlation and any(r.training.scores for r in runs):
        found.append("correlation")
    return found


def groups(training: TrainingLog, panel: str) -> dict[str, dict[str, Series]]:
    """{raw key: {stat: series}} of a mean panel, keys in gradiend's (lexicographic) order."""
    by_key = training.by_class if panel == "mean_by_class" else training.by_feature_class
    return {key: by_key[key] for key in sorted(by_key) if by_key[key].get("mean")}


def series_count(runs: list[RunCurves]) -> int:
    """The most series one mean panel of these runs has."""
    return max(max(len(r.training.by_class), len(r.training.by_feature_class)) for r in runs)


def spread(stats: dict[str, Series], kind: str | None) -> tuple[Series, Series] | None:
    """(low, high) per step for class_spread, or None when the file lacks the statistics."""
    mean = stats["mean"]
    if kind == "minmax" and "min" in stats and "max" in stats:
        return stats["min"], stats["max"]
    if kind == "iqr" and "q1" in stats and "q3" in stats:
        return stats["q1"], stats["q3"]
    if kind == "ci95" and "std" in stats and "n" in stats:
        half = {s: 1.96 * stats["std"][s] / math.sqrt(stats["n"][s]) if stats["n"].get(s, 0) > 1 else 0.0
                for s in mean if s in stats["std"]}
        return {s: mean[s] - h for s, h in half.items()}, {s: mean[s] + h for s, h in half.items()}
    return None


def seed_band(series_per_seed: list[Series], kind: str) -> tuple[Series, Series, Series]:
    """(median, low, high) per step over the seeds; steps missing in a seed are skipped for that seed."""
    steps = sorted(set().union(*series_per_seed))
    values = np.array([[s.get(step, np.nan) for step in steps] for s in series_per_seed], dtype=float)
    median = np.nanmedian(values, axis=0)
    if kind == "iqr":
        low, high = np.nanpercentile(values, 25, axis=0), np.nanpercentile(values, 75, axis=0)
    else:
        low, high = np.nanmin(values, axis=0), np.nanmax(values, axis=0)

    def as_series(array: np.ndarray) -> Series:
        return dict(zip(steps, array.tolist()))

    return as_series(median), as_series(low), as_series(high)


def uses_seed_band(run: RunCurves, seed_band_kind: str | None) -> bool:
    """Whether the run is drawn as the median over its seeds (it has at least two readable seed logs)."""
    return seed_band_kind in SEED_BAND_TEXT and len(run.seed_logs) >= 2


def band_seeds(run: RunCurves, seed_band_kind: str | None) -> int:
    """How many seeds the run's band is drawn from (0: no band)."""
    return len(run.seed_logs) if uses_seed_band(run, seed_band_kind) else 0


def panel_seeds(runs: list[RunCurves], seed_band_kind: str | None) -> int:
    """The most seeds any run's band is drawn from (0: no seed bands), for the panel titles."""
    return max((band_seeds(r, seed_band_kind) for r in runs), default=0)


def curves(run: RunCurves, panel: str, spec: CurveSpec) -> list[Curve]:
    """The panel's lines of one run: the correlation, or one mean per class, with its band where asked."""
    training = run.training
    banded = uses_seed_band(run, spec.seed_band)
    if panel == "correlation":
        if banded:
            median, low, high = seed_band([log.scores for log in run.seed_logs], spec.seed_band)
            return [Curve("correlation", "correlation", median, (low, high))]
        return [Curve("correlation", "correlation", training.scores)]
    out = []
    for key, stats in groups(training, panel).items():
        name = series_name(key, training, spec.label_name_mapping)
        if banded:
            per_seed = [groups(log, panel).get(key, {}).get("mean", {}) for log in run.seed_logs]
            median, low, high = seed_band([s for s in per_seed if s], spec.seed_band)
            out.append(Curve(key, name, median, (low, high)))
        else:
            out.append(Curve(key, name, stats["mean"], spread(stats, spec.class_spread)))
    return out


def xy(series: Series) -> tuple[list[int], list[float]]:
    """(steps, values) in step order."""
    steps = sorted(series)
    return steps, [series[s] for s in steps]


# ----------------------------------------------------------------------------------------------- label styles


def label_key(training: TrainingLog, panel: str, key: str) -> str:
    """The label value ("1.0", ...) of a series; feature classes differ per run, so map them back to their label."""
    if panel == "mean_by_feature_class":
        by_name = {name: label for label, name in training.label_value_to_class_name.items()}
        return by_name.get(key, key)
    return key


def label_style(training: TrainingLog, panel: str, key: str):
    """The line style (a matplotlib dash spec) that tells a series' label when runs share axes."""
    if panel == "correlation":
        return "-"
    return LABEL_STYLES.get(label_key(training, panel, key), OTHER_STYLE)


def style_name(curve: Curve, training: TrainingLog, panel: str, mapping: dict | None) -> str:
    """Legend text of a line style in overlays: the label value, renamed when the user mapped it."""
    key = label_key(training, panel, curve.key)
    if key not in LABEL_STYLES:
        return OTHER_CLASSES
    mapping = mapping or {}
    return str(mapping[key]) if key in mapping else f"label {key}"


def style_rank(style) -> int:
    """Line styles in legend order: target label, other label, neutral, then classes without a label."""
    order = list(LABEL_STYLES.values())
    return order.index(style) if style in order else len(order)


def style_name_rank(name: str) -> tuple[int, str]:
    """Style names ("label 1.0", ...) in the same order as `style_rank`; renamed ones after, by name."""
    order = [f"label {key}" for key in LABEL_STYLES]
    return (order.index(name) if name in order else len(order), name)


# ----------------------------------------------------------------------------------------------- tables


CURVE_COLUMNS = ["run", "run_id", "panel", "series", "style", "step", "value", "low", "high"]
TABLE_COLUMNS = ["run", "panel", "series", "step", "value", "stat"]


def curve_points(runs: list[RunCurves], run_names: dict[str, str], panel_names: list[str],
                 spec: CurveSpec) -> pd.DataFrame:
    """One row per (run, panel, series, step): the drawn value and, where the options ask for one, its band.
    `run_names`: run id -> its legend entry."""
    rows = []
    for run in runs:
        for panel in panel_names:
            for curve in curves(run, panel, spec):
                low, high = curve.band or ({}, {})
                style = "" if panel == "correlation" else style_name(curve, run.training, panel,
                                                                     spec.label_name_mapping)
                rows.extend({"run": run_names[run.run_id], "run_id": run.run_id, "panel": panel,
                             "series": curve.name, "style": style, "step": step, "value": value,
                             "low": low.get(step), "high": high.get(step)}
                            for step, value in sorted(curve.values.items()))
    return pd.DataFrame(rows, columns=CURVE_COLUMNS)


def best_points(runs: list[RunCurves], run_names: dict[str, str]) -> pd.DataFrame:
    """Each run's best step and the correlation there (runs without one are left out)."""
    rows = [{"run": run_names[r.run_id], "step": r.training.best_step, "correlation": r.training.best_correlation}
            for r in runs if r.training.best_step is not None]
    return pd.DataFrame(rows, columns=["run", "step", "correlation"])


def curve_table(runs: list[RunCurves], label_name_mapping: dict | None) -> pd.DataFrame:
    """Long format: one row per (run, panel, series, stat, step). Seeds appear as their own runs."""
    rows = []
    for run in runs:
        for run_id, log in [(run.run_id, run.training), *zip(run.seed_ids, run.seed_logs)]:
            rows.extend(_log_rows(run_id, log, label_name_mapping))
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def _log_rows(run_id: str, log: TrainingLog, label_name_mapping: dict | None) -> list[dict]:
    rows = [{"run": run_id, "panel": "correlation", "series": "correlation", "step": s, "value": v,
             "stat": "correlation"} for s, v in sorted(log.scores.items())]
    for panel in ("mean_by_class", "mean_by_feature_class"):
        for key, stats in groups(log, panel).items():
            name = series_name(key, log, label_name_mapping)
            for stat, series in stats.items():
                rows.extend({"run": run_id, "panel": panel, "series": name, "step": s, "value": v, "stat": stat}
                            for s, v in sorted(series.items()))
    return rows
