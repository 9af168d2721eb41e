"""Drawing of the decoder figures: gradiend's probability shifts (FORMAT.md §8, `plot_probability_shifts`), the
feature factor x learning rate grid of one metric, the ΔP matrix of selected rewrites, and several runs' selected
rewrites compared. The numbers come from `analysis.decoder_panels` / `analysis.decoder_runs`; names, colours and
titles from `views.decoder`.

Upstream defects fixed in the probability-shift figure: the LMS panel's one-entry legend inside the axes is gone;
the selected cell, the selection curve and the LMS threshold the selection used are named in the legend and titles
(upstream: an unexplained star and a thicker line); the run is named, with the non-convergence marker
(`highlight_non_convergence` was accepted and ignored); missing probabilities are gaps, not zeros; the base model is
joined to the grid by a dotted line (it is not a learning rate); classes keep their colours from the other views.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from matplotlib import colormaps
from matplotlib import colors as mcolors
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FixedLocator, NullFormatter

from gradiend_st.analysis.decoder_panels import GridMatrix, Rewrite, Shifts
from gradiend_st.analysis.decoder_runs import RunPoint
from gradiend_st.figures.style import new_figure, place_legend, place_title, studio_style

LMS_COLOR = "#2ca02c"  # gradiend's LMS line colour
STAR_COLOR = "#d62728"
GREY = "#9a9a9a"
DIVERGING = "RdBu_r"
MARKERS = ("o", "s", "^", "D", "v", "P")


@dataclass(frozen=True)
class Look:
    """How classes and runs are named and coloured (from the mapping), and the caption."""

    name: Callable[[str], str]  # class -> display name
    color: Callable[[str], str]  # class -> colour
    title: str | None
    figsize: tuple[float, float] | None = None
    annot: bool = True
    cmap: str = "viridis"


# ----------------------------------------------------------------------------------------------- probability shifts


def draw_shifts(data: Shifts, look: Look, *, selected_text: str, threshold_text: str | None,
                metric_text: str) -> Figure:
    """One LMS panel and one panel per dataset, learning rate on a log axis with the base model at the left."""
    n = 1 + len(data.datasets)
    with studio_style():
        fig = new_figure(look.figsize or (8.0, 2.0 * n + 0.8))
        axes = fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0]
        _line(axes[0], data, data.lms, data.base_lms, LMS_COLOR, 1.5)
        axes[0].set_ylabel("LMS")
        axes[0].set_title("LMS (Language Modeling Score)", y=1.0)  # an explicit y: no search for labels above
        handles = [Line2D([], [], color=look.color(c), marker="o", label=look.name(c)) for c in data.classes]
        if data.lms_threshold is not None:
            axes[0].axhline(data.lms_threshold, color=GREY, linestyle=":", linewidth=1.2, zorder=1)
            handles.append(Line2D([], [], color=GREY, linestyle=":", label=threshold_text))
        for ax, dataset in zip(axes[1:], data.datasets, strict=True):
            chosen = dataset == data.selection_dataset
            for cls in data.classes:
                width = 2.8 if chosen and cls == data.selection_class else 1.5
                _line(ax, data, data.probs[dataset][cls], data.base_probs[dataset][cls], look.color(cls), width)
            title = f"Dataset: {look.name(dataset)} — P(class)"
            if chosen:
                title += f"; selection metric: {metric_text} (thick line)"
            if chosen and data.star is not None:
                ax.scatter(*data.star, marker="*", s=300, color=STAR_COLOR, edgecolors="white", linewidths=0.6,
                           zorder=5)
            ax.set(ylabel="P(class)", ylim=(-0.05, 1.05))
            ax.set_title(title, y=1.0)
        if data.star is not None:
            handles.append(Line2D([], [], color=STAR_COLOR, marker="*", markersize=13, linestyle="none",
                                  markeredgecolor="white", label=selected_text))
        for ax in axes:
            _lr_axis(ax, data)
            if data.selection is not None and data.selection.entry is not None:
                ax.axvline(data.selection.learning_rate, color="gray", linestyle="--", alpha=0.7, zorder=1)
        axes[-1].set_xlabel("Learning Rate")
        # Classes in the first column(s), the threshold and the selected cell in the last.
        legend = place_legend(fig, axes[0], handles, [h.get_label() for h in handles], loc="outside upper center",
                              ncol=max(1, math.ceil(len(data.classes) / 2)) + 1)
        if look.title:
            place_title(fig, look.title, 12, legend)
    return fig


def _line(ax, data: Shifts, ys: list[float], base_y: float, color: str, width: float) -> None:
    """The curve over the grid's learning rates, the base model as its own point, joined by a dotted line."""
    ax.plot(data.lrs, ys, marker="o", markersize=5, color=color, linewidth=width, alpha=0.85)
    ax.plot([data.axis.base_x], [base_y], marker="o", markersize=5, color=color, linestyle="none", alpha=0.85)
    if data.lrs and not (math.isnan(base_y) or math.isnan(ys[0])):
        ax.plot([data.axis.base_x, data.lrs[0]], [base_y, ys[0]], color=color, linestyle=":", linewidth=1.2,
                alpha=0.85)


