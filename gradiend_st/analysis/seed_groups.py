"""Multi-seed runs as groups of their seed checkpoints (FORMAT.md §1.4, §9.4, §10 item 6), as gradiend compares them
when a `models` value is a list of seed models: heatmap cells aggregated over seed pairs with their dispersion, and
Venn sets collapsed by `seed_group_policy`.

The studio's one deliberate difference: a diagonal cell of a group compares pairs of *distinct* seeds (gradiend
includes each seed with itself, which inflates the cell, or makes it trivially 100 % with `matched` pairing).
Plain numpy on member-level intersection counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations, product

import numpy as np

AGGREGATES = ("mean", "median", "min", "max")
DISPERSIONS = ("none", "std", "range", "minmax")
PAIRINGS = ("matched", "all_pairs")
DISPERSION_DISPLAYS = ("none", "stacked", "corner_glyph")
SEED_GROUP_POLICIES = ("primary", "union", "intersection")


def seed_members(catalog, run_id: str) -> list[str]:
    """The seed checkpoints of a multi-seed run, best seed first (gradiend's primary), then by seed; [] otherwise."""
    from gradiend_st.analysis.convergence import seed_report_of

    run = catalog.get(run_id)
    seeds = list(run.seeds)
    report = seed_report_of(run)
    best = f"{run_id}/seeds/seed_{report.best_seed}" if report and report.best_seed is not None else None
    return sorted(seeds, key=lambda rid: rid != best)  # stable: the others keep their seed order


def groups_of(catalog, run_ids: list[str], use_seeds: bool) -> dict[str, list[str]]:
    """{run id: the checkpoints it stands for}: its seeds (with `use_seeds`, for multi-seed runs), else itself."""
    return {rid: (seed_members(catalog, rid) if use_seeds else []) or [rid] for rid in dict.fromkeys(run_ids)}


def check(aggregate: str, dispersion: str, pairing: str, display: str = "none") -> None:
    """gradiend's checks of the seed options (same messages), as ValueError."""
    if aggregate not in AGGREGATES:
        raise ValueError(f"seed_aggregate must be one of {sorted(AGGREGATES)}, got {aggregate!r}")
    if dispersion not in DISPERSIONS:
        raise ValueError(f"dispersion must be one of {sorted(DISPERSIONS)}, got {dispersion!r}")
    if dispersion == "range" and aggregate in ("min", "max"):
        raise ValueError("dispersion='range' does not make sense with seed_aggregate='min' or 'max'")
    if pairing not in PAIRINGS:
        raise ValueError("seed_pairing_mode must be 'all_pairs' or 'matched'")
    if display not in DISPERSION_DISPLAYS:
        raise ValueError("dispersion_display must be 'none', 'stacked', or 'corner_glyph'")


@dataclass(frozen=True)
class Cells:
    """A run x run matrix of aggregated pair scores."""

    values: np.ndarray  # the aggregate per cell
    pairs: np.ndarray  # seed pairs per cell
    low: np.ndarray  # smallest pair score per cell
    high: np.ndarray  # largest pair score per cell
    spread: np.ndarray | None  # population std ("std") or half the range ("range") per cell; None otherwise

    @property
    def grouped(self) -> bool:
        return bool((self.pairs > 1).any())


def pair_scores(counts: np.ndarray, sizes: list[int], value: str, percentages: bool) -> np.ndarray:
    """Every member pair's score: the count, count / min(k_i, k_j), or 100 x that with `percentages`."""
    if value == "intersection" and not percentages:
        return counts.astype(float)
    sizes_arr = np.asarray(sizes, dtype=float)
    smaller = np.minimum.outer(sizes_arr, sizes_arr)
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.where(smaller > 0, counts / smaller, 0.0)
    return 100.0 * fraction if percentages else fraction


def cells(scores: np.ndarray, groups: list[list[int]], aggregate: str = "mean", dispersion: str = "none",
          pairing: str = "matched") -> Cells:
    """Aggregate member-pair `scores` (indexed by member position) into one cell per pair of groups.

    `groups[i]`: the member positions of row/column i. Off the diagonal, `matched` pairs the k-th seed of one group
    with the k-th of the other (groups of equal size, as gradiend requires), `all_pairs` every seed with every seed;
    a diagonal cell uses every pair of distinct seeds (a group of one: the run with itself).
    """
    check(aggregate, dispersion, pairing)
    n = len(groups)
    if pairing == "matched":
        sizes = {len(g) for g in groups}
        if len(sizes) > 1:
            raise ValueError(f"seed_pairing_mode='matched' requires equal selected-seed group sizes (found "
                             f"{', '.join(str(s) for s in sorted(sizes))} seeds); use seed_pairing_mode='all_pairs'")
    values, pairs, low, high = (np.zeros((n, n)) for _ in range(4))
    spread = np.zeros((n, n)) if dispersion in ("std", "range") else None
    for i, j in product(range(n), repeat=2):
        if i == j:
            members = list(combinations(groups[i], 2)) or [(groups[i][0], groups[i][0])]
        elif pairing == "matched":
            members = list(zip(groups[i], groups[j]))
        else:
            members = list(product(groups[i], groups[j]))
        found = np.array([scores[a, b] for a, b in members], dtype=float)
        values[i, j] = _aggregate(found, aggregate)
        pairs[i, j], low[i, j], high[i, j] = len(found), found.min(), found.max()
        if dispersion == "std":
            spread[i, j] = found.std()
        elif dispersion == "range":
            spread[i, j] = (found.max() - found.min()) / 2.0
    return Cells(values, pairs.astype(int), low, high, spread)


def _aggregate(values: np.ndarray, how: str) -> float:
    return float({"mean": np.mean, "median": np.median, "min": np.min, "max": np.max}[how](values))


def collapse(sets: list[np.ndarray], policy: str) -> np.ndarray:
    """One Venn set for a seed group: the primary (first) seed's, or the union / intersection of all seeds'."""
    if policy not in SEED_GROUP_POLICIES:
        raise ValueError("seed_group_policy must be one of 'primary', 'union', or 'intersection'")
    if policy == "primary" or len(sets) == 1:
        return np.asarray(sets[0])
    combine = np.union1d if policy == "union" else np.intersect1d
    result = np.asarray(sets[0])
    for other in sets[1:]:
        result = combine(result, other)
    return result
