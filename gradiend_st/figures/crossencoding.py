"""Drawing of the cross-encoding matrix: GRADIENDs (or classes) x classes, diverging colours centred at 0, each row's
own target classes outlined, and optionally the same runs' pairwise top-k overlap beside it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib import colormaps
from matplotlib import colors as mcolors
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from gradiend_st.figures.frozen import freeze_layout
from gradiend_st.figures.style import font_size, new_figure, studio_style, text_color_on

CELL_IN = 0.62
NO_VALUE = "0.93"  # cells without rows


@dataclass
class Matrix:
    values: np.ndarray
    rows: list[str]  # labels as shown
    columns: list[str]
    outlined: list[list[int]]  # per row: the columns to outline
    signed: bool  # diverging, centred at 0
    xlabel: str
    ylabel: str
    cbar_label: str


@dataclass
class Overlap:
    counts: np.ndarray  # runs x runs, NaN where a run has no weights
    title: str


def draw(matrix: Matrix, overlap: Overlap | None, options, title: str | None) -> Figure:
    n_rows, n_cols = matrix.values.shape
    label_in = max((len(r) for r in matrix.rows), default=4) * 0.075 + 0.4
    width = label_in + n_cols * CELL_IN + 1.3 + (n_rows * CELL_IN + 1.6 if overlap else 0)
    height = max(2.6, n_rows * CELL_IN + max((len(c) for c in matrix.columns), default=3) * 0.06 + 1.4)
    figsize = tuple(options.figsize) if options.figsize else (round(width, 2), round(height, 2))
    with studio_style():
        fig = new_figure(figsize)
        ratios = [n_cols, n_rows] if overlap else [n_cols]
        axes = fig.subplots(1, len(ratios), width_ratios=ratios, squeeze=False)[0]
        _draw_matrix(fig, axes[0], matrix, options)
        if overlap is not None:
            _draw_overlap(fig, axes[1], overlap, len(matrix.rows), options)
        if title:
            fig.suptitle(title, fontsize=options.title_fontsize or font_size("title"))
    return freeze_layout(fig)


def _norm(values: np.ndarray, signed: bool, options) -> mcolors.Normalize:
    finite = values[np.isfinite(values)]
    if signed:  # gradiend's symmetric limits: ±max(1, max |value|)
        top = max(1.0, float(np.abs(finite).max())) if finite.size else 1.0
        low = -top if options.vmin is None else float(options.vmin)
        high = top if options.vmax is None else float(options.vmax)
        return mcolors.TwoSlopeNorm(vcenter=0.0, vmin=min(low, -1e-9), vmax=max(high, 1e-9))
    high = (float(finite.max()) if finite.size else 1.0) if options.vmax is None else float(options.vmax)
    return mcolors.Normalize(vmin=0.0 if options.vmin is None else float(options.vmin), vmax=high or 1.0)


def resolved_cmap(name: str, signed: bool) -> str:
    """gradiend's rule: the default viridis becomes coolwarm for signed encoding values."""
    return "coolwarm" if name == "viridis" and signed else name


def _draw_matrix(fig, ax, matrix: Matrix, options) -> None:
    values = matrix.values
    cmap = colormaps[resolved_cmap(options.cmap, matrix.signed)].with_extremes(bad=NO_VALUE)
    norm = _norm(values, matrix.signed, options)
    mesh = ax.pcolormesh(np.ma.masked_invalid(values), cmap=cmap, norm=norm, edgecolors="white", linewidth=0.8)
    n_rows, n_cols = values.shape
    ax.set_xlim(0, n_cols)
    ax.set_ylim(n_rows, 0)
    ax.set_xticks(np.arange(n_cols) + 0.5, matrix.columns, rotation=45 if _long(matrix.columns) else 0,
                  ha="right" if _long(matrix.columns) else "center", fontsize=options.tick_label_fontsize)
    ax.set_yticks(np.arange(n_rows) + 0.5, matrix.rows, fontsize=options.tick_label_fontsize)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xlabel(matrix.xlabel)
    ax.set_ylabel(matrix.ylabel)
    for i, columns in enumerate(matrix.outlined):
        for j in columns:
            ax.add_patch(Rectangle((j + 0.04, i + 0.04), 0.92, 0.92, fill=False, edgecolor="black", linewidth=1.8,
                                   gid="own-class"))
    if _annotate(options, values.size):
        _annotate_cells(ax, values, mesh, options.fmt or (".2f" if matrix.signed else ".0f"), options)
    bar = fig.colorbar(mesh, ax=ax, shrink=0.8, pad=0.02)
    bar.outline.set_visible(False)
    bar.set_label(matrix.cbar_label)


def _draw_overlap(fig, ax, overlap: Overlap, n: int, options) -> None:
    counts = overlap.counts
    mesh = ax.pcolormesh(np.ma.masked_invalid(counts), cmap=colormaps["viridis"].with_extremes(bad=NO_VALUE),
                         edgecolors="white", linewidth=0.8)
    ax.set_xlim(0, n)
    ax.set_ylim(n, 0)
    ax.set_xticks(np.arange(n) + 0.5, [str(i + 1) for i in range(n)], fontsize=options.tick_label_fontsize)
    ax.set_yticks(np.arange(n) + 0.5, [str(i + 1) for i in range(n)], fontsize=options.tick_label_fontsize)
    ax.tick_params(length=0)
    ax.set_xlabel("run (row number)")
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(overlap.title, fontsize=font_size("title"))
    if _annotate(options, counts.size):
        _annotate_cells(ax, counts, mesh, ".0f", options)
    bar = fig.colorbar(mesh, ax=ax, shrink=0.8, pad=0.02)
    bar.outline.set_visible(False)
    bar.set_label("shared top-k weights")


def _long(labels: list[str]) -> bool:
    return max((len(label) for label in labels), default=0) > 6


def _annotate(options, cells: int) -> bool:
    return cells <= 1600 if options.annot == "auto" else bool(options.annot)


def _annotate_cells(ax, values: np.ndarray, mesh, fmt: str, options) -> None:
    size = options.annot_fontsize or font_size("annotation")
    for (i, j), value in np.ndenumerate(values):
        if not np.isfinite(value):
            ax.text(j + 0.5, i + 0.5, "–", ha="center", va="center", fontsize=size, color="0.55")
            continue
        color = text_color_on(mesh.cmap(mesh.norm(value)))
        text = format(value, fmt)
        if text.startswith("-") and float(text) == 0:
            text = text[1:]  # "-0.00" reads as a negative response; it is zero at this precision
        ax.text(j + 0.5, i + 0.5, text, ha="center", va="center", fontsize=size, color=color)
