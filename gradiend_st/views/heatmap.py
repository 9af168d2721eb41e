"""Top-k overlap heatmap (FORMAT.md §9.4): how many of the top-k base-model weights two runs share.

`load` does the expensive part (top-k of every run, convergence markers); `build` only orders and draws, so renaming
a run or changing the colour scale re-renders at once. Differences from upstream (§10 items 2, 6, 11): raw counts by
default, the figure is sized by the number of runs, clustering stays within `pretty_groups`, and the † marker comes
from each run's training.json / seed_report.json.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from gradiend_st.analysis import seed_groups
from gradiend_st.analysis.ordering import Groups, ordered_groups, reorder
from gradiend_st.analysis.overlap import VALUES
from gradiend_st.analysis.seed_groups import Cells
from gradiend_st.analysis.topk import topk_text
from gradiend_st.figures import heatmap as drawing
from gradiend_st.figures.style import message_figure, run_label
from gradiend_st.views.base import GradiendCall, View
from gradiend_st.views.topk_overlap import TopKData, compare_groups, group_fields, nothing_to_draw

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from gradiend_st.io.discover import Catalog


@dataclass
class Options:
    topk: int | float = 1000
    part: str = "decoder-weight"
    value: str = "intersection"  # "intersection" (raw counts) | "intersection_frac" (count / smaller k)
    percentages: bool = False  # show 100 * count / min(k_i, k_j), as gradiend's heatmap does by default
    order: str | list[str] = "input"  # "input" | "name" | explicit list of run ids
    cluster: bool = False  # greedy chain by raw counts, within each pretty group
    annot: bool | str = "auto"  # "auto": numbers in cells for up to 1600 cells (40 runs)
    annot_fmt: str | None = None  # counts ".0f", fractions ".2f", percentages ".0f"
    fmt: str | None = None  # deprecated alias of annot_fmt (as in gradiend 0.2.3)
    figsize: tuple[float, float] | list[float] | None = None
    cmap: str = "viridis"
    vmin: float | None = None
    vmax: float | None = None
    scale: str = "linear"  # "linear" | "log" | "sqrt" | "power"
    scale_gamma: float | None = None  # exponent for scale="power"
    pretty_groups: dict[str, list[str]] | None = None  # {group name: [run ids]}; runs not listed go to "Other"
    annot_fontsize: float | None = None
    tick_label_fontsize: float | None = None
    axis_label_fontsize: float | None = None  # gradiend: x/y axis titles, which the top-k heatmap has none of
    group_label_fontsize: float | None = None
    group_label_rotation_top: float = 0.0  # degrees added to the group names above the columns
    group_label_rotation_right: float = 0.0  # degrees added to the group names right of the rows
    cbar_pad: float | None = None  # gap between the matrix (or group strip) and the colour bar, in matrix widths
    cbar_y_pad: float | None = None  # moves the colour bar up (down if negative), in matrix heights
    cbar_fontsize: float | None = None  # colour bar ticks and caption
    cbar_shrink: float | None = None  # colour bar length in matrix heights (None: 0.75)
    title: bool | str = True
    row_metric: str | dict | None = None  # "correlation": each run's best correlation (training.json); or {id: value}
    row_metric_label: str | None = "corr"
    row_metric_cmap: str = "magma"
    row_metric_vmin: float | None = None
    row_metric_vmax: float | None = None
    row_label_mapping: dict[str, str] | None = None  # run id -> row label (filled from the runs grid)
    column_label_mapping: dict[str, str] | None = None  # run id -> column label (filled from the runs grid)
    highlight_non_convergence: bool = True
    seed_groups: bool = False  # multi-seed runs as the group of their seed checkpoints (gradiend: a list of models)
    seed_aggregate: str = "mean"  # "mean" | "median" | "min" | "max" over a cell's seed pairs
    dispersion: str = "none"  # "none" | "std" | "range" | "minmax" of a cell's seed pairs
    seed_pairing_mode: str = "matched"  # "matched": k-th seed with k-th seed | "all_pairs"
    dispersion_display: str = "none"  # "none" | "stacked" (second line) | "corner_glyph" (circle)


@dataclass(kw_only=True)
class HeatmapData(TopKData):
    counts: np.ndarray  # |S_i ∩ S_j| in `runs` order (diagonal = k_i); with seed groups, of each run's first seed
    # With seed groups: the member checkpoints' counts and sizes, in `member_ids` order (None: one member per run)
    member_ids: list[str] | None = None
    member_counts: np.ndarray | None = None
    member_sizes: list[int] | None = None
    same_sign: np.ndarray | None = None  # value "same_sign": share of each pair's shared weights moving alike (NaN: undefined)


SAME_SIGN = "same_sign"  # a studio value: sign agreement of the shared top-k decoder weights (analysis.sign_agreement)


def load(catalog: Catalog, run_ids: list[str], options: Options,
         progress: Callable[[int, int, str], None] | None = None,
         should_stop: Callable[[], bool] | None = None) -> HeatmapData:
    found = compare_groups(catalog, run_ids, options, options.seed_groups, progress, should_stop)
    fields = group_fields(catalog, found)
    comparison = found.comparison
    first = [comparison.runs.index(found.groups[rid][0]) for rid in fields["runs"]]
    counts = comparison.counts[np.ix_(first, first)]
    if options.value == SAME_SIGN:  # each run's first checkpoint, as the counts
        from gradiend_st.analysis.sign_agreement import sign_agreement_matrix  # reads decoder weights: only when asked

        shares, unreadable = sign_agreement_matrix(catalog, comparison)
        fields["warnings"] = [*fields.get("warnings", []), *(f"sign agreement: {rid}: {why}" for rid, why in
                                                             unreadable.items())]
        return HeatmapData(**fields, counts=counts, same_sign=shares[np.ix_(first, first)])
    if not any(len(members) > 1 for members in found.groups.values()):
        return HeatmapData(**fields, counts=counts)
    return HeatmapData(**fields, counts=counts, member_ids=list(comparison.runs), member_counts=comparison.counts,
                       member_sizes=list(comparison.sizes))


def cells(data: HeatmapData, options: Options, value: str | None = None, percentages: bool | None = None) -> Cells:
    """Each cell's number in `data.runs` order (and, for seed groups, its pairs and dispersion), as `value` and
    `percentages` ask (default: the options')."""
    value = options.value if value is None else value
    percentages = options.percentages if percentages is None else percentages
    if value == SAME_SIGN:
        if data.same_sign is None:
            raise ValueError("the sign agreement was not loaded (value same_sign)")
        shares = data.same_sign * (100.0 if percentages else 1.0)
        ones = np.ones(shares.shape, dtype=int)
        return Cells(shares, ones, shares, shares, None)
    if value not in VALUES:
        raise ValueError(f"unknown value '{value}': choose one of {', '.join(VALUES)}")
    seed_groups.check(options.seed_aggregate, options.dispersion, options.seed_pairing_mode, options.dispersion_display)
    if data.member_counts is None:
        scores = seed_groups.pair_scores(data.counts, [data.sizes[r] for r in data.runs], value, percentages)
        ones = np.ones(scores.shape, dtype=int)
        return Cells(scores, ones, scores, scores, None)
    scores = seed_groups.pair_scores(data.member_counts, data.member_sizes, value, percentages)
    index = {mid: i for i, mid in enumerate(data.member_ids)}
    groups = [[index[m] for m in data.members[rid]] for rid in data.runs]
    return seed_groups.cells(scores, groups, options.seed_aggregate, options.dispersion, options.seed_pairing_mode)


def groups_in_order(data: HeatmapData, options: Options) -> Groups:
    """[(group name or None, run ids)] in drawing order: groups first, order/cluster applied within each group."""
    raw = data.counts if data.member_counts is None else cells(data, options, "intersection", False).values
    return ordered_groups(data.runs, raw, options.order, options.pretty_groups, options.cluster)


def display_matrix(data: HeatmapData, options: Options) -> np.ndarray:
    """What the cells show, in `data.runs` order."""
    return cells(data, options).values


def color_limits(data: HeatmapData, options: Options) -> tuple[float | None, float | None]:
    """`vmin`/`vmax` in the units the cells show: with `percentages` they are given in `value`'s units and
    rescaled, as gradiend does (counts by 100 / k, which needs one k for every run; fractions by 100)."""
    if not options.percentages or (options.vmin is None and options.vmax is None):
        return options.vmin, options.vmax
    if options.value == "intersection":
        ks = {data.sizes[r] for r in data.runs}
        if len(ks) != 1:
            raise ValueError("Custom vmin/vmax for percentage top-k overlap counts require uniform resolved top-k sizes")
        factor = 100.0 / ks.pop() if data.runs else 1.0
    else:
        factor = 100.0
    return tuple(None if v is None else float(v) * factor for v in (options.vmin, options.vmax))


def row_metric_values(data: HeatmapData, options: Options) -> dict[str, float | None] | None:
    """The side strip's value per run: "correlation" = best correlation from training.json, or a dict by run id."""
    if options.row_metric is None or options.row_metric is False:
        return None
    if options.row_metric == "correlation":
        return {rid: data.correlations.get(rid) for rid in data.runs}
    if isinstance(options.row_metric, dict):
        return {rid: _number(options.row_metric.get(rid)) for rid in data.runs}
    raise ValueError(f"row_metric must be 'correlation', a {{run id: value}} mapping or None, not {options.row_metric!r}")


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def display_labels(data: HeatmapData, options: Options, axis: str = "row") -> dict[str, str]:
    """Run id -> its row (or column) label with † when it did not converge."""
    names = options.row_label_mapping if axis == "row" else options.column_label_mapping
    return {rid: run_label(rid, names, _converged(data, rid), options.highlight_non_convergence) for rid in data.runs}


def _converged(data: HeatmapData, rid: str) -> bool | None:
    status = data.statuses.get(rid)
    return status.converged if status else None


@dataclass(frozen=True)
class Shown:
    """What the figure and the CSV show, in drawing order."""

    groups: Groups
    order: list[str]
    cells: Cells  # rows and columns in drawing order
    rows: list[str]  # row labels
    columns: list[str]  # column labels


def shown(data: HeatmapData, options: Options) -> Shown:
    groups = groups_in_order(data, options)
    order = [rid for _, ids in groups for rid in ids]
    found = cells(data, options)
    arranged = Cells(*(None if m is None else reorder(m, data.runs, order) for m in
                       (found.values, found.pairs, found.low, found.high, found.spread)))
    rows, columns = display_labels(data, options, "row"), display_labels(data, options, "column")
    return Shown(groups, order, arranged, [rows[r] for r in order], [columns[r] for r in order])


def table(data: HeatmapData, options: Options) -> pd.DataFrame:
    """The matrix as shown (drawing order, display labels), for the CSV download."""
    import pandas as pd  # only the CSV download needs it

    drawn = shown(data, options)
    frame = pd.DataFrame(drawn.cells.values, index=drawn.rows, columns=drawn.columns)
    if options.value == "intersection" and not options.percentages and not drawn.cells.grouped:
        frame = frame.round().astype("int64")
    frame.index.name = "run"
    return frame


def build(data: HeatmapData, options: Options) -> Figure:
    message = nothing_to_draw(data, 1, "a heatmap")
    if message:
        return message_figure(message, options.figsize)
    drawn = shown(data, options)
    metric = row_metric_values(data, options)
    notes = []
    if drawn.cells.grouped:
        notes.append("seed groups: diagonal cells compare distinct seeds")
    return drawing.draw(drawn.cells, drawn.rows, drawn.columns, drawn.groups, options, title_text(data, options),
                        limits=color_limits(data, options),
                        metric=[metric[r] for r in drawn.order] if metric is not None else None, notes=notes)


def title_text(data: HeatmapData, options: Options) -> str | None:
    if options.title is True:
        return f"{topk_text(data.topk)} overlap ({data.part})"
    return options.title or None


def _choices(_context: dict) -> dict[str, tuple]:
    return {"value": (*VALUES, SAME_SIGN), "order": ("input", "name"), "annot": ("auto", True, False), "scale": drawing.SCALES,
            "row_metric": (None, "correlation"), "seed_aggregate": seed_groups.AGGREGATES,
            "dispersion": seed_groups.DISPERSIONS, "seed_pairing_mode": seed_groups.PAIRINGS,
            "dispersion_display": seed_groups.DISPERSION_DISPLAYS}


HELP = {
    "row_metric_vmin": "Lower end of the strip's colour scale. Empty: gradiend's data minimum; for correlation the "
                       "studio fixes the scale to [min(0, lowest), 1] so near-equal correlations look alike.",
    "row_metric_vmax": "Upper end of the strip's colour scale. Empty: the data maximum (1 for correlation).",
    "percentages": "Show 100 × count / min(k_i, k_j). gradiend's default is on; the studio shows raw counts by default "
                   "(exact numbers, comparable across selections). With vmin/vmax set, they are rescaled as in gradiend.",
    "order": "input, name, or a list of run ids (from a preset). Unlisted runs follow in input order.",
    "cluster": "Greedy chain by raw counts (gradiend's rule). The studio keeps the chain within each pretty group; "
               "gradiend's can split groups.",
    "annot": "auto: numbers in the cells up to 1600 cells (40 runs), as gradiend 0.2.3.",
    "annot_fmt": "Format of the cell numbers (Python format spec, e.g. .1f). Default: .0f for counts and percentages, "
                 ".2f for fractions (gradiend uses .2f for raw counts too).",
    "fmt": "Deprecated alias of annot_fmt, as in gradiend 0.2.3 (annot_fmt wins).",
    "figsize": "Width, height in inches. Empty: sized by the number of runs (gradiend: 14 × 14 in for any number).",
    "vmin": "Colour scale minimum, in the units of value (rescaled with percentages).",
    "vmax": "Colour scale maximum, in the units of value (rescaled with percentages).",
    "axis_label_fontsize": "gradiend sizes the x/y axis titles with it; the top-k heatmap has none (in gradiend too), "
                           "so it changes nothing here. Kept so a preset carries the same call.",
    "group_label_rotation_top": "Degrees added to the group names above the columns. The studio's names are "
                                "horizontal at 0 (gradiend's vertical: 90 + this).",
    "group_label_rotation_right": "Degrees added to the group names right of the rows (horizontal at 0, as gradiend).",
    "cbar_pad": "Gap between the matrix (or the group strip) and the colour bar, in matrix widths.",
    "cbar_y_pad": "Moves the colour bar up (negative: down), in matrix heights, as gradiend.",
    "cbar_shrink": "Colour bar length in matrix heights (empty: 0.75, gradiend's default).",
    "title": "automatic: 'top-k overlap (part)'. gradiend draws no title by default; the studio gives every figure "
             "a caption-ready one.",
    "row_metric": "A strip of one value per run left of the matrix. correlation: each run's best correlation "
                  "(training.json best_score_checkpoint), what gradiend's plot_topk_overlap_heatmap_with_correlation "
                  "fills in. The studio writes the value in each cell and keeps the strip clear of the run names.",
    "row_metric_label": "Caption of the strip.",
    "row_metric_cmap": "Colour map of the strip.",
    "highlight_non_convergence": "† after runs that did not converge, from each run's training.json / "
                                 "seed_report.json (gradiend marks none for a dict of loaded models).",
    "seed_groups": "Studio switch for gradiend's seed groups: compare each multi-seed run as the group of its seed "
                   "checkpoints (best seed first), as gradiend does when a models value is a list of seed models. "
                   "Off: the run's model/ (its best seed).",
    "seed_aggregate": "How a cell combines its seed pairs (seed groups only). Diagonal cells of a group use pairs of "
                      "distinct seeds (gradiend includes each seed with itself).",
    "dispersion": "Spread of a cell's seed pairs: std (population), range (half-width) or minmax (seed groups only).",
    "seed_pairing_mode": "matched: the k-th seed of one group with the k-th of the other (groups of equal size); "
                         "all_pairs: every seed with every seed.",
    "dispersion_display": "stacked: the spread as a second line in the cell (in the cell's units; gradiend prints "
                          "it unscaled); corner_glyph: a circle sized by the spread.",
}


VIEW = View(
    name="heatmap",
    title="Top-k overlap heatmap",
    nav_title="Heatmap",
    icon=":material/grid_on:",
    blurb="How many of the top-k most important base-model weights each pair of selected runs shares.",
    Options=Options,
    load=load,
    build=build,
    table=table,
    runs="selection",
    min_runs=1,
    needs=("weights",),
    load_options=("part", "topk", "seed_groups", "value"),
    choices=_choices,
    help=HELP,
    gradiend=GradiendCall("plot_topk_overlap_heatmap", "models", always=("topk", "part"),
                          studio_only=frozenset({"seed_groups"}), studio_values={"value": (SAME_SIGN,)},
                          defaults={"percentages": True, "title": False}),
)
