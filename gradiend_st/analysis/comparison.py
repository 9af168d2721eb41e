"""Top-k sets of several runs, checked to share one base index space, plus the numbers views draw."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gradiend_st.analysis.overlap import intersection_counts, venn_regions
from gradiend_st.analysis.topk import TopK, compute_topk, normalize_part, parse_topk
from gradiend_st.io.discover import Catalog
from gradiend_st.io.errors import RunReadError

Progress = Callable[[int, int, str], None]  # (done, total, run id being read)


@dataclass(frozen=True)
class TopKComparison:
    part: str
    topk: int | float
    runs: list[str]
    sets: dict[str, TopK]

    @property
    def counts(self) -> np.ndarray:
        return intersection_counts([self.sets[r].indices for r in self.runs])

    @property
    def sizes(self) -> list[int]:
        return [self.sets[r].k for r in self.runs]

    def regions(self) -> list[dict]:
        return venn_regions(self.runs, [self.sets[r].indices for r in self.runs])


def compare_topk(catalog: Catalog, run_ids: list[str], part: str, topk: int | float,
                 progress: Progress | None = None, should_stop: Callable[[], bool] | None = None,
                 compute: Callable[..., TopK] | None = None) -> TopKComparison:
    """Top-k of every run, refusing runs whose base parameter spaces differ (FORMAT.md §2.3)."""
    part, topk = normalize_part(part), parse_topk(topk)
    runs = [catalog.get(rid) for rid in dict.fromkeys(run_ids)]
    for run in runs:
        if run.weights_error:
            raise run.weights_error
        if run.checkpoint.weights_path is None and run.bundle is None:
            raise RunReadError(run.checkpoint_dir, "no weights (model.safetensors or pytorch_model.bin) to rank")
    signatures = {run.config.param_signature for run in runs}
    if len(signatures) > 1:
        first = runs[0]
        other = next(r for r in runs if r.config.param_signature != first.config.param_signature)
        raise RunReadError(other.checkpoint_dir / "config.json",
                           f"base parameters differ from {first.id}'s (another base model?): top-k indices are not comparable")
    sets = {}
    for done, run in enumerate(runs):
        if progress:
            progress(done, len(runs), run.id)
        sets[run.id] = (compute or run_topk)(run, part, topk, should_stop=should_stop)
    if progress:
        progress(len(runs), len(runs), "")
    return TopKComparison(part, topk, [r.id for r in runs], sets)


def run_topk(run, part: str, topk: int | float, should_stop=None) -> TopK:
    """Top-k of one discovered run (the default `compute` of `compare_topk`)."""
    return compute_topk(run.checkpoint, part, topk, should_stop=should_stop)
