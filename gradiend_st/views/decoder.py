"""Decoder evaluation (FORMAT.md §8): which rewrite of the base model GRADIEND selects, and what it does.

`plot` picks the figure:
- "probability_shifts": gradiend's `plot_probability_shifts` for one class (every parameter of it is an option), with
  the upstream defects fixed (see `figures/decoder.py`);
- "grid": the feature factor x learning rate grid coloured by any metric, cells below the LMS threshold greyed, the
  selected cells outlined;
- "rewrite": the selected rewrite(s) as dataset x class ΔP = P(selected) − P(base);
- "runs": the selected runs compared, one point per run and class (ΔP of the target class against LMS / base LMS).
The selection is gradiend's (`analysis.decoder`: `policy` "threshold" = `LMSThresholdPolicy(ratio)`, "product" =
`LMSTimesMetricPolicy()`), recomputed from `decoder_grid_cache.json`; nothing else of the run is read but
`gradiend_context.json` and `training.json` (feature factor per class, source, † marker).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd
from matplotlib.figure import Figure

from gradiend_st.analysis import decoder_panels as panels
from gradiend_st.analysis.decoder import POLICIES, WEAKEN, Selection
from gradiend_st.analysis.decoder_runs import RunDecoder, read_run_decoder, run_points
from gradiend_st.figures import decoder as drawing
from gradiend_st.figures.style import categorical_colors, message_figure, run_label
from gradiend_st.io.errors import RunReadError
from gradiend_st.views.base import GradiendCall, View, ViewData

PLOTS = ("probability_shifts", "grid", "rewrite", "runs")


@dataclass
class Options:
    plot: str = "probability_shifts"  # studio: which figure ("probability_shifts" | "grid" | "rewrite" | "runs")
    target_class: str | None = None  # None: the first target class (gradiend's default)
    increase_target_probabilities: bool = True  # False: the "<class>_weaken" selection
    class_ids: list | None = None  # classes drawn as curves; None: every class of the grid
    policy: str = "threshold"  # "threshold": LMSThresholdPolicy(ratio) | "product": LMSTimesMetricPolicy()
    ratio: float = 0.99  # LMSThresholdPolicy's ratio; also the threshold the grid greys cells below
    metric: str | None = None  # grid colour: a gradiend metric ("he", "he_factual", "he_weaken", custom), "lms",
    #                            "lms.<field>"; None: the target class's selection metric
    cmap: str = "viridis"  # grid colours (ΔP always uses a diverging map centred at 0)
    annot: bool = True  # numbers in the grid and ΔP cells
    title: bool | str = True
    figsize: list | None = None
    highlight_non_convergence: bool = True
    label_name_mapping: dict | None = None  # class -> display name (the class grid)
    colors: dict | None = None  # class -> colour (the class grid)
    run_labels: dict | None = None  # run id -> display label
    run_colors: dict | None = None  # run id -> colour (several runs)
    line_styles: bool = False  # classes differ by dash pattern too (the mapping's greyscale palette turns it on)

    @property
    def mode(self) -> str:
        """How many runs the figure draws (`View.multi_run` reads it): the selection for "runs", else one run."""
        return "runs" if self.plot == "runs" else "single"


@dataclass(kw_only=True)
class DecoderData(ViewData):
    decoders: dict[str, RunDecoder] = field(default_factory=dict)  # run id -> its grid and class facts


# ----------------------------------------------------------------------------------------------- loading


def load(catalog, run_ids: list[str], options: Options | None = None, progress=None,
         should_stop=None) -> DecoderData:
    """Each run's grid, checked with gradiend's default selection (small files: nothing to report or stop).

    A grid that cannot be read or selected from is left out with its one-line reason; runs of a selection that have
    no decoder evaluation at all are named in one warning (a single run without one is left out)."""
    data = DecoderData()
    without = []
    for run_id in run_ids:
        run = catalog.runs.get(run_id)
        if run is None:
            data.left_out[run_id] = f"not in {catalog.root.name}"
            continue
        if len(run_ids) > 1 and not run.decoder_grid_path.is_file():
            without.append(run_id)
            continue
        try:
            decoder = read_run_decoder(run)
            decoder.selections()  # a grid gradiend could not select from is a problem of the file
        except RunReadError as exc:
            data.left_out[run_id] = catalog.error_text(exc)
            continue
        data.decoders[run_id] = decoder
        data.runs.append(run_id)
        data.warnings += decoder.warnings
    if without:
        data.warnings.append(f"No decoder evaluation (decoder_grid_cache.json) in {', '.join(without)}: not drawn")
    return data


# ----------------------------------------------------------------------------------------------- figure


def build(data: DecoderData, options: Options | None = None) -> Figure:
    options = options or Options()
    check(options)
    if not data.runs:
        reason = "; ".join(f"{rid}: {why}" for rid, why in data.left_out.items()) or "no run with a decoder grid"
        return message_figure(f"Nothing to draw: {reason}", options.figsize)
    if options.plot == "runs":
        return _build_runs(data, options)
    decoder = data.decoders[data.runs[0]]
    if options.plot == "grid":
        return _build_grid(decoder, options)
    if options.plot == "rewrite":
        return _build_rewrite(decoder, options)
    return _build_shifts(decoder, options)


def check(options: Options) -> None:
    if options.plot not in PLOTS:
        raise ValueError(f"plot must be one of {', '.join(PLOTS)}, not {options.plot!r}")
    if options.policy not in POLICIES:
        raise ValueError(f"policy must be one of {', '.join(POLICIES)}, not {options.policy!r}")
    if not (isinstance(options.ratio, (int, float)) and math.isfinite(options.ratio)):
        raise ValueError(f"ratio must be a number, not {options.ratio!r}")


def _build_shifts(decoder: RunDecoder, options: Options) -> Figure:
    shifts = _shifts(decoder, options)
    look = _look(options, _title(options, decoder, f"probability shifts, {_direction(shifts.metric)} "
                                                   f"{_name(options, shifts.target_class)} (feature factor "
                                                   f"{shifts.feature_factor:+g})"))
    return drawing.draw_shifts(shifts, look, selected_text=_selected_text(options, shifts.selection, shifts.classes),
                               threshold_text=_threshold_text(options),
                               metric_text=_metric_text(options, shifts.metric, shifts.classes, short=True))


def _shifts(decoder: RunDecoder, options: Options) -> panels.Shifts:
    return panels.shifts(decoder, options.target_class,
                         increase_target_probabilities=options.increase_target_probabilities,
                         class_ids=options.class_ids, policy=options.policy, ratio=options.ratio)


def _build_grid(decoder: RunDecoder, options: Options) -> Figure:
    matrix = _grid(decoder, options)
    rows = [f"{ff:+g}" + (f" (strengthens {', '.join(_name(options, c) for c in classes)})" if classes else "")
            for ff, classes in zip(matrix.feature_factors, matrix.row_classes, strict=True)]
    selections = _grid_selections(decoder, options)
    classes = panels.grid_classes(decoder)
    labels = {m: f"selected for {_metric_text(options, m, classes, short=True)}: lr {s.learning_rate:g}"
              for m, s in selections.items()}
    text = _metric_text(options, matrix.metric, classes)
    look = _look(options, _title(options, decoder, f"{text} by feature factor and learning rate"))
    return drawing.draw_grid(matrix, look, metric_label=text, row_labels=rows,
                             selected_labels=labels,
                             grey_text=f"LMS < {options.ratio:g} × base LMS", legend_title=_policy_text(options))


def _metrics(decoder: RunDecoder, options: Options) -> list[str]:
    """The selections a figure shows: the target class's, else every class the grid was evaluated for (their
    "<class>_weaken" selections with increase_target_probabilities False)."""
    classes = [options.target_class] if options.target_class else decoder.metrics()
    return [panels.summary_key(c, options.increase_target_probabilities) for c in classes]


def _grid_selections(decoder: RunDecoder, options: Options) -> dict[str, Selection]:
    """The selections outlined in the grid: every class's, and the target class's."""
    target = panels.summary_key(panels.target_of(decoder, options.target_class), options.increase_target_probabilities)
    metrics = list(dict.fromkeys([*_metrics(decoder, options), target]))
    return decoder.selections(options.policy, options.ratio, metrics)


def _grid(decoder: RunDecoder, options: Options) -> panels.GridMatrix:
    target = panels.summary_key(panels.target_of(decoder, options.target_class), options.increase_target_probabilities)
    return panels.grid_matrix(decoder, options.metric or target, _grid_selections(decoder, options),
                              ratio=options.ratio)


def _rewrites(decoder: RunDecoder, options: Options) -> list[panels.Rewrite]:
    """One rewrite per class, or only the target class's when `target_class` is set."""
    selections = decoder.selections(options.policy, options.ratio, _metrics(decoder, options))
    return [panels.rewrite(decoder, s) for s in selections.values()]


