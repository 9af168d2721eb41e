"""Training convergence (FORMAT.md §9.1): mean encoded value per class and correlation over training steps.

One run is drawn as GRADIEND draws it (one colour per class). Several runs are overlaid (colour = run, line
style = label) or faceted (one column per run). A multi-seed run can be drawn as the median over its seeds with a
band. The interactive mode draws the same curves as an Altair chart. Curves are computed in
`analysis.convergence_curves`; `figures.convergence` and `figures.convergence_interactive` draw them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from gradiend_st.analysis import convergence_curves as cc
from gradiend_st.analysis.convergence import run_convergence
from gradiend_st.analysis.convergence_curves import RunCurves
from gradiend_st.figures import convergence as drawing
from gradiend_st.figures.style import message_figure
from gradiend_st.io.errors import RunReadError
from gradiend_st.io.training import read_training
from gradiend_st.views.base import GradiendCall, View, ViewData

EXPORT_FORMATS = ("png", "pdf", "svg")
INTERACTIVE_FORMATS = ("png", "pdf", "svg", "html")
MODES = ("single", "overlay", "facet", "interactive")


@dataclass
class Options:
    plot_mean_by_class: bool = True
    plot_mean_by_feature_class: bool | None = None  # None: shown unless it repeats the class panel
    plot_correlation: bool = True
    class_spread: str | None = None  # "minmax" | "iqr" | "ci95"
    best_step: bool = True
    label_name_mapping: dict | None = None
    title: bool | str = True
    figsize: list | None = None
    legend_ncol: int | None = None
    # None: right of the axes; "outside <side> <align>"; or a matplotlib loc inside the axes (as gradiend)
    legend_loc: str | None = None
    legend_bbox_to_anchor: list | None = None
    highlight_non_convergence: bool = True
    run_labels: dict | None = None  # run id -> display label
    mode: str = "single"  # "single" | "overlay" | "facet" | "interactive"; "single" with several runs overlays them
    seed_band: str | None = None  # "minmax" | "iqr": multi-seed runs as the median over seeds with a band
    colors: dict | None = None  # class label or display name -> colour (single and facet modes)
    run_colors: dict | None = None  # run id -> colour (overlay and interactive modes)
    line_styles: bool = False  # classes differ by dash pattern too (the mapping's greyscale palette turns it on)


@dataclass(kw_only=True)
class ConvergenceData(ViewData):
    curves: list[RunCurves] = field(default_factory=list)  # one per drawn run, in `runs` order


# ----------------------------------------------------------------------------------------------- loading


def load(catalog, run_ids: list[str], options: Options | None = None, progress=None,
         should_stop=None) -> ConvergenceData:
    """Read training.json of every run (+ seed_report.json and the seeds' training.json of multi-seed runs).

    Reads are small: nothing for `progress` to report or `should_stop` to stop. An unreadable or missing run is
    left out with its reason; the others are drawn.
    """
    data = ConvergenceData()
    for run_id in run_ids:
        try:
            curves, skipped = _load_run(catalog, run_id)
        except RunReadError as exc:
            data.left_out[run_id] = catalog.error_text(exc)
            continue
        except KeyError as exc:
            data.left_out[run_id] = str(exc.args[0]) if exc.args else str(exc)
            continue
        data.curves.append(curves)
        data.runs.append(run_id)
        data.warnings += [f"{run_id}: {reason} (seed left out of the band)" for reason in skipped]
    return data


def _load_run(catalog, run_id: str) -> tuple[RunCurves, list[str]]:
    """The run's curves, and the reasons of seeds whose training.json could not be read."""
    run = catalog.get(run_id)
    if not run.training_path.is_file():
        raise RunReadError(run.training_path, "file not found (the run has not finished training?)")
    training = read_training(run.training_path)
    seed_ids, seed_logs, skipped = [], [], []
    if run.kind == "run":
        for seed_folder in _seed_folders(run.folder):
            try:
                seed_logs.append(read_training(seed_folder / "training.json"))
                seed_ids.append(f"{run_id}/seeds/{seed_folder.name}")
            except RunReadError as exc:
                skipped.append(catalog.error_text(exc))  # one unreadable seed must not hide the run
    return RunCurves(run_id, training, run_convergence(run, training), seed_ids, seed_logs), skipped


def _seed_folders(run_folder: Path) -> list[Path]:
    # Seeds that were not kept lose their weights but keep training.json: read the folders, not the catalog.
    folders = [p.parent for p in (run_folder / "seeds").glob("seed_*/training.json")
               if re.fullmatch(r"seed_\d+", p.parent.name)]
    return sorted(folders, key=lambda p: int(p.name.split("_")[1]))


# ----------------------------------------------------------------------------------------------- figure


def build(data: ConvergenceData, options: Options | None = None):
    """A matplotlib Figure; in interactive mode an Altair chart (the browser draws it, vl-convert exports it)."""
    options = options or Options()
    check(options)
    panels = drawing.option_panels(data.curves, options) if data.curves else []
    if not panels:
        if data.curves:
            reason = "training.json holds no curves to draw"
        else:
            reason = "; ".join(f"{run_id}: {why}" for run_id, why in data.left_out.items()) or "no run selected"
        return message_figure(f"Nothing to draw: {reason}", options.figsize)
    if options.mode == "interactive":
        from gradiend_st.figures import convergence_interactive  # altair costs ~0.4 s to import: only when used

        return convergence_interactive.draw(data.curves, options)
    return drawing.draw(data.curves, options, left_out=data.left_out)


def check(options: Options) -> None:
    """Options no figure can be drawn with raise ValueError (the page says so)."""
    if options.class_spread not in (None, *cc.SPREAD_SUFFIX):
        raise ValueError(f"class_spread must be one of minmax, iqr, ci95 or None, not {options.class_spread!r}")
    if options.seed_band not in (None, *cc.SEED_BAND_TEXT):
        raise ValueError(f"seed_band must be minmax, iqr or None, not {options.seed_band!r}")
    if options.mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {options.mode!r}")


# ----------------------------------------------------------------------------------------------- table and files


def table(data: ConvergenceData, options: Options | None = None) -> pd.DataFrame:
    """Long format: one row per (run, panel, series, stat, step). Seeds appear as their own runs."""
    options = options or Options()
    return cc.curve_table(data.curves, options.label_name_mapping)


def export_formats(options: Options) -> tuple[str, ...]:
    """What a download can be: the interactive chart also saves as a standalone HTML page."""
    return INTERACTIVE_FORMATS if options.mode == "interactive" else EXPORT_FORMATS


def export(data: ConvergenceData, options: Options, fmt: str, *, dpi: int = 200) -> bytes:
    """The figure `build` draws, as file bytes."""
    from gradiend_st.figures.export import figure_bytes

    fmt = fmt.lower()
    if fmt not in export_formats(options):
        raise ValueError(f"the convergence view in {options.mode} mode exports {', '.join(export_formats(options))}, "
                         f"not {fmt}")
    figure = build(data, options)
    if isinstance(figure, Figure):  # matplotlib modes, and the message when there is nothing to draw
        return figure_bytes(figure, fmt, dpi=dpi)
    from gradiend_st.figures import convergence_interactive

    return convergence_interactive.to_bytes(figure, fmt, dpi=dpi)


def choices(context: dict) -> dict[str, tuple]:
    return {"mode": MODES, "class_spread": (None, "minmax", "iqr", "ci95"), "seed_band": (None, "minmax", "iqr"),
            "plot_mean_by_feature_class": (None, True, False)}


HELP = {
    "plot_mean_by_feature_class": "automatic: shown unless it repeats the class panel (gradiend's None).",
    "title": "automatic: the run's name (with † when it did not converge). gradiend, given a model_path: "
             "'Training convergence'.",
    "figsize": "Width, height in inches. Empty: 6 in wide, 1.5 in (2 in with 6+ series) per panel, as gradiend; "
               "wider for several runs.",
    "legend_loc": "Empty: one legend right of the panels (gradiend: 'best' in each panel, or a figure legend at "
                  "'center left' from 6 series). 'outside …' values are the studio's; other values place it inside.",
    "legend_bbox_to_anchor": "x, y of the legend's loc point (in the last panel's axes), as gradiend's for its "
                             "figure legend.",
    "mode": "Studio option: single (gradiend's figure), overlay or facet to compare runs, interactive (Altair).",
    "seed_band": "Studio option: multi-seed runs as the median over their seeds with a min-max or IQR band.",
    "colors": "Studio option: class -> colour (label grid); gradiend uses matplotlib's colour cycle.",
    "run_colors": "Studio option: run -> colour in overlay/interactive modes (runs grid).",
    "run_labels": "Studio option: run names in titles and legends (runs grid).",
}


VIEW = View(
    name="convergence",
    title="Training convergence",
    nav_title="Convergence",
    icon=":material/show_chart:",
    blurb="Mean encoded value per class and correlation over training steps (training.json). "
          "Set mode to overlay or facet to compare the selected runs.",
    Options=Options,
    load=load,
    build=build,
    table=table,
    runs="one_or_selection",
    min_runs=1,
    needs=("training",),
    load_options=(),
    formats=export_formats,
    export=export,
    choices=choices,
    live=True,
    runs_coloured=lambda options: options.mode in ("overlay", "interactive"),  # colour = run, dash = label
    help=HELP,
    gradiend=GradiendCall("plot_training_convergence", "run",
                          studio_only=frozenset({"run_labels", "run_colors", "mode", "seed_band", "colors",
                                                      "line_styles"})),
)
