"""What the overlap-curves figure draws: one series per pair or pair group, a band per multi-seed run, in the unit
the user chose (counts, fraction of k, or × chance), with the sign agreement beside it. Plain numpy."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from gradiend_st.analysis.curves import GroupCurve, PairCurve, as_array

VALUES = ("intersection", "intersection_frac", "times_chance")
PAIR_GROUPS = ("auto", "pairs", "run groups", "shared class")
MAX_PAIR_CURVES = 8  # "auto": more pairs than this are summarised by group (a legend of 45 pairs reads as noise)
NO_CLASS = "pairs sharing no class"


@dataclass
class Series:
    label: str
    kind: str  # "pair" | "pair group" | "seed pairs" | "all seeds"
    y: np.ndarray  # per grid point, NaN where undefined
    low: np.ndarray | None = None  # band (min over the members), for groups and seed pairs
    high: np.ndarray | None = None
    chance: np.ndarray | None = None  # chance level in the same unit as y
    sign: np.ndarray | None = None  # share of shared weights moved the same way (NaN: undefined)
    sign_low: np.ndarray | None = None
    sign_high: np.ndarray | None = None
    members: int = 1
    run: str | None = None  # the multi-seed run a seed series belongs to (its colour)
    color: str = ""


@dataclass
class SeedBand:
    run: str
    seeds: list[str]
    pairs: list[PairCurve]
    all: GroupCurve | None


@dataclass
class Plan:
    series: list[Series] = field(default_factory=list)
    undefined_signs: list[str] = field(default_factory=list)  # pair labels whose agreement is undefined throughout
    grouping: str = "pairs"  # what the pair series are: "pairs" | "run groups" | "shared class"


def in_unit(counts, chance, smaller_k, value: str) -> tuple[np.ndarray, np.ndarray]:
    """(values, chance) in the chosen unit: counts, count / min(k_a, k_b), or count / chance (chance then 1)."""
    counts, chance = as_array(counts), np.asarray(chance, dtype=float)
    if value == "intersection":
        return counts, chance
    if value == "intersection_frac":
        smaller = np.asarray(smaller_k, dtype=float)
        return counts / smaller, chance / smaller
    if value == "times_chance":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(chance > 0, counts / chance, np.nan), np.ones_like(chance)
    raise ValueError(f"unknown value '{value}': choose one of {', '.join(VALUES)}")


def pair_series(pair: PairCurve, ks: dict[str, list[int]], value: str, label: str, kind: str = "pair") -> Series:
    smaller = np.minimum(ks[pair.runs[0]], ks[pair.runs[1]])
    y, chance = in_unit(pair.shared, pair.chance, smaller, value)
    return Series(label, kind, y, chance=chance, sign=np.array(pair.same_sign_share()))


def group_key(pair: PairCurve, grouping: str, run_group: dict[str, str]) -> str:
    if grouping == "shared class":
        return f"pairs sharing {pair.shared_class}" if pair.shared_class else NO_CLASS
    if grouping == "run groups":
        first, second = sorted(run_group.get(r, "Other") for r in pair.runs)
        return f"{first} × {second}"
    return " × ".join(pair.runs)


def resolve_grouping(pair_groups: str, n_pairs: int, pretty_groups: dict | None) -> str:
    if pair_groups not in PAIR_GROUPS:
        raise ValueError(f"unknown pair_groups '{pair_groups}': choose one of {', '.join(PAIR_GROUPS)}")
    if pair_groups != "auto":
        return pair_groups
    if n_pairs <= MAX_PAIR_CURVES:
        return "pairs"
    return "run groups" if pretty_groups else "shared class"


def plan(pairs: list[PairCurve], bands: list[SeedBand], ks: dict[str, list[int]], *, value: str, pair_groups: str,
         pretty_groups: dict | None, name: Callable[[str], str]) -> Plan:
    """The series to draw: seed bands first (each multi-seed run's band and all-seeds line), then pairs or groups.
    `name(run id)` is a run as every view names it (label and † marker)."""
    grouping = resolve_grouping(pair_groups, len(pairs), pretty_groups)
    out = Plan(grouping=grouping)
    for band in bands:
        out.series += _seed_series(band, ks, value, name)
    run_group = {rid: group for group, ids in (pretty_groups or {}).items() for rid in ids}
    members: dict[str, list[Series]] = {}
    for pair in pairs:
        label = " × ".join(name(r) for r in pair.runs)
        if pair.shared_class is None or pair.sign_note:
            out.undefined_signs.append(label)
        key = label if grouping == "pairs" else group_key(pair, grouping, run_group)
        members.setdefault(key, []).append(pair_series(pair, ks, value, label))
    for key, found in members.items():
        label = f"{key} (mean of {len(found)})" if len(found) > 1 else f"{key} (1)"
        out.series.append(found[0] if grouping == "pairs" else _summary(label, found))
    return out


def _seed_series(band: SeedBand, ks, value: str, name) -> list[Series]:
    label = name(band.run)
    found = []
    if band.pairs:
        pairs = [pair_series(p, ks, value, "") for p in band.pairs]
        summary = _summary(f"{label}: seed pairs (min–max, {len(pairs)})", pairs)
        summary.kind, summary.run = "seed pairs", band.run
        found.append(summary)
    if band.all is not None:
        smaller = np.min([ks[r] for r in band.all.runs], axis=0)
        y, _ = in_unit(band.all.all, band.all.chance, smaller, value)
        found.append(Series(f"{label}: in all {len(band.all.runs)} seeds", "all seeds", y, run=band.run))
    return found


def _summary(label: str, members: list[Series]) -> Series:
    """Mean of the members with their min–max band (signs: over the members where defined)."""
    ys, signs = _stack(members, "y"), _stack(members, "sign")
    with warnings.catch_warnings():  # an all-NaN column (nothing defined there) gives NaN, as meant
        warnings.simplefilter("ignore", RuntimeWarning)
        return Series(label, "pair group", np.nanmean(ys, axis=0), np.nanmin(ys, axis=0), np.nanmax(ys, axis=0),
                      chance=np.nanmean(_stack(members, "chance"), axis=0), sign=np.nanmean(signs, axis=0),
                      sign_low=np.nanmin(signs, axis=0), sign_high=np.nanmax(signs, axis=0), members=len(members))


def _stack(series: list[Series], name: str) -> np.ndarray:
    return np.vstack([getattr(s, name) for s in series]).astype(float)
