"""Drawing of the top-k overlap heatmap (FORMAT.md §9.4): a matrix of run x run values with its run names, group
strips and colour bar. The numbers, the order and the names come from `gradiend_st.views.heatmap`.

The heatmap lays itself out (no layout engine): the matrix gets a fixed size, everything else goes around it and
the export's tight crop takes it in, so a re-draw after a label change skips matplotlib's layout passes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import matplotlib as mpl
import numpy as np
from matplotlib import colormaps
from matplotlib import colors as mcolors
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Rectangle
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
from matplotlib.transforms import ScaledTranslation

from gradiend_st.figures.export import tight_box
from gradiend_st.figures.stamped_text import Placement, StampedText, names_left_of
from gradiend_st.figures.style import new_figure, studio_style

SCALES = ("linear", "log", "sqrt", "power")

Groups = list[tuple[str | None, list[str]]]  # [(group name or None, run ids)] in drawing order


def draw(cells, rows: list[str], columns: list[str], groups: Groups, options, title: str | None, *,
         limits: tuple[float | None, float | None] = (None, None), metric: list[float | None] | None = None,
         notes: list[str] = ()) -> Figure:
    """The heatmap of `cells` (an `analysis.seed_groups.Cells` in drawing order; rows named `rows`, columns
    `columns`), with group strips when `groups` are named, a side strip of `metric` (one value per row), and the
    seed spread when `options.dispersion_display` asks. `options`: the heatmap view's Options; `limits`: vmin/vmax
    in the cells' units."""
    show_groups = any(name is not None for name, _ in groups)
    parts = _Parts(cells, rows, columns, groups, show_groups, title, limits, metric, list(notes))
    layout = _Layout.for_matrix(len(rows), rows + columns, options, show_groups, metric is not None)
    fig = _draw(parts, options, layout)
    if options.figsize:  # a requested size: measure what surrounds the matrix, then give the matrix the rest
        layout = layout.fitted(_surroundings(fig, layout))
        fig = _draw(parts, options, layout)
    return fig


@dataclass(frozen=True)
class _Parts:
    cells: object  # analysis.seed_groups.Cells, drawing order
    rows: list[str]
    columns: list[str]
    groups: Groups
    show_groups: bool
    title: str | None
    limits: tuple[float | None, float | None]
    metric: list[float | None] | None
    notes: list[str]


def _draw(parts: _Parts, options, layout: _Layout) -> Figure:
    matrix = parts.cells.values
    n = len(parts.rows)
    with studio_style():
        fig = new_figure(layout.figsize, layout=None)
        ax = fig.add_axes(layout.matrix_rect)
        norm = _norm(matrix, options, parts.limits)
        cmap = colormaps[options.cmap].with_extremes(bad=colormaps[options.cmap](0.0))
        mesh = ax.pcolormesh(matrix, cmap=cmap, norm=norm)
        _draw_cell_borders(ax, n)
        _style_axes(ax, parts.columns, layout)
        name_axes = _draw_row_metric(ax, parts.metric, options, layout) if parts.metric is not None else ax
        names_left_of(name_axes, np.arange(n) + 0.5, parts.rows, layout.tick_fs, gid="heatmap-ytick")
        if _annotate(options, n):
            _draw_annotations(ax, parts.cells, mesh, options, layout)
        if options.dispersion_display == "corner_glyph" and parts.cells.spread is not None:
            _draw_corner_glyphs(ax, parts.cells.spread)
        title_axes = ax
        if parts.show_groups:
            _draw_group_separators(ax, parts.groups)
            title_axes = _draw_group_strips(ax, parts.groups, options, layout)
        _draw_colorbar(fig, ax, mesh, options, layout, parts.groups if parts.show_groups else None)
        if parts.title:
            # Above the group strip when there is one (and above its turned names, and the metric caption). An
            # explicit y skips matplotlib's search for tick labels above the axes (there are none): 10 % of a re-draw.
            title_axes.set_title(parts.title, pad=10 + _top_room_pt(parts, options, layout), y=1.0)
        if parts.notes:
            ax.text(0.0, -(0.2 + layout.label_in * 0.75) / layout.side_in, "Note: " + "; ".join(parts.notes),
                    transform=ax.transAxes, ha="left", va="top", fontsize=7, color="0.35")
    return fig


