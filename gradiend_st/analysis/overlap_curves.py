"""Overlap of top-k sets against k: shared counts, chance, all-runs intersections and sign agreement per k.

Top-k is a prefix of top-K under the strict order (importance descending, index ascending; `topk_cache`), so each
run's top-K list, computed once, answers every k <= K. Each rank of a list gets a level: 1 + how many of the run's
grid k values it lies at or beyond, so rank r is in the top-k set of grid point i iff its level <= the level of
k_i. Only indices that two or more lists hold matter; they are found by sorting (index, run, level) keys one index
range at a time (memory bounded whatever the number of runs), then each such index is described by one byte per run
(level, and the sign of its decoder weight when needed) and the distinct descriptions are counted once. Every pair,
every group intersection and every grid point is then a sum over the distinct descriptions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from gradiend_st.analysis.topk import parse_topk, resolve_k

MAX_GRID = 15  # levels 1..15 fit the low 4 bits of a run's byte
MAX_RUNS = 64  # presence of each run in one uint64
MAX_KEYS_PER_PASS = 1 << 22  # (index, level, list) keys sorted at once: 16 MiB of 32-bit keys
# Sign codes in the high bits of a run's byte: 0 = not read (unknown), then +, -, and exactly zero.
SIGN_UNKNOWN, SIGN_POSITIVE, SIGN_NEGATIVE, SIGN_ZERO = 0, 1, 2, 3
READERS = 2  # lists whose signs are read at once


# ----------------------------------------------------------------------------------------------- the k grid


def topk_grid(topk_max: int | float, points: int, k_min: int, largest_dim: int) -> list[int | float]:
    """`points` top-k values spaced evenly on a log axis from k_min to topk_max (kept int or fraction, as asked).

    Fractions start where the largest run's k is k_min. Values that resolve to the same k are merged.
    """
    topk_max = parse_topk(topk_max)
    points = max(2, min(int(points), MAX_GRID))
    if isinstance(topk_max, int):
        top = min(topk_max, largest_dim)
        low = min(max(1, int(k_min)), top)
        values = np.unique(np.rint(np.geomspace(low, top, points)).astype(np.int64))
        return [int(v) for v in values]
    low = min(max(1, int(k_min)) / largest_dim, topk_max)
    values = [float(f"{v:.4g}") for v in np.geomspace(low, topk_max, points)]
    values[-1] = topk_max
    kept: dict[int, float] = {}
    for value in values:  # one fraction per distinct k of the largest run (the last one wins: the end is topk_max)
        kept[resolve_k(value, largest_dim)] = value
    return list(kept.values())


def resolved_ks(grid: Sequence[int | float], input_dim: int) -> np.ndarray:
    """k of one run at each grid point (fractions of its own input_dim, FORMAT.md §4.2)."""
    return np.array([resolve_k(value, input_dim) for value in grid], dtype=np.int64)


def levels(ks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(level of every rank of a list of length max(ks), the level of each grid point's k).

    Rank r is in the top-k set of grid point i iff level[r] <= grid_level[i].
    """
    distinct = np.unique(ks)
    grid_level = np.searchsorted(distinct, ks) + 1
    steps = np.diff(np.concatenate([[0], distinct]))
    return np.repeat(np.arange(1, len(distinct) + 1, dtype=np.uint8), steps), grid_level.astype(np.uint8)


def chance(ks: Sequence[np.ndarray], base_dim: int) -> np.ndarray:
    """Expected size of the intersection of independent random sets of sizes k_i in a space of base_dim indices."""
    expected = np.full(len(ks[0]), float(base_dim))
    for k in ks:
        expected *= np.asarray(k, dtype=float) / base_dim
    return expected


# ----------------------------------------------------------------------------------------------- shared indices


@dataclass
class SharedIndices:
    """The indices at least two lists hold, as one entry per (index, list): grouped by index, ascending."""

    n_lists: int
    index: np.ndarray  # int64 base index of each entry
    member: np.ndarray  # uint8 / uint16: which list
    level: np.ndarray  # uint8: the entry's level in its list
    starts: np.ndarray  # first entry of each index

    def presence(self) -> np.ndarray:
        """One uint64 per shared index: bit m set when list m holds it."""
        bits = np.left_shift(np.uint64(1), self.member.astype(np.uint64))
        return np.bitwise_or.reduceat(bits, self.starts) if len(self.starts) else np.zeros(0, np.uint64)


