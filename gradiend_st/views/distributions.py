"""Encoder distributions (FORMAT.md §9.2): split violins of the encoded value per legend label, for one run.

Labels follow gradiend's steps 1-5 (class names, "A -> B" transitions, "Neutral: <variant>"), with the upstream
defects of FORMAT.md §10 item 4 fixed: halves are paired explicitly (the target pair side by side, neutral
variants together), `violin_order` and `colors` are honoured (violin and legend share a colour), the target pair
is highlighted for every training source, the x axis names the violins, and the legend sits outside the data.
What is shown is computed in `analysis.violins`; `figures.distributions` draws it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from gradiend_st.analysis import violins
from gradiend_st.analysis.convergence import Convergence, run_convergence
from gradiend_st.figures import distributions as drawing
from gradiend_st.figures.style import categorical_colors, message_figure, run_label
from gradiend_st.io.encoded import describe_key, read_encoded
from gradiend_st.io.errors import RunReadError
from gradiend_st.io.training import read_training
from gradiend_st.views.base import GradiendCall, View, ViewData

DEFAULT_SPLIT = "split_test"
SEED_FILE_NOTE = "this file belongs to the last evaluated seed, not necessarily the best"


@dataclass
class Options:
    split: str | None = None  # file key such as "split_test"; None: "split_test" if present, else the first
    target_and_neutral_only: bool = True
    class_label_mapping: dict | None = None  # {class id: name}, applied before the labels are built (gradiend)
    legend_name_mapping: dict | None = None  # {legend label: new name}; equal names merge
    legend_group_mapping: dict | None = None  # {group: [legend labels]}; members down-sampled to the smallest
    ignore_missing_legend_group_labels: bool = True  # group members this run lacks are left out (gradiend: raise)
    paired_legend_labels: list | None = None  # label i -> violin i // 2, left half if i is even; others not plotted
    violin_order: list | None = None  # violin names (or a half's label) in the wanted order
    colors: dict | None = None  # {legend label, display name or group: colour}
    cmap: str | None = None  # None: the studio default
    # None: right of the axes (few entries) or below; "outside <side> <align>"; or a matplotlib loc inside the axes
    legend_loc: str | None = None
    legend_ncol: int | None = None
    legend_bbox_to_anchor: list | None = None
    title: bool | str = True
    title_fontsize: float | None = None
    label_fontsize: float | None = None  # x tick labels (violin names)
    axis_label_fontsize: float | None = None
    legend_fontsize: float | None = None
    figsize: list | None = None
    include_neutral: bool = False  # multi-split tables: neutral rows in the neutral_data_split panel
    neutral_data_split: str = "test"
    split_plot_mode: str = "facet"  # multi-split tables: one panel per split ("overlay"/"dodge": removed aliases)
    highlight_non_convergence: bool = True
    run_labels: dict | None = None  # run id -> display label


@dataclass(kw_only=True)
class DistributionData(ViewData):
    frame: pd.DataFrame | None = None
    split: str | None = None  # the file key that was read
    splits: list[str] = field(default_factory=list)  # every file key of the run
    pair: tuple[str, ...] = ()
    source: str | None = None
    convergence: Convergence = field(default_factory=lambda: Convergence(None, "not read"))
    is_seed_selection_file: bool = False  # split_validation of a multi-seed run: the last evaluated seed's
    class_label_mapping: dict | None = None  # the options' when loaded: the labels the mapping grid lists


# ----------------------------------------------------------------------------------------------- loading


def load(catalog, run_ids: list[str], options: Options | None = None, progress=None,
         should_stop=None) -> DistributionData:
    """Read the chosen encoder CSV of the first run, its target pair and its training source (one read: nothing
    for `progress` to report or `should_stop` to stop).

    A run that cannot be drawn (not in the folder, no such split, an unreadable or unusable table) is left out with
    its reason; nothing raises for it.
    """
    options = options or Options()
    if not run_ids:
        return DistributionData()
    run_id = run_ids[0]
    try:
        run = catalog.get(run_id)
    except KeyError as exc:
        return DistributionData(left_out={run_id: str(exc.args[0]) if exc.args else str(exc)})
    files = run.encoded
    split = options.split or (DEFAULT_SPLIT if DEFAULT_SPLIT in files else next(iter(files), None))
    data = DistributionData(split=split, splits=list(files), pair=tuple(run.classes),
                            source=run.context.source if run.context else None,
                            class_label_mapping=options.class_label_mapping)
    data.convergence, training_source = _status_and_source(run)
    data.source = training_source or data.source or "factual"  # gradiend assumes factual when unknown
    data.is_seed_selection_file = split == "split_validation" and run.seed_report_path.is_file()
    if split not in files:
        available = ", ".join(files) or "none"
        data.left_out[run_id] = f"no encoded_values_{split}.csv (available: {available})" if split else \
            "no encoder evaluation file (encoded_values_<split>.csv)"
        return data
    try:
        data.frame = read_encoded(files[split])
    except RunReadError as exc:
        data.left_out[run_id] = catalog.error_text(exc)
        return data
    problem = _unusable(data.frame, files[split].name)
    if problem:
        data.left_out[run_id] = problem
        return data
    data.runs = [run_id]
    if data.is_seed_selection_file:
        data.warnings.append(f"encoded_values_{split}.csv: {SEED_FILE_NOTE}")
    return data


def _status_and_source(run) -> tuple[Convergence, str | None]:
    try:
        training = read_training(run.training_path) if run.training_path.is_file() else None
    except RunReadError:
        training = None
    return run_convergence(run, training), training.source if training else None


def _unusable(frame: pd.DataFrame, file_name: str) -> str | None:
    """Why a readable table gives no violins to compare, naming the file; None when it does."""
    if frame.empty:
        return f"{file_name}: the encoder table has no rows"
    if not (~frame["is_neutral"]).any():
        return f"{file_name}: the encoder table holds only neutral rows ({len(frame)}), no training rows to compare"
    return None


def legend_labels(data: DistributionData) -> list[str]:
    """The raw (step-3) legend labels of the loaded table in order of first appearance, training rows first."""
    return violins.raw_legend_labels(data.frame, data.class_label_mapping)


# ----------------------------------------------------------------------------------------------- figure and table


def prepare(data: DistributionData, options: Options) -> violins.Prepared:
    """Rows with their final labels, legend entries in order with their colours, violins in order."""
    splits = violins.Splits(options.include_neutral, options.neutral_data_split, options.split_plot_mode)
    prepared = violins.prepare(data.frame, data.pair, target_and_neutral_only=options.target_and_neutral_only,
                               legend_group_mapping=options.legend_group_mapping,
                               legend_name_mapping=options.legend_name_mapping,
                               paired_legend_labels=options.paired_legend_labels, violin_order=options.violin_order,
                               class_label_mapping=options.class_label_mapping,
                               ignore_missing_legend_group_labels=options.ignore_missing_legend_group_labels,
                               splits=splits)
    if not prepared.entries:
        raise ValueError("no rows left to draw with these options (target_and_neutral_only, paired_legend_labels)")
    palette = categorical_colors(len(prepared.entries), options.cmap)
    violins.color_entries(prepared.entries, options.colors, palette)
    return prepared


def build(data: DistributionData, options: Options | None = None):
    options = options or Options()
    if not data.runs:
        return message_figure("Nothing to draw: " + _reasons(data), options.figsize)
    prepared = prepare(data, options)
    notes = prepared.notes + ([SEED_FILE_NOTE] if data.is_seed_selection_file else [])
    return drawing.draw(prepared, options, title=title_text(data, options), notes=notes)


def _reasons(data: DistributionData) -> str:
    return "; ".join(f"{run_id}: {reason}" for run_id, reason in data.left_out.items()) or "no run selected"


def title_text(data: DistributionData, options: Options) -> str | None:
    if options.title is False or options.title is None:
        return None
    if isinstance(options.title, str):
        return options.title or None
    what = describe_key(data.split) if data.split else "encoded values"
    label = run_label(data.runs[0], options.run_labels, data.convergence.converged, options.highlight_non_convergence)
    return f"{label} \u2014 encoded values ({what})"


def table(data: DistributionData, options: Options | None = None) -> pd.DataFrame:
    """One row per drawn half (and split panel): its legend label, position, colour and the row statistics."""
    options = options or Options()
    if not data.runs:
        return pd.DataFrame(columns=violins.SUMMARY_COLUMNS)
    return violins.summary(prepare(data, options), data.split)


def choices(context: dict) -> dict[str, tuple]:
    return {"split": (None, *context.get("splits", ())), "split_plot_mode": violins.SPLIT_PLOT_MODES,
            "neutral_data_split": ("test", "validation", "train")}


HELP = {
    "split": "Studio: which encoder table of the run (encoded_values_<split>.csv) is drawn; gradiend takes the "
             "table as encoder_df.",
    "target_and_neutral_only": "Keep the target pair's rows and neutral rows (gradiend's rule: transitions of the pair "
                               "in a one-split table, the pair's classes in a multi-split one).",
    "class_label_mapping": "{class id: name} applied before the labels are built, as gradiend: 'he -> she' becomes "
                           "'He -> She', and groups, order and names then use the new labels. JSON, e.g. "
                           '{"he": "He"}. The label grid renames after grouping and is usually what you want.',
    "ignore_missing_legend_group_labels": "On: group members this run does not have are left out. gradiend's default "
                                          "(off) raises; the studio's groups are shared by all runs, so it is on.",
    "paired_legend_labels": "Label i goes to violin i // 2 (left if i is even); labels not listed are not plotted, "
                            "as in gradiend (unless the run has none of them). Set by the order column of the grid.",
    "violin_order": "Violin names (or a half's label) in the wanted order; the rest follow. gradiend 0.2.3 ignores "
                    "it (dead code); the studio honours it. Comma-separated or a JSON list.",
    "colors": "gradiend colours only the legend patches with it; the studio colours the violin half too.",
    "cmap": "Empty: the studio's tab10 (gradiend's default: tab20). Continuous maps are sampled end to end.",
    "legend_loc": "Empty: outside the axes (right, or below with many entries), never over the violins (gradiend: "
                  "'best' inside). 'outside …' values are the studio's; other values place it inside, as gradiend.",
    "label_fontsize": "Font size of the x tick labels (the violin names; gradiend draws none).",
    "include_neutral": "Multi-split tables only (as gradiend): show the neutral rows, in the neutral_data_split panel.",
    "neutral_data_split": "The panel the neutral rows go to with include_neutral (gradiend's default: test).",
    "split_plot_mode": "Multi-split tables: facet, one panel per data split (overlay and dodge are gradiend's "
                       "removed aliases of facet). The studio keeps the split violins, labels and colours in every "
                       "panel (gradiend's facet plot drops them).",
    "title": "automatic: '<run> — encoded values (split)'. gradiend: the run id.",
    "run_labels": "Studio: the run's display name in the title (runs grid).",
}


VIEW = View(
    name="distributions",
    title="Encoder distributions",
    nav_title="Distributions",
    icon=":material/align_vertical_center:",
    blurb="Split violins of the encoded values per class and neutral data (encoded_values_*.csv).",
    Options=Options,
    load=load,
    build=build,
    table=table,
    runs="one",
    needs=("encoded",),
    load_options=("split", "class_label_mapping"),
    legend_labels=legend_labels,
    choices=choices,
    help=HELP,
    gradiend=GradiendCall("plot_encoder_distributions", "run", studio_only=frozenset({"run_labels", "split"}),
                          defaults={"cmap": "tab20", "legend_loc": "best", "ignore_missing_legend_group_labels": False}),
)
