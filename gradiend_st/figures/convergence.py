"""Drawing the training-convergence view (FORMAT.md §9.1) with matplotlib: single, overlay and facet modes.

One run is drawn as GRADIEND draws it (one colour per class). Several runs are overlaid (colour = run, line style =
label) or faceted (one column per run). Curves, names and bands come from `analysis.convergence_curves`; the
public helpers here (panel choice, run names, colours, title) are shared with the interactive chart
(`figures.convergence_interactive`), so every mode shows the same runs under the same names and colours.
"""

from __future__ import annotations

from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from gradiend_st.analysis import convergence_curves as cc
from gradiend_st.analysis.colors import assign_colors
from gradiend_st.analysis.convergence_curves import Curve, CurveSpec, RunCurves
from gradiend_st.figures.style import (
    LEGACY_LEGEND_LOCS,
    categorical_colors,
    font_size,
    narrow,
    new_figure,
    place_legend,
    place_title,
    run_label,
    studio_style,
    wrap_text,
)
from gradiend_st.palettes import DASHES

OVERLAY_BEST_STYLE = ":"  # dotted, so a best-step line is never mistaken for a label -1.0 curve
CORRELATION_COLOR = "#222222"
BEST_COLOR = "#d62728"
BEST_STEP_COLOR = "0.45"
MANY_SERIES = 6  # from this many series on, one figure legend (as gradiend does)
RUN_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")  # overlay runs in greyscale: one marker each


# ----------------------------------------------------------------------------------------------- shared with the chart


def option_panels(runs: list[RunCurves], options) -> list[str]:
    """The panels the options ask for that these runs have data for."""
    return cc.panels(runs, mean_by_class=options.plot_mean_by_class,
                     mean_by_feature_class=options.plot_mean_by_feature_class, correlation=options.plot_correlation)


def run_names(runs: list[RunCurves], options) -> dict[str, str]:
    """Run id -> its name in titles: the user's label (or the id), with † when it did not converge."""
    return {r.run_id: run_label(r.run_id, options.run_labels, r.convergence.converged,
                                options.highlight_non_convergence) for r in runs}


def overlay_names(runs: list[RunCurves], options) -> dict[str, str]:
    """Run id -> its legend entry when runs share axes (its name, and "median of n seeds" for seed bands)."""
    names = run_names(runs, options)
    return {r.run_id: cc.overlay_label(names[r.run_id], r, options.seed_band) for r in runs}


def run_colors(runs: list[RunCurves], options) -> dict[str, str]:
    """Run id -> colour: the user's `run_colors`, else the palette in drawing order."""
    chosen = assign_colors([[r.run_id] for r in runs], getattr(options, "run_colors", None),
                           categorical_colors(len(runs)))
    return {r.run_id: color for r, color in zip(runs, chosen)}


def class_colors(runs: list[RunCurves], panels: list[str], options) -> dict[str, str]:
    """Class curve name -> colour, the same in every panel and column: the user's `colors` (by display name, raw key
    or class name), else the palette in order of first appearance."""
    names = cc.class_names_by_curve(runs, panels, CurveSpec.of(options))
    chosen = assign_colors([[name, *others] for name, others in names.items()], getattr(options, "colors", None),
                           categorical_colors(len(names)))
    return dict(zip(names, chosen))


def figure_title(runs: list[RunCurves], options) -> str | None:
    names = run_names(runs, options)
    return cc.convergence_title(options.title, [names[r.run_id] for r in runs])


def draw_mode(options, n_runs: int) -> str:
    """"facet" when asked for with several runs; one run is drawn "single"; several otherwise "overlay"."""
    if options.mode == "facet" and n_runs > 1:
        return "facet"
    return "single" if n_runs == 1 else "overlay"


# ----------------------------------------------------------------------------------------------- the figure


def draw(runs: list[RunCurves], options, *, left_out: dict[str, str] | None = None) -> Figure:
    """The matplotlib figure of `runs` (at least one, with at least one panel); `left_out` is named below it."""
    spec = CurveSpec.of(options)
    with studio_style():
        panels = option_panels(runs, options)
        mode = draw_mode(options, len(runs))
        columns = len(runs) if mode == "facet" else 1
        fig = new_figure(_figsize(options, mode, len(panels), columns, runs))
        axes = fig.subplots(len(panels), columns, sharex=True, sharey="row" if mode == "facet" else False,
                            squeeze=False)
        overlay_entries = None
        if mode == "single":
            _draw_single(axes[:, 0], panels, runs[0], options, spec)
        elif mode == "overlay":
            overlay_entries = _draw_overlay(axes[:, 0], panels, runs, options, spec)
        else:
            _draw_facet(axes, panels, runs, options, spec)
        for row, panel in enumerate(panels):
            for col in range(columns):
                ax = axes[row, col]
                ax.grid(True, alpha=0.3)
                ax.set_ylabel(cc.PANEL_YLABELS[panel] if col == 0 else "")
                ax.set_xlabel("Step" if row == len(panels) - 1 else "")
        legend = _legends(fig, axes, mode, options, overlay_entries)
        title = figure_title(runs, options)
        if title:
            place_title(fig, title, legend=legend)
        if left_out:
            note = "Not shown: " + "; ".join(f"{rid}: {why}" for rid, why in left_out.items())
            fig.supxlabel(wrap_text(note, font_size("annotation"), fig.get_figwidth() * 0.96),
                          fontsize=font_size("annotation"), color="0.35", x=0.0, ha="left")
        return fig


