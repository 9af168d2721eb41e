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
from gradiend_st.figures.style import (
    fitting_size,
    font_size,
    lay_out,
    narrow,
    new_figure,
    place_legend,
    place_title,
    studio_style,
    wrap_text,
)
from gradiend_st.palettes import DASHES

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
    line_styles: bool = False  # classes differ by dash pattern too (greyscale palette)


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
        dashes = {c: DASHES[i % len(DASHES)] if look.line_styles else "-" for i, c in enumerate(data.classes)}
        handles = [Line2D([], [], color=look.color(c), marker="o", linestyle=dashes[c], label=look.name(c))
                   for c in data.classes]
        if data.lms_threshold is not None:
            axes[0].axhline(data.lms_threshold, color=GREY, linestyle=":", linewidth=1.2, zorder=1)
            handles.append(Line2D([], [], color=GREY, linestyle=":", label=threshold_text))
        for ax, dataset in zip(axes[1:], data.datasets, strict=True):
            chosen = dataset == data.selection_dataset
            for cls in data.classes:
                width = 2.8 if chosen and cls == data.selection_class else 1.5
                _line(ax, data, data.probs[dataset][cls], data.base_probs[dataset][cls], look.color(cls), width,
                      dashes[cls])
            title = f"Dataset: {look.name(dataset)} — P(class)"
            if chosen:
                title += f"; selection metric: {metric_text} (thick line)"
            if chosen and data.star is not None:
                ax.scatter(*data.star, marker="*", s=300, color=STAR_COLOR, edgecolors="white", linewidths=0.6,
                           zorder=5)
            ax.set(ylabel="P(class)", ylim=(-0.05, 1.05))
            ax.set_title(title, y=1.0)  # a venue export wraps it to the panel (profiles.fit)
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
            place_title(fig, look.title, legend=legend)
    return fig


def _line(ax, data: Shifts, ys: list[float], base_y: float, color: str, width: float, linestyle="-") -> None:
    """The curve over the grid's learning rates, the base model as its own point, joined by a dotted line."""
    ax.plot(data.lrs, ys, marker="o", markersize=5, color=color, linewidth=width, linestyle=linestyle, alpha=0.85)
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
        below = narrow(fig)  # a paper column: the colour bar under the cells, its caption across the figure
        bar = fig.colorbar(mesh, ax=ax, location="bottom" if below else "right", fraction=0.04, pad=0.02)
        base = ""
        if math.isfinite(data.base_value) and norm.vmin <= data.base_value <= norm.vmax:
            (bar.ax.axvline if below else bar.ax.axhline)(data.base_value, color="black", linewidth=2)
            base = f"\n(black line: base model, {_number(data.base_value)})"
        bar.set_label(wrap_text(metric_label, font_size("label"), 0.9 * fig.get_figwidth()) + base)
        legend = place_legend(fig, ax, handles, [h.get_label() for h in handles], loc="outside lower center",
                              ncol=min(len(handles), 3))
        if look.title:
            place_title(fig, look.title)
        lay_out(fig)  # the cells' size decides what their numbers and labels can show
        cell_in = ax.get_position().width * fig.get_figwidth() / cols
        numbers = [_number(v) for v in data.values[np.isfinite(data.values)]]
        if look.annot and fitting_size(max(numbers, key=len, default=""), font_size("annotation"), 0.92 * cell_in):
            _annotate(ax, data.values, mesh, data.passing)
        elif look.annot and numbers:
            legend_title += "\n(cell values left out: too small to read at this size; the CSV has them)"
        _thin_tick_labels(ax, cell_in)
        legend.set_title(wrap_text(legend_title, font_size("legend"), 0.85 * fig.get_figwidth()),
                         prop={"size": font_size("legend")})
    return fig


def _thin_tick_labels(ax, pitch_in: float) -> None:
    """Every n-th learning rate named when the turned labels (45°) of neighbouring columns would overlap."""
    labels = ax.get_xticklabels()
    step = math.ceil(1.25 * font_size("tick") / 72 / (pitch_in * math.sin(math.radians(45))))
    if step > 1:
        ax.set_xticklabels([label.get_text() if i % step == 0 else "" for i, label in enumerate(labels)])