def _build_rewrite(decoder: RunDecoder, options: Options) -> Figure:
    rewrites = _rewrites(decoder, options)
    titles = [f"{_direction(r.selection.metric)} {_name(options, r.selection.metric.removesuffix(WEAKEN))}: "
              f"ff {r.selection.feature_factor:+g}, lr {r.selection.learning_rate:g}\n"
              f"LMS {r.selection.lms:.3f} = {r.selection.lms_ratio:.2f} × base" for r in rewrites]
    look = _look(options, _title(options, decoder, f"ΔP of the selected rewrite{'s' if len(rewrites) > 1 else ''} "
                                                   f"({_policy_text(options)})"))
    return drawing.draw_rewrites(rewrites, look, panel_titles=titles)


def _points(data: DecoderData, options: Options) -> list:
    points = []
    for run_id in data.runs:
        decoder = data.decoders[run_id]
        if options.target_class and options.target_class not in panels.grid_classes(decoder):
            continue  # a run without the class has no point for it
        points += run_points(decoder, options.policy, options.ratio, _metrics(decoder, options))
    return points


def _build_runs(data: DecoderData, options: Options) -> Figure:
    points = _points(data, options)
    if not points:
        return message_figure(f"Nothing to draw: no selected run has the class '{options.target_class}'",
                              options.figsize)
    names = {rid: _run_name(data, rid, options) for rid in data.runs}
    fallback = dict(zip(data.runs, categorical_colors(len(data.runs)), strict=True))
    colors = {rid: (options.run_colors or {}).get(rid) or fallback[rid] for rid in data.runs}
    title = options.title if isinstance(options.title, str) else (
        f"Selected rewrites of {len(data.runs)} run{'s' if len(data.runs) > 1 else ''} ({_policy_text(options)})"
        if options.title else None)
    return drawing.draw_runs(points, _look(options, title), run_names=names, run_colors=colors,
                             threshold=options.ratio if options.policy == "threshold" else None,
                             threshold_text=_threshold_text(options),
                             ylabel="ΔP of the target class = P(selected) − P(base)" if options.increase_target_probabilities
                             else "Δ(1 − P) of the target class on its own rows")


