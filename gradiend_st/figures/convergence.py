"""Training convergence (FORMAT.md §9.1): mean encoded value per class and correlation over training steps.

One run is drawn as GRADIEND draws it (one colour per class). Several runs are overlaid (colour = run,
line style = label) or faceted (one column per run). A multi-seed run can be drawn as the median over its
seeds with a band. Legends always sit outside the axes, so they never cover a curve. The interactive mode draws the
same curves as an Altair chart (`convergence_interactive`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from gradiend_st.analysis.convergence import Convergence, run_convergence
from gradiend_st.figures.style import MARKER, categorical_colors, new_figure, place_title, studio_style
from gradiend_st.io.errors import RunReadError
from gradiend_st.io.training import Series, TrainingLog, read_training

EXPORT_FORMATS = ("png", "pdf", "svg")
INTERACTIVE_FORMATS = ("png", "pdf", "svg", "html")
MODES = ("single", "overlay", "facet", "interactive")
SPREAD_SUFFIX = {"minmax": " (shaded: min-max)", "iqr": " (shaded: IQR)", "ci95": " (shaded: 95% CI)"}
SEED_BAND_TEXT = {"minmax": "min-max", "iqr": "IQR"}
PANEL_TITLES = {"mean_by_class": "Mean by class", "mean_by_feature_class": "Mean by feature class",
                "correlation": "Correlation"}
PANEL_YLABELS = {"mean_by_class": "Mean encoded value", "mean_by_feature_class": "Mean encoded value",
                 "correlation": "Correlation"}
LABEL_STYLES = {"1.0": "-", "-1.0": "--", "0.0": "-."}  # overlay: line style tells the label, colour the run
OTHER_STYLE = (0, (3, 1, 1, 1, 1, 1))
OVERLAY_BEST_STYLE = ":"  # dotted, so a best-step line is never mistaken for a label -1.0 curve
CORRELATION_COLOR = "#222222"
BEST_COLOR = "#d62728"
BEST_STEP_COLOR = "0.45"
MANY_SERIES = 6  # from this many series on, one figure legend (as gradiend does)


@dataclass
class Options:
    plot_mean_by_class: bool = True
    plot_mean_by_feature_class: bool | None = None  # None: shown unless it repeats the class panel
    plot_correlation: bool = True
    class_spread: str | None = None  # "minmax" | "iqr" | "ci95"
    best_step: bool = True
    label_name_mapping: dict | None = None
    title: bool | str = True
    figsize: list | None = None
    legend_ncol: int | None = None
    legend_loc: str | None = None  # None: right of the axes; "right" | "below" | "above" | any matplotlib loc
    legend_bbox_to_anchor: list | None = None
    highlight_non_convergence: bool = True
    run_labels: dict | None = None  # run id -> display label
    mode: str = "single"  # "single" | "overlay" | "facet" | "interactive"; "single" with several runs overlays them
    seed_band: str | None = None  # "minmax" | "iqr": multi-seed runs as the median over seeds with a band


@dataclass
class RunCurves:
    """Everything the view needs of one run: its training log, status and (optional) seed logs."""

    run_id: str
    training: TrainingLog
    convergence: Convergence
    seed_ids: list[str] = field(default_factory=list)
    seed_logs: list[TrainingLog] = field(default_factory=list)


@dataclass
class ConvergenceData:
    runs: list[RunCurves]
    errors: list[str] = field(default_factory=list)  # "run: file: problem", one per unreadable run


# ----------------------------------------------------------------------------------------------- loading


def load(catalog, run_ids: list[str], options: Options | None = None) -> ConvergenceData:
    """Read training.json of every run (+ seed_report.json and the seeds' training.json of multi-seed runs)."""
    runs, errors = [], []
    for run_id in run_ids:
        try:
            runs.append(_load_run(catalog, run_id))
        except (RunReadError, KeyError) as exc:
            problem = catalog.error_text(exc) if isinstance(exc, RunReadError) else str(exc).strip("'\"")
            errors.append(f"{run_id}: {problem}")
    return ConvergenceData(runs=runs, errors=errors)


def _load_run(catalog, run_id: str) -> RunCurves:
    run = catalog.get(run_id)
    if not run.training_path.is_file():
        raise RunReadError(run.training_path, "file not found (the run has not finished training?)")
    training = read_training(run.training_path)
    seed_ids, seed_logs = [], []
    if run.kind == "run":
        for seed_folder in _seed_folders(run.folder):
            try:
                seed_logs.append(read_training(seed_folder / "training.json"))
                seed_ids.append(f"{run_id}/seeds/{seed_folder.name}")
            except RunReadError:
                continue  # one unreadable seed must not hide the run; the band says how many seeds it used
    return RunCurves(run_id, training, run_convergence(run, training), seed_ids, seed_logs)


def _seed_folders(run_folder: Path) -> list[Path]:
    # Seeds that were not kept lose their weights but keep training.json: read the folders, not the catalog.
    folders = [p.parent for p in (run_folder / "seeds").glob("seed_*/training.json") if re.fullmatch(r"seed_\d+", p.parent.name)]
    return sorted(folders, key=lambda p: int(p.name.split("_")[1]))


# ----------------------------------------------------------------------------------------------- labels


def run_label(curves: RunCurves, options: Options) -> str:
    """The run's display label: the app's label (or the run id) plus † when it did not converge."""
    label = (options.run_labels or {}).get(curves.run_id) or curves.run_id
    return label + (curves.convergence.marker if options.highlight_non_convergence else "")


def series_name(key: str, training: TrainingLog, mapping: dict | None) -> str:
    """gradiend's naming: mapping[raw key], else the class name of the label (renamed by mapping), else the key."""
    mapping = mapping or {}
    if key in mapping:
        return str(mapping[key])
    class_name = training.label_value_to_class_name.get(key)
    if class_name is not None:
        return str(mapping.get(class_name, class_name))
    return key


def _title(runs: list[RunCurves], options: Options) -> str | None:
    if options.title is False or options.title is None:
        return None
    if isinstance(options.title, str):
        return options.title or None
    if len(runs) == 1:
        return f"{run_label(runs[0], options)} \u2014 training convergence"
    return f"Training convergence of {len(runs)} runs"


# ----------------------------------------------------------------------------------------------- series


def _feature_class_redundant(training: TrainingLog) -> bool:
    """True when the feature-class panel would repeat the class panel (same class names)."""
    names = {training.label_value_to_class_name.get(key, key) for key in training.by_class}
    return set(training.by_feature_class) == names


def _panels(runs: list[RunCurves], options: Options) -> list[str]:
    panels = []
    if options.plot_mean_by_class and any(_groups(r.training, "mean_by_class") for r in runs):
        panels.append("mean_by_class")
    show_feature = options.plot_mean_by_feature_class
    if show_feature is None:
        show_feature = any(not _feature_class_redundant(r.training) for r in runs)
    if show_feature and any(_groups(r.training, "mean_by_feature_class") for r in runs):
        panels.append("mean_by_feature_class")
    if options.plot_correlation and any(r.training.scores for r in runs):
        panels.append("correlation")
    return panels


def _groups(training: TrainingLog, panel: str) -> dict[str, dict[str, Series]]:
    """{raw key: {stat: series}} of a mean panel, keys in gradiend's (lexicographic) order."""
    groups = training.by_class if panel == "mean_by_class" else training.by_feature_class
    return {key: groups[key] for key in sorted(groups) if groups[key].get("mean")}


def _spread(stats: dict[str, Series], kind: str | None) -> tuple[Series, Series] | None:
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


def _seed_band(series_per_seed: list[Series], kind: str) -> tuple[Series, Series, Series]:
    """(median, low, high) per step over the seeds; steps missing in a seed are skipped for that seed."""
    steps = sorted(set().union(*series_per_seed))
    values = np.array([[s.get(step, np.nan) for step in steps] for s in series_per_seed], dtype=float)
    median = np.nanmedian(values, axis=0)
    if kind == "iqr":
        low, high = np.nanpercentile(values, 25, axis=0), np.nanpercentile(values, 75, axis=0)
    else:
        low, high = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
    as_series = lambda arr: dict(zip(steps, arr.tolist()))  # noqa: E731
    return as_series(median), as_series(low), as_series(high)


def _uses_seed_band(curves: RunCurves, options: Options) -> bool:
    return options.seed_band in SEED_BAND_TEXT and len(curves.seed_logs) >= 2


@dataclass
class Curve:
    """One drawable line: what it is (for the table and the legend) and its points."""

    key: str
    name: str
    values: Series
    band: tuple[Series, Series] | None = None


def _curves(curves: RunCurves, panel: str, options: Options) -> list[Curve]:
    training = curves.training
    if panel == "correlation":
        if _uses_seed_band(curves, options):
            median, low, high = _seed_band([log.scores for log in curves.seed_logs], options.seed_band)
            return [Curve("correlation", "correlation", median, (low, high))]
        return [Curve("correlation", "correlation", training.scores)]
    out = []
    for key, stats in _groups(training, panel).items():
        name = series_name(key, training, options.label_name_mapping)
        if _uses_seed_band(curves, options):
            per_seed = [_groups(log, panel).get(key, {}).get("mean", {}) for log in curves.seed_logs]
            median, low, high = _seed_band([s for s in per_seed if s], options.seed_band)
            out.append(Curve(key, name, median, (low, high)))
        else:
            out.append(Curve(key, name, stats["mean"], _spread(stats, options.class_spread)))
    return out


def _xy(series: Series) -> tuple[list[int], list[float]]:
    steps = sorted(series)
    return steps, [series[s] for s in steps]


# ----------------------------------------------------------------------------------------------- drawing


def build(data: ConvergenceData, options: Options | None = None):
    """A matplotlib Figure; in interactive mode an Altair chart (the browser draws it, vl-convert exports it)."""
    options = options or Options()
    _check(options)
    if options.mode == "interactive" and data.runs and _panels(data.runs, options):
        from gradiend_st.figures import convergence_interactive  # altair costs ~0.4 s to import: only when used

        return convergence_interactive.build(data, options)
    with studio_style():
        runs = data.runs
        panels = _panels(runs, options) if runs else []
        if not panels:
            reason = ("; ".join(data.errors) or "no run selected") if not runs else "training.json holds no curves to draw"
            return _message_figure(f"Nothing to draw: {reason}", options)
        mode = "facet" if options.mode == "facet" and len(runs) > 1 else ("single" if len(runs) == 1 else "overlay")
        columns = len(runs) if mode == "facet" else 1
        fig = new_figure(_figsize(options, mode, len(panels), columns, runs))
        axes = fig.subplots(len(panels), columns, sharex=True, sharey="row" if mode == "facet" else False, squeeze=False)
        overlay_entries = None
        if mode == "single":
            _draw_single(axes[:, 0], panels, runs[0], options)
        elif mode == "overlay":
            overlay_entries = _draw_overlay(axes[:, 0], panels, runs, options)
        else:
            _draw_facet(axes, panels, runs, options)
        for row, panel in enumerate(panels):
            for col in range(columns):
                ax = axes[row, col]
                ax.grid(True, alpha=0.3)
                ax.set_ylabel(PANEL_YLABELS[panel] if col == 0 else "")
                ax.set_xlabel("Step" if row == len(panels) - 1 else "")
        legend = _legends(fig, axes, mode, options, overlay_entries)
        title = _title(runs, options)
        if title:
            place_title(fig, title, 11, legend)
        if data.errors:
            fig.supxlabel("Not shown: " + "; ".join(data.errors), fontsize=7, color="0.35", x=0.0, ha="left")
        return fig


def _check(options: Options) -> None:
    if options.class_spread not in (None, *SPREAD_SUFFIX):
        raise ValueError(f"class_spread must be one of minmax, iqr, ci95 or None, not {options.class_spread!r}")
    if options.seed_band not in (None, *SEED_BAND_TEXT):
        raise ValueError(f"seed_band must be minmax, iqr or None, not {options.seed_band!r}")
    if options.mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {options.mode!r}")


def _figsize(options: Options, mode: str, n_panels: int, columns: int, runs: list[RunCurves]) -> tuple[float, float]:
    if options.figsize:
        return float(options.figsize[0]), float(options.figsize[1])
    per_panel = 2.0 if _n_series(runs) >= MANY_SERIES else 1.7
    width = 7.0 if mode == "single" else 8.0
    if mode == "facet":
        width = 3.2 * columns + 1.8
    return width, per_panel * n_panels + 0.6


def _n_series(runs: list[RunCurves]) -> int:
    return max(max(len(r.training.by_class), len(r.training.by_feature_class)) for r in runs)


def _panel_title(panel: str, options: Options, seeds: int = 0, overlay: bool = False) -> str:
    title = PANEL_TITLES[panel]
    if seeds >= 2 and overlay:  # only some runs may have seeds: their legend entries say so
        return f"{title} (seed runs: median, shaded: {SEED_BAND_TEXT[options.seed_band]})"
    if seeds >= 2:
        return f"{title} (median of {seeds} seeds, shaded: {SEED_BAND_TEXT[options.seed_band]})"
    if panel != "correlation" and options.class_spread:
        return title + SPREAD_SUFFIX[options.class_spread]
    return title


def _plot(ax, curve: Curve, color, label: str, linestyle: str = "-") -> None:
    steps, values = _xy(curve.values)
    ax.plot(steps, values, color=color, linestyle=linestyle, marker=".", markersize=3, linewidth=1.4, label=label)
    if curve.band:
        low_steps, low = _xy(curve.band[0])
        high = [curve.band[1][s] for s in low_steps]
        ax.fill_between(low_steps, low, high, color=color, alpha=0.2, linewidth=0)


def _mark_best(ax, panel: str, curves: RunCurves, *, generic: bool = False) -> None:
    """Dashed line at the best step on every panel; a dot at the best correlation on the correlation panel."""
    step, corr = curves.training.best_step, curves.training.best_correlation
    if step is None:
        return
    ax.axvline(step, color=BEST_STEP_COLOR, linestyle="--", linewidth=1.2, alpha=0.8,
               label="best step" if generic else f"best step ({step})")
    if panel == "correlation" and corr is not None:
        ax.scatter([step], [corr], color=BEST_COLOR, edgecolors="black", linewidths=0.6, s=40, zorder=5,
                   label="best" if generic else f"best (r = {corr:.3f})")


def _mark_best_of_runs(ax, panel: str, runs: list[RunCurves], colors: list[str]) -> None:
    """Overlay: each run's best step as a dotted line in its colour (one artist for all runs: 10 runs as 30 lines
    and 10 dots took a seventh of a re-draw), its best correlation as a dot on the correlation panel."""
    best = [(curves.training.best_step, curves.training.best_correlation, color)
            for curves, color in zip(runs, colors) if curves.training.best_step is not None]
    if not best:
        return
    ax.add_collection(LineCollection([[(step, 0), (step, 1)] for step, _, _ in best], colors=[c for *_, c in best],
                                     linestyles=OVERLAY_BEST_STYLE, linewidths=1.2, alpha=0.8, gid="best-steps",
                                     transform=ax.get_xaxis_transform()), autolim=False)
    dots = [(step, corr, color) for step, corr, color in best if corr is not None]
    if panel == "correlation" and dots:
        ax.scatter([d[0] for d in dots], [d[1] for d in dots], color=[d[2] for d in dots], edgecolors="black",
                   linewidths=0.6, s=40, zorder=5, gid="best-correlations")


def _draw_single(axes, panels: list[str], curves: RunCurves, options: Options) -> None:
    names = list(dict.fromkeys(c.name for p in panels if p != "correlation" for c in _curves(curves, p, options)))
    colors = dict(zip(names, categorical_colors(len(names))))  # one colour per class name across panels
    seeds = len(curves.seed_logs) if _uses_seed_band(curves, options) else 0
    for ax, panel in zip(axes, panels):
        for curve in _curves(curves, panel, options):
            color = CORRELATION_COLOR if panel == "correlation" else colors[curve.name]
            _plot(ax, curve, color, curve.name if panel != "correlation" else "correlation")
        if options.best_step:
            _mark_best(ax, panel, curves)
        ax.set_title(_panel_title(panel, options, seeds))


def _draw_overlay(axes, panels: list[str], runs: list[RunCurves], options: Options) -> tuple[list, list[str]]:
    """Colour = run, line style = label. Returns the legend entries: runs, then label styles, then best marks."""
    colors = categorical_colors(len(runs))
    styles: dict[object, str] = {}  # line style -> legend text
    for ax, panel in zip(axes, panels):
        for curves, color in zip(runs, colors):
            label = run_label(curves, options)
            for curve in _curves(curves, panel, options):
                style = _label_style(curves.training, panel, curve.key)
                if panel != "correlation":
                    styles.setdefault(style, _style_name(curve, curves.training, panel, options))
                _plot(ax, curve, color, label if panel == "correlation" else f"{label}: {curve.name}", style)
        if options.best_step:
            _mark_best_of_runs(ax, panel, runs, colors)
        ax.set_title(_panel_title(panel, options, _panel_seeds(runs, options), overlay=True))
    handles = [Line2D([], [], color=color, linewidth=2) for color in colors]
    labels = [overlay_label(curves, options) for curves in runs]
    if len(styles) > 1:
        for style in sorted(styles, key=_style_rank):
            handles.append(Line2D([], [], color="0.3", linestyle=style, linewidth=1.4))
            labels.append(styles[style])
    if options.best_step:
        handles += [Line2D([], [], color=BEST_STEP_COLOR, linestyle=OVERLAY_BEST_STYLE, linewidth=1.2),
                    Line2D([], [], color="0.6", marker="o", linestyle="", markeredgecolor="black")]
        labels += ["best step", "best"]
    return handles, labels


def overlay_label(curves: RunCurves, options: Options) -> str:
    """A run's legend entry when runs share axes: its label, and what its curves are when they are seed medians."""
    seeds = f" (median of {len(curves.seed_logs)} seeds)" if _uses_seed_band(curves, options) else ""
    return run_label(curves, options) + seeds


def _panel_seeds(runs: list[RunCurves], options: Options) -> int:
    """The most seeds any run's band is drawn from (0: no seed bands), for the panel titles."""
    return max((len(r.seed_logs) for r in runs if _uses_seed_band(r, options)), default=0)


def _style_rank(style) -> int:
    order = list(LABEL_STYLES.values())
    return order.index(style) if style in order else len(order)


def _style_name(curve: Curve, training: TrainingLog, panel: str, options: Options) -> str:
    """Legend text of a line style in overlay mode: the label value, renamed when the user mapped it."""
    key = _label_key(training, panel, curve.key)
    if key not in LABEL_STYLES:
        return "other classes"
    mapping = options.label_name_mapping or {}
    return str(mapping[key]) if key in mapping else f"label {key}"


def _label_key(training: TrainingLog, panel: str, key: str) -> str:
    """The label value ("1.0", ...) of a series; feature classes differ per run, so map them back to their label."""
    if panel == "mean_by_feature_class":
        by_name = {name: label for label, name in training.label_value_to_class_name.items()}
        return by_name.get(key, key)
    return key


def _label_style(training: TrainingLog, panel: str, key: str) -> str:
    if panel == "correlation":
        return "-"
    return LABEL_STYLES.get(_label_key(training, panel, key), OTHER_STYLE)


def _draw_facet(axes, panels: list[str], runs: list[RunCurves], options: Options) -> None:
    names = list(dict.fromkeys(c.name for r in runs for p in panels if p != "correlation" for c in _curves(r, p, options)))
    colors = dict(zip(names, categorical_colors(len(names))))  # same class, same colour in every column
    for col, curves in enumerate(runs):
        seeds = len(curves.seed_logs) if _uses_seed_band(curves, options) else 0
        for row, panel in enumerate(panels):
            ax = axes[row, col]
            for curve in _curves(curves, panel, options):
                color = CORRELATION_COLOR if panel == "correlation" else colors[curve.name]
                _plot(ax, curve, color, curve.name if panel != "correlation" else "correlation")
            if options.best_step:
                _mark_best(ax, panel, curves, generic=True)
            panel_title = _panel_title(panel, options, seeds)
            ax.set_title(f"{run_label(curves, options)}\n{panel_title}" if row == 0 else panel_title, fontsize=10)


# ----------------------------------------------------------------------------------------------- legends


def _legends(fig: Figure, axes, mode: str, options: Options, overlay_entries=None):
    """Per-panel legends right of the axes for a few series; otherwise one figure legend, also outside."""
    custom = options.legend_loc is not None or options.legend_bbox_to_anchor is not None
    few = mode == "single" and all(len(_unique_entries([ax])[0]) < MANY_SERIES for ax in axes[:, 0])
    if few and not custom:
        for ax in axes[:, 0]:
            handles, labels = _unique_entries([ax])
            ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                      fontsize=8, ncol=options.legend_ncol or 1)
        return None
    handles, labels = overlay_entries or _unique_entries(list(axes.flat))
    return _figure_legend(fig, handles, labels, options.legend_loc, options.legend_bbox_to_anchor, options.legend_ncol,
                  fontsize=8)


