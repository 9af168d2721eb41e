"""Sweep: runs as experiments. Which training arguments differ between the runs (`analysis.run_diff`), and what each
setting reached, in one of two modes:
- "grid": one or two differing arguments as the axes (`x_arg`, `y_arg`), a metric as the cell (`cell`: best
  correlation, convergence, time, input_dim, any numeric training.json or decoder metric, or the top-k overlap with
  a `reference` run), runs sharing a cell aggregated (`aggregate`: mean, min, max; the count is shown), cells without
  runs blank. The runs are the comparison selection.
- "parallel": parallel coordinates, one line per run of the folder across the differing arguments and the metrics
  of `axes_metrics`; the comparison selection is highlighted, and brushing axes in the app selects runs (the
  brushed ranges are kept in `brush`). PNG/PDF/SVG draw the same lines with matplotlib, HTML is the plotly figure.
gradiend 0.2.3 has no such figure (its pruning study builds these grids by hand): no "copy as code".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gradiend_st.analysis import sweep
from gradiend_st.analysis.comparison import compare_topk
from gradiend_st.analysis.run_diff import (
    STANDARD_METRICS,
    differing_keys,
    facts_for,
    listed_runs,
    metric_label,
    metric_names,
    value_text,
)
from gradiend_st.analysis.topk import topk_text
from gradiend_st.figures import sweep as drawing
from gradiend_st.figures.export import figure_bytes
from gradiend_st.figures.style import categorical_colors, message_figure, run_label
from gradiend_st.io.errors import RunReadError
from gradiend_st.views.base import View, ViewData

if TYPE_CHECKING:
    import pandas as pd

MODES = ("grid", "parallel")
TOPK_OVERLAP = "topk_overlap"
DEFAULT_AXES_METRICS = ("best_correlation", "converged", "training_time")
BrushRanges = dict  # {axis: [[low, high], ...]}: no form widget (set by brushing, kept in links and presets)
RUN_COLOURS_UP_TO = 12  # more highlighted lines than this share one colour (a palette of 200 tells nothing apart)
HIGHLIGHT = categorical_colors(1)[0]


@dataclass
class Options:
    mode: str = "grid"  # "grid" | "parallel"
    x_arg: str | None = None  # grid: the training argument across (None: the first that differs)
    y_arg: str | None = None  # grid: the argument down (None: the next that splits the runs differently; "(none)")
    cell: str = "best_correlation"  # grid: the metric in the cells
    aggregate: str = "mean"  # grid: runs sharing a cell: mean | min | max
    axes_metrics: list[str] | None = None  # parallel: metric axes after the arguments (None: DEFAULT_AXES_METRICS)
    reference: str | None = None  # top-k overlap: the run compared with (None: the first selected run)
    topk: int | float = 1000  # top-k overlap: k, or a fraction of input_dim (gradiend's meaning)
    part: str = "decoder-weight"  # top-k overlap: the importance part (gradiend's meaning)
    brush: BrushRanges | None = None  # parallel: the brushed ranges {axis: [[low, high], ...]} (set by brushing)
    cmap: str = "viridis"
    annot: bool = True
    fmt: str | None = None  # grid: format of the cell numbers (Python format spec; None: by the values)
    figsize: tuple[float, float] | list[float] | None = None
    height: int = 520  # parallel: screen height in pixels (the static export: height / 100 inches)
    title: bool | str = True
    highlight_non_convergence: bool = True
    run_labels: dict[str, str] | None = None
    run_colors: dict[str, str] | None = None


HELP = {
    "mode": "grid: one or two arguments as axes, a metric per cell. parallel: parallel coordinates of every run; "
            "brush an axis (drag along it) to select runs for the other views.",
    "x_arg": "A training_args key (the choices differ between the runs). Automatic: the first that differs.",
    "y_arg": "Automatic: the next argument that splits the runs differently from x_arg; (none): one row.",
    "cell": "best correlation, converged (the fraction of converged runs), steps, training time (s), input_dim, "
            "any numeric training.json value (time.eval, convergence_info.convergent_count, ...), the decoder's "
            "selected ΔP and LMS ratio (decoder_dp.<class>, lms_ratio.<class>, .mean over the pair), or topk_overlap "
            "(shared top-k weights / the smaller k, with the reference run).",
    "aggregate": "How runs that share a cell are combined; the cell shows n = their count.",
    "axes_metrics": "Metric names (as for cell), drawn after the argument axes. Automatic: best_correlation, "
                    "converged, training_time.",
    "reference": "The run the top-k overlap is measured against. Automatic: the first selected run.",
    "fmt": "Format of the cell numbers (e.g. .3f). Automatic: by the values.",
    "height": "Parallel coordinates: height on screen in pixels; the static files are height / 100 inches tall.",
}


@dataclass(kw_only=True)
class SweepData(ViewData):
    mode: str = "grid"
    args: dict[str, dict] = field(default_factory=dict)  # drawn run -> training_args as stored
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)  # drawn run -> metric -> number
    converged: dict[str, bool | None] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)  # the training_args keys that differ between the drawn runs
    selected: list[str] = field(default_factory=list)  # the comparison selection (highlighted lines)
    reference: str | None = None  # the top-k overlap's reference run, when that metric was computed


# ---------------------------------------------------------------------------------------------------------- loading


def load(catalog, run_ids: list[str], options: Options | None = None, progress=None, should_stop=None) -> SweepData:
    """The runs' training_args and metrics. Grid: the selected runs; parallel: every run of the folder (and any
    selected seed checkpoint), the selection remembered for the highlight. Unreadable runs are left out by reason."""
    options = options or Options()
    if options.mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {options.mode!r}")
    selected = [rid for rid in dict.fromkeys(run_ids) if rid in catalog.runs]
    drawn = selected
    if options.mode == "parallel":
        drawn = listed_runs(catalog) + [rid for rid in selected if catalog.runs[rid].kind != "run"]
    facts = facts_for(catalog, drawn, decoder=True)
    data = SweepData(mode=options.mode, selected=selected)
    for rid, fact in facts.items():
        if fact.args is None:
            data.left_out[rid] = fact.problem or "no training_args in training.json"
            continue
        data.runs.append(rid)
        data.args[rid] = fact.args
        data.metrics[rid] = dict(fact.metrics)
        data.converged[rid] = fact.converged
        if fact.decoder_problem:
            data.warnings.append(f"{rid}: no decoder metrics ({fact.decoder_problem})")
    data.keys = differing_keys(data.args.values())
    if TOPK_OVERLAP in _wanted_metrics(options) and data.runs:
        _add_overlaps(catalog, data, options, progress, should_stop)
    return data


def _wanted_metrics(options: Options) -> set[str]:
    return {options.cell} if options.mode == "grid" else set(parse_metrics(options.axes_metrics))


def parse_metrics(names: list[str] | str | None) -> list[str]:
    """The metric axes: the given names (a list, or comma-separated text from a hand-written preset)."""
    if names is None:
        return list(DEFAULT_AXES_METRICS)
    found = names.split(",") if isinstance(names, str) else names
    return list(dict.fromkeys(str(name).strip() for name in found if str(name).strip()))


def _add_overlaps(catalog, data: SweepData, options: Options, progress, should_stop) -> None:
    """metrics[run]["topk_overlap"] = |top-k(run) ∩ top-k(reference)| / min(k_run, k_reference)."""
    reference = options.reference or (data.selected or data.runs)[0]
    if reference not in catalog.runs:
        data.warnings.append(f"top-k overlap: no run '{reference}' in this folder")
        return
    try:
        comparison = compare_topk(catalog, [reference, *data.runs], options.part, options.topk, progress=progress,
                                  should_stop=should_stop, skip_unreadable=True)
    except RunReadError as exc:
        data.warnings.append(f"top-k overlap: {catalog.error_text(exc)}")
        return
    for rid, exc in comparison.left_out.items():
        data.warnings.append(f"top-k overlap: no value for {rid} ({catalog.error_text(exc)})")
    if reference not in comparison.runs:
        return
    counts, sizes = comparison.counts, comparison.sizes
    i = comparison.runs.index(reference)
    for j, rid in enumerate(comparison.runs):
        if rid in data.metrics:
            data.metrics[rid][TOPK_OVERLAP] = float(counts[i, j]) / max(1, min(sizes[i], sizes[j]))
    data.reference = reference


# ---------------------------------------------------------------------------------------------------------- grid


def axes_of(data: SweepData, options: Options) -> tuple[str | None, str | None]:
    """(x, y) arguments of the grid: the chosen ones, else the automatic ones; y None: one row."""
    args = {rid: data.args[rid] for rid in data.runs}
    auto_x, auto_y = sweep.default_axes(data.keys, args)
    x = options.x_arg or auto_x
    y = options.y_arg if options.y_arg else auto_y if x == auto_x else next((k for k in data.keys if k != x), None)
    return x, (None if y in (None, sweep.NO_AXIS, x) else y)


def grid_of(data: SweepData, options: Options) -> sweep.SweepGrid:
    x, y = axes_of(data, options)
    metric = {rid: data.metrics[rid][options.cell] for rid in data.runs if options.cell in data.metrics[rid]}
    return sweep.sweep_grid({rid: data.args[rid] for rid in data.runs}, metric, x, y, options.cell, options.aggregate)


def _cell_label(data: SweepData, options: Options) -> str:
    if options.cell == TOPK_OVERLAP:
        reference = run_label(data.reference, options.run_labels, data.converged.get(data.reference),
                              options.highlight_non_convergence) if data.reference else "?"
        return f"{topk_text(options.topk)} overlap with {reference} ({options.part})"
    return metric_label(options.cell) + (" (fraction)" if options.cell == "converged" else "")


def _grid_title(data: SweepData, options: Options, grid: sweep.SweepGrid) -> str | None:
    if options.title is True and grid.x.key == sweep.SAME:
        return f"{_cell_label(data, options)}, {grid.aggregate}: the runs were trained with the same arguments"
    if options.title is True:
        axes = grid.x.key + (f" × {grid.y.key}" if grid.y else "")
        return f"{_cell_label(data, options)}, {grid.aggregate} per cell, by {axes}"
    return options.title or None


# ---------------------------------------------------------------------------------------------------------- parallel


def lines_of(data: SweepData, options: Options) -> drawing.Lines:
    """The parallel coordinates' axes, lines, colours and the brush (shown while it is what selected the runs)."""
    args = {rid: data.args[rid] for rid in data.runs}
    known = set(STANDARD_METRICS) | {m for values in data.metrics.values() for m in values} | {TOPK_OVERLAP}
    wanted = parse_metrics(options.axes_metrics)
    unknown = [m for m in wanted if m not in known]
    if unknown:
        raise ValueError(f"unknown metric '{unknown[0]}' in axes_metrics (known: {', '.join(sorted(known))})")
    axes = [sweep.argument_axis(key, args) for key in data.keys]
    axes += [sweep.metric_axis(m, {r: v[m] for r, v in data.metrics.items() if m in v}, data.runs) for m in wanted]
    chosen = set(data.selected)
    highlighted = [rid for rid in data.runs if rid in chosen]
    colors = dict.fromkeys(data.runs, drawing.BACKGROUND_LINE)
    palette = categorical_colors(len(highlighted))
    for i, rid in enumerate(highlighted):
        own = (options.run_colors or {}).get(rid) or palette[i]
        colors[rid] = own if len(highlighted) <= RUN_COLOURS_UP_TO else HIGHLIGHT
    brush = sweep.brush_spans(options.brush)
    if brush and set(sweep.runs_in_ranges(axes, data.runs, brush)) != chosen:
        brush = {}  # the selection changed since (sidebar, Runs page): the old brush no longer describes it
    labels = {rid: run_label(rid, options.run_labels, data.converged.get(rid), options.highlight_non_convergence)
              for rid in data.runs}
    order = [rid for rid in data.runs if rid not in chosen] + highlighted
    return drawing.Lines(axes, order, colors, highlighted, labels, brush)


