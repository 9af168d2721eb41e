"""Drawing of the Sweep view: the grid (a matplotlib matrix of argument values with the aggregated metric per cell)
and the parallel coordinates (plotly Parcoords on screen, its matplotlib twin for PNG/PDF/SVG: the same lines,
axes, ticks, colours and brushed ranges). The numbers come from `analysis.sweep`, the choices from `views.sweep`.
"""

from __future__ import annotations

import html
import math
import textwrap
from dataclasses import dataclass

import numpy as np
from matplotlib import colormaps
from matplotlib import colors as mcolors
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from gradiend_st.analysis.sweep import ParallelAxis, SweepGrid
from gradiend_st.figures.style import font_size, new_figure, place_legend, studio_style, text_color_on

PARCOORDS_UID = "gradiend-sweep-parcoords"  # a fixed trace id: the same figure gives the same HTML file
BACKGROUND_LINE = "#c4c4c4"  # runs outside the comparison selection
LABEL_WRAP = 22  # characters per line of an axis name or a grid's axis value
TICK_WRAP = 16  # characters per line of a value beside a static parallel axis (it must not reach the next axis)
TICK_CHARS = 10  # plotly draws a value on one line: longer ones are cut with "…"


# ---------------------------------------------------------------------------------------------------------- grid


def draw_grid(grid: SweepGrid, options, *, title: str | None, value_label: str) -> Figure:
    """One cell per (y value, x value); cells without runs stay blank, cells whose runs lack the metric say n/a."""
    rows, columns = grid.shape
    row_labels = [_wrap(t) for t in (grid.y.labels if grid.y else [""])]
    column_labels = [_wrap(t) for t in grid.x.labels]
    matrix = np.full((rows, columns), np.nan)
    for (r, c), cell in grid.cells.items():
        if cell.value is not None:
            matrix[r, c] = cell.value
    width, height = _grid_size(options, rows, columns, row_labels, column_labels)
    with studio_style():
        fig = new_figure((width, height))
        ax = fig.add_subplot()
        cmap = colormaps[options.cmap].with_extremes(bad="white")  # blank: no run, or no value to aggregate
        finite = matrix[np.isfinite(matrix)]
        norm = mcolors.Normalize(*(_limits(finite) if finite.size else (0.0, 1.0)))
        mesh = ax.pcolormesh(np.ma.masked_invalid(matrix), cmap=cmap, norm=norm, edgecolors="#e6e6e6",
                             linewidth=0.8)
        ax.set_xlim(0, columns)
        ax.set_ylim(rows, 0)
        ax.set_xticks(np.arange(columns) + 0.5, column_labels)
        ax.set_yticks(np.arange(rows) + 0.5, row_labels)
        ax.tick_params(length=0)
        for side in ("top", "right", "left", "bottom"):
            ax.spines[side].set_visible(False)
        ax.set_xlabel(grid.x.key)
        if grid.y:
            ax.set_ylabel(grid.y.key)
        if options.annot:
            _annotate(ax, grid, mesh, options)
        bar = fig.colorbar(mesh, ax=ax, shrink=0.9, pad=0.02)
        bar.set_label(value_label)
        if title:
            ax.set_title(title, loc="left")
    return fig


def _limits(finite: np.ndarray) -> tuple[float, float]:
    low, high = float(finite.min()), float(finite.max())
    if low == high:
        pad = abs(low) * 0.05 or 0.5
        return low - pad, high + pad
    return low, high


def _grid_size(options, rows: int, columns: int, row_labels: list[str], column_labels: list[str]):
    if options.figsize:
        return tuple(options.figsize)
    widest_row = max((len(line) for t in row_labels for line in t.split("\n")), default=0)
    column_lines = max((t.count("\n") + 1 for t in column_labels), default=1)
    cell_w = max(1.1, 0.075 * max((len(line) for t in column_labels for line in t.split("\n")), default=0))
    width = 1.6 + 0.075 * widest_row + cell_w * columns + 1.3
    height = 1.4 + 0.16 * column_lines + 0.62 * rows
    return (min(max(width, 5.0), 18.0), min(max(height, 2.6), 14.0))


