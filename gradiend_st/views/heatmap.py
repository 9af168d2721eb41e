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

from gradiend_st.analysis.ordering import Groups, ordered_groups, reorder
from gradiend_st.analysis.overlap import VALUES, cell_values
from gradiend_st.analysis.topk import topk_text
from gradiend_st.figures import heatmap as drawing
from gradiend_st.figures.style import message_figure, run_label
from gradiend_st.views.base import GradiendCall, View
from gradiend_st.views.topk_overlap import TopKData, compare_selection, nothing_to_draw, shared_fields

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
    annot: bool | str = "auto"  # "auto": numbers in cells for up to 25 runs
    fmt: str | None = None  # counts ".0f", fractions ".2f", percentages ".0f"
    figsize: tuple[float, float] | list[float] | None = None
    cmap: str = "viridis"
    vmin: float | None = None
    vmax: float | None = None
    scale: str = "linear"  # "linear" | "log" | "sqrt" | "power"
    scale_gamma: float | None = None  # exponent for scale="power"
    pretty_groups: dict[str, list[str]] | None = None  # {group name: [run ids]}; runs not listed go to "Other"
    annot_fontsize: float | None = None
    tick_label_fontsize: float | None = None
    group_label_fontsize: float | None = None
    cbar_pad: float | None = None  # gap between the matrix (or group strip) and the colour bar, in matrix widths
    title: bool | str = True
    highlight_non_convergence: bool = True
    run_labels: dict[str, str] | None = None  # run id -> display label


@dataclass(kw_only=True)
class HeatmapData(TopKData):
    counts: np.ndarray  # |S_i ∩ S_j| in `runs` order (diagonal = k_i)


def load(catalog: Catalog, run_ids: list[str], options: Options,
         progress: Callable[[int, int, str], None] | None = None,
         should_stop: Callable[[], bool] | None = None) -> HeatmapData:
    comparison = compare_selection(catalog, run_ids, options, progress, should_stop)
    return HeatmapData(**shared_fields(catalog, comparison), counts=comparison.counts)


def groups_in_order(data: HeatmapData, options: Options) -> Groups:
    """[(group name or None, run ids)] in drawing order: groups first, order/cluster applied within each group."""
    return ordered_groups(data.runs, data.counts, options.order, options.pretty_groups, options.cluster)


def display_matrix(data: HeatmapData, options: Options) -> np.ndarray:
    """What the cells show, in `data.runs` order."""
    return cell_values(data.counts, [data.sizes[r] for r in data.runs], options.value, options.percentages)


def display_labels(data: HeatmapData, options: Options) -> dict[str, str]:
    return {rid: run_label(rid, options.run_labels, _converged(data, rid), options.highlight_non_convergence)
            for rid in data.runs}


def _converged(data: HeatmapData, rid: str) -> bool | None:
    status = data.statuses.get(rid)
    return status.converged if status else None


def _shown(data: HeatmapData, options: Options) -> tuple[Groups, np.ndarray, list[str]]:
    """(groups, the matrix in drawing order, the run names in drawing order): what the figure and the CSV show."""
    groups = groups_in_order(data, options)
    order = [rid for _, ids in groups for rid in ids]
    labels = display_labels(data, options)
    return groups, reorder(display_matrix(data, options), data.runs, order), [labels[rid] for rid in order]


def table(data: HeatmapData, options: Options) -> pd.DataFrame:
    """The matrix as shown (drawing order, display labels), for the CSV download."""
    import pandas as pd  # only the CSV download needs it

    _, matrix, names = _shown(data, options)
    frame = pd.DataFrame(matrix, index=names, columns=names)
    if options.value == "intersection" and not options.percentages:
        frame = frame.round().astype("int64")
    frame.index.name = "run"
    return frame


def build(data: HeatmapData, options: Options) -> Figure:
    message = nothing_to_draw(data, 1, "a heatmap")
    if message:
        return message_figure(message, options.figsize)
    groups, matrix, names = _shown(data, options)
    return drawing.draw(matrix, names, groups, options, _title(data, options))


def _title(data: HeatmapData, options: Options) -> str | None:
    if options.title is True:
        return f"{topk_text(data.topk)} overlap ({data.part})"
    return options.title or None


def _choices(_context: dict) -> dict[str, tuple]:
    return {"value": VALUES, "order": ("input", "name"), "annot": ("auto", True, False), "scale": drawing.SCALES}


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
    load_options=("part", "topk"),
    choices=_choices,
    gradiend=GradiendCall("plot_topk_overlap_heatmap", "models", always=("topk", "part", "value", "percentages"),
                          # run_labels become the keys of the models dict (gradiend labels models by their keys)
                          studio_only=frozenset({"run_labels"})),
)