def _parallel_title(data: SweepData, options: Options, lines: drawing.Lines) -> tuple[str | None, str | None]:
    title = options.title or None
    if options.title is True:
        title = f"{len(data.runs)} runs across {len(data.keys)} differing arguments"
    note = f"highlighted: {len(lines.highlighted)} selected run{'s' if len(lines.highlighted) != 1 else ''}"
    if lines.brush:
        note += " (the brushed ranges)"
    return title, note


# ---------------------------------------------------------------------------------------------------------- figures


def build(data: SweepData, options: Options | None = None):
    """Grid: a matplotlib figure. Parallel: the plotly Parcoords (a message figure when there is nothing to draw)."""
    options = options or Options()
    message = _nothing_to_draw(data, options)
    if message:
        return message_figure(message, options.figsize)
    if options.mode == "parallel":
        lines = lines_of(data, options)
        title, note = _parallel_title(data, options, lines)
        return drawing.draw_parallel(lines, options, title=title, note=note)
    grid = grid_of(data, options)
    value_label = _cell_label(data, options) + f" ({options.aggregate})"
    return drawing.draw_grid(grid, options, title=_grid_title(data, options, grid), value_label=value_label)


def build_static(data: SweepData, options: Options | None = None):
    """What PNG/PDF/SVG hold: the grid, or the parallel coordinates' matplotlib twin."""
    options = options or Options()
    message = _nothing_to_draw(data, options)
    if message or options.mode != "parallel":
        return build(data, options)
    lines = lines_of(data, options)
    title, note = _parallel_title(data, options, lines)
    return drawing.draw_parallel_static(lines, options, title=title, note=note)


