"""Overlap curves: how many top-k weights the selected runs share as k grows, against chance, and whether the shared
weights move the same way (sign agreement), with a band and all-seeds line per multi-seed run and its seed report.

`load` reads each run's top-K list once (the disk cache's prefix rule answers every smaller k) and counts every pair
and seed group at every k (`analysis.curves`); `build` only chooses the unit, groups pairs and draws. gradiend 0.2.3
has no such figure (its authors compare overlaps and signs by hand): no "copy as code".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import combinations, cycle
from typing import TYPE_CHECKING

from gradiend_st.analysis import curve_series as cs
from gradiend_st.analysis.convergence import Convergence, run_statuses
from gradiend_st.analysis.curves import PairCurve, compute_curves
from gradiend_st.analysis.overlap_curves import MAX_GRID, topk_grid
from gradiend_st.analysis.seed_report import SeedReportTables, seed_report_tables, studio_seed_pairs
from gradiend_st.analysis.topk import PARTS
from gradiend_st.figures import curves as drawing
from gradiend_st.figures.style import categorical_colors, message_figure, run_label
from gradiend_st.io.errors import RunReadError
from gradiend_st.views.base import View, ViewData

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure


@dataclass
class Options:
    topk: int | float = 0.01  # the largest k: an int, or a fraction of each run's input_dim (as gradiend's topk)
    k_min: int = 10
    k_points: int = 10
    part: str = "decoder-weight"
    value: str = "intersection"  # intersection (counts) | intersection_frac (of the smaller k) | times_chance
    yscale: str = "auto"  # auto: log for counts and × chance, linear for fractions
    chance: bool = True
    sign_agreement: bool = True
    seeds: bool = True  # multi-seed runs: a band over their seed pairs and the all-seeds intersection
    pair_groups: str = "auto"  # auto | pairs | run groups | shared class
    cmap: str | None = None
    legend_loc: str | None = None
    figsize: tuple[float, float] | list[float] | None = None
    title: bool | str = True
    title_fontsize: float | None = None
    label_fontsize: float | None = None
    legend_fontsize: float | None = None
    highlight_non_convergence: bool = True
    run_labels: dict[str, str] | None = None
    run_colors: dict[str, str] | None = None
    pretty_groups: dict[str, list[str]] | None = None


@dataclass(kw_only=True)
class CurvesData(ViewData):
    part: str = "decoder-weight"
    topk: int | float = 0.01
    grid: list[int | float] = field(default_factory=list)
    base_dim: int = 0
    ks: dict[str, list[int]] = field(default_factory=dict)
    pairs: list[PairCurve] = field(default_factory=list)  # pairs of the selected runs
    bands: list[cs.SeedBand] = field(default_factory=list)  # multi-seed runs with >= 2 readable seeds
    statuses: dict[str, Convergence] = field(default_factory=dict)
    seed_reports: dict[str, SeedReportTables] = field(default_factory=dict)


def load(catalog, run_ids: list[str], options: Options, progress: Callable[[int, int, str], None] | None = None,
         should_stop: Callable[[], bool] | None = None) -> CurvesData:
    run_ids = list(dict.fromkeys(run_ids))
    data = CurvesData(part=options.part, topk=options.topk)
    if not run_ids:
        return data
    largest = max(catalog.get(rid).config.input_dim for rid in run_ids)
    data.grid = topk_grid(options.topk, options.k_points, options.k_min, largest)
    seeds = {rid: list(catalog.get(rid).seeds) for rid in run_ids if options.seeds and len(catalog.get(rid).seeds) >= 2}
    pairs = list(combinations(run_ids, 2)) + [p for members in seeds.values() for p in combinations(members, 2)]
    curves = compute_curves(catalog, run_ids + [s for members in seeds.values() for s in members], options.part,
                            data.grid, pairs=pairs, groups=seeds, progress=progress, should_stop=should_stop,
                            skip_unreadable=True)
    data.part, data.base_dim, data.ks = curves.part, curves.base_dim, curves.ks
    data.runs = [rid for rid in run_ids if rid in curves.ks]
    data.left_out = {rid: catalog.error_text(exc) if isinstance(exc, RunReadError) else str(exc)
                     for rid, exc in curves.left_out.items()}
    data.pairs = [p for p in curves.pairs if p.runs[0] in data.runs and p.runs[1] in data.runs]
    for rid, members in seeds.items():
        band_pairs = [p for p in curves.pairs if p.runs[0] in members and p.runs[1] in members]
        if band_pairs:
            data.bands.append(cs.SeedBand(rid, [m for m in members if m in curves.ks], band_pairs, curves.groups.get(rid)))
    data.warnings += [f"no sign agreement for {rid}: {note}" for rid, note in curves.sign_notes.items()]
    data.statuses = run_statuses(catalog, data.runs)
    for rid in run_ids:
        tables = seed_report_tables(catalog, rid)
        if tables is not None:
            band = next((b for b in data.bands if b.run == rid), None)
            tables.studio_pairs = studio_seed_pairs(band, data.ks, data.grid) if band else []
            data.seed_reports[rid] = tables
    return data


def _name(data: CurvesData, options: Options) -> Callable[[str], str]:
    def name(rid: str) -> str:
        status = data.statuses.get(rid)
        return run_label(rid, options.run_labels, status.converged if status else None,
                         options.highlight_non_convergence)
    return name


def series_plan(data: CurvesData, options: Options) -> cs.Plan:
    """The series in drawing order, each with its colour: a multi-seed run keeps its run colour."""
    found = cs.plan(data.pairs, data.bands, data.ks, value=options.value, pair_groups=options.pair_groups,
                    pretty_groups=options.pretty_groups, name=_name(data, options))
    run_colors = options.run_colors or {}
    fixed = {s.run: run_colors[s.run] for s in found.series if s.run in run_colors}
    needed = len({s.run or id(s) for s in found.series if s.run not in fixed})
    everything = categorical_colors(needed + len(fixed), options.cmap)
    palette = cycle([c for c in everything if c not in fixed.values()] or everything)
    by_run: dict[str, str] = dict(fixed)
    for series in found.series:
        if series.run is None:
            series.color = next(palette)
        else:
            if series.run not in by_run:
                by_run[series.run] = next(palette)
            series.color = by_run[series.run]
    return found


def build(data: CurvesData, options: Options) -> Figure:
    if len(data.runs) < 2 and not data.bands:
        reasons = "; ".join(f"{rid}: {why}" for rid, why in data.left_out.items())
        return message_figure("Nothing to draw: overlap curves need at least 2 readable runs"
                              + (f" (left out {reasons})" if reasons else ""), options.figsize)
    plan = series_plan(data, options)
    percent = drawing.percent_ticks(data.grid)
    xlabel = "top-k, % of each run's input_dim" if percent else "k (top-k weights per run)"
    return drawing.draw(plan, drawing.grid_x(data.grid), options, title=_title(data, options), xlabel=xlabel,
                        percent_axis=percent)


def _title(data: CurvesData, options: Options) -> str | None:
    if options.title is True:
        first = data.grid[0] if data.grid else options.k_min
        return f"Top-k overlap against k ({data.part}, k = {_k_text(first)} … {_k_text(data.topk)})"
    return options.title or None


def _k_text(topk: int | float) -> str:
    return drawing.percent_text(topk * 100, significant=3) if isinstance(topk, float) else f"{topk:,}"


def table(data: CurvesData, options: Options) -> pd.DataFrame:
    """Every pair (and each seed group's all-seeds intersection) at every k: counts, chance, sign agreement."""
    import pandas as pd  # only the CSV download needs it

    rows = []
    for kind, pairs in (("pair", data.pairs), *(("seed pair", band.pairs) for band in data.bands)):
        for pair in pairs:
            a, b = pair.runs
            shares = pair.same_sign_share()
            for i, topk in enumerate(data.grid):
                rows.append({"kind": kind, "run_a": a, "run_b": b, "topk": topk, "k_a": data.ks[a][i],
                             "k_b": data.ks[b][i], "shared": pair.shared[i], "chance": pair.chance[i],
                             "times_chance": pair.shared[i] / pair.chance[i], "shared_class": pair.shared_class,
                             "same_sign": pair.same_sign[i], "same_sign_share": shares[i]})
    for band in data.bands:
        if band.all is None:
            continue
        for i, topk in enumerate(data.grid):
            rows.append({"kind": "all seeds", "run_a": band.run, "run_b": f"{len(band.all.runs)} seeds", "topk": topk,
                         "k_a": min(data.ks[r][i] for r in band.all.runs), "k_b": max(data.ks[r][i] for r in band.all.runs),
                         "shared": band.all.all[i], "chance": band.all.chance[i],
                         "times_chance": band.all.all[i] / band.all.chance[i], "shared_class": None, "same_sign": None,
                         "same_sign_share": None})
    return pd.DataFrame(rows, columns=["kind", "run_a", "run_b", "topk", "k_a", "k_b", "shared", "chance",
                                       "times_chance", "shared_class", "same_sign", "same_sign_share"])


def _seed_panel(data: CurvesData, options: Options, key: str) -> None:
    """Under the figure in the app: each multi-seed run's seed report (Streamlit code lives in ui/)."""
    from gradiend_st.ui.seed_report_panel import render_seed_reports

    render_seed_reports(data, key=key)


def _choices(_context: dict) -> dict[str, tuple]:
    return {"part": PARTS, "value": cs.VALUES, "yscale": ("auto", "linear", "log"), "pair_groups": cs.PAIR_GROUPS}


HELP = {
    "topk": "The largest k: an integer, or a fraction in (0, 1] of each run's own input_dim (gradiend's topk). "
            "Every smaller k is answered from the same top-k list.",
    "k_min": "The smallest k on the axis (for fractions: the k of the largest run).",
    "k_points": f"How many values of k, spaced evenly on the log axis (2 to {MAX_GRID}).",
    "value": "intersection: shared weights |S_a ∩ S_b|; intersection_frac: divided by the smaller k (as the heatmap); "
             "times_chance: divided by the chance level k_a·k_b/N (N = base parameter count).",
    "chance": "Draw the chance level k_a·k_b/N of two random top-k sets (dashed).",
    "sign_agreement": "Second panel: of the shared weights, the share whose decoder weights move the same way when "
                      "each run strengthens the class both runs share (decoder weight × its feature factor). "
                      "Undefined (not drawn) for pairs that share no class.",
    "seeds": "For a multi-seed run: a band (min–max over its seed pairs) and the intersection of all its seeds.",
    "pair_groups": "auto: one curve per pair up to 8 pairs, else one per pair group (run groups from the grid, else "
                   "by shared class); a group draws the mean with a min–max band.",
}


VIEW = View(
    name="curves",
    title="Overlap against k",
    nav_title="Overlap curves",
    icon=":material/show_chart:",
    blurb="Does the overlap of top-k weights hold as k grows, is it above chance, and do shared weights move the "
          "same way? With each multi-seed run's seed band and seed report.",
    Options=Options,
    load=load,
    build=build,
    table=table,
    runs="selection",
    min_runs=2,
    needs=("weights",),
    load_options=("topk", "k_min", "k_points", "part", "seeds"),
    choices=_choices,
    colors_runs=False,
    extra_panel=_seed_panel,
    help=HELP,
    gradiend=None,
)