# ----------------------------------------------------------------------------------------------- texts and colours


def _look(options: Options, title: str | None) -> drawing.Look:
    return drawing.Look(name=lambda c: _name(options, c), color=_class_colors(options), title=title,
                        figsize=tuple(options.figsize) if options.figsize else None, annot=options.annot,
                        cmap=options.cmap, line_styles=options.line_styles)


def _name(options: Options, cls: str) -> str:
    return (options.label_name_mapping or {}).get(cls) or cls


def _class_colors(options: Options):
    """Class -> colour: the mapping's (by label or display name), else tab10 in order of first use."""
    given, fallback = options.colors or {}, {}

    def color(cls: str) -> str:
        found = given.get(cls) or given.get(_name(options, cls))
        if found:
            return found
        if cls not in fallback:
            fallback[cls] = categorical_colors(len(fallback) + 1)[-1]
        return fallback[cls]

    return color


def _run_name(data: DecoderData, run_id: str, options: Options) -> str:
    return run_label(run_id, options.run_labels, data.decoders[run_id].converged, options.highlight_non_convergence)


def _title(options: Options, decoder: RunDecoder, what: str) -> str | None:
    if isinstance(options.title, str):
        return options.title
    if not options.title:
        return None
    name = run_label(decoder.run_id, options.run_labels, decoder.converged, options.highlight_non_convergence)
    return f"{name}: {what}"


def _direction(metric: str) -> str:
    return "weaken" if metric.endswith(WEAKEN) else "strengthen"


def _metric_text(options: Options, metric: str, classes, *, short: bool = False) -> str:
    """A metric in words: "P(he) on the other class's rows" (short: "P(he)"); `classes` are the grid's classes."""
    if metric == "lms":
        return "LMS"
    if metric.startswith("lms."):
        return f"LMS {metric[4:]}"
    for suffix, text in (("_factual", "P({}) on its own rows"), (WEAKEN, "1 − P({}) on its own rows")):
        cls = metric.removesuffix(suffix)
        if metric.endswith(suffix) and cls in classes:
            return text.format(_name(options, cls)).split(" on ")[0] if short else text.format(_name(options, cls))
    if metric in classes:
        return f"P({_name(options, metric)})" + ("" if short else " on the other class's rows")
    return metric


