"""The library's own numbers (expected_topk.json) reproduced exactly, for every part and both topk values."""

import numpy as np
import pytest

from gradiend_st.analysis.comparison import compare_topk
from gradiend_st.analysis.convergence import convergence_status
from gradiend_st.io.seeds import read_seed_report
from gradiend_st.io.training import read_training

KEYS = [f"{p}|{t}" for p in ("encoder-weight", "decoder-weight", "decoder-bias", "decoder-sum") for t in ("100", "0.01")]


def _topk(key):
    part, topk = key.split("|")
    return part, (int(topk) if topk.isdigit() else float(topk))


@pytest.mark.parametrize("key", KEYS)
def test_heatmap_sets_and_counts(catalog, expected_topk, key):
    part, topk = _topk(key)
    entry = expected_topk["heatmap"][key]
    result = compare_topk(catalog, entry["model_ids"], part, topk)
    for rid in entry["model_ids"]:
        expected = expected_topk["topk_indices"][key][rid]
        assert set(result.sets[rid].indices.tolist()) == set(expected)
        assert result.sets[rid].indices.tolist() == expected  # order too (stable rule)
        assert result.sets[rid].k == entry["resolved_topk"][rid]
    assert np.array_equal(result.counts, np.array(entry["intersection_counts"]))
    from gradiend_st.analysis.overlap import overlap_matrix

    frac = overlap_matrix(result.counts, result.sizes, "intersection_frac")
    assert np.allclose(frac, entry["intersection_frac"], atol=1e-9)
    assert np.allclose(100 * frac, entry["matrix"], atol=1e-9)


@pytest.mark.parametrize("key", KEYS)
def test_venn_regions(catalog, expected_topk, key):
    part, topk = _topk(key)
    for n, entry in expected_topk["venn"][key].items():
        result = compare_topk(catalog, entry["model_ids"], part, topk)
        assert result.regions() == entry["regions"], n
        assert {r: result.sets[r].k for r in result.runs} == entry["set_sizes"]
        all_sets = [set(result.sets[r].indices.tolist()) for r in result.runs]
        assert sorted(set.intersection(*all_sets)) == entry["intersection"]
        assert len(set.union(*all_sets)) == entry["union_size"]


@pytest.mark.parametrize("key", KEYS)
def test_seed_checkpoints(catalog, expected_topk, key):
    part, topk = _topk(key)
    seeds = expected_topk["seeds"]
    ids = [f"he_she_seeds/seeds/{name}" for name in seeds["models"]]
    result = compare_topk(catalog, ids, part, topk)
    for name in seeds["models"]:
        assert result.sets[f"he_she_seeds/seeds/{name}"].indices.tolist() == seeds["topk_indices"][key][name]
    assert np.array_equal(result.counts, np.array(seeds["heatmap"][key]["intersection_counts"]))


def test_convergence_markers_match_library_labels(catalog, expected_topk):
    for rid, label in expected_topk["display_labels"].items():
        run = catalog.get(rid)
        report = read_seed_report(run.seed_report_path) if run.seed_report_path.is_file() else None
        status = convergence_status(read_training(run.training_path), report)
        assert rid + status.marker == label


def test_postpruned_topk_lies_inside_parent(catalog):
    result = compare_topk(catalog, ["she_they", "she_they_postprune"], "decoder-weight", 100)
    assert result.counts[0, 1] == 100
