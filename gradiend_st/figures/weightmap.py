"""Drawing of the weight map: grids of cells (layers x components, layers x heads) as small multiples sharing one
colour scale, and the per-row bars of a layer's feed-forward parameters. The numbers and names come from
`gradiend_st.views.weightmap`; the flow view (plotly Sankey) is drawn in `figures/weightmap_flow.py`.

Scales: counts and shares on a linear, sqrt or log scale; over-representation (a ratio, 1 = as often as chance)
on a log2 scale diverging at 1; differences between two runs diverging at 0. Cells of a grid where the run has no
input scalar (e.g. embeddings x query) are light grey, without a number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from matplotlib import colormaps
from matplotlib import colors as mcolors
from matplotlib.figure import Figure
from matplotlib.patches import StepPatch
from matplotlib.ticker import FixedLocator, FuncFormatter
from matplotlib.transforms import ScaledTranslation

from gradiend_st.figures import profiles
from gradiend_st.figures.export import tight_box
from gradiend_st.figures.stamped_text import Placement, StampedText, names_left_of
from gradiend_st.figures.style import font_size, new_figure, studio_style, text_color_on

EMPTY = "0.92"  # cells without input scalars
SCALES = ("linear", "sqrt", "log")


@dataclass(frozen=True)
class Panel:
    title: str
    values: np.ndarray  # [rows, columns]; NaN: no input scalar in the cell
    rows: list[str]
    columns: list[str]


@dataclass(frozen=True)
class ColorScale:
    """How values become colours: "sequential" (linear / sqrt / log), "ratio" (log2, diverging at 1) or
    "difference" (diverging at 0)."""

    kind: str
    cmap: str
    scale: str = "linear"
    vmin: float | None = None
    vmax: float | None = None
    caption: str = ""
    number: str = "count"  # how cell numbers read: count | share | ratio | points (percentage points)


def draw_grids(panels: list[Panel], color: ColorScale, *, title: str | None, ncols: int | None = None,
               annot: bool | str = "auto", figsize=None, annot_fontsize: float | None = None,
               tick_label_fontsize: float | None = None) -> Figure:
    """Small multiples of `panels` (one per run, or per run and component), one colour scale and one colour bar.

    The figure lays itself out (no layout engine, as the heatmap does): every panel is a mesh in one shared axes
    (data unit = one cell), row and column names and cell numbers are stamped labels, and the export's tight crop
    takes in what surrounds the panels. Eight bert-base panels as axes with tick labels under constrained layout
    took ~1.5 s to draw; this way ~0.3 s. A requested `figsize` (a venue profile's width) is met by drawing once,
    measuring what surrounds the panels, and giving the cells the rest.
    """
    layout = _GridLayout.of(panels, color, ncols, figsize, annot_fontsize, tick_label_fontsize, title)
    fig = _draw_grid_figure(panels, color, layout, annot, title)
    if figsize:
        # A venue profile fixes the width; the height is what the panels need at that width (the natural
        # figure's proportions do not hold once fewer panels fit across). A figsize the user gives is kept.
        free_height = profiles.active() is not None
        for _ in range(2):  # the second pass measures at the final cell size (rotated names reach from a centre)
            layout = layout.fitted(_margins(fig, layout), free_height)
            fig = _draw_grid_figure(panels, color, layout, annot, title)
    return fig


def wrapped(text: str, fontsize: float, width_in: float) -> str:
    """`text` in as many lines as it needs to stay within `width_in` (a narrow venue column)."""
    import textwrap

    return "\n".join(textwrap.wrap(text, max(12, int(width_in / (fontsize * EM))))) if text else text


def _draw_grid_figure(panels: list[Panel], color: ColorScale, layout: _GridLayout, annot, title) -> Figure:
    norm, cmap = _norm(panels, color), _cmap(color)
    with studio_style():
        fig = new_figure(layout.figsize, layout=None)
        ax = fig.add_axes(layout.axes_rect, gid="weightmap-panels")
        ax.set_xlim(0, layout.extent[0])
        ax.set_ylim(layout.extent[1], 0)  # first layer on top
        ax.set_axis_off()
        numbers = ([], [], [])  # points, texts, colours of every panel's cell numbers: one artist
        mesh = None
        for i, panel in enumerate(panels):
            x0, y0 = layout.origin(i)
            rows, columns = panel.values.shape
            mesh = ax.pcolormesh(x0 + np.arange(columns + 1), y0 + np.arange(rows + 1), _shown(panel.values, color),
                                 cmap=cmap, norm=norm, edgecolors="white", linewidth=0.6)
            mesh.set_gid("weightmap-cells")
            _names(ax, panel, layout, x0, y0, first_column=i % layout.ncols == 0)
            if _annotated(annot, panels, layout, color):
                _numbers(numbers, panel.values, mesh, color, x0, y0)
        if numbers[0]:
            ax.add_artist(StampedText(ax, numbers[0], numbers[1], numbers[2], layout.number_fs, gid="weightmap-cell"))
        _colorbar(fig, mesh, color, layout)
        if title:
            fig.text(*layout.title_xy, wrapped(title, font_size("title"), layout.figsize[0] * 0.95), ha="center",
                     va="top", fontsize=font_size("title"))
    return fig


MAX_NUMBERS = 625  # the heatmap's rule: numbers in up to 25 x 25 cells


def _annotated(annot: bool | str, panels: list[Panel], layout: _GridLayout, color: ColorScale) -> bool:
    """Numbers in the cells: as asked, or ("auto") while the figure holds at most the heatmap's 625 cells and the
    numbers fit their cells (a narrow venue profile can leave cells too small)."""
    if annot == "auto":
        fits = _longest_number(panels, color) * layout.number_fs * EM <= layout.cell[0]
        return sum(p.values.size for p in panels) <= MAX_NUMBERS and fits
    return bool(annot)


EM = 0.6 / 72  # inches per point of an average character
GAP = (0.3, 0.25)  # between panels, across and down (inches)
MIN_CELL = 0.22  # a requested width puts fewer panels across rather than thinner cells


@dataclass(frozen=True)
class _GridLayout:
    """Sizes in inches. Panels in rows of `ncols` inside one axes whose data unit is one cell; names around them,
    the colour bar under them."""

    figsize: tuple[float, float]
    ncols: int
    cell: tuple[float, float]  # width, height
    left: float  # from the figure's left edge to the panels
    top: float  # from the figure's top edge to the first panel
    header_h: float  # panel title and column names above each panel
    names_h: float  # the column names alone
    tick_fs: float
    number_fs: float
    title_fs: float  # panel titles
    shape: tuple[int, int]  # rows, columns of a panel
    count: int  # panels

    @staticmethod
    def of(panels, color, ncols, figsize, annot_fs, tick_fs, title) -> _GridLayout:
        n = len(panels)
        rows, columns = panels[0].values.shape
        tick_fs = tick_fs or font_size("tick")
        number_fs = annot_fs or font_size("annotation")
        title_fs = font_size("label")
        label_w = max(len(r) for p in panels for r in p.rows) * tick_fs * EM + 0.1
        if not ncols and figsize:  # as many panels across as the requested width holds
            ncols = int((float(figsize[0]) - label_w - 0.3 + GAP[0]) // (columns * MIN_CELL + GAP[0]))
        ncols = max(1, min(n, ncols or _default_columns(panels)))
        nrows = math.ceil(n / ncols)
        cell_w = max(0.42, _longest_number(panels, color) * number_fs * EM + 0.12,
                     max(len(p.title) for p in panels) * title_fs * EM / columns)  # titles must not touch
        cell_h = 0.3
        longest = max(len(c) for p in panels for c in p.columns)
        names_h = (longest * tick_fs * EM * math.sin(math.radians(35)) if longest > 3 else 0) + 1.4 * tick_fs / 72
        header_h = names_h + 0.04 + 1.5 * title_fs / 72
        width = round(ncols * columns * cell_w + (ncols - 1) * GAP[0] + label_w + 0.3, 2)
        lines = wrapped(title, font_size("title"), float(figsize[0] if figsize else width) * 0.95).count("\n") + 1
        top = (lines * 1.25 * font_size("title") / 72 + 0.15 if title else 0.05) + header_h  # title, first header
        height = round(nrows * rows * cell_h + (nrows - 1) * (header_h + GAP[1]) + top + 0.85, 2)  # + colour bar
        return _GridLayout(tuple(float(v) for v in figsize) if figsize else (width, height), ncols, (cell_w, cell_h),
                           label_w, top, header_h, names_h, tick_fs, number_fs, title_fs, (rows, columns), n)

    def fitted(self, margins: tuple[float, float, float, float], free_height: bool = False) -> _GridLayout:
        """The panels as large as the figure leaves beside `margins` (left, right, top, bottom: inches that names,
        titles and the colour bar take around them); with `free_height`, the height follows the cells."""
        left, right, top, bottom = margins
        width, height = self.figsize
        rows, columns = self.shape
        nrows = math.ceil(self.count / self.ncols)
        headers = (nrows - 1) * (self.header_h + GAP[1])
        across = max(0.02, (width - left - right - (self.ncols - 1) * GAP[0]) / (self.ncols * columns))
        if free_height:
            down = min(0.3, max(0.16, 0.72 * across))
            height = top + bottom + headers + nrows * rows * down
        else:
            down = max(0.02, (height - top - bottom - headers) / (nrows * rows))
        return replace(self, figsize=(width, height), cell=(across, down), left=left, top=top)

    @property
    def step(self) -> tuple[float, float]:
        """From one panel's origin to the next one's, across and down, in cells."""
        rows, columns = self.shape
        return columns + GAP[0] / self.cell[0], rows + (self.header_h + GAP[1]) / self.cell[1]

    @property
    def extent(self) -> tuple[float, float]:
        """The axes' width and height in cells."""
        nrows = math.ceil(self.count / self.ncols)
        return ((self.ncols - 1) * self.step[0] + self.shape[1], (nrows - 1) * self.step[1] + self.shape[0])

    def origin(self, i: int) -> tuple[float, float]:
        """Panel i's top left corner, in cells."""
        row, column = divmod(i, self.ncols)
        return column * self.step[0], row * self.step[1]

    @property
    def axes_rect(self) -> tuple[float, float, float, float]:
        width, height = self.figsize
        across, down = self.extent[0] * self.cell[0], self.extent[1] * self.cell[1]
        return self.left / width, 1 - (self.top + down) / height, across / width, down / height

    @property
    def title_xy(self) -> tuple[float, float]:
        left, _, across, _ = self.axes_rect
        return left + across / 2, 1 - 0.08 / self.figsize[1]


def _margins(fig: Figure, layout: _GridLayout) -> tuple[float, float, float, float]:
    """Inches the drawn figure's names, titles and colour bar take left, right, above and below its panels."""
    box = tight_box(fig)
    left, bottom, across, down = layout.axes_rect
    width, height = layout.figsize
    x0, y0, x1, y1 = left * width, bottom * height, (left + across) * width, (bottom + down) * height
    pad = 0.08  # text measured at the figure's dpi is a little wider at other resolutions (hinting)
    return x0 - box.x0 + pad, box.x1 - x1 + pad, box.y1 - y1 + pad, y0 - box.y0 + pad


def _default_columns(panels: list[Panel]) -> int:
    """Wide grids (heads of a big model) three across; layer x component maps up to four across."""
    return 3 if len(panels[0].columns) > 10 else min(4, len(panels))


def _names(ax, panel: Panel, layout: _GridLayout, x0: float, y0: float, *, first_column: bool) -> None:
    """Panel title, column names above the cells and (first column) row names, as stamped labels."""
    rows, columns = panel.values.shape
    dpi_scale = ax.get_figure(root=False).dpi_scale_trans
    turned = max(len(c) for c in panel.columns) > 3  # component names turn; head numbers stay upright
    above = ScaledTranslation(0, 0.6 * layout.tick_fs / 72, dpi_scale)
    placement = (Placement(ha="left", va="bottom", rotation=35, rotation_mode="anchor") if turned
                 else Placement(ha="center", va="bottom"))
    ax.add_artist(StampedText(ax, np.column_stack([x0 + np.arange(columns) + 0.5, np.full(columns, y0)]),
                              panel.columns, "black", layout.tick_fs, in_layout=True, gid="weightmap-column",
                              placement=placement, transform=ax.transData + above))
    if first_column:
        names_left_of(ax, y0 + np.arange(rows) + 0.5, panel.rows, layout.tick_fs, gid="weightmap-row")
    title_shift = ScaledTranslation(0, layout.names_h + 0.04, dpi_scale)
    ax.text(x0, y0, panel.title, transform=ax.transData + title_shift, ha="left", va="bottom",
            fontsize=layout.title_fs, gid="weightmap-title")


def _colorbar(fig: Figure, mesh, color: ColorScale, layout: _GridLayout) -> None:
    """Under the panels, centred, at most 4 inches long: beside them it would meet the column names of lower rows,
    which reach right of their panel."""
    left, bottom, across, _ = layout.axes_rect
    width, height = layout.figsize
    length = min(4.0, across * width * 0.8) / width
    cax = fig.add_axes((left + across / 2 - length / 2, bottom - 0.32 / height, length, 0.12 / height))
    bar = fig.colorbar(mesh, cax=cax, orientation="horizontal")
    _colorbar_ticks(bar.ax.xaxis, color)
    bar.outline.set_visible(False)
    # The caption as a text of its own under the tick labels: an axis label is placed only while drawing, so a
    # profile export's fit would measure it where it is not (below the figure) and shrink it.
    below = ScaledTranslation(0, -(3.5 + 3.5 + 1.35 * font_size("tick") + 2) / 72, fig.dpi_scale_trans)
    cax.text(0.5, 0, wrapped(color.caption, font_size("label"), layout.figsize[0] * 0.95), ha="center", va="top",
             fontsize=font_size("label"), transform=cax.transAxes + below, gid="weightmap-caption")


def _shown(values: np.ndarray, color: ColorScale) -> np.ndarray:
    if color.kind == "ratio":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.ma.masked_invalid(np.log2(np.where(values > 0, values, np.nan)))
    return np.ma.masked_invalid(values)


def _norm(panels: list[Panel], color: ColorScale) -> mcolors.Normalize:
    values = np.concatenate([_shown(p.values, color).compressed() for p in panels]) if panels else np.zeros(0)
    if color.kind in ("ratio", "difference"):
        reach = float(np.max(np.abs(values))) if values.size else 1.0
        low, high = color.vmin, color.vmax
        if color.kind == "ratio":  # limits are given as ratios
            low = math.log2(low) if low and low > 0 else None
            high = math.log2(high) if high and high > 0 else None
        reach = max(abs(low or 0), abs(high or 0)) or reach or 1.0
        return mcolors.TwoSlopeNorm(vcenter=0.0, vmin=-reach, vmax=reach)
    top = float(values.max()) if values.size else 1.0
    vmin = 0.0 if color.vmin is None else float(color.vmin)
    vmax = (top or 1.0) if color.vmax is None else float(color.vmax)
    if color.scale == "log":
        positive = values[values > 0]
        floor = float(positive.min()) if color.vmin is None and positive.size else max(vmin, 1e-9)
        return mcolors.LogNorm(vmin=floor, vmax=max(vmax, floor * 10), clip=True)
    if color.scale == "sqrt":
        return mcolors.PowerNorm(0.5, vmin=vmin, vmax=vmax)
    if color.scale != "linear":
        raise ValueError(f"unknown scale '{color.scale}': choose one of {', '.join(SCALES)}")
    return mcolors.Normalize(vmin=vmin, vmax=vmax)


def _cmap(color: ColorScale):
    cmap = colormaps[color.cmap]
    # ratio 0 (no top-k weight in the cell, log2 = -inf) and log-scale zeros take the lowest colour; no input: grey
    return cmap.with_extremes(bad=EMPTY, under=cmap(0.0))


def _numbers(into: tuple[list, list, list], values: np.ndarray, mesh, color: ColorScale, x0: float,
             y0: float) -> None:
    """The numbers of one panel's cells (none in cells without input scalars), black or white by the cell colour."""
    rows, columns = np.nonzero(~np.isnan(values))
    if not len(rows):
        return
    rgba = mesh.cmap(mesh.norm(_shown(values, color)[rows, columns].filled(np.nan)))
    into[0].extend(zip(x0 + columns + 0.5, y0 + rows + 0.5, strict=True))
    into[1].extend(number_text(v, color.number) for v in values[rows, columns])
    into[2].extend(text_color_on(c) for c in rgba)


def number_text(value: float, kind: str) -> str:
    """A cell's number: counts with thousands separators, shares in %, ratios with 2 significant digits."""
    if kind == "count":
        return f"{value:,.0f}"
    if kind == "share":
        return f"{100 * value:.1f}" if value < 0.1 else f"{100 * value:.0f}"
    if kind == "points":
        return f"{100 * value:+.1f}"
    if kind == "difference":
        return f"{value:+,.0f}"
    if value == 0:
        return "0"
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.1f}" if abs(value) >= 1 else f"{value:.2f}"


