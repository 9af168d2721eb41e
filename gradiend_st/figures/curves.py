"""Drawing of the overlap curves: shared top-k weights against k on a log axis, chance dashed, seed bands, and the
sign agreement of the same pairs in a second panel. What is drawn comes from `analysis.curve_series.plan`."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from gradiend_st.analysis.curve_series import Plan, Series
from gradiend_st.figures import profiles
from gradiend_st.figures.frozen import freeze_layout
from gradiend_st.figures.style import font_size, new_figure, place_legend, place_title, studio_style

Y_LABELS = {"intersection": "shared top-k weights", "intersection_frac": "shared, fraction of the smaller k",
            "times_chance": "shared ÷ chance"}
BAND_ALPHA = {"seed pairs": 0.25, "pair group": 0.14, "pair": 0.0}  # group bands overlap: lighter
MAX_GROUP_BANDS = 3  # more pair groups than this: their min–max bands would bury each other, lines only
CHANCE_TEXT = {"intersection": "chance k_a·k_b/N (dashed)", "intersection_frac": "chance k_a·k_b/N (dashed)",
               "times_chance": "chance (= 1)"}


def draw(plan: Plan, x: np.ndarray, options, *, title: str | None, xlabel: str, percent_axis: bool) -> Figure:
    """One panel of overlaps (and one of sign agreement when `options.sign_agreement`), legend outside."""
    panels = 2 if options.sign_agreement else 1
    narrow = _narrow(options)
    # Stacked, sharing the k axis; a narrow figure (a paper column) gets its legend below and room for it.
    legend_rows = -(-(len(plan.series) + 1) // _legend_columns(_width(options)))
    natural = (6.0, 4.0 + 3.0 * (panels - 1) + 0.3 * legend_rows) if narrow else (8.0, _fixed_height(panels))
    figsize = tuple(options.figsize) if options.figsize else natural
    # The default screen figure lays itself out (fixed margins; the export's tight crop takes in the legend): a
    # constrained layout costs more than the rest of a re-draw. Other sizes and legend places use the layout engine.
    fixed = not narrow and options.figsize is None and options.legend_loc is None
    with studio_style():
        fig = new_figure(figsize, layout=None if fixed else "constrained")
        axes = _fixed_axes(fig, panels) if fixed else \
            fig.subplots(panels, 1, squeeze=False, sharex=True, height_ratios=[1.35, 1][:panels])[:, 0]
        overlap = axes[0]
        handles, labels = [], []
        bands = sum(s.kind == "pair group" for s in plan.series) <= MAX_GROUP_BANDS
        for series in plan.series:
            handle = _draw_overlap(overlap, x, series, bands)
            handles.append(handle)
            labels.append(series.label)
        if options.chance:
            handles, labels = _draw_chance(overlap, x, plan.series, options.value, handles, labels)
        _style_x(overlap, x, xlabel if panels == 1 else "", percent_axis, options)
        overlap.set_ylabel(Y_LABELS[options.value], fontsize=options.label_fontsize)
        _style_y(overlap, options, plan)
        overlap.set_title("Overlap against k", fontsize=options.label_fontsize)
        if panels == 2:
            _draw_signs(axes[1], x, plan, xlabel, percent_axis, options, bands)
        legend = place_legend(fig, axes[0], handles, labels, loc=options.legend_loc, fontsize=options.legend_fontsize,
                              ncol=_legend_columns(figsize[0]) if narrow and options.legend_loc is None else None,
                              default="outside lower center" if narrow else "outside right upper")
        if title:
            if narrow and " (" in title:
                title = title.replace(" (", "\n(", 1)  # a column is too narrow for the title on one line
            place_title(fig, title, options.title_fontsize, legend)
    return freeze_layout(fig) if profiles.active() else fig  # a venue fit measures the figure as drawn


# The fixed layout, in inches: left margin (y labels), panel width, margin below (k axis), gap between panels (the
# lower panel's title), margin above (titles), panel heights.
LEFT, PANEL_WIDTH, BELOW, GAP, ABOVE, PANEL_HEIGHTS = 0.9, 4.6, 0.6, 0.5, 0.75, (2.6, 1.9)


def _fixed_height(panels: int) -> float:
    return ABOVE + sum(PANEL_HEIGHTS[:panels]) + GAP * (panels - 1) + BELOW


def _fixed_axes(fig: Figure, panels: int) -> list:
    """Stacked panels at fixed places (labels left, the legend right, titles above, the k axis below)."""
    width, height = fig.get_size_inches()
    axes, y = [], height - ABOVE
    for panel_height in PANEL_HEIGHTS[:panels]:
        y -= panel_height
        axes.append(fig.add_axes((LEFT / width, y / height, PANEL_WIDTH / width, panel_height / height),
                                 sharex=axes[0] if axes else None))
        y -= GAP
    for ax in axes[:-1]:
        ax.tick_params(labelbottom=False)
    return axes


def _draw_overlap(ax, x, series: Series, bands: bool):
    if series.kind == "all seeds":
        (line,) = ax.plot(x, series.y, color=series.color, linewidth=2.2, marker="D", markersize=4,
                          gid="curve-all-seeds")
        return line
    alpha = BAND_ALPHA[series.kind]
    if series.kind == "pair group" and not bands:
        alpha = 0.0
    if series.low is not None and alpha:
        ax.fill_between(x, series.low, series.high, color=series.color, alpha=alpha, linewidth=0, gid="curve-band")
    (line,) = ax.plot(x, series.y, color=series.color, linewidth=1.6, marker="o", markersize=3.5,
                      linestyle=":" if series.kind == "seed pairs" else "-", gid="curve-line")
    if series.low is None or not alpha:
        return line
    return (Patch(facecolor=series.color, alpha=alpha, linewidth=0), line)


def _draw_chance(ax, x, series: list[Series], value: str, handles, labels):
    """One black dashed line when every pair has the same chance level, else each pair's own, dashed in its colour."""
    levels = [s.chance for s in series if s.chance is not None]
    if not levels:
        return handles, labels
    if all(np.allclose(level, levels[0], rtol=1e-12, equal_nan=True) for level in levels):
        ax.plot(x, levels[0], color="black", linestyle="--", linewidth=1.1, gid="curve-chance")
    else:
        for s in series:
            if s.chance is not None:
                ax.plot(x, s.chance, color=s.color, linestyle="--", linewidth=0.9, alpha=0.9, gid="curve-chance")
    return handles + [Line2D([], [], color="black", linestyle="--", linewidth=1.1)], labels + [CHANCE_TEXT[value]]