def _unique_entries(axes) -> tuple[list, list[str]]:
    """Legend entries of several axes, each label once: series first, then correlation and the best-step marks."""
    seen: dict[str, object] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(label, handle)
    ordered = sorted(seen, key=lambda label: (label == "correlation" or label.startswith("best"), label.startswith("best")))
    return [seen[label] for label in ordered], ordered


def _figure_legend(fig: Figure, handles, labels, loc: str | None, bbox, ncol: int | None, *, fontsize: float = 8):
    """A figure legend outside every axes. `loc`: None/"right", "below", "above", "left", a constrained-layout
    "outside …" location, or a matplotlib loc (then `bbox` places it, as in gradiend)."""
    placement = {None: "outside right center", "right": "outside right center", "below": "outside lower center",
                 "bottom": "outside lower center", "above": "outside upper center", "top": "outside upper center",
                 "left": "outside left center"}
    if bbox is not None:
        return fig.legend(handles, labels, loc=loc or "center left", bbox_to_anchor=tuple(bbox), ncol=ncol or 1,
                          fontsize=fontsize)
    where = placement.get(loc, loc if loc and loc.startswith("outside") else _outside(loc))
    default_ncol = 1 if "right" in where or "left" in where else min(len(labels), 4)
    return fig.legend(handles, labels, loc=where, ncol=ncol or default_ncol, fontsize=fontsize)