def _surroundings(fig: Figure, layout: _Layout) -> tuple[float, float]:
    """Inches taken around the matrix (labels, strips, colour bar, title), across and down, as drawn."""
    box = tight_box(fig)
    return box.width - layout.side_in, box.height - layout.side_in


@dataclass(frozen=True)
class _Layout:
    figsize: tuple[float, float]
    side_in: float  # matrix side (inches)
    tick_fs: float
    annot_fs: float
    group_fs: float
    strip_in: float  # group strip thickness (inches)
    matrix_rect: tuple[float, float, float, float]  # where the matrix axes go, in figure fractions
    label_in: float = 0.0  # the longest run name (inches, estimated)
    metric_in: float = 0.0  # row-metric strip width and its gap (inches); 0 without one

    @staticmethod
    def for_matrix(n: int, names: list[str], options, show_groups: bool, metric: bool = False) -> _Layout:
        """The heatmap lays itself out (no layout engine): the matrix gets a fixed size, the tick labels, strips,
        colour bar and title go around it, and the export's tight crop takes whatever they need. Re-drawing after a
        label change then skips matplotlib's layout passes (a 24-run heatmap: ~0.43 → ~0.26 s)."""
        # Cells of ~0.55 in for small sets, shrinking gently so 40 runs still fit a page.
        cell = 0.55 if n <= 12 else max(0.28, 0.55 - 0.012 * (n - 12))
        tick_fs = options.tick_label_fontsize or float(np.clip(140 / max(n, 1), 6.5, 10))
        annot_fs = options.annot_fontsize or float(np.clip(cell * 72 * 0.32, 5.5, 10))
        group_fs = options.group_label_fontsize or tick_fs + 1
        strip = 0.3 if show_groups else 0.0
        metric_in = METRIC_WIDTH_IN + METRIC_GAP_IN if metric else 0.0
        label_in = max((len(s) for s in names), default=4) * tick_fs * 0.6 / 72  # longest tick label, estimated
        around_w = label_in + metric_in + 1.3 + (strip + 1.2 if show_groups else 0)  # names, strips, colour bar
        around_h = label_in * 0.75 + 0.8 + strip  # rotated tick labels, title, group strip
        if options.figsize:  # the matrix takes what the labels leave of the requested size
            width, height = (float(v) for v in options.figsize)
            side = max(1.0, min(width - around_w, height - around_h))
        else:
            side = max(2.2, n * cell)
            width, height = round(side + around_w, 2), round(side + around_h, 2)
        left, bottom = label_in + metric_in + 0.15, label_in * 0.75 + 0.15
        rect = (left / width, bottom / height, side / width, side / height)
        return _Layout((width, height), side, tick_fs, annot_fs, group_fs, strip, rect, label_in, metric_in)

    def fitted(self, surroundings: tuple[float, float]) -> _Layout:
        """The matrix as large as the figure size leaves beside `surroundings` (inches across, down)."""
        width, height = self.figsize
        side = max(1.0, min(width - surroundings[0], height - surroundings[1]))
        left, bottom = self.matrix_rect[0], self.matrix_rect[1]
        return replace(self, side_in=side, matrix_rect=(left, bottom, side / width, side / height))

    @property
    def strip_frac(self) -> float:
        """Group strip thickness in matrix widths (inset axes use axes fractions)."""
        return self.strip_in / self.side_in


METRIC_WIDTH_IN, METRIC_GAP_IN = 0.42, 0.08  # the row-metric strip beside the matrix, and the gap between them


