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
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
from matplotlib.transforms import ScaledTranslation

from gradiend_st.figures.export import tight_box
from gradiend_st.figures.stamped_text import Placement, StampedText, names_left_of
from gradiend_st.figures.style import new_figure, studio_style

SCALES = ("linear", "log", "sqrt", "power")

Groups = list[tuple[str | None, list[str]]]  # [(group name or None, run ids)] in drawing order


def draw(matrix: np.ndarray, names: list[str], groups: Groups, options, title: str | None) -> Figure:
    """The heatmap of `matrix` (rows and columns in drawing order, named `names`), with group strips when `groups`
    are named. `options`: the heatmap view's Options (colour scale, annotation, font sizes, figure size)."""
    show_groups = any(name is not None for name, _ in groups)
    layout = _Layout.for_matrix(len(names), names, options, show_groups)
    fig = _draw(matrix, names, groups, show_groups, options, title, layout)
    if options.figsize:  # a requested size: measure what surrounds the matrix, then give the matrix the rest
        layout = layout.fitted(_surroundings(fig, layout))
        fig = _draw(matrix, names, groups, show_groups, options, title, layout)
    return fig


def _draw(matrix: np.ndarray, names: list[str], groups: Groups, show_groups: bool, options, title: str | None,
          layout: _Layout) -> Figure:
    n = len(names)
    with studio_style():
        fig = new_figure(layout.figsize, layout=None)
        ax = fig.add_axes(layout.matrix_rect)
        norm = _norm(matrix, options)
        cmap = colormaps[options.cmap].with_extremes(bad=colormaps[options.cmap](0.0))
        mesh = ax.pcolormesh(matrix, cmap=cmap, norm=norm)
        _draw_cell_borders(ax, n)
        _style_axes(ax, names, layout)
        if _annotate(options, n):
            _draw_annotations(ax, matrix, mesh, options, layout)
        title_axes = ax
        if show_groups:
            _draw_group_separators(ax, groups)
            title_axes = _draw_group_strips(ax, groups, layout)
        _draw_colorbar(fig, ax, mesh, options, layout, groups if show_groups else None)
        if title:
            # Above the group strip when there is one. An explicit y skips matplotlib's search for tick labels above
            # the axes (there are none): 10 % of a re-draw.
            title_axes.set_title(title, pad=10, y=1.0)
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

    @staticmethod
    def for_matrix(n: int, names: list[str], options, show_groups: bool) -> _Layout:
        """The heatmap lays itself out (no layout engine): the matrix gets a fixed size, the tick labels, strips,
        colour bar and title go around it, and the export's tight crop takes whatever they need. Re-drawing after a
        label change then skips matplotlib's layout passes (a 24-run heatmap: ~0.43 → ~0.26 s)."""
        # Cells of ~0.55 in for small sets, shrinking gently so 40 runs still fit a page.
        cell = 0.55 if n <= 12 else max(0.28, 0.55 - 0.012 * (n - 12))
        tick_fs = options.tick_label_fontsize or float(np.clip(140 / max(n, 1), 6.5, 10))
        annot_fs = options.annot_fontsize or float(np.clip(cell * 72 * 0.32, 5.5, 10))
        group_fs = options.group_label_fontsize or tick_fs + 1
        strip = 0.3 if show_groups else 0.0
        label_in = max((len(s) for s in names), default=4) * tick_fs * 0.6 / 72  # longest tick label, estimated
        around_w = label_in + 1.3 + (strip + 1.2 if show_groups else 0)  # tick labels, colour bar, group strip
        around_h = label_in * 0.75 + 0.8 + strip  # rotated tick labels, title, group strip
        if options.figsize:  # the matrix takes what the labels leave of the requested size
            width, height = (float(v) for v in options.figsize)
            side = max(1.0, min(width - around_w, height - around_h))
        else:
            side = max(2.2, n * cell)
            width, height = round(side + around_w, 2), round(side + around_h, 2)
        left, bottom = label_in + 0.15, label_in * 0.75 + 0.15
        rect = (left / width, bottom / height, side / width, side / height)
        return _Layout((width, height), side, tick_fs, annot_fs, group_fs, strip, rect)

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


def _norm(matrix: np.ndarray, options) -> mcolors.Normalize:
    if options.scale not in SCALES:
        raise ValueError(f"unknown scale '{options.scale}': choose one of {', '.join(SCALES)}")
    if options.percentages:
        top = 100.0
    elif options.value == "intersection_frac":
        top = 1.0
    else:
        top = float(np.nanmax(matrix)) if matrix.size else 1.0
    vmin = 0.0 if options.vmin is None else float(options.vmin)
    vmax = (top or 1.0) if options.vmax is None else float(options.vmax)
    if options.scale == "log":
        positive = matrix[matrix > 0]
        floor = float(positive.min()) if options.vmin is None and positive.size else max(1e-10, vmin)
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
    _draw_run_names(ax, names, layout)