def _figsize(options, mode: str, n_panels: int, columns: int, runs: list[RunCurves]) -> tuple[float, float]:
    if options.figsize:
        return float(options.figsize[0]), float(options.figsize[1])
    per_panel = 2.0 if cc.series_count(runs) >= MANY_SERIES else 1.7
    width = 7.0 if mode == "single" else 8.0
    if mode == "facet":
        width = 3.2 * columns + 1.8
    return width, per_panel * n_panels + 0.6


def _plot(ax, curve: Curve, color, label: str, linestyle="-", marker=".") -> None:
    steps, values = cc.xy(curve.values)
    ax.plot(steps, values, color=color, linestyle=linestyle, marker=marker, markersize=3, linewidth=1.4, label=label)
    if curve.band:
        low_steps, low = cc.xy(curve.band[0])
        high = [curve.band[1][s] for s in low_steps]
        ax.fill_between(low_steps, low, high, color=color, alpha=0.2, linewidth=0)


def _mark_best(ax, panel: str, run: RunCurves, *, generic: bool = False) -> None:
    """Dashed line at the best step on every panel; a dot at the best correlation on the correlation panel."""
    step, corr = run.training.best_step, run.training.best_correlation
    if step is None:
        return
    ax.axvline(step, color=BEST_STEP_COLOR, linestyle="--", linewidth=1.2, alpha=0.8,
               label="best step" if generic else f"best step ({step})")
    if panel == "correlation" and corr is not None:
        ax.scatter([step], [corr], color=BEST_COLOR, edgecolors="black", linewidths=0.6, s=40, zorder=5,
                   label="best" if generic else f"best (r = {corr:.3f})")


def _mark_best_of_runs(ax, panel: str, runs: list[RunCurves], colors: list[str]) -> None:
    """Overlay: each run's best step as a dotted line in its colour (one artist for all runs: 10 runs as 30 lines
    and 10 dots took a seventh of a re-draw), its best correlation as a dot on the correlation panel."""
    best = [(run.training.best_step, run.training.best_correlation, color)
            for run, color in zip(runs, colors) if run.training.best_step is not None]
    if not best:
        return
    ax.add_collection(LineCollection([[(step, 0), (step, 1)] for step, _, _ in best], colors=[c for *_, c in best],
                                     linestyles=OVERLAY_BEST_STYLE, linewidths=1.2, alpha=0.8, gid="best-steps",
                                     transform=ax.get_xaxis_transform()), autolim=False)
    dots = [(step, corr, color) for step, corr, color in best if corr is not None]
    if panel == "correlation" and dots:
        ax.scatter([d[0] for d in dots], [d[1] for d in dots], color=[d[2] for d in dots], edgecolors="black",
                   linewidths=0.6, s=40, zorder=5, gid="best-correlations")


def class_dashes(colors: dict[str, str], options) -> dict[str, object]:
    """Class curve name -> line style: solid, or one dash pattern per class when the palette is greyscale."""
    if not getattr(options, "line_styles", False):
        return dict.fromkeys(colors, "-")
    return {name: DASHES[i % len(DASHES)] for i, name in enumerate(colors)}


def _draw_single(axes, panels: list[str], run: RunCurves, options, spec: CurveSpec) -> None:
    colors = class_colors([run], panels, options)  # one colour per class name across panels
    dashes = class_dashes(colors, options)
    seeds = cc.band_seeds(run, spec.seed_band)
    for ax, panel in zip(axes, panels):
        for curve in cc.curves(run, panel, spec):
            if panel == "correlation":
                _plot(ax, curve, CORRELATION_COLOR, "correlation")
            else:
                _plot(ax, curve, colors[curve.name], curve.name, dashes[curve.name])
        if options.best_step:
            _mark_best(ax, panel, run)
        ax.set_title(cc.panel_title(panel, spec, seeds))


