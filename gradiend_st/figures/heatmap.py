"""Drawing of the top-k overlap heatmap (FORMAT.md §9.4): a matrix of run x run values with its run names, group
strips and colour bar. The numbers, the order and the names come from `gradiend_st.views.heatmap`.

The heatmap lays itself out (no layout engine): the matrix gets a fixed size, everything else goes around it and
the export's tight crop takes it in, so a re-draw after a label change skips matplotlib's layout passes. A requested
size (a venue profile's width) is met by measuring what surrounds the matrix and giving the matrix the rest, centred.
Text takes the style's (or venue's) sizes; cell numbers too large for their cells shrink, or are left out with a note.
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
from gradiend_st.figures.profiles import SMALLEST_FONT
from gradiend_st.figures.stamped_text import Placement, StampedText, names_left_of
from gradiend_st.figures.style import fitting_size, font_size, new_figure, studio_style, text_color_on, wrap_text

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
    with studio_style():  # sizes come from the style (or the venue profile of an export)
        layout = _Layout.for_matrix(len(rows), rows + columns, options, show_groups, metric is not None)
        fig = _draw(parts, options, layout)
        margins = None
        while options.figsize:  # a requested size: measure what surrounds the matrix, give the matrix the rest
            measured = _margins(fig, layout)
            if margins is not None and max(abs(a - b) for a, b in zip(measured, margins)) < 0.02:
                break  # the colour bar and the names scale with the matrix: a second pass settles them
            margins, layout = measured, layout.fitted(measured, len(rows), options)
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
        undefined = "0.92" if options.value == "same_sign" else colormaps[options.cmap](0.0)  # never the colour of 0
        cmap = colormaps[options.cmap].with_extremes(bad=undefined)
        mesh = ax.pcolormesh(matrix, cmap=cmap, norm=norm)
        _draw_cell_borders(ax, n)
        _style_axes(ax, parts.columns, layout)
        name_axes = _draw_row_metric(ax, parts.metric, options, layout) if parts.metric is not None else ax
        names_left_of(name_axes, np.arange(n) + 0.5, parts.rows, layout.tick_fs, gid="heatmap-ytick")
        notes = list(parts.notes)
        if _annotate(options, n):
            if not _draw_annotations(ax, parts.cells, mesh, options, layout):
                notes.append("cell values left out: too small to read at this size (the CSV has them)")
        if options.dispersion_display == "corner_glyph" and parts.cells.spread is not None:
            _draw_corner_glyphs(ax, parts.cells.spread)
        title_axes = ax
        if parts.show_groups:
            _draw_group_separators(ax, parts.groups)
            title_axes = _draw_group_strips(ax, parts.groups, options, layout)
        _draw_colorbar(fig, ax, mesh, options, layout, parts.groups if parts.show_groups else None)
        width, _ = layout.figsize
        if parts.title:
            # Above the group strip when there is one (and above its turned names, and the metric caption). An
            # explicit y skips matplotlib's search for tick labels above the axes (there are none): 10 % of a re-draw.
            centre = (layout.matrix_rect[0] + layout.matrix_rect[2] / 2) * width  # titles centre on the matrix
            title = wrap_text(parts.title, font_size("title"), 2 * min(centre, width - centre) - 0.1)
            title_axes.set_title(title, pad=10 + _top_room_pt(parts, options, layout), y=1.0)
        if notes:
            left = layout.matrix_rect[0] * width
            ax.text(-(left - 0.05) / layout.side_in, -(0.2 + layout.label_in * 0.75) / layout.side_in,
                    wrap_text("Note: " + "; ".join(notes), font_size("annotation"), width - 0.1),
                    transform=ax.transAxes, ha="left", va="top", fontsize=font_size("annotation"), color="0.35")
    return fig


EDGE_IN = 0.04  # blank kept at the figure's edges when the matrix fills a requested size


def _margins(fig: Figure, layout: _Layout) -> tuple[float, float, float, float]:
    """Inches taken left of, right of, below and above the matrix (names, strips, colour bar, title), as drawn."""
    box = tight_box(fig)
    width, height = layout.figsize
    left, bottom = layout.matrix_rect[0] * width, layout.matrix_rect[1] * height
    return (left - box.x0, box.x1 - left - layout.side_in, bottom - box.y0, box.y1 - bottom - layout.side_in)


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
        tick_fs = _name_size(options, cell)
        annot_fs = options.annot_fontsize or font_size("annotation")
        group_fs = options.group_label_fontsize or font_size("label")
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

    def fitted(self, margins: tuple[float, float, float, float], n: int, options) -> _Layout:
        """The matrix as large as the figure size leaves inside `margins` (inches left, right, below, above),
        centred in what is left over; run names no taller than a cell."""
        width, height = self.figsize
        left, right, bottom, top = margins
        free_w, free_h = width - left - right - 2 * EDGE_IN, height - bottom - top - 2 * EDGE_IN
        side = max(0.5, min(free_w, free_h))
        x, y = EDGE_IN + left + (free_w - side) / 2, EDGE_IN + bottom + (free_h - side) / 2
        return replace(self, side_in=side, matrix_rect=(x / width, y / height, side / width, side / height),
                       tick_fs=_name_size(options, side / max(n, 1)))

    @property
    def strip_frac(self) -> float:
        """Group strip thickness in matrix widths (inset axes use axes fractions)."""
        return self.strip_in / self.side_in


METRIC_WIDTH_IN, METRIC_GAP_IN = 0.42, 0.08  # the row-metric strip beside the matrix, and the gap between them


def _name_size(options, cell_in: float) -> float:
    """Run names: the user's size, else the style's tick size, smaller when cells are too thin for it (never below
    the smallest readable size)."""
    return options.tick_label_fontsize or min(font_size("tick"), max(SMALLEST_FONT, round(cell_in * 72 / 1.25, 1)))


def _norm(matrix: np.ndarray, options, limits: tuple[float | None, float | None] = (None, None)) -> mcolors.Normalize:
    """The colour scale; `limits`: vmin/vmax in the cells' units (None: from the values, as gradiend)."""
    if options.scale not in SCALES:
        raise ValueError(f"unknown scale '{options.scale}': choose one of {', '.join(SCALES)}")
    if options.percentages:
        top = 100.0
    elif options.value in ("intersection_frac", "same_sign"):
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
    if options.row_metric == "correlation":  # a fixed scale: near-equal correlations must not span the colour map
        auto_low, auto_high = min(0.0, float(known.min())) if known.size else 0.0, 1.0
    else:
        auto_low, auto_high = (float(known.min()), float(known.max())) if known.size else (0.0, 1.0)
    low = options.row_metric_vmin if options.row_metric_vmin is not None else auto_low
    high = options.row_metric_vmax if options.row_metric_vmax is not None else auto_high
    cmap = colormaps[options.row_metric_cmap].with_extremes(bad="0.92")
    mesh = strip.pcolormesh(np.ma.masked_invalid(column), cmap=cmap,
                            norm=mcolors.Normalize(vmin=float(low), vmax=float(high) if high != low else low + 1e-9))
    mesh.set_gid("heatmap-row-metric")
    strip.add_collection(LineCollection([[(0, i), (1, i)] for i in range(n + 1)], colors="white", linewidths=0.75),
                         autolim=False)
    rgba = mesh.cmap(mesh.norm(np.ma.masked_invalid(column))).reshape(-1, 4)
    texts = ["–" if v is None else f"{v:.2f}" for v in values]
    fontsize = fitting_size(max(texts, key=len), layout.annot_fs, 0.9 * METRIC_WIDTH_IN) or SMALLEST_FONT
    strip.add_artist(StampedText(strip, np.column_stack([np.full(n, 0.5), np.arange(n) + 0.5]), texts,
                                 [text_color_on(c) for c in rgba], fontsize, gid="heatmap-row-metric-value"))
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
    fraction = options.value in ("intersection_frac", "same_sign")
    return ".2f" if fraction and not options.percentages else ".0f"


