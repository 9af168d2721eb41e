"""What the two top-k overlap views (heatmap, Venn) load alike: the selected runs' top-k sets, compared once.

Not a view itself (no VIEW): `views/heatmap.py` and `views/venn.py` both build their data from here, so neither
imports the other and a run is left out for the same reason in both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from gradiend_st.analysis.comparison import TopKComparison, compare_topk
from gradiend_st.analysis.convergence import Convergence, run_statuses
from gradiend_st.analysis.seed_groups import groups_of
from gradiend_st.io.errors import RunReadError
from gradiend_st.io.training import read_training
from gradiend_st.views.base import ViewData


@dataclass(kw_only=True)
class TopKData(ViewData):
    part: str
    topk: int | float  # as asked: an int k, or a fraction of each run's input_dim
    sizes: dict[str, int]  # resolved k per drawn run
    statuses: dict[str, Convergence] = field(default_factory=dict)  # each drawn run's convergence (the † marker)
    # run id -> the checkpoints compared for it: its seeds (best first) when seed groups are asked for, else itself
    members: dict[str, list[str]] = field(default_factory=dict)
    correlations: dict[str, float | None] = field(default_factory=dict)  # training.json best correlation per run


def compare_selection(catalog, run_ids: list[str], options, progress: Callable[[int, int, str], None] | None = None,
                      should_stop: Callable[[], bool] | None = None) -> TopKComparison:
    """Top-k of the selected runs at `options.part` and `options.topk`; runs whose weights are unreadable are left
    out (a request whose runs have different base parameters raises)."""
    return compare_topk(catalog, run_ids, options.part, options.topk, progress=progress, should_stop=should_stop,
                        skip_unreadable=True)


def shared_fields(catalog, comparison: TopKComparison) -> dict:
    """The TopKData fields of a comparison: what was drawn, what was left out and why (one line naming the file)."""
    return {
        "part": comparison.part,
        "topk": comparison.topk,
        "runs": list(comparison.runs),
        "sizes": dict(zip(comparison.runs, comparison.sizes, strict=True)),
        "statuses": run_statuses(catalog, comparison.runs),
        "left_out": {rid: catalog.error_text(exc) if isinstance(exc, RunReadError) else str(exc)
                     for rid, exc in comparison.left_out.items()},
    }


def nothing_to_draw(data: TopKData, at_least: int, what: str) -> str | None:
    """Why `data` has too few runs for `what` (None when it has enough): the left-out runs and their problems."""
    if len(data.runs) >= at_least:
        return None
    if data.left_out:
        reasons = "; ".join(f"{rid}: {reason}" for rid, reason in data.left_out.items())
        return f"Nothing to draw: {what} needs at least {at_least} readable run{'s' if at_least > 1 else ''} " \
               f"(left out {reasons})"
    return f"Nothing to draw: {what} needs at least {at_least} run{'s' if at_least > 1 else ''}"


@dataclass
class GroupComparison:
    """The top-k sets of the checkpoints behind each drawn run (a run, or a multi-seed run's seeds)."""

    comparison: TopKComparison  # over the member checkpoints
    groups: dict[str, list[str]]  # drawn run id -> its readable members, in drawing order
    left_out: dict[str, str]  # run id -> one-line reason (no readable member)
    warnings: list[str]


def compare_groups(catalog, run_ids: list[str], options, use_seeds: bool,
                   progress: Callable[[int, int, str], None] | None = None,
                   should_stop: Callable[[], bool] | None = None) -> GroupComparison:
    """Top-k of every run, or with `use_seeds` of every seed checkpoint of the multi-seed runs (gradiend: a list of
    seed models as the dict value). A seed that cannot be read leaves its group (a warning says so); a run with no
    readable checkpoint is left out with the reason."""
    wanted = groups_of(catalog, run_ids, use_seeds)
    comparison = compare_selection(catalog, [m for ms in wanted.values() for m in ms], options, progress, should_stop)
    readable = set(comparison.runs)
    groups, left_out, warnings = {}, {}, []
    for rid, members in wanted.items():
        kept = [m for m in members if m in readable]
        reasons = {m: _reason(catalog, comparison.left_out[m]) for m in members if m in comparison.left_out}
        if kept:
            groups[rid] = kept
            warnings += [f"{rid}: seed {m} left out of the group ({why})" for m, why in reasons.items()]
        else:
            left_out[rid] = next(iter(reasons.values()), "no readable checkpoint")
    return GroupComparison(comparison, groups, left_out, warnings)


def group_fields(catalog, found: GroupComparison) -> dict:
    """The TopKData fields of a group comparison (sizes: each run's first member's k)."""
    runs = list(found.groups)
    return {
        "part": found.comparison.part,
        "topk": found.comparison.topk,
        "runs": runs,
        "sizes": {rid: found.comparison.sets[found.groups[rid][0]].k for rid in runs},
        "statuses": run_statuses(catalog, runs),
        "members": dict(found.groups),
        "correlations": best_correlations(catalog, runs),
        "left_out": dict(found.left_out),
        "warnings": list(found.warnings),
    }


def best_correlations(catalog, run_ids: list[str]) -> dict[str, float | None]:
    """Each run's best_score_checkpoint.correlation from its training.json (None when it has none or it is
    unreadable): what gradiend's `plot_topk_overlap_heatmap_with_correlation` puts into `row_metric`."""
    found = {}
    for rid in run_ids:
        run = catalog.get(rid)
        try:
            found[rid] = read_training(run.training_path).best_correlation if run.training_path.is_file() else None
        except RunReadError:
            found[rid] = None
    return found


def _reason(catalog, exc: Exception) -> str:
    return catalog.error_text(exc) if isinstance(exc, RunReadError) else str(exc)