def _annotate(ax, values: np.ndarray, mesh, passing: np.ndarray) -> None:
    colors = mesh.cmap(mesh.norm(values))
    size = font_size("annotation")
    cell_in = ax.get_position().width * ax.get_figure(root=True).get_figwidth() / values.shape[1]
    size = fitting_size(max((_number(v) for v in values[np.isfinite(values)]), key=len), size, 0.92 * cell_in)
    for (r, c), value in np.ndenumerate(values):
        if not np.isfinite(value):
            continue
        light = _luminance(colors[r, c]) > 0.5 or not passing[r, c]  # greyed cells are light
        ax.text(c + 0.5, r + 0.5, _number(value), ha="center", va="center", fontsize=size,
                color="black" if light else "white", zorder=3)


def _luminance(rgba) -> float:
    r, g, b = rgba[:3]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _number(value: float) -> str:
    return f"{value:.2f}" if abs(value) < 100 else f"{value:.3g}"


# ------------------------------------------------------------------------------------------ the selected rewrites


def draw_rewrites(rewrites: list[Rewrite], look: Look, *, panel_titles: list[str]) -> Figure:
    """ΔP = P(selected) − P(base), dataset x class, one panel per selected rewrite, diverging colours centred at 0.
    Side by side; one above the other in a narrow figure (a paper column)."""
    n = len(rewrites)
    rows = max(len(r.datasets) for r in rewrites)
    cols = max(len(r.classes) for r in rewrites)
    with studio_style():
        fig = new_figure(look.figsize or (max(4.2, 1.0 * cols + 1.6) * n + 1.0, 0.8 * rows + 2.2))
        stacked = narrow(fig) and n > 1
        axes = fig.subplots(n if stacked else 1, 1 if stacked else n, squeeze=False).ravel()
        finite = np.concatenate([r.delta[np.isfinite(r.delta)] for r in rewrites])
        limit = float(np.abs(finite).max()) if finite.size and np.abs(finite).max() > 0 else 1.0
        norm = mcolors.Normalize(-limit, limit)
        cmap = colormaps[DIVERGING].with_extremes(bad="#eeeeee")
        mesh = None
        for ax, item, title in zip(axes, rewrites, panel_titles, strict=True):
            mesh = ax.pcolormesh(np.ma.masked_invalid(item.delta), cmap=cmap, norm=norm, edgecolors="white",
                                 linewidth=1.0)
            ax.set_xticks(np.arange(len(item.classes)) + 0.5, [f"P({look.name(c)})" for c in item.classes])
            ax.set_yticks(np.arange(len(item.datasets)) + 0.5, [look.name(d) for d in item.datasets])
            ax.set_ylim(len(item.datasets), 0)
            ax.tick_params(length=0)
            ax.spines[:].set_visible(False)
            ax.set_title(title)
        # Each label once, beside or under all the panels
        (fig.supylabel if stacked else axes[0].set_ylabel)("dataset (factual class of the rows)",
                                                          fontsize=font_size("label"))
        (fig.supxlabel if n > 1 and not stacked else axes[-1].set_xlabel)("class whose probability changed",
                                                                          fontsize=font_size("label"))
        bar = fig.colorbar(mesh, ax=list(axes), fraction=0.05 if stacked else 0.05 / n, pad=0.03)
        bar.set_label("ΔP = P(selected) − P(base)")
        if look.title:
            place_title(fig, look.title)
        if look.annot:
            lay_out(fig)  # the cells' size decides whether their numbers fit
            cell_in = axes[0].get_position().width * fig.get_figwidth() / cols
            size = fitting_size("+0.000", font_size("annotation"), 0.92 * cell_in)
            for ax, item in zip(axes, rewrites):
                for (r, c), value in np.ndenumerate(item.delta if size else np.empty((0, 0))):
                    if np.isfinite(value):
                        ax.text(c + 0.5, r + 0.5, f"{value:+.3f}", ha="center", va="center", fontsize=size,
                                color="white" if abs(value) > 0.6 * limit else "black")
            if not size:
                bar.set_label("ΔP = P(selected) − P(base)\n(values in the CSV: cells too small for them)")
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
            ax.set_title(look.title)
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
                        xytext=(point.lms_ratio + 0.03 * (x1 - x0), y), textcoords="data", va="center",
                        fontsize=font_size("annotation"),
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