def shared_indices(lists: Sequence[np.ndarray], list_levels: Sequence[np.ndarray]) -> SharedIndices:
    """Entries of every index that at least two of `lists` hold (each list: base indices, best first).

    Each list is sorted once as (index << 4 | level); index ranges narrow enough for 32-bit keys
    ((index - low) << 4 | level) << list_bits | list are then cut from every sorted list by binary search and sorted
    together (32-bit keys sort ~4x faster than 64-bit ones, and small sorts stay in cache).
    """
    n = len(lists)
    if n > MAX_RUNS:
        raise ValueError(f"overlap curves compare at most {MAX_RUNS} top-k lists at once ({n} asked)")
    list_bits = max(1, (n - 1).bit_length())
    ordered = []
    for values, lv in zip(lists, list_levels, strict=True):
        keys = np.asarray(values, dtype=np.int64) << 4
        keys |= np.asarray(lv, dtype=np.int64)
        keys.sort()
        ordered.append(keys)
    total = sum(len(keys) for keys in ordered)
    if total == 0:
        return SharedIndices(n, np.zeros(0, np.int64), np.zeros(0, np.uint8), np.zeros(0, np.uint8),
                             np.zeros(0, np.int64))
    top = max(int(keys[-1] >> 4) for keys in ordered if len(keys)) + 1
    width = 1 << (32 - 4 - list_bits)  # indices per range that fit a 32-bit key
    passes = max(-(-top // width), -(-total // MAX_KEYS_PER_PASS))
    edges = np.linspace(0, top, passes + 1).round().astype(np.int64)
    found = [_shared_in_range(ordered, int(low), int(high), list_bits)
             for low, high in zip(edges[:-1], edges[1:], strict=True)]
    index, member, level = (np.concatenate(column) for column in zip(*found, strict=True))
    if not len(index):
        return SharedIndices(n, index, member, level, np.zeros(0, np.int64))
    new = np.empty(len(index), bool)
    new[0] = True
    np.not_equal(index[1:], index[:-1], out=new[1:])
    return SharedIndices(n, index, member, level, np.flatnonzero(new))


def _shared_in_range(ordered: list[np.ndarray], low: int, high: int, list_bits: int):
    parts = []
    for m, keys in enumerate(ordered):
        first, stop = np.searchsorted(keys, [low << 4, high << 4])
        part = (keys[first:stop] - (low << 4)).astype(np.uint32)
        part <<= np.uint32(list_bits)
        part |= np.uint32(m)
        parts.append(part)
    keys = np.concatenate(parts)
    keys.sort()
    index = keys >> np.uint32(4 + list_bits)
    # An entry is kept when its index also appears just before or just after it (another list holds it).
    same_as_next = index[1:] == index[:-1]
    keep = np.zeros(len(keys), bool)
    keep[1:] |= same_as_next
    keep[:-1] |= same_as_next
    keys, index = keys[keep], index[keep]
    member = (keys & np.uint32((1 << list_bits) - 1)).astype(np.uint8 if list_bits <= 8 else np.uint16)
    level = ((keys >> np.uint32(list_bits)) & np.uint32(15)).astype(np.uint8)
    return index.astype(np.int64) + low, member, level


# ----------------------------------------------------------------------------------------------- counting


@dataclass
class Descriptions:
    """Distinct per-index descriptions (one byte per list: level | sign << 4) and how many indices have each."""

    bytes: np.ndarray  # [descriptions, lists] uint8
    counts: np.ndarray  # int64

    def level(self, m: int) -> np.ndarray:
        return self.bytes[:, m] & 15

    def sign(self, m: int) -> np.ndarray:
        return self.bytes[:, m] >> 4


def describe(shared: SharedIndices, sign_codes: np.ndarray | None = None) -> Descriptions:
    """Count the distinct descriptions of the shared indices (sign_codes: one per entry, or None)."""
    n = shared.n_lists
    if not len(shared.starts):
        return Descriptions(np.zeros((0, n), np.uint8), np.zeros(0, np.int64))
    byte = shared.level.astype(np.uint64)
    if sign_codes is not None:
        byte |= sign_codes.astype(np.uint64) << np.uint64(4)
    words = -(-n // 8)
    columns = []
    for word in range(words):
        in_word = (shared.member // 8) == word
        shifted = np.where(in_word, byte << (8 * (shared.member % 8)).astype(np.uint64), np.uint64(0))
        columns.append(np.add.reduceat(shifted, shared.starts))  # distinct bytes: sum == bitwise or
    packed = np.stack(columns, axis=1)
    if words == 1:
        distinct, counts = np.unique(packed[:, 0], return_counts=True)
        distinct = distinct[:, None]
    else:
        distinct, counts = np.unique(packed, axis=0, return_counts=True)
    unpacked = np.empty((len(distinct), n), np.uint8)
    for m in range(n):
        unpacked[:, m] = (distinct[:, m // 8] >> np.uint64(8 * (m % 8))) & np.uint64(0xFF)
    return Descriptions(unpacked, counts.astype(np.int64))


def members_within(found: Descriptions, members: Sequence[int], grid_levels: Sequence[np.ndarray]) -> np.ndarray:
    """[descriptions, grid points] bool: every member holds the index at that grid point."""
    inside = np.ones((len(found.counts), len(grid_levels[0])), bool)
    for m, thresholds in zip(members, grid_levels, strict=True):
        level = found.level(m)[:, None]
        inside &= (level > 0) & (level <= np.asarray(thresholds)[None, :])
    return inside


def intersection_counts(found: Descriptions, members: Sequence[int], grid_levels: Sequence[np.ndarray]) -> list[int]:
    """|S_m1 ∩ S_m2 ∩ ...| at each grid point (members: at least two lists)."""
    if len(members) == 2:
        return _pair_sums(found, members, grid_levels, found.counts)
    inside = members_within(found, members, grid_levels)
    return [int(v) for v in found.counts @ inside]


def same_sign_counts(found: Descriptions, pair: tuple[int, int], grid_levels: Sequence[np.ndarray],
                     relation: int) -> list[int | None]:
    """Shared indices whose signed decoder weights agree, per grid point; None where undefined.

    `relation` = f_a · f_b of the two runs' strengthening feature factors: weights w_a, w_b move the same way iff
    sign(w_a) · sign(w_b) == relation. Undefined at a grid point with nothing shared or a sign not known.
    """
    a, b = pair
    sa, sb = found.sign(a), found.sign(b)
    known = (sa != SIGN_UNKNOWN) & (sb != SIGN_UNKNOWN)
    agree = known & (sa != SIGN_ZERO) & (sb != SIGN_ZERO) & ((sa == sb) == (relation > 0))
    shared = _pair_sums(found, pair, grid_levels, found.counts)
    unknown = _pair_sums(found, pair, grid_levels, found.counts * ~known)
    same = _pair_sums(found, pair, grid_levels, found.counts * agree)
    return [s if total > 0 and missing == 0 else None for s, total, missing in zip(same, shared, unknown, strict=True)]


def _pair_sums(found: Descriptions, pair: Sequence[int], grid_levels: Sequence[np.ndarray],
               weights: np.ndarray) -> list[int]:
    """Sum of `weights` over the descriptions both lists hold at each grid point: one 16 x 16 table of
    (level in a, level in b), summed cumulatively, answers every grid point."""
    a, b = pair
    cells = found.level(a).astype(np.intp) * 16 + found.level(b)
    table = np.bincount(cells, weights=weights, minlength=256).reshape(16, 16)
    table[0, :] = table[:, 0] = 0  # level 0: the list does not hold the index
    cumulative = table.cumsum(axis=0).cumsum(axis=1)
    return [int(round(cumulative[ta, tb])) for ta, tb in zip(grid_levels[0], grid_levels[1], strict=True)]


def sign_codes_for(shared: SharedIndices, needed: dict[int, int],
                   read_signs: Callable[[int, np.ndarray], np.ndarray | None]) -> np.ndarray:
    """One sign code per shared entry, read only where needed: for list m, the indices it shares with a list of
    `needed[m]` (a bit mask of partner lists). `read_signs(m, base indices)` gives +1/-1/0 per index, or None when
    the list's signs are not known. Two lists are read at a time (memory-mapped reads release the GIL)."""
    codes = np.zeros(len(shared.index), np.uint8)
    if not needed or not len(shared.starts):
        return codes
    sizes = np.diff(np.append(shared.starts, len(shared.index)))
    presence = np.repeat(shared.presence(), sizes)
    wanted = {m: np.flatnonzero((shared.member == m) & ((presence & np.uint64(partners)) != 0))
              for m, partners in needed.items()}
    wanted = {m: rows for m, rows in wanted.items() if len(rows)}
    with ThreadPoolExecutor(max_workers=READERS) as pool:
        values = dict(zip(wanted, pool.map(lambda m: read_signs(m, shared.index[wanted[m]]), wanted), strict=True))
    for m, rows in wanted.items():
        if values[m] is not None:
            codes[rows] = np.select([values[m] > 0, values[m] < 0], [SIGN_POSITIVE, SIGN_NEGATIVE], SIGN_ZERO)
    return codes


def share(count: int | None, total: int) -> float:
    """count / total, NaN when undefined (never 0 for "nothing to compare")."""
    return count / total if count is not None and total > 0 else math.nan