def cell_text(cell, fmt: str) -> str:
    if cell.value is None:
        return "n/a"
    text = format(cell.value, fmt)
    return f"{text}\nn={cell.count}" if cell.count > 1 else text


def _annotate(ax, grid: SweepGrid, mesh, options) -> None:
    fmt = options.fmt or _auto_format(grid.finite_values())
    for (r, c), cell in grid.cells.items():
        color = "0.35" if cell.value is None else text_color_on(mesh.cmap(mesh.norm(cell.value)))
        ax.text(c + 0.5, r + 0.5, cell_text(cell, fmt), ha="center", va="center", fontsize=font_size("annotation"),
                color=color,
                linespacing=1.15)


def _auto_format(values: list[float]) -> str:
    if values and all(float(v).is_integer() for v in values) and max(abs(v) for v in values) < 1e7:
        return ".0f"
    largest = max((abs(v) for v in values), default=1.0)
    return ".1f" if largest >= 100 else ".3g" if largest < 0.01 else ".3f"


def _wrap(text: str, width: int = LABEL_WRAP) -> str:
    return "\n".join(textwrap.wrap(text, width, break_long_words=True)) or text


# ---------------------------------------------------------------------------------------------------------- parallel


@dataclass(frozen=True)
class Lines:
    """What both parallel-coordinates drawings show: runs in drawing order (background first), their colours, and
    the brushed ranges when they are what selected the highlighted runs."""

    axes: list[ParallelAxis]
    runs: list[str]  # drawing order: runs outside the selection first, so the highlighted lines lie on top
    colors: dict[str, str]  # run id -> line colour
    highlighted: list[str]
    labels: dict[str, str]  # run id -> display label (with †)
    brush: dict[str, list]  # axis name -> [[low, high], ...] (empty: no brush shown)


def draw_parallel(lines: Lines, options, *, title: str | None, note: str | None):
    """plotly Parcoords: one line per run; brushing an axis in the app selects runs (ui/sweep_brush.py)."""
    import plotly.graph_objects as go

    palette = list(dict.fromkeys(lines.colors[r] for r in lines.runs)) or [BACKGROUND_LINE]
    codes = [palette.index(lines.colors[r]) for r in lines.runs]
    dimensions = []
    for axis in lines.axes:
        dimension = {"label": plotly_label(axis_title(axis)), "values": [axis.positions[r] for r in lines.runs],
                     "range": list(axis.range)}
        if axis.categorical:  # a number line keeps plotly's own ticks: with tickvals its brush would snap to them
            dimension.update(tickvals=axis.tickvals, ticktext=[_short(t) for t in axis.ticktext])
        if axis.name in lines.brush:
            spans = lines.brush[axis.name]
            dimension["constraintrange"] = spans[0] if len(spans) == 1 else spans
        dimensions.append(dimension)
    heading = html.escape(title, quote=False) if title else ""
    if note:
        heading += ("<br>" if heading else "") + f"<sup>{html.escape(note, quote=False)}</sup>"
    fig = go.Figure(go.Parcoords(
        uid=PARCOORDS_UID, dimensions=dimensions,
        line={"color": codes, "colorscale": _steps(palette), "cmin": -0.5, "cmax": len(palette) - 0.5},
        unselected={"line": {"color": "#e2e2e2", "opacity": 0.35}},
        labelangle=-25, labelside="top", labelfont={"size": 12}, tickfont={"size": 10},
        rangefont={"size": 1, "color": "rgba(0,0,0,0)"},  # the axis ends are ticks already
    ))
    fig.update_layout(template="plotly_white", height=options.height,
                      title={"text": heading, "x": 0.01, "xanchor": "left"} if heading else None,
                      margin={"t": 175 if heading else 120, "l": 70, "r": 90, "b": 30})
    return fig