def _nothing_to_draw(data: SweepData, options: Options) -> str | None:
    if not data.runs:
        reasons = "; ".join(f"{rid}: {why}" for rid, why in data.left_out.items())
        return "Nothing to draw: " + (f"no readable training_args ({reasons})" if reasons else
                                      "select runs on the Runs page or in the sidebar")
    if options.mode == "parallel" and not data.keys and not parse_metrics(options.axes_metrics):
        return "Nothing to draw: no argument differs between the runs and axes_metrics names no metric"
    return None


def formats(options: Options) -> tuple[str, ...]:
    return ("png", "pdf", "svg", "html") if options.mode == "parallel" else ("png", "pdf", "svg")


def export(data: SweepData, options: Options, fmt: str, *, dpi: int = 200) -> bytes:
    fmt = fmt.lower()
    if fmt == "html":
        figure = build(data, options)
        if hasattr(figure, "savefig"):  # nothing to draw: the message as an SVG page
            svg = figure_bytes(figure, "svg").decode("utf-8")
            return f"<!DOCTYPE html>\n<html><body>{svg[svg.find('<svg'):]}</body></html>\n".encode()
        return figure_bytes(figure, "html")
    return figure_bytes(build_static(data, options), fmt, dpi=dpi)


def table(data: SweepData, options: Options | None = None) -> pd.DataFrame:
    """Grid: one row per cell (argument values, run count, aggregated value, runs). Parallel: one row per run (its
    differing arguments as stored, its metrics, whether it is selected)."""
    import pandas as pd  # only the CSV download needs it

    options = options or Options()
    if _nothing_to_draw(data, options):
        return pd.DataFrame(columns=["run"])
    if options.mode == "parallel":
        wanted = parse_metrics(options.axes_metrics)
        rows = [{"run": rid, "selected": rid in set(data.selected),
                 **{key: value_text(data.args[rid].get(key)) for key in data.keys},
                 **{metric_label(m): data.metrics[rid].get(m) for m in wanted}} for rid in data.runs]
        return pd.DataFrame(rows)
    grid = grid_of(data, options)
    rows = []
    for (r, c), cell in sorted(grid.cells.items()):
        row = {grid.x.key: grid.x.labels[c]}
        if grid.y:
            row[grid.y.key] = grid.y.labels[r]
        row.update({"runs": cell.count, f"{options.cell} ({options.aggregate})": cell.value,
                    "run ids": " ".join(cell.runs)})
        rows.append(row)
    return pd.DataFrame(rows)


