"""Top-k sets of several runs, checked to share one base index space, plus the numbers views draw."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from gradiend_st.analysis.overlap import intersection_counts, venn_regions
from gradiend_st.analysis.topk import TopK, normalize_part, parse_topk
from gradiend_st.analysis.topk_cache import cached_topk
from gradiend_st.io.discover import Catalog
from gradiend_st.io.errors import RunReadError

Progress = Callable[[int, int, str], None]  # (runs done, total, a run id being read)
MAX_WORKERS = 2
HEARTBEAT = 0.25  # seconds between progress calls while runs are read (the app can stop the work there)


@dataclass(frozen=True)
class TopKComparison:
    part: str
    topk: int | float
    runs: list[str]
    sets: dict[str, TopK]
    left_out: dict[str, RunReadError] = field(default_factory=dict)  # with skip_unreadable: run id -> why

    @cached_property  # views read it several times; it is the costly part after the top-k sets
    def counts(self) -> np.ndarray:
        return intersection_counts([self.sets[r].indices for r in self.runs])

    @property
    def sizes(self) -> list[int]:
        return [self.sets[r].k for r in self.runs]

    def regions(self) -> list[dict]:
        return venn_regions(self.runs, [self.sets[r].indices for r in self.runs])


def compare_topk(catalog: Catalog, run_ids: list[str], part: str, topk: int | float,
                 progress: Progress | None = None, should_stop: Callable[[], bool] | None = None,
                 compute: Callable[..., TopK] | None = None, skip_unreadable: bool = False) -> TopKComparison:
    """Top-k of every run, refusing runs whose base parameter spaces differ (FORMAT.md §2.3).

    A run whose weights cannot be read raises its RunReadError, or with `skip_unreadable` is left out and
    listed in `left_out` (the views draw the others and name it).
    """
    part, topk = normalize_part(part), parse_topk(topk)
    runs = [catalog.get(rid) for rid in dict.fromkeys(run_ids)]
    left_out: dict[str, RunReadError] = {}

    def unreadable(run, exc: RunReadError) -> None:
        if not skip_unreadable:
            raise exc
        left_out[run.id] = exc

    for run in runs:
        if run.weights_error:
            unreadable(run, run.weights_error)
        elif run.checkpoint.weights_path is None and run.bundle is None:
            unreadable(run, RunReadError(run.checkpoint_dir, "no weights (model.safetensors or pytorch_model.bin) to rank"))
    runs = [run for run in runs if run.id not in left_out]
    signatures = {run.config.param_signature for run in runs}
    if len(signatures) > 1:
        first = runs[0]
        other = next(r for r in runs if r.config.param_signature != first.config.param_signature)
        raise RunReadError(other.checkpoint_dir / "config.json",
                           f"base parameters differ from {first.id}'s (another base model?): top-k indices are not comparable")
    sets = _compute_all(runs, part, topk, compute or run_topk, progress, should_stop, unreadable)
    return TopKComparison(part, topk, [r.id for r in runs if r.id in sets], sets, left_out)


def run_topk(run, part: str, topk: int | float, should_stop=None) -> TopK:
    """Top-k of one discovered run (the default `compute` of `compare_topk`): from its bundle, or the disk cache."""
    if run.bundle is not None:
        from gradiend_st.bundle import bundle_topk

        return bundle_topk(run, part, topk)
    return cached_topk(run.checkpoint, part, topk, should_stop=should_stop)


def _compute_all(runs, part, topk, compute, progress, should_stop, unreadable) -> dict[str, TopK]:
    """Two runs at a time: numpy and file reads release the GIL, so both cores work; memory stays ~2 chunks.

    While runs are read, `progress` is called at least every HEARTBEAT seconds. An exception from it (Streamlit
    raises one there when the user changes the selection) stops the runs in flight at their next chunk instead of
    letting them finish; runs already done stay in the disk cache.
    """
    workers = max(1, min(MAX_WORKERS, os.cpu_count() or 1, len(runs)))
    sets: dict[str, TopK] = {}
    abandoned = threading.Event()

    def stop() -> bool:
        return abandoned.is_set() or (should_stop is not None and should_stop())

    if progress:
        progress(0, len(runs), runs[0].id if runs else "")
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(compute, run, part, topk, should_stop=stop): run for run in runs}
        pending = set(futures)
        try:
            while pending:
                finished, pending = wait(pending, timeout=HEARTBEAT if progress else None, return_when=FIRST_COMPLETED)
                for future in finished:
                    run = futures[future]
                    try:
                        sets[run.id] = future.result()
                    except RunReadError as exc:
                        unreadable(run, exc)
                if progress:
                    running = next((futures[f].id for f in futures if f in pending), "")
                    progress(len(runs) - len(pending), len(runs), running)
        finally:
            abandoned.set()  # after success a no-op; otherwise the runs in flight stop at their next chunk
            for future in pending:
                future.cancel()
    return {run.id: sets[run.id] for run in runs if run.id in sets}