def _style_x(ax, x, xlabel: str, percent_axis: bool, options) -> None:
    ax.set_xscale("log")
    ax.set_xlabel(xlabel, fontsize=options.label_fontsize)
    low, high = float(np.min(x)) / 1.15, float(np.max(x)) * 1.15
    ax.set_xlim(low, high)
    # Fixed 1-2-5 ticks inside the axis: log locators and their minor ticks cost most of a re-draw.
    steps = (1.0, 2.0, 5.0) if math.log10(high / low) <= 2.5 else (1.0,)  # a tick per decade over wide ranges
    ax.xaxis.set_major_locator(FixedLocator(_ticks_125(low, high, steps)))
    ax.xaxis.set_minor_locator(NullLocator())
    fmt = (lambda v, _: percent_text(v)) if percent_axis else (lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}")
    ax.xaxis.set_major_formatter(FuncFormatter(fmt))
    ax.grid(True, which="major", color="0.9", linewidth=0.6)


def _ticks_125(low: float, high: float, steps=(1.0, 2.0, 5.0)) -> list[float]:
    decades = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
    return [float(f"{m * 10.0**e:.6g}") for e in decades for m in steps if low <= m * 10.0**e <= high]


def _style_y(ax, options, plan: Plan) -> None:
    scale = options.yscale
    if scale == "auto":
        scale = "linear" if options.value == "intersection_frac" else "log"
    if scale == "log":
        # Logarithmic from 1 up, linear below: "nothing shared" (0) stays on the axis instead of falling off it.
        ax.set_yscale("symlog", linthresh=1.0, linscale=0.6)
        ax.set_ylim(bottom=0)
        top = ax.get_ylim()[1]
        steps = (1.0, 2.0, 5.0) if top < 30 else (1.0,)  # a decade per tick once there are several
        ax.yaxis.set_major_locator(FixedLocator([0.0, *_ticks_125(1.0, top, steps)]))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    elif options.value == "intersection_frac":
        ax.set_ylim(0, 1.02)
    else:
        ax.set_ylim(bottom=0)


def _draw_signs(ax, x, plan: Plan, xlabel: str, percent_axis: bool, options, bands: bool) -> None:
    drawn = 0
    for series in plan.series:
        if series.sign is None or not np.isfinite(series.sign).any():
            continue
        if series.sign_low is not None and series.members > 1 and (bands or series.kind != "pair group"):
            ax.fill_between(x, series.sign_low, series.sign_high, color=series.color, alpha=0.18, linewidth=0)
        ax.plot(x, series.sign, color=series.color, linewidth=1.6, marker="o", markersize=3.5,
                linestyle=":" if series.kind == "seed pairs" else "-", gid="sign-line")
        drawn += 1
    ax.axhline(0.5, color="0.35", linestyle=":", linewidth=1.0)
    ax.text(0.02, 0.51, "random signs", transform=ax.get_yaxis_transform(), va="bottom", ha="left",
            fontsize=font_size("annotation"), color="0.35")
    ax.set_ylim(-0.02, 1.02)
    ax.yaxis.set_major_locator(FixedLocator([0.0, 0.25, 0.5, 0.75, 1.0]))
    ax.set_ylabel("share moved the same way", fontsize=options.label_fontsize)
    ax.set_title("Sign agreement for the shared class", fontsize=options.label_fontsize)
    _style_x(ax, x, xlabel, percent_axis, options)
    notes = []
    if plan.undefined_signs:
        count = len(plan.undefined_signs)
        notes.append(f"undefined for {count} pair{'s' if count > 1 else ''}\n(no shared class or signs unknown)")
    if not drawn:
        notes.insert(0, "nothing to compare")
    if notes:
        ax.text(0.02, 0.03, "\n".join(notes), transform=ax.transAxes, fontsize=font_size("annotation"), color="0.3",
                va="bottom",
                gid="sign-note")


def percent_text(value: float, significant: int = 1) -> str:
    """A percentage in plain decimals with `significant` digits: 0.00001%, 0.05%, 2% (0.0271% with 3)."""
    digits = max(0, significant - 1 - math.floor(math.log10(value))) if value > 0 else 0
    text = f"{value:.{digits}f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"


def _legend_columns(width_in: float) -> int:
    return 1 if width_in < 4.0 else 2


def _narrow(options) -> bool:
    """A figure for a paper column (a venue profile, or a figsize under 5 in wide)."""
    return _width(options) < 6.5


def _width(options) -> float:
    profile = profiles.active()
    return float(options.figsize[0] if options.figsize else (profile.width_in if profile else 8.0))


def percent_ticks(grid) -> bool:
    return all(isinstance(v, float) for v in grid)


def grid_x(grid) -> np.ndarray:
    """x positions of the grid: k for integers, percent of input_dim for fractions."""
    return np.array([v * 100 if isinstance(v, float) else v for v in grid], dtype=float)

