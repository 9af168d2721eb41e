"""Streaming top-k against a direct computation on files the tests write."""

from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradiend_st.analysis.topk as topk_module
from gradiend_st.analysis import overlap
from gradiend_st.analysis.overlap import intersection_counts, venn_regions
from gradiend_st.analysis.topk import StreamingTopK, compute_topk, parse_topk, resolve_k
from gradiend_st.io.checkpoint import Checkpoint
from tests.builders import topk_reference, write_checkpoint


def _importance(made, part):
    dec, enc, bias = made["decoder"].astype(np.float32), made["encoder"].astype(np.float32), made["bias"]
    if part == "decoder-weight":
        return np.abs(dec).sum(axis=1)
    if part == "encoder-weight":
        return np.abs(enc).sum(axis=0)
    if part == "decoder-bias":
        return np.abs(bias) if bias is not None else np.zeros(dec.shape[0], np.float32)
    return np.abs(dec.sum(axis=1) + (bias if bias is not None else 0))


@pytest.mark.parametrize("part", topk_module.PARTS)
@pytest.mark.parametrize("latent", [1, 3])
@pytest.mark.parametrize("k", [1, 7, 60])
def test_streaming_equals_direct(tmp_path, monkeypatch, part, latent, k):
    monkeypatch.setattr(topk_module, "CHUNK_ELEMENTS", 8)  # many chunks, and merges across them
    selection = {0: np.array([0, 3, 4, 9, 20]), 2: np.arange(0, 30, 2)}
    made = write_checkpoint(tmp_path / "m", latent=latent, selection=selection, seed=k)
    result = compute_topk(Checkpoint(tmp_path / "m"), part, k)
    local = topk_reference(_importance(made, part), min(k, len(made["base"])))
    assert result.indices.tolist() == made["base"][local].tolist()


@pytest.mark.parametrize("weights", ["safetensors", "bin"])
def test_float16_and_bin(tmp_path, weights):
    made = write_checkpoint(tmp_path / "m", dtype=np.float16, weights=weights)
    result = compute_topk(Checkpoint(tmp_path / "m"), "decoder-weight", 10)
    assert result.indices.tolist() == topk_reference(_importance(made, "decoder-weight"), 10)


def test_ties_without_bias_take_lowest_indices(tmp_path):
    write_checkpoint(tmp_path / "m", bias=False)
    result = compute_topk(Checkpoint(tmp_path / "m"), "decoder-bias", 5)
    assert result.indices.tolist() == [0, 1, 2, 3, 4]


def test_nan_and_inf_weights(tmp_path):
    from safetensors.numpy import load_file, save_file

    write_checkpoint(tmp_path / "m")
    path = tmp_path / "m" / "model.safetensors"
    tensors = load_file(str(path))
    dec = tensors["decoder.0.linear.weight"]
    dec[:] = np.arange(60, dtype=np.float32).reshape(60, 1)
    dec[59, 0] = np.nan  # would be the largest: NaN ranks last instead
    dec[3, 0] = np.inf  # ranks first
    save_file(tensors, str(path))
    result = compute_topk(Checkpoint(tmp_path / "m"), "decoder-weight", 3)
    assert result.indices.tolist() == [3, 58, 57]
    assert result.nonfinite == 2


def test_k_resolution():
    assert resolve_k(0.01, 36896) == 369 and resolve_k(0.01, 1845) == 19 and resolve_k(0.01, 3690) == 37
    assert resolve_k(1.0, 50) == 50 and resolve_k(1, 50) == 1 and resolve_k(500, 50) == 50
    assert parse_topk("100") == 100 and isinstance(parse_topk("100"), int)
    assert isinstance(parse_topk("1.0"), float)
    for bad in ("0", "-3", "1.5", "abc", True):
        with pytest.raises(ValueError):
            parse_topk(bad)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-5, 5, allow_nan=False, width=32), min_size=1, max_size=200), st.integers(1, 50), st.integers(1, 40))
def test_streaming_selector_property(values, k, chunk):
    values = np.asarray(values, np.float32)
    selector = StreamingTopK(min(k, len(values)))
    for start in range(0, len(values), chunk):
        selector.add(np.abs(values[start:start + chunk]), start)
    idx, _ = selector.result()
    assert idx.tolist() == topk_reference(np.abs(values), min(k, len(values)))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sets(st.one_of(st.integers(0, 60), st.integers(0, 2**40)), max_size=30), min_size=2, max_size=5),
       st.integers(1, 200))
