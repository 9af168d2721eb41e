"""The heatmap's run order: order rules, pretty groups, greedy clustering within groups (no matplotlib needed)."""

from __future__ import annotations

import numpy as np
import pytest

from gradiend_st.analysis.comparison import compare_topk
from gradiend_st.analysis.ordering import OTHER_GROUP, base_order, greedy_chain, ordered_groups, reorder

HE_THEY = "suite_pronouns/he__they"


@pytest.fixture(scope="module")
def compared(catalog, expected_topk):
    """The library's heatmap selection at decoder-weight, top-100: (run ids, intersection counts)."""
    ids = expected_topk["heatmap"]["decoder-weight|100"]["model_ids"]
    comparison = compare_topk(catalog, ids, "decoder-weight", 100)
    return list(comparison.runs), comparison.counts


def test_cluster_is_a_greedy_chain_on_raw_counts(compared):
    runs, counts = compared
    [(name, order)] = ordered_groups(runs, counts, cluster=True)
    index = {rid: i for i, rid in enumerate(runs)}
    assert name is None
    assert order[0] == runs[0] and sorted(order) == sorted(runs)
    for position in range(1, len(order)):
        previous, rest = index[order[position - 1]], order[position:]
        best = max(counts[previous, index[rid]] for rid in rest)
        assert counts[previous, index[order[position]]] == best


def test_cluster_stays_within_pretty_groups(compared):
    runs, counts = compared
    groups = {"pairs": ["he_she", "she_they", "he_it", "1SG_1PL", "3SG_3PL"],
              "special": ["he_she_preprune", "it_they_bin", "she_they_postprune", "he_she_seeds"]}
    ordered = ordered_groups(runs, counts, groups=groups, cluster=True)
    assert [name for name, _ in ordered] == ["pairs", "special", "Other"]
    assert sorted(ordered[0][1]) == sorted(groups["pairs"])
    assert sorted(ordered[1][1]) == sorted(groups["special"])
    assert sorted(ordered[2][1]) == sorted([HE_THEY, "suite_pronouns/she__they"])


def test_pretty_groups_keep_group_order_without_cluster(compared):
    runs, counts = compared
    groups = {"b": ["he_it", "he_she"], "a": ["3SG_3PL"]}
    [(_, first), (_, second), (other, rest)] = ordered_groups(runs, counts, groups=groups)
    assert first == ["he_it", "he_she"] and second == ["3SG_3PL"]
    assert other == OTHER_GROUP == "Other" and rest == sorted(rest)


def test_pretty_groups_follow_a_chosen_order_and_skip_unknown_or_repeated_runs():
    runs = ["c", "a", "b", "d"]
    groups = {"first": ["b", "nope", "c", "b"], "second": ["c", "a"], "empty": ["nope"]}
    assert ordered_groups(runs, np.eye(4), "name", groups) == [("first", ["b", "c"]), ("second", ["a"]),
                                                                ("Other", ["d"])]
    assert ordered_groups(runs, np.eye(4), "input", groups) == [("first", ["b", "c"]), ("second", ["a"]),
                                                                 ("Other", ["d"])]


def test_base_orders():
    runs = ["c", "a", "b"]
    assert base_order(runs, "input") == runs
    assert base_order(runs, "name") == ["a", "b", "c"]
    assert base_order(runs, ["b", "x", "b"]) == ["b", "c", "a"]  # listed first (unknown ids ignored), then input order
    with pytest.raises(ValueError, match="unknown order"):
        base_order(runs, "size")


def test_greedy_chain_ties_go_to_the_earliest():
    counts = np.array([[9, 5, 5, 1], [5, 9, 2, 7], [5, 2, 9, 0], [1, 7, 0, 9]])
    index = {rid: i for i, rid in enumerate("abcd")}
    assert greedy_chain(list("abcd"), counts, index) == ["a", "b", "d", "c"]
    assert greedy_chain(list("acbd"), counts, index) == ["a", "c", "b", "d"]  # a ties b and c: c comes first here
    assert greedy_chain([], counts, index) == []


def test_reorder_moves_rows_and_columns_alike():
    matrix = np.arange(9).reshape(3, 3)
    assert reorder(matrix, ["a", "b", "c"], ["c", "a", "b"]).tolist() == [[8, 6, 7], [2, 0, 1], [5, 3, 4]]
