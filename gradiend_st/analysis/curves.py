"""Overlap curves of catalog runs: each run's top-K list read once (disk cache or bundle), every k of a grid answered
by prefix, every requested pair and group counted from one pass over the shared indices (`overlap_curves`).

Used by the curves view and `gradiend-st curve`, so both give the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from gradiend_st.analysis import overlap_curves as oc
from gradiend_st.analysis.comparison import compare_topk
from gradiend_st.analysis.sign_agreement import SignReader, partner_masks, sign_relation, sources_of
from gradiend_st.analysis.topk import parse_topk, resolve_k
from gradiend_st.io.errors import RunReadError


@dataclass
class PairCurve:
    runs: tuple[str, str]
    shared: list[int]  # |S_a ∩ S_b| per grid point
    chance: list[float]  # k_a · k_b / N per grid point
    shared_class: str | None  # the class both runs strengthen (None: they share none)
    same_sign: list[int | None]  # shared weights moved the same way for that class; None where undefined
    sign_note: str | None = None  # why the agreement is undefined throughout, when it is

    def same_sign_share(self) -> list[float]:
        return [oc.share(same, total) for same, total in zip(self.same_sign, self.shared, strict=True)]


@dataclass
class GroupCurve:
    runs: list[str]
    all: list[int]  # indices in every member's top-k set, per grid point
    chance: list[float]  # N · Π(k_i / N) per grid point


@dataclass
class Curves:
    part: str
    grid: list[int | float]  # top-k values as asked (ints or fractions of each run's input_dim)
    base_dim: int  # N: the base parameter count the indices live in
    runs: list[str]  # runs compared, in the order asked (readable ones)
    ks: dict[str, list[int]]  # resolved k per grid point, per run
    pairs: list[PairCurve]
    groups: dict[str, GroupCurve]
    left_out: dict[str, RunReadError] = field(default_factory=dict)
    sign_notes: dict[str, str] = field(default_factory=dict)  # run id -> why its decoder signs are not known

    def pair(self, a: str, b: str) -> PairCurve | None:
        return next((p for p in self.pairs if set(p.runs) == {a, b}), None)


def check_grid(grid: Sequence[int | float | str]) -> list[int | float]:
    values = [parse_topk(value) for value in grid]
    if not values:
        raise ValueError("give at least one k")
    if len(values) > oc.MAX_GRID:
        raise ValueError(f"at most {oc.MAX_GRID} values of k at once ({len(values)} given)")
    return values


def list_topk(grid: list[int | float], input_dims: Sequence[int]) -> int | float:
    """One top-k request whose list covers every grid point of every run (k <= K answered by prefix)."""
    if all(isinstance(v, int) for v in grid) or all(isinstance(v, float) for v in grid):
        return max(grid)
    return max(resolve_k(v, dim) for v in grid for dim in input_dims)


def compute_curves(catalog, run_ids: list[str], part: str, grid: Sequence[int | float | str], *,
                   pairs: list[tuple[str, str]] | None = None, groups: dict[str, list[str]] | None = None,
                   progress=None, should_stop: Callable[[], bool] | None = None,
                   skip_unreadable: bool = False) -> Curves:
    """Shared counts, chance and sign agreement per grid point for `pairs` (default: every pair of `run_ids`), and the
    all-members intersection of each of `groups` (members that cannot be read are dropped from a group)."""
    grid = check_grid(grid)
    run_ids = list(dict.fromkeys(run_ids))
    dims = [catalog.get(rid).config.input_dim for rid in run_ids]
    comparison = compare_topk(catalog, run_ids, part, list_topk(grid, dims), progress=progress,
                              should_stop=should_stop, skip_unreadable=skip_unreadable)
    ids = list(comparison.runs)
    runs = [catalog.get(rid) for rid in ids]
    position = {rid: m for m, rid in enumerate(ids)}
    base_dim = runs[0].config.base_dim if runs else 0
    ks = {r.id: oc.resolved_ks(grid, r.config.input_dim) for r in runs}
    list_levels, grid_levels = {}, {}
    for rid in ids:
        list_levels[rid], grid_levels[rid] = oc.levels(ks[rid])
    lists = [comparison.sets[rid].indices[: int(ks[rid].max())] for rid in ids]
    shared = oc.shared_indices(lists, [list_levels[rid] for rid in ids])

    wanted = [p for p in (pairs if pairs is not None else combinations(run_ids, 2)) if p[0] in position and p[1] in position]
    sources = sources_of(runs)
    relations = {p: sign_relation(catalog.get(p[0]), catalog.get(p[1]), sources) for p in wanted}
    reader = SignReader(catalog)
    needed = partner_masks({(position[a], position[b]) for (a, b), rel in relations.items() if rel is not None})
    codes = oc.sign_codes_for(shared, needed, lambda m, idx: reader(runs[m], idx))
    found = oc.describe(shared, codes)

    curves = []
    for a, b in wanted:
        members, levels_ab = (position[a], position[b]), (grid_levels[a], grid_levels[b])
        relation = relations[(a, b)]
        counts = oc.intersection_counts(found, members, levels_ab)
        same, note = [None] * len(grid), _undefined_reason(relation, reader.notes, a, b)
        if note is None:
            same = oc.same_sign_counts(found, members, levels_ab, relation.relation)
        curves.append(PairCurve((a, b), counts, oc.chance([ks[a], ks[b]], base_dim).tolist(),
                                relation.shared_class if relation else None, same, note))
    group_curves = {}
    for name, members in (groups or {}).items():
        present = [rid for rid in members if rid in position]
        if len(present) >= 2:
            counts = oc.intersection_counts(found, [position[r] for r in present], [grid_levels[r] for r in present])
            group_curves[name] = GroupCurve(present, counts, oc.chance([ks[r] for r in present], base_dim).tolist())
    return Curves(comparison.part, grid, base_dim, ids, {rid: [int(k) for k in ks[rid]] for rid in ids}, curves,
                  group_curves, dict(comparison.left_out), dict(reader.notes))


def _undefined_reason(relation, notes: dict[str, str], a: str, b: str) -> str | None:
    if relation is None:
        return "the runs share no class"
    unknown = [f"{rid}: {notes[rid]}" for rid in (a, b) if rid in notes]
    return "; ".join(unknown) or None


def pair_json(curve: PairCurve) -> dict:
    """One pair as `gradiend-st curve --json` writes it."""
    return {"runs": list(curve.runs), "shared": curve.shared, "chance": curve.chance,
            "shared_class": curve.shared_class, "same_sign": curve.same_sign}


def as_array(values: list) -> np.ndarray:
    """Per-grid values with None as NaN (for drawing)."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)
