"""Overlap numbers between top-k index sets (FORMAT.md §4.4)."""

from __future__ import annotations

from itertools import combinations

import numpy as np

VALUES = ("intersection", "intersection_frac")


def intersection_counts(sets: list[np.ndarray]) -> np.ndarray:
    """|S_i ∩ S_j| for every pair (diagonal = |S_i|), as an int matrix."""
    unique = [np.unique(s) for s in sets]
    n = len(unique)
    counts = np.zeros((n, n), dtype=np.int64)
    for i in range(n):
        counts[i, i] = len(unique[i])
        for j in range(i + 1, n):
            counts[i, j] = counts[j, i] = len(np.intersect1d(unique[i], unique[j], assume_unique=True))
    return counts


def overlap_matrix(counts: np.ndarray, sizes: list[int], value: str = "intersection") -> np.ndarray:
    """The matrix a heatmap shows: raw counts, or counts / min(k_i, k_j) (0 where a set is empty)."""
    if value not in VALUES:
        raise ValueError(f"unknown value '{value}': choose one of {', '.join(VALUES)}")
    if value == "intersection":
        return counts.astype(float)
    sizes_arr = np.asarray(sizes, dtype=float)
    smaller = np.minimum.outer(sizes_arr, sizes_arr)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(smaller > 0, counts / smaller, 0.0)


def venn_regions(ids: list[str], sets: list[np.ndarray]) -> list[dict]:
    """Exclusive region counts for every non-empty member combination, by size then combinations order."""
    if len(ids) != len(sets):
        raise ValueError("one set per id")
    # Membership bit pattern per index: region(M) = indices whose pattern is exactly M.
    universe = np.unique(np.concatenate(sets)) if sets else np.zeros(0, np.int64)
    pattern = np.zeros(len(universe), dtype=np.int64)
    for bit, values in enumerate(sets):
        pattern |= np.isin(universe, values).astype(np.int64) << bit
    counts = np.bincount(pattern, minlength=1 << len(sets))
    regions = []
    for size in range(1, len(ids) + 1):
        for members in combinations(range(len(ids)), size):
            mask = sum(1 << m for m in members)
            regions.append({"members": [ids[m] for m in members], "count": int(counts[mask])})
    return regions