def _norm(matrix: np.ndarray, options, limits: tuple[float | None, float | None] = (None, None)) -> mcolors.Normalize:
    """The colour scale; `limits`: vmin/vmax in the cells' units (None: from the values, as gradiend)."""
    if options.scale not in SCALES:
        raise ValueError(f"unknown scale '{options.scale}': choose one of {', '.join(SCALES)}")
    if options.percentages:
        top = 100.0
    elif options.value == "intersection_frac":
        top = 1.0
    else:
        top = float(np.nanmax(matrix)) if matrix.size else 1.0
    low, high = limits
    vmin = 0.0 if low is None else float(low)
    vmax = (top or 1.0) if high is None else float(high)
    if options.scale == "log":
        positive = matrix[matrix > 0]
        floor = float(positive.min()) if low is None and positive.size else max(1e-10, vmin)
        return mcolors.LogNorm(vmin=floor, vmax=max(vmax, floor * 10), clip=True)
    if options.scale == "sqrt":
        return mcolors.PowerNorm(0.5, vmin=vmin, vmax=vmax)
    if options.scale == "power":
        gamma = options.scale_gamma
        if gamma is None or gamma <= 0:
            raise ValueError("scale='power' needs scale_gamma > 0")
        return mcolors.PowerNorm(float(gamma), vmin=vmin, vmax=vmax)
    return mcolors.Normalize(vmin=vmin, vmax=vmax)


def _style_axes(ax, names: list[str], layout: _Layout) -> None:
    n = len(names)
    ax.set_xlim(0, n)
    ax.set_ylim(n, 0)  # first run on top
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    _draw_column_names(ax, names, layout)


def _draw_column_names(ax, names: list[str], layout: _Layout) -> None:
    """The column names where tick labels go (below, rotated) as one stamped artist (the row names: names_left_of):
    Tick objects cost ~1.5 ms each to build and measure, 0.3 s of every 100-run re-draw."""
    centres = np.arange(len(names)) + 0.5
    below = -mpl.rcParams["xtick.major.pad"] / 72  # the gap matplotlib leaves between an axis and its tick labels
    ax.add_artist(StampedText(
        ax, np.column_stack([centres, np.zeros_like(centres)]), names, "black", layout.tick_fs, in_layout=True,
        gid="heatmap-xtick", placement=Placement(ha="right", va="top", rotation=45, rotation_mode="anchor"),
        transform=ax.get_xaxis_transform() + ScaledTranslation(0, below, ax.get_figure(root=False).dpi_scale_trans)))


def _draw_row_metric(ax, values: list[float | None], options, layout: _Layout):
    """One coloured cell per row left of the matrix, its value written in it, its caption above: gradiend's
    `row_metric` strip, on its own axes so it never covers the run names (which go left of it). Returns it."""
    n = len(values)
    width = METRIC_WIDTH_IN / layout.side_in
    strip = ax.inset_axes([-(METRIC_GAP_IN / layout.side_in) - width, 0, width, 1])
    strip.set_xlim(0, 1)
    strip.set_ylim(n, 0)
    strip.set_axis_off()
    column = np.array([[np.nan if v is None else float(v)] for v in values])
    known = column[np.isfinite(column)]
    low = options.row_metric_vmin if options.row_metric_vmin is not None else (known.min() if known.size else 0.0)
    high = options.row_metric_vmax if options.row_metric_vmax is not None else (known.max() if known.size else 1.0)
    cmap = colormaps[options.row_metric_cmap].with_extremes(bad="0.92")
    mesh = strip.pcolormesh(np.ma.masked_invalid(column), cmap=cmap,
                            norm=mcolors.Normalize(vmin=float(low), vmax=float(high) if high != low else low + 1e-9))
    mesh.set_gid("heatmap-row-metric")
    strip.add_collection(LineCollection([[(0, i), (1, i)] for i in range(n + 1)], colors="white", linewidths=0.75),
                         autolim=False)
    rgba = mesh.cmap(mesh.norm(np.ma.masked_invalid(column))).reshape(-1, 4)
    texts = ["–" if v is None else f"{v:.2f}" for v in values]
    fontsize = min(layout.annot_fs, 0.9 * METRIC_WIDTH_IN * 72 / (0.6 * max(len(t) for t in texts)))
    strip.add_artist(StampedText(strip, np.column_stack([np.full(n, 0.5), np.arange(n) + 0.5]), texts,
                                 [_text_color(c) for c in rgba], fontsize, gid="heatmap-row-metric-value"))
    if options.row_metric_label:
        strip.text(0.5, 1.0, options.row_metric_label, transform=strip.transAxes, rotation=90, ha="center",
                   va="bottom", fontsize=layout.tick_fs, gid="heatmap-row-metric-label")
    return strip


