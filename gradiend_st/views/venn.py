"""Top-k overlap Venn (FORMAT.md §9.5): exact exclusive region counts of the selected runs' top-k sets.

2-3 runs: circles; 4-6: ellipses/triangles with every count readable (§10 item 7); more: an UpSet chart of the
largest intersections. `load` compares the runs' top-k sets once; `build` only names, colours and draws.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from matplotlib import colors as mcolors

from gradiend_st.analysis.colors import fill_colors
from gradiend_st.analysis.overlap import venn_regions
from gradiend_st.analysis.regions import largest_regions, region_masks
from gradiend_st.analysis.seed_groups import SEED_GROUP_POLICIES, collapse
from gradiend_st.analysis.topk import topk_text
from gradiend_st.figures import venn as drawing
from gradiend_st.figures.style import categorical_colors, message_figure, run_label
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
    figsize: tuple[float, float] | list[float] | None = None
    circle_names_fontsize: float | None = None  # set names (2-3 runs) / legend entries (4-6) / UpSet rows
    region_counts_fontsize: float | None = None  # largest size of a region count
    alpha: float = 0.5
    patch_linewidth: float | None = None  # outline width of each set's shape
    title: bool | str = True
    highlight_non_convergence: bool = True
    label_mapping: dict[str, str] | None = None  # run id -> display label (filled from the runs grid)
    seed_groups: bool = False  # multi-seed runs as the group of their seed checkpoints (gradiend: a list of models)
    seed_group_policy: str = "primary"  # a seed group's set: "primary" (best seed) | "union" | "intersection"
    equal_circles: bool = False  # 2-3 runs: equal circles instead of areas proportional to the counts
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
    found = compare_groups(catalog, run_ids, options, options.seed_groups, progress, should_stop)
    fields = group_fields(catalog, found)
    sets = {rid: collapse([found.comparison.sets[m].indices for m in found.groups[rid]], options.seed_group_policy)
            for rid in fields["runs"]}
    fields["sizes"] = {rid: len(indices) for rid, indices in sets.items()}
    return VennData(**fields, regions=venn_regions(fields["runs"], [sets[rid] for rid in fields["runs"]]))


def display_labels(data: VennData, options: Options) -> dict[str, str]:
    labels = {}
    for rid in data.runs:
        status = data.statuses.get(rid)
        labels[rid] = run_label(rid, options.label_mapping, status.converged if status else None,
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
    chosen = fill_colors([given.get(rid) and mcolors.to_hex(given[rid]) for rid in data.runs], defaults)
    return dict(zip(data.runs, chosen, strict=True))


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
    title = title_text(data, options)
    if len(data.runs) <= drawing.MAX_DRAWN_SETS:
        return drawing.draw(sets, region_masks(data.runs, data.regions), options, title)
    bars, total = largest_regions(data.regions, options.max_intersections)
    return drawing.upset(sets, bars, total, options, title)


def title_text(data: VennData, options: Options) -> str | None:
    if options.title is True:
        return f"{topk_text(data.topk)} overlap ({data.part}), {len(data.runs)} runs"
    return options.title or None


def _choices(_context: dict) -> dict[str, tuple]:
    return {"seed_group_policy": SEED_GROUP_POLICIES}


HELP = {
    "figsize": "Width, height in inches. Empty: 6 × 5.6 in (3 runs), 6 × 4.6 (2), 8 × 8 (4-6) (gradiend: 6 × 6 / 8 × 8).",
    "circle_names_fontsize": "Set names (2-3 runs), legend entries (4-6), run names (UpSet). Empty: 13 / 11 / 9 "
                             "(gradiend: 18, or 20 from 8 in wide).",
    "region_counts_fontsize": "Largest size of a region count. Empty: 14 (2-3 runs), 13 (4-6; smaller where a region "
                              "is small). gradiend: 16, or 18 from 8 in wide; ignored for 4-6 sets there.",
    "patch_linewidth": "Outline width of each set. Empty: 1.5 (2-3 runs), 1.2 (4-6) (gradiend: 3.0).",
    "title": "automatic: 'top-k overlap (part), n runs'. gradiend draws no title by default.",
    "highlight_non_convergence": "† after runs that did not converge (training.json / seed_report.json), also on "
                                 "renamed runs (gradiend 0.2.3 drops it with label_mapping unless converged_by_id "
                                 "is given; copy as code gives it).",
    "seed_groups": "Studio switch for gradiend's seed groups: each multi-seed run stands for its seed checkpoints "
                   "(best seed first), collapsed into one set by seed_group_policy. Off: the run's model/ (best seed).",
    "seed_group_policy": "primary: the group's first (best) seed; union / intersection of all its seeds' sets.",
    "equal_circles": "Studio option. Off: circle areas follow the counts (matplotlib-venn's default, as gradiend); "
                     "on: equal circles, so every region, even an empty one, has room for its count.",
    "colors": "Studio option (gradiend colours sets by matplotlib-venn's defaults): run id -> colour (runs grid).",
    "cmap": "Studio option: the palette for runs without a colour.",
    "max_intersections": "Studio option: more than 6 runs are drawn as an UpSet chart of this many largest regions "
                         "(gradiend refuses more than 6 sets).",
}


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
    load_options=("part", "topk", "seed_groups", "seed_group_policy"),
    colors_runs=True,
    choices=_choices,
    help=HELP,
    gradiend=GradiendCall("plot_topk_overlap_venn", "models", always=("topk", "part"),
                          studio_only=frozenset({"max_intersections", "colors", "cmap", "seed_groups",
                                                 "equal_circles"}),
                          defaults={"title": None}),
)