def _draw_overlay(axes, panels: list[str], runs: list[RunCurves], options, spec: CurveSpec) -> tuple[list, list[str]]:
    """Colour = run, line style = label. Returns the legend entries: runs, then label styles, then best marks."""
    by_run = run_colors(runs, options)
    colors = [by_run[r.run_id] for r in runs]
    # Greyscale: the line style already tells the label, so a marker tells the run
    markers = [RUN_MARKERS[i % len(RUN_MARKERS)] if getattr(options, "line_styles", False) else "."
               for i in range(len(runs))]
    names, legend_names = run_names(runs, options), overlay_names(runs, options)
    styles: dict[object, str] = {}  # line style -> legend text
    for ax, panel in zip(axes, panels):
        for run, color, marker in zip(runs, colors, markers):
            label = names[run.run_id]
            for curve in cc.curves(run, panel, spec):
                style = cc.label_style(run.training, panel, curve.key)
                if panel != "correlation":
                    styles.setdefault(style, cc.style_name(curve, run.training, panel, spec.label_name_mapping))
                _plot(ax, curve, color, label if panel == "correlation" else f"{label}: {curve.name}", style,
                      marker)
        if options.best_step:
            _mark_best_of_runs(ax, panel, runs, colors)
        ax.set_title(cc.panel_title(panel, spec, cc.panel_seeds(runs, spec.seed_band), overlay=True))
    handles = [Line2D([], [], color=color, linewidth=2, marker=None if marker == "." else marker, markersize=4)
               for color, marker in zip(colors, markers)]
    labels = [legend_names[run.run_id] for run in runs]
    if len(styles) > 1:
        for style in sorted(styles, key=cc.style_rank):
            handles.append(Line2D([], [], color="0.3", linestyle=style, linewidth=1.4))
            labels.append(styles[style])
    if options.best_step:
        handles += [Line2D([], [], color=BEST_STEP_COLOR, linestyle=OVERLAY_BEST_STYLE, linewidth=1.2),
                    Line2D([], [], color="0.6", marker="o", linestyle="", markeredgecolor="black")]
        labels += ["best step", "best"]
    return handles, labels


def _draw_facet(axes, panels: list[str], runs: list[RunCurves], options, spec: CurveSpec) -> None:
    colors = class_colors(runs, panels, options)  # same class, same colour in every column
    dashes = class_dashes(colors, options)
    names = run_names(runs, options)
    for col, run in enumerate(runs):
        seeds = cc.band_seeds(run, spec.seed_band)
        for row, panel in enumerate(panels):
            ax = axes[row, col]
            for curve in cc.curves(run, panel, spec):
                if panel == "correlation":
                    _plot(ax, curve, CORRELATION_COLOR, "correlation")
                else:
                    _plot(ax, curve, colors[curve.name], curve.name, dashes[curve.name])
            if options.best_step:
                _mark_best(ax, panel, run, generic=True)
            title = cc.panel_title(panel, spec, seeds)
            ax.set_title(f"{names[run.run_id]}\n{title}" if row == 0 else title)


# ----------------------------------------------------------------------------------------------- legends


def _legends(fig: Figure, axes, mode: str, options, overlay_entries=None):
    """`legend_loc` as in every view (style.place_legend). By default, a single run with few series gets one legend
    beside each panel; otherwise one legend for the figure, right of it. A place inside the axes (a matplotlib loc)
    puts each panel's legend inside that panel, or the one legend inside the top-right panel."""
    loc, bbox = LEGACY_LEGEND_LOCS.get(options.legend_loc, options.legend_loc), options.legend_bbox_to_anchor
    few = mode == "single" and all(len(_unique_entries([ax])[0]) < MANY_SERIES for ax in axes[:, 0])
    beside_each = loc is not None or not narrow(fig)  # a paper column: one legend below the panels
    if few and beside_each and bbox is None and not (loc or "").startswith("outside"):
        for ax in axes[:, 0]:
            handles, labels = _unique_entries([ax])
            place_legend(fig, ax, handles, labels, loc=loc, ncol=options.legend_ncol)
        return None
    handles, labels = overlay_entries or _unique_entries(list(axes.flat))
    return place_legend(fig, axes[0, -1], handles, labels, loc=loc, bbox=bbox, ncol=options.legend_ncol,
                        default="outside right center")


def _unique_entries(axes) -> tuple[list, list[str]]:
    """Legend entries of several axes, each label once: series first, then correlation and the best-step marks."""
    seen: dict[str, object] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(label, handle)
    ordered = sorted(seen, key=lambda label: (label == "correlation" or label.startswith("best"),
                                              label.startswith("best")))
    return [seen[label] for label in ordered], ordered