def axis_title(axis: ParallelAxis) -> str:
    return axis.label + (" (n/a: bottom)" if axis.missing and not axis.categorical else "")


def plotly_label(text: str) -> str:
    """User text as plotly's parcoords shows it literally (HTML-escaped; it draws no line breaks)."""
    return html.escape(text, quote=False)


def _short(text: str) -> str:
    """A value beside a plotly axis, short enough not to run into the next axis (the CSV has it in full)."""
    return plotly_label(text if len(text) <= TICK_CHARS else text[: TICK_CHARS - 1] + "…")


def _steps(palette: list[str]) -> list[list]:
    """A colour scale with one flat step per colour: line colour code i draws in palette[i]."""
    n = len(palette)
    if n == 1:
        return [[0.0, palette[0]], [1.0, palette[0]]]
    stops = []
    for i, color in enumerate(palette):
        stops += [[i / n, color], [(i + 1) / n, color]]
    return stops


def draw_parallel_static(lines: Lines, options, *, title: str | None, note: str | None) -> Figure:
    """The same lines as a matplotlib figure: every axis scaled to its range, ticks beside it, brushes shaded."""
    n = len(lines.axes)
    width = options.figsize[0] if options.figsize else min(max(2.0 + 1.7 * n, 7.0), 20.0)
    height = options.figsize[1] if options.figsize else options.height / 100
    with studio_style():
        fig = new_figure((width, height))
        ax = fig.add_subplot()
        segments = [[(i, _scaled(axis, axis.positions[rid])) for i, axis in enumerate(lines.axes)]
                    for rid in lines.runs]
        highlighted = set(lines.highlighted)
        widths = [1.6 if rid in highlighted else 0.9 for rid in lines.runs]
        ax.add_collection(LineCollection(segments, colors=[lines.colors[r] for r in lines.runs], linewidths=widths,
                                         alpha=0.9))
        for i, axis in enumerate(lines.axes):
            ax.axvline(i, color="0.25", linewidth=0.9, zorder=3)
            for value, text in zip(axis.tickvals, axis.ticktext, strict=True):
                y = _scaled(axis, value)
                ax.plot([i - 0.03, i], [y, y], color="0.25", linewidth=0.8, zorder=3)
                ax.text(i - 0.05, y, _wrap(text, TICK_WRAP), ha="right", va="center", fontsize=font_size("tick"),
                        zorder=4,
                        bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.8})
            for low, high in lines.brush.get(axis.name, []):
                bottom, top = sorted((_scaled(axis, low), _scaled(axis, high)))
                ax.add_patch(Rectangle((i - 0.07, bottom), 0.14, top - bottom, facecolor="#555555", alpha=0.22,
                                       edgecolor="none", zorder=2))
        ax.set_xlim(-0.6, n - 0.6)
        ax.set_ylim(-0.03, 1.03)
        ax.set_xticks(range(n), [_wrap(axis.label) for axis in lines.axes])
        ax.xaxis.tick_top()
        ax.tick_params(axis="x", length=0, labelsize=font_size("tick"))
        ax.set_yticks([])
        for side in ("top", "right", "left", "bottom"):
            ax.spines[side].set_visible(False)
        legend_runs = [rid for rid in lines.runs if rid in highlighted]
        if 0 < len(legend_runs) <= 12:
            handles = [Line2D([], [], color=lines.colors[r], linewidth=2) for r in legend_runs]
            place_legend(fig, ax, handles, [lines.labels[r] for r in legend_runs], loc=None)
        heading = "\n".join(t for t in (title, note) if t)
        if heading:
            fig.suptitle(heading, x=0.01, ha="left", fontsize=font_size("title"))
    return fig


def _scaled(axis: ParallelAxis, value: float) -> float:
    low, high = axis.range
    return 0.5 if high == low or not math.isfinite(value) else (value - low) / (high - low)