def _lr_axis(ax, data: Shifts) -> None:
    axis = data.axis
    if axis.scale == "log":
        ax.set_xscale("log")
    else:
        ax.set_xscale("symlog", linthresh=axis.linthresh, base=10)
    ax.set_xlim(*axis.limits)
    ax.set_xticks(axis.ticks, axis.labels)
    # Minor ticks at the evaluated rates between decades (log axes would put ~60 there, redrawn on every layout pass).
    ax.xaxis.set_minor_locator(FixedLocator([lr for lr in data.lrs if lr not in axis.ticks]))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.grid(True, alpha=0.3)


# ------------------------------------------------------------------------------------------------------- the grid


def draw_grid(data: GridMatrix, look: Look, *, metric_label: str, row_labels: list[str],
              selected_labels: dict[str, str], grey_text: str, legend_title: str) -> Figure:
    """Cells coloured by the metric; cells below the LMS threshold greyed (hatched), selected cells outlined."""
    rows, cols = data.values.shape
    with studio_style():
        fig = new_figure(look.figsize or (max(6.0, 0.44 * cols + 3.0), 0.8 * rows + 2.4))
        ax = fig.add_subplot()
        cmap = colormaps[look.cmap].with_extremes(bad="white")
        finite = data.values[np.isfinite(data.values)]
        norm = mcolors.Normalize(*(finite.min(), finite.max()) if finite.size else (0, 1), clip=True)
        mesh = ax.pcolormesh(np.ma.masked_invalid(data.values), cmap=cmap, norm=norm, edgecolors="white",
                             linewidth=1.0)
        for r, c in zip(*np.nonzero(~data.passing), strict=True):
            ax.add_patch(Rectangle((c, r), 1, 1, facecolor="white", alpha=0.6, hatch="///", edgecolor=GREY,
                                   linewidth=0))
        if look.annot:
            _annotate(ax, data.values, mesh, data.passing)
        handles = [Patch(facecolor="white", edgecolor=GREY, hatch="///", label=grey_text)]
        for metric, (r, c) in data.selected.items():
            color = look.color(metric.removesuffix("_weaken"))
            ax.add_patch(Rectangle((c, r), 1, 1, fill=False, edgecolor=color, linewidth=3.2, zorder=4))
            handles.append(Patch(facecolor="none", edgecolor=color, linewidth=2.5, label=selected_labels[metric]))
        ax.set_xticks(np.arange(cols) + 0.5, [f"{lr:g}" for lr in data.lrs], rotation=45, ha="right",
                      rotation_mode="anchor")
        ax.set_yticks(np.arange(rows) + 0.5, row_labels)
        ax.set_xlim(0, cols)
        ax.set_ylim(rows, 0)
        ax.tick_params(length=0)
        ax.spines[:].set_visible(False)
        ax.set(xlabel="Learning rate", ylabel="Feature factor")
        bar = fig.colorbar(mesh, ax=ax, fraction=0.04, pad=0.02)
        base = ""
        if math.isfinite(data.base_value) and norm.vmin <= data.base_value <= norm.vmax:
            bar.ax.axhline(data.base_value, color="black", linewidth=2)
            base = f"\n(black line: base model, {_number(data.base_value)})"
        bar.set_label(metric_label + base)
        legend = place_legend(fig, ax, handles, [h.get_label() for h in handles], loc="outside lower center",
                              ncol=min(len(handles), 3))
        legend.set_title(legend_title, prop={"size": 9})
        if look.title:
            ax.set_title(look.title, fontsize=11)
    return fig


