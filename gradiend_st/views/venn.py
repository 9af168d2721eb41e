"""Top-k overlap Venn (FORMAT.md §9.5): exact exclusive region counts of the selected runs' top-k sets.

2-3 runs: circles; 4-6: ellipses/triangles with every count readable (§10 item 7); more: an UpSet chart of the
largest intersections. `load` compares the runs' top-k sets once; `build` only names, colours and draws.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from matplotlib import colors as mcolors

from gradiend_st.analysis.regions import largest_regions, region_masks
from gradiend_st.analysis.topk import topk_text
from gradiend_st.figures import venn as drawing
from gradiend_st.figures.style import categorical_colors, message_figure, run_label
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
    figsize: tuple[float, float] | list[float] | None = None
    circle_names_fontsize: float | None = None  # set names (2-3 runs) / legend entries (4-6) / UpSet rows
    region_counts_fontsize: float | None = None  # largest size of a region count
    alpha: float = 0.5
    patch_linewidth: float | None = None  # outline width of each set's shape
    title: bool | str = True
    highlight_non_convergence: bool = True
    run_labels: dict[str, str] | None = None  # run id -> display label
    colors: dict[str, str] | list[str] | None = None  # run id -> colour, or colours in run order
    cmap: str | None = None  # fills colours not given in `colors`
    max_intersections: int = 40  # UpSet only: the largest non-empty intersections shown


@dataclass(kw_only=True)
class VennData(TopKData):
    regions: list[dict]  # {"members": [run ids], "count": exclusive count}, every non-empty member combination


def load(catalog: Catalog, run_ids: list[str], options: Options,
         progress: Callable[[int, int, str], None] | None = None,
         should_stop: Callable[[], bool] | None = None) -> VennData:
    if len(dict.fromkeys(run_ids)) < 2:
        raise ValueError("a Venn diagram needs at least 2 different runs")
    comparison = compare_selection(catalog, run_ids, options, progress, should_stop)
    return VennData(**shared_fields(catalog, comparison), regions=comparison.regions())


def display_labels(data: VennData, options: Options) -> dict[str, str]:
    labels = {}
    for rid in data.runs:
        status = data.statuses.get(rid)
        labels[rid] = run_label(rid, options.run_labels, status.converged if status else None,
                                options.highlight_non_convergence)
    if len(set(data.sizes.values())) > 1:  # sets of different size (topk as a fraction on pruned runs): say so
        labels = {rid: f"{label} (k={data.sizes[rid]})" for rid, label in labels.items()}
    return labels


def run_colors(data: VennData, options: Options) -> dict[str, str]:
    """Each run's colour: the one given in `options.colors` (by run id, or a list in run order), else the palette's."""
    defaults = categorical_colors(len(data.runs), options.cmap)
    given = options.colors or {}
    if isinstance(given, (list, tuple)):
        given = dict(zip(data.runs, given, strict=False))
    return {rid: mcolors.to_hex(given.get(rid) or defaults[i]) for i, rid in enumerate(data.runs)}


def table(data: VennData, options: Options) -> pd.DataFrame:
    """One row per region: its members (display labels), how many runs, and the exclusive count."""
    import pandas as pd  # only the CSV download needs it

    labels = display_labels(data, options)
    return pd.DataFrame({
        "members": [" & ".join(labels[m] for m in r["members"]) for r in data.regions],
        "n_members": [len(r["members"]) for r in data.regions],
        "count": [int(r["count"]) for r in data.regions],
    })


def build(data: VennData, options: Options) -> Figure:
    message = nothing_to_draw(data, 2, "a Venn diagram")
    if message:
        return message_figure(message, options.figsize)
    sets = drawing.Sets(list(data.runs), dict(data.sizes), display_labels(data, options), run_colors(data, options))
    title = _title(data, options)
    if len(data.runs) <= drawing.MAX_DRAWN_SETS:
        return drawing.draw(sets, region_masks(data.runs, data.regions), options, title)
    bars, total = largest_regions(data.regions, options.max_intersections)
    return drawing.upset(sets, bars, total, options, title)


def _title(data: VennData, options: Options) -> str | None:
    if options.title is True:
        return f"{topk_text(data.topk)} overlap ({data.part}), {len(data.runs)} runs"
    return options.title or None


VIEW = View(
    name="venn",
    title="Top-k overlap Venn",
    nav_title="Venn",
    icon=":material/join_inner:",
    blurb="Exact exclusive region counts of the selected runs' top-k sets (an UpSet chart beyond 6 runs).",
    Options=Options,
    load=load,
    build=build,
    table=table,
    runs="selection",
    min_runs=2,
    needs=("weights",),
    load_options=("part", "topk"),
    colors_runs=True,
    gradiend=GradiendCall("plot_topk_overlap_venn", "models", always=("topk", "part"),
                          studio_only=frozenset({"run_labels", "max_intersections", "colors", "cmap"})),
)
