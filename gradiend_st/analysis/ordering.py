"""The order in which a matrix view shows runs: an order rule, named groups, and clustering within each group.

Plain functions on run ids and an intersection-count matrix (the top-k overlap heatmap, FORMAT.md §9.4 and §10
item 6: clustering stays within `pretty_groups`).
"""

from __future__ import annotations

import numpy as np

OTHER_GROUP = "Other"  # the group of runs no pretty group lists

Groups = list[tuple[str | None, list[str]]]  # [(group name, or None without groups; run ids in drawing order)]


def ordered_groups(runs: list[str], counts: np.ndarray, order: str | list[str] = "input",
                   groups: dict[str, list[str]] | None = None, cluster: bool = False) -> Groups:
    """Runs in drawing order, by group: groups first, then `order` and, with `cluster`, a greedy chain within each.

    `counts[i, j]` is the overlap of `runs[i]` and `runs[j]` (only `cluster` reads it).
    """
    base = base_order(runs, order)
    ordered: Groups = group_members(base, groups, order) if groups else [(None, base)]
    if cluster:
        index = {rid: i for i, rid in enumerate(runs)}
        ordered = [(name, greedy_chain(ids, counts, index)) for name, ids in ordered]
    return ordered


def base_order(runs: list[str], order: str | list[str]) -> list[str]:
    """"input": as given; "name": sorted; a list: its runs first, unlisted runs after them in input order."""
    if order == "input":
        return list(runs)
    if order == "name":
        return sorted(runs)
    if isinstance(order, (list, tuple)):
        listed = [rid for rid in dict.fromkeys(order) if rid in runs]
        return listed + [rid for rid in runs if rid not in listed]
    raise ValueError(f"unknown order '{order}': use 'input', 'name' or a list of run ids")


def group_members(base: list[str], groups: dict[str, list[str]], order: str | list[str]) -> list[tuple[str, list[str]]]:
    """Groups in dict order (a run in two groups stays in the first), then OTHER_GROUP for the unlisted runs.

    With order="input" the members follow the group's own list and the others are sorted by id; with any other
    order everyone follows `base`.
    """
    rank = {rid: i for i, rid in enumerate(base)}
    taken: set[str] = set()
    found = []
    for name, members in groups.items():
        ids = [rid for rid in dict.fromkeys(members) if rid in rank and rid not in taken]
        if order != "input":
            ids.sort(key=rank.__getitem__)
        taken.update(ids)
        if ids:
            found.append((str(name), ids))
    rest = [rid for rid in base if rid not in taken]
    if rest:
        found.append((OTHER_GROUP, sorted(rest) if order == "input" else rest))
    return found


def greedy_chain(ids: list[str], counts: np.ndarray, index: dict[str, int]) -> list[str]:
    """Start with the first id, then keep appending the remaining id sharing most with the last (ties: earliest)."""
    if not ids:
        return []
    chain, remaining = [ids[0]], list(ids[1:])
    while remaining:
        last = index[chain[-1]]
        best = max(remaining, key=lambda rid: (counts[last, index[rid]], -remaining.index(rid)))
        chain.append(best)
        remaining.remove(best)
    return chain


def reorder(matrix: np.ndarray, runs: list[str], order: list[str]) -> np.ndarray:
    """A run x run matrix in `runs` order, rearranged to `order` (rows and columns alike)."""
    idx = [runs.index(rid) for rid in order]
    return matrix[np.ix_(idx, idx)]