def _annotate(ax, values: np.ndarray, mesh, passing: np.ndarray) -> None:
    colors = mesh.cmap(mesh.norm(values))
    for (r, c), value in np.ndenumerate(values):
        if not np.isfinite(value):
            continue
        light = _luminance(colors[r, c]) > 0.5 or not passing[r, c]  # greyed cells are light
        ax.text(c + 0.5, r + 0.5, _number(value), ha="center", va="center", fontsize=7,
                color="black" if light else "white", zorder=3)


def _luminance(rgba) -> float:
    r, g, b = rgba[:3]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _number(value: float) -> str:
    return f"{value:.2f}" if abs(value) < 100 else f"{value:.3g}"


# ------------------------------------------------------------------------------------------ the selected rewrites


def draw_rewrites(rewrites: list[Rewrite], look: Look, *, panel_titles: list[str]) -> Figure:
    """ΔP = P(selected) − P(base), dataset x class, one panel per selected rewrite, diverging colours centred at 0."""
    n = len(rewrites)
    rows = max(len(r.datasets) for r in rewrites)
    cols = max(len(r.classes) for r in rewrites)
    with studio_style():
        fig = new_figure(look.figsize or (max(4.2, 1.0 * cols + 1.6) * n + 1.0, 0.8 * rows + 2.2))
        axes = fig.subplots(1, n, squeeze=False)[0]
        finite = np.concatenate([r.delta[np.isfinite(r.delta)] for r in rewrites])
        limit = float(np.abs(finite).max()) if finite.size and np.abs(finite).max() > 0 else 1.0
        norm = mcolors.Normalize(-limit, limit)
        cmap = colormaps[DIVERGING].with_extremes(bad="#eeeeee")
        mesh = None
        for ax, item, title in zip(axes, rewrites, panel_titles, strict=True):
            mesh = ax.pcolormesh(np.ma.masked_invalid(item.delta), cmap=cmap, norm=norm, edgecolors="white",
                                 linewidth=1.0)
            if look.annot:
                for (r, c), value in np.ndenumerate(item.delta):
                    if np.isfinite(value):
                        dark = abs(value) > 0.6 * limit
                        ax.text(c + 0.5, r + 0.5, f"{value:+.3f}", ha="center", va="center", fontsize=8,
                                color="white" if dark else "black")
            ax.set_xticks(np.arange(len(item.classes)) + 0.5, [f"P({look.name(c)})" for c in item.classes])
            ax.set_yticks(np.arange(len(item.datasets)) + 0.5, [look.name(d) for d in item.datasets])
            ax.set_ylim(len(item.datasets), 0)
            ax.tick_params(length=0)
            ax.spines[:].set_visible(False)
            ax.set_title(title, fontsize=9.5)
            ax.set_xlabel("class whose probability changed")
        axes[0].set_ylabel("dataset (factual class of the rows)")
        bar = fig.colorbar(mesh, ax=list(axes), fraction=0.05 / n, pad=0.03)
        bar.set_label("ΔP = P(selected) − P(base)")
        if look.title:
            fig.suptitle(look.title, fontsize=11)
    return fig