def test_overlap_and_venn_properties(sets, max_keys):
    # Any split into index ranges (max_keys) gives the same numbers; indices up to 2**40 need 64-bit keys.
    arrays = [np.array(sorted(s), dtype=np.int64) for s in sets]
    with patch.object(overlap, "MAX_KEYS_PER_PASS", max_keys):
        counts = intersection_counts(arrays)
        regions = venn_regions([f"r{i}" for i in range(len(sets))], arrays)
    for i, a in enumerate(sets):
        for j, b in enumerate(sets):
            assert counts[i, j] == len(a & b)
    ids = [f"r{i}" for i in range(len(sets))]
    assert len(regions) == 2 ** len(sets) - 1
    assert sum(r["count"] for r in regions) == len(set().union(*sets))
    for r in regions:
        members = [sets[ids.index(m)] for m in r["members"]]
        others = [s for i, s in enumerate(sets) if ids[i] not in r["members"]]
        assert r["count"] == len(set.intersection(*members) - set().union(*others))


@settings(max_examples=25, deadline=None)
@given(st.integers(60, 140), st.integers(0, 2**32 - 1), st.integers(50, 5000))
def test_intersection_counts_beyond_one_membership_word(n_sets, seed, max_keys):
    # More than 64 sets spread the membership bits over several words; counts must not change.
    rng = np.random.default_rng(seed)
    sets = [rng.choice(300, size=rng.integers(0, 40), replace=False) for _ in range(n_sets)]
    with patch.object(overlap, "MAX_KEYS_PER_PASS", max_keys):
        counts = intersection_counts(sets)
    expected = np.array([[len(np.intersect1d(a, b)) for b in sets] for a in sets])
    assert np.array_equal(counts, expected)


def test_venn_regions_above_sixteen_sets_lists_the_non_empty_regions():
    rng = np.random.default_rng(7)
    sets = [rng.choice(500, size=60, replace=False) for _ in range(20)]
    ids = [f"r{i}" for i in range(20)]
    regions = venn_regions(ids, sets)
    assert all(r["count"] > 0 for r in regions)
    assert sum(r["count"] for r in regions) == len(np.unique(np.concatenate(sets)))
    for r in regions[:50]:
        inside = set.intersection(*(set(sets[ids.index(m)].tolist()) for m in r["members"]))
        outside = set().union(*(set(s.tolist()) for i, s in enumerate(sets) if ids[i] not in r["members"]))
        assert r["count"] == len(inside - outside)
    sizes = [len(r["members"]) for r in regions]
    assert sizes == sorted(sizes)


@pytest.fixture()
def sampling_on_small_tensors(monkeypatch):
    """The sampled floor on test-sized tensors: 8 blocks of 4 values, many chunks."""
    monkeypatch.setattr(topk_module, "CHUNK_ELEMENTS", 16)
    monkeypatch.setattr(topk_module, "SAMPLE_MIN_DIM", 0)
    monkeypatch.setattr(topk_module, "SAMPLE_BLOCKS", 8)
    monkeypatch.setattr(topk_module, "SAMPLE_BLOCK_ELEMENTS", 4)
    monkeypatch.setattr(topk_module, "SAMPLE_MIN_RANK", 2)
    calls = []
    stream = topk_module._stream
    monkeypatch.setattr(topk_module, "_stream", lambda *a: calls.append(a[3]._floor) or stream(*a))
    return calls


@pytest.mark.parametrize("part", topk_module.PARTS)
@pytest.mark.parametrize("k", [1, 5, 12])
def test_sampled_floor_keeps_results_exact(tmp_path, sampling_on_small_tensors, part, k):
    made = write_checkpoint(tmp_path / "m", latent=2, seed=k)
    result = compute_topk(Checkpoint(tmp_path / "m"), part, k)
    local = topk_reference(_importance(made, part), k)
    assert result.indices.tolist() == made["base"][local].tolist()
    assert sampling_on_small_tensors[0] > -np.inf, "the floor was used"


def test_a_floor_set_too_high_falls_back_to_an_exact_pass(tmp_path, monkeypatch, sampling_on_small_tensors):
    from safetensors.numpy import load_file, save_file

    monkeypatch.setattr(topk_module, "SAMPLE_BLOCKS", 4)
    monkeypatch.setattr(topk_module, "SAMPLE_BLOCK_ELEMENTS", 2)  # 8 of 60 values sampled

    write_checkpoint(tmp_path / "m")
    path = tmp_path / "m" / "model.safetensors"
    tensors = load_file(str(path))
    dec = tensors["decoder.0.linear.weight"]
    dec[:] = 1.0
    for a in np.linspace(0, len(dec) - 2, 4).astype(int):  # only the sampled values are large:
        dec[a:a + 2] = 100.0  # the floor lands at 100, which 8 values reach, fewer than k
    save_file(tensors, str(path))
    k = 20
    result = compute_topk(Checkpoint(tmp_path / "m"), "decoder-weight", k)
    assert result.indices.tolist() == topk_reference(np.abs(dec[:, 0]), k)
    assert len(sampling_on_small_tensors) == 2 and sampling_on_small_tensors[1] == -np.inf, "second pass ran"
