"""Drawing the encoder-distribution split violins (FORMAT.md §9.2) from what `analysis.violins.prepare` returns.

Each half is a Gaussian KDE (Scott's bandwidth, cut=0) scaled to the same width, with quartile lines inside; the
target pair's halves and legend entries are highlighted; the legend sits where `legend_loc` says (style.place_legend).
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from gradiend_st.analysis.density import density_at, half_density
from gradiend_st.analysis.violins import (
    Entry,
    Prepared,
    Violin,
    display,
    half_values,
    panel_title,
    split_panels,
    value_span,
    violins_with_rows,
)
from gradiend_st.figures.style import (
    LEGACY_LEGEND_LOCS,
    font_size,
    new_figure,
    place_legend,
    place_title,
    studio_style,
    wrap_text,
)

HALF_WIDTH = 0.4  # each half spans at most 0.4 x units (a full violin 0.8, as seaborn)
EDGE_WIDTH, TARGET_EDGE_WIDTH = 0.7, 2.0
COLLAPSED_FRACTION = 0.025  # a half spanning less of the value range is drawn as a bar at its median
RIGHT_LEGEND_MAX = 8  # more entries than this go below the axes by default


def draw(prepared: Prepared, options, *, title: str | None, notes: list[str]) -> Figure:
    """The violins of `prepared` (entries coloured), one panel per data split; `options`: the view's Options."""
    with studio_style():
        panels = split_panels(prepared.rows)
        violins_per_panel = [violins_with_rows(prepared.rows, prepared.violins, split) for split in panels]
        n_entries = len(prepared.entries)
        fig = new_figure(_figsize(options, max(len(v) for v in violins_per_panel), len(panels), n_entries))
        axes = fig.subplots(1, len(panels), sharey=True, squeeze=False,
                            width_ratios=[max(1, len(v)) for v in violins_per_panel])[0]
        span = value_span(prepared.rows)
        for ax, split, violins in zip(axes, panels, violins_per_panel):
            _draw_panel(ax, prepared, violins, split, span, options)
        axes[0].set_ylabel("Encoded value", fontsize=options.axis_label_fontsize)
        legend = _legend(fig, axes[-1], prepared.entries, options)
        if title:
            place_title(fig, title, options.title_fontsize, legend)
        if notes:
            note = wrap_text("Note: " + "; ".join(notes), font_size("annotation"), fig.get_figwidth() * 0.96)
            fig.supxlabel(note, fontsize=font_size("annotation"), color="0.35", x=0.0, ha="left")  # layout-aware
        return fig


def _figsize(options, n_violins: int, n_panels: int, n_entries: int) -> tuple[float, float]:
    if options.figsize:
        return float(options.figsize[0]), float(options.figsize[1])
    width = max(4.5, 1.5 * n_violins * n_panels + 1.0)
    if n_entries <= RIGHT_LEGEND_MAX:
        return width + 2.2, 3.6
    return width, 3.6 + 0.25 * math.ceil(n_entries / below_ncol(n_entries))


def _draw_panel(ax, prepared: Prepared, violins: list[Violin], split: str | None, span: float, options) -> None:
    tick_labels = []
    for x, violin in enumerate(violins):
        counts = []
        for side, half in zip((-1, 1), violin.halves):
            values = half_values(prepared.rows, half, split) if half is not None else np.array([])
            counts.append(str(len(values)) if half is not None else "")
            if len(values):
                _draw_half(ax, x, side, values, half, span)
        tick_labels.append(f"{violin.name}\nn = {' | '.join(c for c in counts if c)}")
    ax.set_xticks(range(len(violins)), tick_labels, fontsize=options.label_fontsize)
    ax.set_xlim(-0.6, len(violins) - 0.4)
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    if split is not None:
        ax.set_title(panel_title(split), fontsize=options.axis_label_fontsize or font_size("title"))


def _draw_half(ax, x: float, side: int, values: np.ndarray, entry: Entry, span: float) -> None:
    """One half: the KDE outline filled with the entry's colour, quartile lines inside (median dashed)."""
    width = TARGET_EDGE_WIDTH if entry.highlighted else EDGE_WIDTH
    curve = half_density(values)
    if curve is None or curve[0][-1] - curve[0][0] < COLLAPSED_FRACTION * max(span, 1e-12):
        # Too little spread to show a shape: a bar in the half's colour (the table has the exact spread).
        y = float(np.median(values))
        ax.plot([x, x + side * HALF_WIDTH], [y, y], color="black", linewidth=5 + width, solid_capstyle="butt", zorder=2)
        ax.plot([x, x + side * HALF_WIDTH], [y, y], color=entry.color, linewidth=5, solid_capstyle="butt", zorder=3)
        return
    grid, density = curve
    ax.fill_betweenx(grid, x, x + side * HALF_WIDTH * density, facecolor=entry.color, edgecolor="black",
                     linewidth=width, zorder=2)
    for q, style in ((25, ":"), (50, "--"), (75, ":")):
        y = float(np.percentile(values, q))
        reach = HALF_WIDTH * density_at(grid, density, y)
        ax.plot([x, x + side * reach], [y, y], color="black", linestyle=style, linewidth=0.9, zorder=3)


def _legend(fig: Figure, last_ax, entries: list[Entry], options):
    handles = [Patch(facecolor=e.color, edgecolor="black", linewidth=TARGET_EDGE_WIDTH if e.highlighted else EDGE_WIDTH)
               for e in entries]
    labels = [display(e.label) for e in entries]
    default = "outside right upper" if len(entries) <= RIGHT_LEGEND_MAX else "outside lower center"
    legend = place_legend(fig, last_ax, handles, labels, loc=options.legend_loc, bbox=options.legend_bbox_to_anchor,
                          ncol=options.legend_ncol or _default_ncol(options, default, len(entries)),
                          fontsize=options.legend_fontsize, default=default)
    for text, entry in zip(legend.get_texts(), entries):
        if entry.highlighted:
            text.set_fontweight("bold")
    return legend


def _default_ncol(options, default: str, n: int) -> int | None:
    """gradiend's columns for a legend above or below the axes; None (place_legend's choice) elsewhere."""
    if options.legend_bbox_to_anchor is not None:
        return None
    where = LEGACY_LEGEND_LOCS.get(options.legend_loc, options.legend_loc) or default
    side = where.split()[1] if where.startswith("outside ") else ""
    return below_ncol(n) if side in ("lower", "upper") else None


def below_ncol(n: int) -> int:
    return min(5, max(1, math.ceil(n / 4)))  # gradiend's rule for long legends