# -------------------------------------------------------------------------------------------------- several runs


def draw_runs(points: list[RunPoint], look: Look, *, run_names: dict[str, str], run_colors: dict[str, str],
              threshold: float | None, threshold_text: str | None, ylabel: str) -> Figure:
    """One point per run and class at its selected cell: ΔP of the target class against LMS / base LMS."""
    with studio_style():
        fig = new_figure(look.figsize or (7.5, 5.0))
        ax = fig.add_subplot()
        ax.axhline(0, color=GREY, linewidth=0.8, zorder=1)
        ax.axvline(1.0, color=GREY, linewidth=0.8, zorder=1)
        handles = []
        if threshold is not None:
            ax.axvline(threshold, color=GREY, linestyle=":", linewidth=1.2, zorder=1)
            handles.append(Line2D([], [], color=GREY, linestyle=":", label=threshold_text))
        for run_id in dict.fromkeys(p.run_id for p in points):
            mine = [p for p in points if p.run_id == run_id]
            for i, point in enumerate(mine):
                ax.scatter(point.lms_ratio, point.delta, s=70, marker=MARKERS[i % len(MARKERS)],
                           color=run_colors[run_id], edgecolors="white", linewidths=0.8, zorder=3)
            handles.append(Line2D([], [], marker="o", linestyle="none", color=run_colors[run_id],
                                  label=run_names[run_id]))
        ax.set(xlabel="LMS of the selected rewrite / LMS of the base model", ylabel=ylabel)
        ax.grid(True, alpha=0.3)
        ax.margins(x=0.15, y=0.12)
        ax.autoscale_view()
        _label_points(ax, points, look, run_colors)
        place_legend(fig, ax, handles, [h.get_label() for h in handles], loc=None)
        if look.title:
            ax.set_title(look.title, fontsize=11)
    return fig


def _label_points(ax, points: list[RunPoint], look: Look, run_colors: dict[str, str]) -> None:
    """Each point's class name to its right. Names of points in one column are spread evenly around the points
    (never stacked on each other), with a thin line back to a point whose name had to move."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    gap, near = 0.055 * (y1 - y0), 0.04 * (x1 - x0)
    for column in _columns(sorted(points, key=lambda p: p.lms_ratio), near):
        column.sort(key=lambda p: p.delta)
        ys = [p.delta for p in column]
        for i in range(1, len(ys)):
            ys[i] = max(ys[i], ys[i - 1] + gap)
        shift = sum(y - p.delta for y, p in zip(ys, column, strict=True)) / len(ys)  # centre the names on the points
        shift = min(shift, ys[0] - (y0 + gap / 2))  # ... but keep them inside the axes
        shift = max(shift, ys[-1] - (y1 - gap / 2))
        for point, y in zip(column, ys, strict=True):
            y -= shift
            moved = abs(y - point.delta) > 0.2 * gap
            ax.annotate(look.name(point.metric.removesuffix("_weaken")), (point.lms_ratio, point.delta),
                        xytext=(point.lms_ratio + 0.03 * (x1 - x0), y), textcoords="data", va="center", fontsize=8,
                        color=_darker(run_colors[point.run_id]),
                        arrowprops={"arrowstyle": "-", "color": GREY, "linewidth": 0.6} if moved else None)


def _columns(points: list[RunPoint], near: float) -> list[list[RunPoint]]:
    """Points (sorted by x) grouped into columns of neighbours less than `near` apart in x."""
    columns: list[list[RunPoint]] = []
    for point in points:
        if columns and point.lms_ratio - columns[-1][-1].lms_ratio < near:
            columns[-1].append(point)
        else:
            columns.append([point])
    return columns


def _darker(color: str) -> tuple[float, float, float]:
    """A run's colour darkened, so light colours stay readable as text on white."""
    return tuple(0.65 * c for c in mcolors.to_rgb(color))