def _longest_number(panels: list[Panel], color: ColorScale) -> int:
    values = np.concatenate([p.values[~np.isnan(p.values)] for p in panels])
    return max((len(number_text(v, color.number)) for v in values), default=1)


def _colorbar_ticks(axis, color: ColorScale) -> None:
    """Plain tick labels on the colour bar's long `axis` (ratios as ×2, shares in %)."""
    if color.kind == "ratio":  # log2 positions, labelled as ratios
        low, high = axis.get_view_interval()
        ticks = [t for t in range(math.floor(low), math.ceil(high) + 1) if low <= t <= high]
        if len(ticks) > 9:
            step = math.ceil(len(ticks) / 9)
            ticks = [t for t in ticks if t % step == 0]
        axis.set_major_locator(FixedLocator(ticks))
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"×{2.0 ** v:g}"))
    elif color.number in ("share", "points"):
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:g}%"))
    elif color.scale == "log":
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        axis.set_minor_formatter(FuncFormatter(lambda v, _: ""))


# ------------------------------------------------------------------------------------------------ feed-forward rows


@dataclass(frozen=True)
class Bars:
    title: str  # the run's label
    component: str  # "intermediate" | "output"
    values: np.ndarray  # per row
    parameters: list[str]  # the parameters whose rows these are


