import os

import numpy as np

import gradiend_st.analysis.topk_cache as cache_module
from gradiend_st.analysis.comparison import compare_topk
from gradiend_st.analysis.topk import compute_topk
from gradiend_st.analysis.topk_cache import cache_dir, cached_topk
from gradiend_st.io.checkpoint import Checkpoint
from gradiend_st.io.discover import discover
from tests.builders import write_checkpoint, write_run


def _count_computations(monkeypatch):
    calls = []

    def counting(checkpoint, part, topk, should_stop=None):
        calls.append((checkpoint.folder.name, part, topk))
        return compute_topk(checkpoint, part, topk, should_stop=should_stop)

    monkeypatch.setattr(cache_module, "compute_topk", counting)
    return calls


def test_cache_hit_prefix_and_invalidation(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADIEND_ST_CACHE_DIR", str(tmp_path / "cache"))
    calls = _count_computations(monkeypatch)
    write_checkpoint(tmp_path / "m")
    ckpt = Checkpoint(tmp_path / "m")
    first = cached_topk(ckpt, "decoder-weight", 20)
    again = cached_topk(Checkpoint(tmp_path / "m"), "decoder-weight", 20)
    smaller = cached_topk(Checkpoint(tmp_path / "m"), "decoder-weight", 5)
    assert len(calls) == 1
    assert np.array_equal(first.indices, again.indices) and np.array_equal(smaller.indices, first.indices[:5])
    assert smaller.k == 5
    cached_topk(ckpt, "decoder-weight", 30)  # larger k than stored: computed again
    assert len(calls) == 2
    # rewriting the weights (new size/mtime) invalidates the entry
    write_checkpoint(tmp_path / "m", seed=7)
    os.utime(tmp_path / "m" / "model.safetensors", ns=(1, 1))
    fresh = cached_topk(Checkpoint(tmp_path / "m"), "decoder-weight", 20)
    assert len(calls) == 3
    assert np.array_equal(fresh.indices, compute_topk(Checkpoint(tmp_path / "m"), "decoder-weight", 20).indices)


def test_cache_off_and_unwritable(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADIEND_ST_CACHE_DIR", "off")
    assert cache_dir() is None
    calls = _count_computations(monkeypatch)
    write_checkpoint(tmp_path / "m")
    cached_topk(Checkpoint(tmp_path / "m"), "decoder-bias", 3)
    cached_topk(Checkpoint(tmp_path / "m"), "decoder-bias", 3)
    assert len(calls) == 2
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    monkeypatch.setenv("GRADIEND_ST_CACHE_DIR", str(blocked))
    assert cached_topk(Checkpoint(tmp_path / "m"), "decoder-bias", 3).k == 3  # no cache, still an answer


def test_parallel_comparison_reports_progress_in_run_order(tmp_path):
    for i in range(5):
        write_run(tmp_path, f"r{i}", seed=i)
    seen = []
    result = compare_topk(discover(tmp_path), [f"r{i}" for i in range(5)], "encoder-weight", 10,
                          progress=lambda done, total, rid: seen.append((done, total)))
    assert result.runs == [f"r{i}" for i in range(5)]
    assert seen[0] == (0, 5) and seen[-1] == (5, 5) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    for i in range(5):
        direct = compute_topk(Checkpoint(tmp_path / f"r{i}" / "model"), "encoder-weight", 10)
        assert np.array_equal(result.sets[f"r{i}"].indices, direct.indices)


def test_interrupted_comparison(tmp_path):
    import pytest

    for i in range(3):
        write_run(tmp_path, f"r{i}", seed=i)
    with pytest.raises(InterruptedError):
        compare_topk(discover(tmp_path), ["r0", "r1", "r2"], "decoder-sum", 0.5, should_stop=lambda: True,
                     compute=lambda run, part, topk, should_stop=None: compute_topk(run.checkpoint, part, topk, should_stop))


def test_an_exception_from_progress_stops_the_runs_in_flight(tmp_path):
    # The app's progress callback raises when the user changes the selection (Streamlit's rerun); the two runs
    # being read must stop at their next chunk instead of running to the end, and the third is never started.
    import time

    import pytest

    for i in range(3):
        write_run(tmp_path, f"r{i}", seed=i)
    started, outcome, calls = [], {}, []

    def slow_compute(run, part, topk, should_stop=None):
        started.append(run.id)
        give_up = time.monotonic() + 10
        while not should_stop():
            if time.monotonic() > give_up:
                outcome[run.id] = "ran to the end"
                return compute_topk(run.checkpoint, part, topk)
            time.sleep(0.01)
        outcome[run.id] = "stopped"
        raise InterruptedError("stopped")

    def progress(done, total, run_id):
        calls.append((done, run_id))
        if len(calls) == 2:  # the first heartbeat: no run has finished yet
            raise RuntimeError("selection changed")

    with pytest.raises(RuntimeError, match="selection changed"):
        compare_topk(discover(tmp_path), ["r0", "r1", "r2"], "decoder-sum", 3, progress=progress, compute=slow_compute)
    assert calls == [(0, "r0"), (0, "r0")]
    assert sorted(started) == ["r0", "r1"] and outcome == {"r0": "stopped", "r1": "stopped"}