def _top_room_pt(parts: _Parts, options, layout: _Layout) -> float:
    """Points the title must clear above the matrix top: turned group names and the metric caption stand taller."""
    room = 0.0
    if parts.show_groups and options.group_label_rotation_top:
        longest = max((len(name) for name, _ in parts.groups if name), default=0)
        turn = np.radians(float(options.group_label_rotation_top))
        room = longest * layout.group_fs * 0.6 * abs(np.sin(turn)) + layout.group_fs * abs(np.cos(turn))
    if parts.metric is not None and options.row_metric_label:
        metric = len(options.row_metric_label) * layout.tick_fs * 0.6 + 4 - layout.strip_in * 72
        room = max(room, metric)
    return float(room)


def _draw_cell_borders(ax, n: int) -> None:
    """Thin white lines between the cells, as n + 1 lines each way: the same look as stroking every cell of the
    mesh, which stroked each inner border twice and took 45 ms of a 100-run re-draw (and 10,000 outlines in a PDF)."""
    borders = [[(i, 0), (i, n)] for i in range(n + 1)] + [[(0, i), (n, i)] for i in range(n + 1)]
    ax.add_collection(LineCollection(borders, colors="white", linewidths=0.75, gid="heatmap-borders"), autolim=False)


AUTO_ANNOTATE_CELLS = 1600  # annot="auto": numbers in the cells up to this many cells (gradiend 0.2.3)


def _annotate(options, n: int) -> bool:
    return n * n <= AUTO_ANNOTATE_CELLS if options.annot == "auto" else bool(options.annot)


def cell_format(options) -> str:
    """annot_fmt, else the deprecated fmt, else .2f for fractions and .0f for counts and percentages."""
    if options.annot_fmt or options.fmt:
        return options.annot_fmt or options.fmt
    return ".2f" if options.value == "intersection_frac" and not options.percentages else ".0f"


def spread_text(cells, i: int, j: int, fmt: str) -> str:
    """A cell's seed spread as its second line: ±std / ±half-range, or [min, max] (in the cell's units)."""
    if cells.spread is not None:
        return f"±{format(cells.spread[i, j], fmt)}"
    return f"[{format(cells.low[i, j], fmt)}, {format(cells.high[i, j], fmt)}]"


def _draw_annotations(ax, cells, mesh, options, layout: _Layout) -> None:
    matrix = cells.values
    fmt = cell_format(options)
    rgba = mesh.cmap(mesh.norm(matrix))
    rows, cols = np.indices(matrix.shape)
    centres = np.column_stack([cols.ravel() + 0.5, rows.ravel() + 0.5])
    texts = [format(value, fmt) for value in matrix.ravel()]
    colors = [_text_color(c) for c in rgba.reshape(-1, 4)]
    stacked = options.dispersion_display == "stacked" and cells.grouped and options.dispersion != "none"
    if not stacked:
        ax.add_artist(StampedText(ax, centres, texts, colors, layout.annot_fs, gid="heatmap-cell"))
        return
    # Value above, spread below (gradiend: y + 0.42 and y + 0.72, the spread at 80 % size)
    ax.add_artist(StampedText(ax, centres - [0, 0.08], texts, colors, layout.annot_fs, gid="heatmap-cell"))
    spreads = [spread_text(cells, i, j, fmt) if cells.pairs[i, j] > 1 else "" for i, j in zip(rows.ravel(), cols.ravel())]
    ax.add_artist(StampedText(ax, centres + [0, 0.22], spreads, colors, max(5.0, layout.annot_fs * 0.8),
                              gid="heatmap-cell-spread"))


def _draw_corner_glyphs(ax, spread: np.ndarray) -> None:
    """A circle in each cell's upper right corner, radius 0.05 + 0.12 · spread / largest spread (gradiend's)."""
    largest = float(np.nanmax(spread)) if spread.size else 0.0
    if largest <= 0:
        return
    rows, cols = np.nonzero(spread > 0)
    radii = 0.05 + 0.12 * spread[rows, cols] / largest
    circles = [Circle((c + 0.82, r + 0.18), radius) for r, c, radius in zip(rows, cols, radii)]
    ax.add_collection(PatchCollection(circles, facecolor="none", edgecolor="black", linewidth=1.0,
                                      gid="heatmap-corner-glyph"), autolim=False)