def draw_rows(bars: list[Bars], *, title: str | None, ylabel: str, label_top: int = 5, figsize=None,
              colors: dict[str, str] | None = None) -> Figure:
    """One row of panels per run (intermediate rows, output rows), bars per row, the `label_top` largest named."""
    components = list(dict.fromkeys(b.component for b in bars))
    runs = list(dict.fromkeys(b.title for b in bars))
    with studio_style():
        fig = new_figure(tuple(figsize) if figsize else (10.0, 1.2 + 1.9 * len(runs)))
        axes = fig.subplots(len(runs), len(components), squeeze=False, sharey=True)
        top = max((float(b.values.max()) for b in bars if b.values.size), default=1.0) or 1.0
        for b in bars:
            ax = axes[runs.index(b.title), components.index(b.component)]
            # One filled step outline for all rows: a bar per row is 3,072 patches per bert-base panel, and stairs()
            # walks every vertex in Python to update the limits (0.35 s a panel); the limits are set below anyway.
            ax.add_artist(StepPatch(b.values, np.arange(len(b.values) + 1) - 0.5, fill=True, linewidth=0,
                                    color=(colors or {}).get(b.title, "#4477aa"), gid="weightmap-rows"))
            ax.set_xlim(-0.5, len(b.values) - 0.5)
            ax.set_ylim(0, top * 1.18)
            for row in np.argsort(-b.values, kind="stable")[:label_top]:
                if b.values[row] > 0:
                    ax.annotate(str(int(row)), (row, b.values[row]), xytext=(0, 2), textcoords="offset points",
                                ha="center", va="bottom", fontsize=font_size("annotation"))
            ax.set_title(f"{b.title}: {b.component} rows ({len(b.values):,})", fontsize=font_size("title"), loc="left")
            ax.set_xlabel("row (output unit)" if b.component == "output" else "row (neuron)", fontsize=font_size("label"))
        for ax in axes[:, 0]:
            ax.set_ylabel(ylabel)
        if title:
            fig.suptitle(title, fontsize=font_size("title"))
    return fig