def choices(context: dict) -> dict[str, tuple]:
    """The differing arguments, the metrics and the runs of the folder (context: "catalog", "selection")."""
    catalog = context.get("catalog")
    base = {"mode": MODES, "aggregate": sweep.AGGREGATES}
    if catalog is None:
        return base
    ids = list(dict.fromkeys(listed_runs(catalog) + [r for r in context.get("selection") or () if r in catalog.runs]))
    facts = [f for f in facts_for(catalog, ids, decoder=True).values() if f.args is not None]
    keys = tuple(differing_keys(f.args for f in facts))
    return {**base, "x_arg": (None, *keys), "y_arg": (None, sweep.NO_AXIS, *keys),
            "cell": (*metric_names(facts), TOPK_OVERLAP), "reference": (None, *ids)}


def _brush_panel(data: SweepData, options: Options, key: str) -> None:
    """Under the parallel coordinates in the app: brushing an axis selects runs (Streamlit code lives in ui/)."""
    if options.mode == "parallel" and data.runs:
        from gradiend_st.ui.sweep_brush import render_brush_listener

        render_brush_listener(data, options, key=key)


VIEW = View(
    name="sweep",
    title="Sweep",
    nav_title="Sweep",
    icon=":material/tune:",
    blurb="Which training arguments differ between the runs and what each setting reached: a grid of one or two "
          "arguments, or parallel coordinates whose brushed axes select runs for the other views.",
    Options=Options,
    load=load,
    build=build,
    table=table,
    runs="selection",
    min_runs=0,  # parallel coordinates draw every run: brushing them down to none must stay possible
    needs=("training",),
    load_options=("mode", "cell", "axes_metrics", "reference", "topk", "part"),
    formats=formats,
    export=export,
    choices=choices,
    extra_panel=_brush_panel,
    gradiend=None,
    help=HELP,
)
