"""What the two top-k overlap views (heatmap, Venn) load alike: the selected runs' top-k sets, compared once.

Not a view itself (no VIEW): `views/heatmap.py` and `views/venn.py` both build their data from here, so neither
imports the other and a run is left out for the same reason in both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from gradiend_st.analysis.comparison import TopKComparison, compare_topk
from gradiend_st.analysis.convergence import Convergence, run_statuses
from gradiend_st.io.errors import RunReadError
from gradiend_st.views.base import ViewData


@dataclass(kw_only=True)
class TopKData(ViewData):
    part: str
    topk: int | float  # as asked: an int k, or a fraction of each run's input_dim
    sizes: dict[str, int]  # resolved k per drawn run
    statuses: dict[str, Convergence] = field(default_factory=dict)  # each drawn run's convergence (the † marker)


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
