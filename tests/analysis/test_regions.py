"""Venn/UpSet regions: bit masks of exclusive counts and the intersections an UpSet chart shows."""

from __future__ import annotations

import pytest

from gradiend_st.analysis.comparison import compare_topk
from gradiend_st.analysis.regions import largest_regions, region_masks


def regions_of(counts: dict[tuple[str, ...], int]) -> list[dict]:
    return [{"members": list(members), "count": count} for members, count in counts.items()]


def test_masks_set_one_bit_per_member_in_run_order():
    regions = regions_of({("a",): 5, ("b",): 0, ("a", "b"): 3, ("c",): 1, ("a", "c"): 2, ("b", "c"): 4,
                          ("a", "b", "c"): 7})
    assert region_masks(["a", "b", "c"], regions) == {1: 5, 2: 0, 3: 3, 4: 1, 5: 2, 6: 4, 7: 7}
    assert region_masks(["c", "b", "a"], regions)[4 | 1] == 2  # {a, c}: bits of a (2) and c (0)


def test_masks_match_the_library_regions(catalog, expected_topk):
    entry = expected_topk["venn"]["decoder-weight|100"]["4"]
    ids = entry["model_ids"]
    comparison = compare_topk(catalog, ids, "decoder-weight", 100)
    expected = {sum(1 << ids.index(m) for m in r["members"]): r["count"] for r in entry["regions"]}
    assert region_masks(comparison.runs, comparison.regions()) == expected
    assert len(expected) == 2 ** 4 - 1


def test_largest_regions_rank_by_count_then_fewer_members_then_given_order():
    regions = regions_of({("a",): 4, ("b",): 9, ("c",): 0, ("a", "b"): 4, ("a", "c"): 9, ("b", "c"): 4,
                          ("a", "b", "c"): 1})
    shown, total = largest_regions(regions, 40)
    assert total == 6  # the empty region is neither shown nor counted
    assert [(r["members"], r["count"]) for r in shown] == [
        (["b"], 9), (["a", "c"], 9), (["a"], 4), (["a", "b"], 4), (["b", "c"], 4), (["a", "b", "c"], 1)]


@pytest.mark.parametrize("limit, shown", [(3, 3), (1, 1), (0, 1), (-5, 1), (100, 6)])
def test_largest_regions_show_at_most_the_limit_and_at_least_one(limit, shown):
    regions = regions_of({("a",): 4, ("b",): 9, ("a", "b"): 4, ("c",): 2, ("a", "c"): 9, ("b", "c"): 1})
    ranked, total = largest_regions(regions, limit)
    assert len(ranked) == shown and total == 6
    assert ranked == largest_regions(regions, 100)[0][:shown]