def _draw_run_names(ax, names: list[str], layout: _Layout) -> None:
    """The run names where tick labels go (below, rotated; left), as two stamped artists: Tick objects cost
    ~1.5 ms each to build and measure, 0.3 s of every 100-run re-draw."""
    centres = np.arange(len(names)) + 0.5
    below = -mpl.rcParams["xtick.major.pad"] / 72  # the gap matplotlib leaves between an axis and its tick labels
    ax.add_artist(StampedText(
        ax, np.column_stack([centres, np.zeros_like(centres)]), names, "black", layout.tick_fs, in_layout=True,
        gid="heatmap-xtick", placement=Placement(ha="right", va="top", rotation=45, rotation_mode="anchor"),
        transform=ax.get_xaxis_transform() + ScaledTranslation(0, below, ax.get_figure(root=False).dpi_scale_trans)))
    names_left_of(ax, centres, names, layout.tick_fs, gid="heatmap-ytick")


def _draw_cell_borders(ax, n: int) -> None:
    """Thin white lines between the cells, as n + 1 lines each way: the same look as stroking every cell of the
    mesh, which stroked each inner border twice and took 45 ms of a 100-run re-draw (and 10,000 outlines in a PDF)."""
    borders = [[(i, 0), (i, n)] for i in range(n + 1)] + [[(0, i), (n, i)] for i in range(n + 1)]
    ax.add_collection(LineCollection(borders, colors="white", linewidths=0.75, gid="heatmap-borders"), autolim=False)


def _annotate(options, n: int) -> bool:
    return n <= 25 if options.annot == "auto" else bool(options.annot)


def _draw_annotations(ax, matrix: np.ndarray, mesh, options, layout: _Layout) -> None:
    fmt = options.fmt or (".2f" if options.value == "intersection_frac" and not options.percentages else ".0f")
    rgba = mesh.cmap(mesh.norm(matrix))
    rows, cols = np.indices(matrix.shape)
    centres = np.column_stack([cols.ravel() + 0.5, rows.ravel() + 0.5])
    texts = [format(value, fmt) for value in matrix.ravel()]
    colors = [_text_color(c) for c in rgba.reshape(-1, 4)]
    ax.add_artist(StampedText(ax, centres, texts, colors, layout.annot_fs, gid="heatmap-cell"))


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


def _draw_group_strips(ax, groups, layout: _Layout):
    """Grey brackets with group names above the columns and right of the rows."""
    n = sum(len(ids) for _, ids in groups)
    gap = 0.012
    top = ax.inset_axes([0, 1 + gap, 1, layout.strip_frac])
    right = ax.inset_axes([1 + gap, 0, layout.strip_frac, 1])
    top.set_xlim(0, n)
    right.set_ylim(n, 0)
    start = 0
    for name, ids in groups:
        end = start + len(ids)
        top.add_patch(Rectangle((start + 0.06, 0), end - start - 0.12, 1, color="0.85", linewidth=0))
        right.add_patch(Rectangle((0, start + 0.06), 1, end - start - 0.12, color="0.85", linewidth=0))
        span_in = (end - start) / n * layout.side_in
        top.text((start + end) / 2, 0.5, name, ha="center", va="center", gid="group-top",
                 fontsize=_fitting_fontsize(name, span_in, layout.group_fs))
        right.text(1.25, (start + end) / 2, name, ha="left", va="center", fontsize=layout.group_fs, gid="group-right")
        start = end
    for strip in (top, right):
        strip.set_axis_off()
    return top


def _draw_colorbar(fig, ax, mesh, options, layout: _Layout, groups) -> None:
    pad = options.cbar_pad if options.cbar_pad is not None else 0.04
    # Beside the matrix, or beyond the right group strip and its names.
    offset = 1 + pad + (layout.strip_frac + 0.012 + _group_name_room(groups, layout) if groups else 0)
    cax = ax.inset_axes([offset, 0.1, 0.045, 0.8])
    bar = fig.colorbar(mesh, cax=cax)
    bar.outline.set_visible(False)
    if options.scale == "log":  # plain numbers: the default log labels are mathtext, which the studio style turns off
        bar.ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        bar.ax.yaxis.set_minor_formatter(NullFormatter())
    bar.set_label(_value_caption(options))


def _fitting_fontsize(text: str, width_in: float, fontsize: float, smallest: float = 6.0) -> float:
    """The largest size up to `fontsize` at which `text` (estimated 0.6 em per character) fits `width_in`."""
    needed = len(text) * 0.6 / 72
    return float(max(smallest, min(fontsize, 0.92 * width_in / needed))) if text else fontsize


def _group_name_room(groups, layout: _Layout) -> float:
    # Room for the right-strip names, in matrix widths (estimated 0.6 em per character, plus a small gap).
    longest = max((len(name) for name, _ in groups), default=0)
    return (longest * layout.group_fs * 0.6 / 72 + 0.1) / layout.side_in


def _value_caption(options) -> str:
    if options.percentages:
        return "% of the smaller top-k set shared"
    if options.value == "intersection_frac":
        return "fraction of the smaller top-k set shared"
    return "shared top-k indices"
