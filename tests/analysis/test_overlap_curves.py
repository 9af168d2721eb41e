"""Overlap against k from one top-K list per run: every count checked against plain set arithmetic on prefixes."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from gradiend_st.analysis import overlap_curves as oc
from gradiend_st.analysis.topk import resolve_k


def random_lists(rng, n_lists: int, dims: list[int], base: int, pool: int) -> list[np.ndarray]:
    """Lists of distinct base indices drawn mostly from a shared pool, so prefixes overlap partially."""
    shared = rng.choice(base, size=pool, replace=False)
    lists = []
    for dim in dims[:n_lists]:
        mix = np.concatenate([rng.permutation(shared)[: pool // 2], rng.choice(base, size=dim, replace=False)])
        lists.append(np.asarray(list(dict.fromkeys(mix.tolist()))[:dim], dtype=np.int64))
    return lists


def prepared(lists, grid):
    ks = [oc.resolved_ks(grid, len(values)) for values in lists]
    levels = [oc.levels(k) for k in ks]
    return ks, [lv for lv, _ in levels], [g for _, g in levels]


@pytest.mark.parametrize("grid", [[10, 50, 200, 1000], [0.01, 100, 0.2, 5]], ids=["ints", "mixed-unsorted"])
@pytest.mark.parametrize("n_lists", [3, 11])  # 11 lists: more than one byte word per description
def test_pair_and_group_counts_equal_prefix_set_intersections(grid, n_lists):
    rng = np.random.default_rng(7)
    dims = [1000, 1000, 800, 1000, 600, 1000, 900, 1000, 1000, 700, 1000]  # pruned runs resolve fractions to less
    lists = random_lists(rng, n_lists, dims, base=50_000, pool=600)
    ks, list_levels, grid_levels = prepared(lists, grid)
    found = oc.describe(oc.shared_indices([v[: k.max()] for v, k in zip(lists, ks, strict=True)], list_levels))
    for a, b in combinations(range(n_lists), 2):
        counts = oc.intersection_counts(found, (a, b), (grid_levels[a], grid_levels[b]))
        expected = [len(set(lists[a][: ks[a][i]]) & set(lists[b][: ks[b][i]])) for i in range(len(grid))]
        assert counts == expected
    members = list(range(n_lists))
    every = oc.intersection_counts(found, members, grid_levels)
    assert every == [len(set.intersection(*(set(lists[m][: ks[m][i]]) for m in members))) for i in range(len(grid))]


def test_range_passes_give_the_same_counts(monkeypatch):
    rng = np.random.default_rng(3)
    lists = random_lists(rng, 4, [2000] * 4, base=100_000, pool=1500)
    ks, list_levels, grid_levels = prepared(lists, [20, 200, 2000])
    one_pass = oc.shared_indices(lists, list_levels)
    monkeypatch.setattr(oc, "MAX_KEYS_PER_PASS", 1000)  # 8 passes over index ranges
    split = oc.shared_indices(lists, list_levels)
    assert np.array_equal(one_pass.index, split.index) and np.array_equal(one_pass.member, split.member)
    assert np.array_equal(one_pass.starts, split.starts)


@pytest.mark.parametrize("relation", [1, -1])
def test_same_sign_counts_follow_the_feature_factor_relation(relation):
    rng = np.random.default_rng(11)
    lists = random_lists(rng, 3, [500] * 3, base=20_000, pool=400)
    weights = {m: dict(zip(lists[m].tolist(), rng.choice([-1, 1, 0], size=len(lists[m]), p=[.45, .45, .1]),
                           strict=True)) for m in range(3)}
    ks, list_levels, grid_levels = prepared(lists, [10, 100, 500])
    shared = oc.shared_indices(lists, list_levels)
    codes = oc.sign_codes_for(shared, {0: 0b10, 1: 0b01}, lambda m, idx: np.array([weights[m][i] for i in idx]))
    assert not codes[shared.member == 2].any(), "list 2 is in no asked pair: its signs are never read"
    found = oc.describe(shared, codes)
    same = oc.same_sign_counts(found, (0, 1), (grid_levels[0], grid_levels[1]), relation)
    for i, k in enumerate(ks[0]):
        common = set(lists[0][:k]) & set(lists[1][:k])
        agree = sum(1 for x in common if weights[0][x] * weights[1][x] * relation > 0)
        assert same[i] == (agree if common else None)


def test_agreement_is_undefined_when_nothing_is_shared_or_signs_are_unknown():
    lists = [np.arange(0, 100), np.arange(50, 150)]
    ks, list_levels, grid_levels = prepared(lists, [40, 100])
    shared = oc.shared_indices(lists, list_levels)
    known = oc.sign_codes_for(shared, {0: 2, 1: 1}, lambda m, idx: np.ones(len(idx)))
    assert oc.same_sign_counts(oc.describe(shared, known), (0, 1), grid_levels, 1) == [None, 50]
    unknown = oc.sign_codes_for(shared, {0: 2, 1: 1}, lambda m, idx: None if m == 1 else np.ones(len(idx)))
    assert oc.same_sign_counts(oc.describe(shared, unknown), (0, 1), grid_levels, 1) == [None, None]
    assert np.isnan(oc.share(None, 10)) and np.isnan(oc.share(0, 0)) and oc.share(0, 5) == 0.0


def test_grids_start_at_k_min_end_at_topk_and_keep_the_type():
    ints = oc.topk_grid(1000, 10, 10, 36896)
    assert ints[0] == 10 and ints[-1] == 1000 and all(isinstance(v, int) for v in ints)
    assert ints == sorted(set(ints)) and len(ints) == 10
    fractions = oc.topk_grid(0.01, 10, 10, 36896)
    assert fractions[-1] == 0.01 and all(isinstance(v, float) for v in fractions)
    assert resolve_k(fractions[0], 36896) == 10
    assert len({resolve_k(f, 36896) for f in fractions}) == len(fractions), "no two fractions give the same k"
    assert oc.topk_grid(50, 10, 10, 36896) == sorted(set(oc.topk_grid(50, 10, 10, 36896)))  # few distinct ints
    assert oc.topk_grid(5, 10, 10, 36896)[-1] == 5  # k_min above the maximum: the maximum wins


def test_chance_is_the_expected_intersection_of_random_sets():
    assert oc.chance([np.array([100]), np.array([369])], 36896)[0] == pytest.approx(100 * 369 / 36896)
    three = oc.chance([np.array([369])] * 3, 36896)[0]
    assert three == pytest.approx(36896 * (369 / 36896) ** 3)
