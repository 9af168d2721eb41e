"""Exclusive regions of several top-k sets as the Venn and UpSet charts show them.

A region is {"members": [run ids], "count": indices in exactly these sets} (`overlap.venn_regions`).
"""

from __future__ import annotations


def region_masks(runs: list[str], regions: list[dict]) -> dict[int, int]:
    """{membership bit mask (bit i = runs[i]): exclusive count}."""
    bit = {rid: 1 << i for i, rid in enumerate(runs)}
    return {sum(bit[m] for m in region["members"]): int(region["count"]) for region in regions}


def largest_regions(regions: list[dict], limit: int) -> tuple[list[dict], int]:
    """The non-empty regions an UpSet chart shows: at most `limit` (at least 1), largest first (ties: fewer
    members, then the given combination order); and how many non-empty regions there are."""
    non_empty = [r for r in regions if r["count"] > 0]
    ranked = sorted(non_empty, key=lambda r: (-r["count"], len(r["members"])))  # stable: keeps combination order
    return ranked[:max(1, limit)], len(non_empty)