def _outside(loc: str | None) -> str:
    """A plain matplotlib loc ("upper right", "best") becomes the nearest place outside the axes."""
    loc = (loc or "").lower()
    if "lower" in loc:
        return "outside lower center"
    if "upper" in loc and "right" not in loc and "left" not in loc:
        return "outside upper center"
    return "outside left center" if "left" in loc else "outside right center"


def _message_figure(text: str, options: Options) -> Figure:
    fig = new_figure(tuple(options.figsize) if options.figsize else (6.0, 2.0))
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True, fontsize=10)
    return fig


# ----------------------------------------------------------------------------------------------- table


def table(data: ConvergenceData, options: Options | None = None) -> pd.DataFrame:
    """Long format: one row per (run, panel, series, stat, step). Seeds appear as their own runs."""
    options = options or Options()
    rows = []
    for curves in data.runs:
        logs = [(curves.run_id, curves.training)] + list(zip(curves.seed_ids, curves.seed_logs))
        for run_id, log in logs:
            rows.extend(_log_rows(run_id, log, options))
    columns = ["run", "panel", "series", "step", "value", "stat"]
    return pd.DataFrame(rows, columns=columns)


def _log_rows(run_id: str, log: TrainingLog, options: Options) -> list[dict]:
    rows = [{"run": run_id, "panel": "correlation", "series": "correlation", "step": s, "value": v, "stat": "correlation"}
            for s, v in sorted(log.scores.items())]
    for panel in ("mean_by_class", "mean_by_feature_class"):
        for key, stats in _groups(log, panel).items():
            name = series_name(key, log, options.label_name_mapping)
            for stat, series in stats.items():
                rows.extend({"run": run_id, "panel": panel, "series": name, "step": s, "value": v, "stat": stat}
                            for s, v in sorted(series.items()))
    return rows


# ----------------------------------------------------------------------------------------------- files


def export_formats(options: Options) -> tuple[str, ...]:
    """What a download can be: the interactive chart also saves as a standalone HTML page."""
    return INTERACTIVE_FORMATS if options.mode == "interactive" else EXPORT_FORMATS


def export(data: ConvergenceData, options: Options, fmt: str, *, dpi: int = 200) -> bytes:
    """The figure `build` draws, as file bytes."""
    from gradiend_st.figures.export import figure_bytes

    fmt = fmt.lower()
    if fmt not in export_formats(options):
        raise ValueError(f"the convergence view in {options.mode} mode exports {', '.join(export_formats(options))}, "
                         f"not {fmt}")
    figure = build(data, options)
    if isinstance(figure, Figure):  # matplotlib modes, and the message when there is nothing to draw
        return figure_bytes(figure, fmt, dpi=dpi)
    from gradiend_st.figures import convergence_interactive

    return convergence_interactive.to_bytes(figure, fmt, dpi=dpi)


__all__ = ["EXPORT_FORMATS", "INTERACTIVE_FORMATS", "MARKER", "ConvergenceData", "Options", "RunCurves", "build",
           "export", "export_formats", "load", "run_label", "series_name", "table"]