def spread_text(cells, i: int, j: int, fmt: str) -> str:
    """A cell's seed spread as its second line: ±std / ±half-range, or [min, max] (in the cell's units)."""
    if cells.spread is not None:
        return f"±{format(cells.spread[i, j], fmt)}"
    return f"[{format(cells.low[i, j], fmt)}, {format(cells.high[i, j], fmt)}]"


def _draw_annotations(ax, cells, mesh, options, layout: _Layout) -> bool:
    """The numbers in the cells, as large as the style asks and the cells allow. False when they do not fit even
    at the smallest readable size (annot="auto": left out; annot=True: drawn at that size, as asked)."""
    matrix = cells.values
    fmt = cell_format(options)
    rgba = mesh.cmap(mesh.norm(matrix))
    rows, cols = np.indices(matrix.shape)
    centres = np.column_stack([cols.ravel() + 0.5, rows.ravel() + 0.5])
    texts = ["\u2013" if np.isnan(value) else format(value, fmt) for value in matrix.ravel()]  # –: undefined
    colors = [text_color_on(c) for c in rgba.reshape(-1, 4)]
    stacked = options.dispersion_display == "stacked" and cells.grouped and options.dispersion != "none"
    spreads = [spread_text(cells, i, j, fmt) if cells.pairs[i, j] > 1 else ""
               for i, j in zip(rows.ravel(), cols.ravel())] if stacked else []
    cell_in = layout.side_in / len(matrix)
    widest = max(texts + spreads, key=len, default="")
    size = options.annot_fontsize or fitting_size(widest + ("\n0" if stacked else ""), layout.annot_fs,
                                                  0.9 * cell_in, 0.9 * cell_in)
    if size is None and options.annot == "auto":
        return False
    size = size or SMALLEST_FONT
    if not stacked:
        ax.add_artist(StampedText(ax, centres, texts, colors, size, gid="heatmap-cell"))
        return True
    # Value above, spread below (gradiend: y + 0.42 and y + 0.72, the spread at 80 % size)
    ax.add_artist(StampedText(ax, centres - [0, 0.08], texts, colors, size, gid="heatmap-cell"))
    ax.add_artist(StampedText(ax, centres + [0, 0.22], spreads, colors, max(SMALLEST_FONT, size * 0.8),
                              gid="heatmap-cell-spread"))
    return True


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
                     fontsize=fitting_size(name, layout.group_fs, 0.92 * span_in) or SMALLEST_FONT)
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


def _group_name_room(groups, options, layout: _Layout) -> float:
    # Room for the right-strip names, in matrix widths (estimated 0.6 em per character, plus a small gap).
    longest = max((len(name) for name, _ in groups), default=0)
    turn = np.radians(float(options.group_label_rotation_right or 0))
    across = longest * layout.group_fs * 0.6 * abs(np.cos(turn)) + layout.group_fs * abs(np.sin(turn))
    return (across / 72 + 0.1) / layout.side_in


def _value_caption(options) -> str:
    if options.value == "same_sign":
        return f"{'%' if options.percentages else 'share'} of shared weights moving alike (–: undefined)"
    if options.percentages:
        return "% of the smaller top-k set shared"
    if options.value == "intersection_frac":
        return "fraction of the smaller top-k set shared"
    return "shared top-k indices"