def _policy_text(options: Options) -> str:
    return f"LMSThresholdPolicy(ratio={options.ratio:g})" if options.policy == "threshold" else "LMSTimesMetricPolicy()"


def _threshold_text(options: Options) -> str:
    return f"LMS threshold: {options.ratio:g} × base LMS"


def _selected_text(options: Options, selection: Selection | None, classes) -> str:
    if selection is None or selection.entry is None:
        return "selected"
    why = " (no cell passes the LMS threshold: smallest learning rate)" if selection.fallback else ""
    return (f"selected by {_policy_text(options)}:\nlr {selection.learning_rate:g}, "
            f"{_metric_text(options, selection.metric, classes, short=True)} = {selection.value:.3f}, "
            f"LMS {selection.lms:.3f}{why}")


# ----------------------------------------------------------------------------------------------- table


def table(data: DecoderData, options: Options | None = None) -> pd.DataFrame:
    """The numbers of the figure on screen (long format)."""
    options = options or Options()
    check(options)
    if not data.runs:
        return pd.DataFrame()
    if options.plot == "runs":
        return pd.DataFrame([_selection_row(p.run_id, p.selection) | {"delta": p.delta, "lms_ratio": p.lms_ratio}
                             for p in _points(data, options)])
    decoder = data.decoders[data.runs[0]]
    if options.plot == "grid":
        matrix = _grid(decoder, options)
        return pd.DataFrame([{"run": decoder.run_id, "feature_factor": ff, "learning_rate": lr, "metric": matrix.metric,
                              "value": matrix.values[r, c], "passes_lms_threshold": bool(matrix.passing[r, c])}
                             for r, ff in enumerate(matrix.feature_factors) for c, lr in enumerate(matrix.lrs)])
    if options.plot == "rewrite":
        return pd.DataFrame([_selection_row(decoder.run_id, r.selection) | {"dataset": d, "class": cls,
                                                                             "delta_p": r.delta[i, j]}
                             for r in _rewrites(decoder, options) for i, d in enumerate(r.datasets)
                             for j, cls in enumerate(r.classes)])
    shifts = _shifts(decoder, options)
    rows = [{"panel": "LMS", "class": "", "learning_rate": lr, "value": v}
            for lr, v in [(None, shifts.base_lms), *zip(shifts.lrs, shifts.lms, strict=True)]]
    for d in shifts.datasets:
        for cls in shifts.classes:
            values = [(None, shifts.base_probs[d][cls]), *zip(shifts.lrs, shifts.probs[d][cls], strict=True)]
            rows += [{"panel": f"dataset {d}", "class": cls, "learning_rate": lr, "value": v} for lr, v in values]
    frame = pd.DataFrame(rows)
    frame.insert(0, "feature_factor", shifts.feature_factor)
    frame.insert(0, "run", decoder.run_id)
    frame["learning_rate"] = frame["learning_rate"].astype("Float64")  # the base model: no learning rate
    return frame


def _selection_row(run_id: str, selection: Selection) -> dict:
    return {"run": run_id, "metric": selection.metric, **selection.summary(), "base_lms": selection.base_lms,
            "base_value": selection.base_value}


def legend_labels(data: DecoderData) -> list[str]:
    """The classes of the drawn grids, for the class grid (names and colours)."""
    return list(dict.fromkeys(c for d in data.decoders.values() for c in panels.grid_classes(d)))


def choices(_context: dict) -> dict[str, tuple]:
    return {"plot": PLOTS, "policy": POLICIES}


VIEW = View(
    name="decoder",
    title="Decoder evaluation",
    nav_title="Decoder",
    icon=":material/tune:",
    blurb="Which rewrite of the base model GRADIEND selects (feature factor × learning rate, LMS kept) and how it "
          "moves the class probabilities. Set plot to runs to compare the selected runs.",
    Options=Options,
    load=load,
    build=build,
    table=table,
    runs="one_or_selection",
    min_runs=1,
    needs=("decoder",),
    load_options=(),
    legend_labels=legend_labels,
    choices=choices,
    gradiend=GradiendCall("plot_probability_shifts", "run",
                          # policy/ratio are evaluate_decoder(selector=...)'s; the other figures are the studio's own
                          studio_only=frozenset({"plot", "policy", "ratio", "metric", "cmap", "annot", "title",
                                                 "label_name_mapping", "colors", "run_labels", "run_colors",
                                                 "line_styles"})),
)
