"""Sign agreement: feature factors from each run's files (FORMAT.md §2.4), and the heatmap's optional value."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from gradiend_st.analysis.comparison import compare_topk
from gradiend_st.analysis.curves import compute_curves
from gradiend_st.analysis.feature_factors import class_directions, shared_class, strengthening_factor, training_source
from gradiend_st.analysis.sign_agreement import sign_agreement_matrix, sign_relation
from gradiend_st.io.decoder_weights import decoder_signs_at, decoder_weights_at
from gradiend_st.io.discover import discover
from gradiend_st.io.errors import RunReadError
from tests.conftest import RUNS


def test_feature_factors_of_the_fixture_runs(catalog):
    he_she = catalog.get("he_she")
    assert training_source(he_she) == "alternative"
    assert strengthening_factor(he_she, "he") == 1 and strengthening_factor(he_she, "she") == -1
    assert strengthening_factor(he_she, "they") is None
    # Pre-pruned: gradiend_context.json has no direction; training.json's label names give the pair.
    preprune = catalog.get("he_she_preprune")
    assert preprune.context.direction == {}
    assert class_directions(preprune) == {"he": 1, "she": -1}
    assert shared_class(he_she, catalog.get("she_they")) == "she"
    assert shared_class(he_she, catalog.get("1SG_1PL")) is None
    assert sign_relation(he_she, catalog.get("she_they")).relation == (-1) * 1  # she: -1 in he_she, +1 in she_they


@pytest.fixture()
def factual_copy(tmp_path):
    """he_it and he_she, with he_she re-declared as trained on factual gradients (its decoder then strengthens he
    with feature factor -1)."""
    for rid in ("he_it", "he_she"):
        shutil.copytree(RUNS / rid, tmp_path / rid)
    training = tmp_path / "he_she" / "model" / "training.json"
    data = json.loads(training.read_text())
    data["training_args"]["source"] = "factual"
    training.write_text(json.dumps(data))
    return discover(tmp_path)


def test_the_training_source_flips_which_way_counts_as_the_same(catalog, factual_copy):
    assert training_source(factual_copy.get("he_she")) == "factual", "training.json's source wins over the context's"
    original = compute_curves(catalog, ["he_it", "he_she"], "decoder-weight", [0.01]).pairs[0]
    flipped = compute_curves(factual_copy, ["he_it", "he_she"], "decoder-weight", [0.01]).pairs[0]
    assert original.shared == flipped.shared == [16]
    # No exact zeros among these weights: every shared weight agrees in exactly one of the two readings.
    shared = np.intersect1d(*(compare_topk(catalog, [r], "decoder-weight", 0.01).sets[r].indices for r in ("he_it", "he_she")))
    assert (decoder_signs_at(catalog.get("he_she").checkpoint, shared) != 0).all()
    assert flipped.same_sign == [16 - original.same_sign[0]] == [3]


def test_a_checkpoint_without_context_counts_as_factual(tmp_path):
    shutil.copytree(RUNS / "he_she", tmp_path / "he_she")
    (tmp_path / "he_she" / "model" / "gradiend_context.json").unlink()
    run = discover(tmp_path).get("he_she")
    assert training_source(run) == "factual"  # gradiend's resolve_source_from_checkpoint_dir default
    assert strengthening_factor(run, "he") == -1  # the pair still comes from training.json's label names


def test_heatmap_value_is_the_share_and_undefined_without_a_shared_class(catalog):
    comparison = compare_topk(catalog, ["he_it", "he_she", "1SG_1PL"], "decoder-weight", 0.01)
    matrix, notes = sign_agreement_matrix(catalog, comparison)
    assert matrix[0, 1] == matrix[1, 0] == pytest.approx(13 / 16)
    assert np.isnan(matrix[0, 2]) and np.isnan(matrix[1, 2]), "no shared class: undefined, never 0"
    assert np.isnan(np.diag(matrix)).all() and notes == {}


@pytest.mark.parametrize("run_id", ["he_she_preprune", "it_they_bin", "she_they"])
def test_decoder_weights_at_base_indices_read_only_those_values(catalog, run_id):
    """Pruned (local != base index), legacy .bin and plain safetensors: the values of the whole tensor at the
    checkpoint's local rows of the given base indices."""
    run = catalog.get(run_id)
    top = compare_topk(catalog, [run_id], "decoder-weight", 0.01).sets[run_id].indices
    whole = run.checkpoint.open_weights().read("decoder.0.linear.weight")[:, 0]
    table = run.checkpoint.local_to_base
    local = np.arange(len(whole)) if table is None else np.searchsorted(table, top)
    expected = whole[top] if table is None else whole[local]
    assert np.array_equal(decoder_weights_at(run.checkpoint, top), expected)
    assert np.array_equal(decoder_signs_at(run.checkpoint, top), np.sign(expected).astype(np.int8))
    if table is not None:
        outside = np.setdiff1d(np.arange(run.config.base_dim), table)[:1]
        with pytest.raises(RunReadError, match="not an input of this pruned checkpoint"):
            decoder_weights_at(run.checkpoint, outside)


def test_values_are_read_window_by_window_in_any_order(catalog, monkeypatch):
    from gradiend_st.io import decoder_weights

    monkeypatch.setattr(decoder_weights, "WINDOW", 1000)  # 37 windows over he_she's 36,896 inputs
    run = catalog.get("he_she")
    wanted = np.random.default_rng(5).permutation(run.config.input_dim)[:5000]
    whole = run.checkpoint.open_weights().read("decoder.0.linear.weight")[:, 0]
    assert np.array_equal(decoder_weights_at(run.checkpoint, wanted), whole[wanted])


def test_signs_read_once_are_served_from_the_cache(catalog, monkeypatch):
    from gradiend_st.analysis import sign_cache

    first = compute_curves(catalog, ["he_it", "he_she"], "decoder-weight", [100, 0.01]).pairs[0]

    def no_weights(*_args):
        raise AssertionError("the weights were read again")

    monkeypatch.setattr(sign_cache, "decoder_signs_at", no_weights)
    again = compute_curves(catalog, ["he_it", "he_she"], "decoder-weight", [100, 0.01]).pairs[0]
    assert again.same_sign == first.same_sign == [None, 13]


def test_the_sign_cache_reads_only_what_it_does_not_hold(catalog, monkeypatch, tmp_path):
    from gradiend_st.analysis import sign_cache

    monkeypatch.setenv("GRADIEND_ST_CACHE_DIR", str(tmp_path))
    checkpoint = catalog.get("she_they").checkpoint
    read = []
    original = sign_cache.decoder_signs_at
    monkeypatch.setattr(sign_cache, "decoder_signs_at", lambda cp, idx: read.append(len(idx)) or original(cp, idx))
    first, second = np.arange(100, 200), np.arange(150, 260)[::-1]
    assert np.array_equal(sign_cache.cached_signs(checkpoint, first), original(checkpoint, first))
    assert np.array_equal(sign_cache.cached_signs(checkpoint, second), original(checkpoint, second))
    assert read == [100, 60], "the second call read only the 60 indices the first did not"