def _text_color(rgba) -> str:
    """Black on light cells, white on dark ones (WCAG relative luminance)."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgba[:3]]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "black" if luminance > 0.179 else "white"


def _draw_group_separators(ax, groups) -> None:
    edge = 0
    for _, ids in groups[:-1]:
        edge += len(ids)
        ax.axhline(edge, color="white", linewidth=2.5)
        ax.axvline(edge, color="white", linewidth=2.5)


def _draw_group_strips(ax, groups, options, layout: _Layout):
    """Grey brackets with group names above the columns and right of the rows (turned by
    group_label_rotation_top / _right)."""
    n = sum(len(ids) for _, ids in groups)
    gap = 0.012
    top = ax.inset_axes([0, 1 + gap, 1, layout.strip_frac])
    right = ax.inset_axes([1 + gap, 0, layout.strip_frac, 1])
    top.set_xlim(0, n)
    right.set_ylim(n, 0)
    turn_top, turn_right = float(options.group_label_rotation_top or 0), float(options.group_label_rotation_right or 0)
    start = 0
    for name, ids in groups:
        end = start + len(ids)
        top.add_patch(Rectangle((start + 0.06, 0), end - start - 0.12, 1, color="0.85", linewidth=0))
        right.add_patch(Rectangle((0, start + 0.06), 1, end - start - 0.12, color="0.85", linewidth=0))
        span_in = (end - start) / n * layout.side_in
        if turn_top:  # turned: standing on the strip, free of its width
            top.text((start + end) / 2, 1.15, name, ha="center", va="bottom", rotation=turn_top, gid="group-top",
                     fontsize=layout.group_fs)
        else:
            top.text((start + end) / 2, 0.5, name, ha="center", va="center", gid="group-top",
                     fontsize=_fitting_fontsize(name, span_in, layout.group_fs))
        right.text(1.25, (start + end) / 2, name, ha="left", va="center", fontsize=layout.group_fs, gid="group-right",
                   rotation=turn_right)
        start = end
    for strip in (top, right):
        strip.set_axis_off()
    return top


def _draw_colorbar(fig, ax, mesh, options, layout: _Layout, groups) -> None:
    pad = options.cbar_pad if options.cbar_pad is not None else 0.04
    length = options.cbar_shrink if options.cbar_shrink is not None else 0.75  # gradiend's default shrink
    # Beside the matrix, or beyond the right group strip and its names.
    offset = 1 + pad + (layout.strip_frac + 0.012 + _group_name_room(groups, options, layout) if groups else 0)
    bottom = (1 - length) / 2 + (options.cbar_y_pad or 0.0)
    cax = ax.inset_axes([offset, bottom, 0.045, length])
    bar = fig.colorbar(mesh, cax=cax)
    bar.outline.set_visible(False)
    if options.scale == "log":  # plain numbers: the default log labels are mathtext, which the studio style turns off
        bar.ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        bar.ax.yaxis.set_minor_formatter(NullFormatter())
    if options.cbar_fontsize:
        bar.ax.tick_params(labelsize=options.cbar_fontsize)
        bar.set_label(_value_caption(options), fontsize=options.cbar_fontsize)
    else:
        bar.set_label(_value_caption(options))  # the style's label size


def _fitting_fontsize(text: str, width_in: float, fontsize: float, smallest: float = 6.0) -> float:
    """The largest size up to `fontsize` at which `text` (estimated 0.6 em per character) fits `width_in`."""
    needed = len(text) * 0.6 / 72
    return float(max(smallest, min(fontsize, 0.92 * width_in / needed))) if text else fontsize


def _group_name_room(groups, options, layout: _Layout) -> float:
    # Room for the right-strip names, in matrix widths (estimated 0.6 em per character, plus a small gap).
    longest = max((len(name) for name, _ in groups), default=0)
    turn = np.radians(float(options.group_label_rotation_right or 0))
    across = longest * layout.group_fs * 0.6 * abs(np.cos(turn)) + layout.group_fs * abs(np.sin(turn))
    return (across / 72 + 0.1) / layout.side_in


def _value_caption(options) -> str:
    if options.percentages:
        return "% of the smaller top-k set shared"
    if options.value == "intersection_frac":
        return "fraction of the smaller top-k set shared"
    return "shared top-k indices"
