"""Where a GRADIEND's top-k weights sit in the base model: every base-global index mapped to its parameter, row and
column through `config.json -> mapping.param_map` (FORMAT.md §2.1-2.3), then counted by parameter, layer,
component and attention head.

Everything is counted per row of a parameter (its first dimension; a 1-D parameter has one scalar per row): a run's
top-k becomes one count per row of the whole base model (235k rows for bert-base), from which every grouping, the
head grid and the feed-forward rows are sums. Over-representation = share of k / share of the run's input space
(its selected scalars: a pruned run is compared with what it could choose from).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from math import prod
from pathlib import Path

import numpy as np

from gradiend_st.analysis.weightmap_names import COMPONENTS, HEAD_COMPONENTS, Place, layer_sort_key, place_of
from gradiend_st.io.errors import RunReadError

GROUPINGS = ("parameter", "layer", "component", "head")


@dataclass(frozen=True, eq=False)
class ParamLayout:
    """The base index space of a param_map: one entry per parameter, in GRADIEND input order."""

    names: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]
    places: tuple[Place, ...]

    @cached_property
    def numels(self) -> np.ndarray:
        return np.array([prod(s) for s in self.shapes], dtype=np.int64)

    @cached_property
    def offsets(self) -> np.ndarray:
        """offsets[e] = first base-global index of entry e; offsets[-1] = the size of the base space (§2.3: pruned
        entries count with their full shape)."""
        return np.concatenate([[0], np.cumsum(self.numels)]).astype(np.int64)

    @cached_property
    def rows(self) -> np.ndarray:
        """Rows per entry: the first dimension (1 for a scalar)."""
        return np.array([s[0] if s else 1 for s in self.shapes], dtype=np.int64)

    @cached_property
    def row_width(self) -> np.ndarray:
        """Scalars per row (the product of the other dimensions; a 0-row entry has none)."""
        return np.array([prod(s[1:]) if s else 1 for s in self.shapes], dtype=np.int64)

    @cached_property
    def row_offsets(self) -> np.ndarray:
        """row_offsets[e] = position of entry e's first row among all rows."""
        return np.concatenate([[0], np.cumsum(self.rows)]).astype(np.int64)

    @property
    def total(self) -> int:
        return int(self.offsets[-1])

    @property
    def unknown(self) -> list[str]:
        return [name for name, place in zip(self.names, self.places, strict=True) if not place.known]

    @cached_property
    def layers(self) -> list[str]:
        return sorted(dict.fromkeys(p.layer for p in self.places), key=layer_sort_key)

    @cached_property
    def components(self) -> list[str]:
        found = list(dict.fromkeys(p.component for p in self.places))
        return [c for c in COMPONENTS if c in found] + [c for c in found if c not in COMPONENTS]

    @cached_property
    def row_starts(self) -> np.ndarray:
        """The first base-global index of every row of the model, then the end of the base space."""
        entry = np.repeat(np.arange(len(self.rows)), self.rows)
        within = np.arange(len(entry), dtype=np.int64) - self.row_offsets[entry]
        return np.concatenate([self.offsets[entry] + within * self.row_width[entry], [self.total]]).astype(np.int64)

    @cached_property
    def row_numels(self) -> np.ndarray:
        """Base scalars per row, for every row of the model (the input space of every unpruned run: shared)."""
        return np.repeat(self.row_width, self.rows)

    def labels(self, by: str) -> list[str]:
        """The group of every entry for `by` in parameter / layer / component."""
        if by == "parameter":
            return list(self.names)
        if by == "layer":
            return [p.layer for p in self.places]
        if by == "component":
            return [p.component for p in self.places]
        raise ValueError(f"unknown grouping '{by}': choose one of {', '.join(GROUPINGS)}")


def check_sizes(config, path: Path) -> None:
    """A param_map that can place top-k indices: present, and selecting input_dim scalars (FORMAT.md §2.1's
    invariant, which discovery checks too); `path` (the config.json) is named in the error."""
    entries = config.param_map
    if not entries:
        raise RunReadError(path, "no mapping.param_map (a bare GradiendModel): the base parameters are unknown, "
                                 "so the top-k indices cannot be placed")
    selected = sum(e.num_selected for e in entries)
    if selected != config.input_dim:
        raise RunReadError(path, f"mapping.param_map selects {selected:,} scalars but input_dim is "
                                 f"{config.input_dim:,}: its sizes do not add up")


def param_layout(config, path: Path) -> ParamLayout:
    """The layout of a checkpoint's param_map (`path`: its config.json, named in errors)."""
    check_sizes(config, path)
    entries = config.param_map
    return ParamLayout(tuple(e.name for e in entries), tuple(tuple(e.shape) for e in entries),
                       tuple(place_of(e.name) for e in entries))


def unknown_names_text(layout: ParamLayout, path_text: str) -> str | None:
    """One line for parameters no name pattern knows (None when every name is known)."""
    unknown = layout.unknown
    if not unknown:
        return None
    shown = ", ".join(unknown[:2]) + (", …" if len(unknown) > 2 else "")
    return (f"{path_text}: {len(unknown)} of {len(layout.names)} parameter names match no known pattern ({shown}); "
            "shown by their last two name parts")


# ------------------------------------------------------------------------------------------------ indices -> places


@dataclass(frozen=True)
class Located:
    """Base-global indices placed in the layout (arrays of the same length as the indices)."""

    entry: np.ndarray  # param_map position
    flat: np.ndarray  # flat index inside the parameter
    row: np.ndarray  # coords[0]
    column: np.ndarray  # coords[1]; -1 for a 1-D parameter (gradiend writes None)


def entries_of(layout: ParamLayout, indices: np.ndarray, path: Path) -> np.ndarray:
    """The param_map entry of every index; an index outside the base space is an error naming `path`."""
    indices = np.asarray(indices, dtype=np.int64)
    if len(indices) and (indices.min() < 0 or indices.max() >= layout.total):
        bad = int(indices.max()) if indices.max() >= layout.total else int(indices.min())
        raise RunReadError(path, f"top-k index {bad:,} lies beyond mapping.param_map, which covers "
                                 f"{layout.total:,} base scalars")
    # side="right" on the ends: the first entry whose range [offset, end) holds the index (empty entries skipped)
    return np.searchsorted(layout.offsets[1:], indices, side="right").astype(np.int64)


def locate(layout: ParamLayout, indices: np.ndarray, path: Path) -> Located:
    indices = np.asarray(indices, dtype=np.int64)
    entry = entries_of(layout, indices, path)
    flat = indices - layout.offsets[entry]
    width = layout.row_width[entry]
    row = flat // np.maximum(width, 1)
    inner = flat % np.maximum(width, 1)
    second = np.array([s[1] if len(s) >= 2 else 0 for s in layout.shapes], dtype=np.int64)[entry]
    trailing = width // np.maximum(second, 1)  # scalars per step of the second dimension
    column = np.where(np.array([len(s) >= 2 for s in layout.shapes], dtype=bool)[entry],
                      inner // np.maximum(trailing, 1), -1)
    return Located(entry, flat, row, column)


def row_counts(layout: ParamLayout, indices: np.ndarray, path: Path, weights: np.ndarray | None = None) -> np.ndarray:
    """How many of `indices` (or the sum of `weights` over them) fall in each row of the model.

    Many indices: sorting them once and cutting them at every row start is ~4x faster than a binary search per index
    (a top-1 % list of bert-base: 1.09M indices, 60 ms instead of 230 ms). Few indices (fewer than the rows / 8):
    a binary search per index among the 235k row starts is the cheaper way.
    """
    indices = np.asarray(indices, dtype=np.int64)
    if len(indices) and (indices.min() < 0 or indices.max() >= layout.total):
        entries_of(layout, indices, path)  # raises, naming the index and the file
    if weights is None and len(indices) * 8 < len(layout.row_starts):
        rows = np.searchsorted(layout.row_starts, indices, side="right") - 1
        return np.bincount(rows, minlength=len(layout.row_starts) - 1).astype(np.int64)
    order = None if weights is None else np.argsort(indices, kind="stable")
    ordered = np.sort(indices) if order is None else indices[order]
    cuts = np.searchsorted(ordered, layout.row_starts)
    if order is None:
        return np.diff(cuts)
    cumulative = np.concatenate([[0.0], np.cumsum(np.asarray(weights, dtype=np.float64)[order])])
    return np.rint(np.diff(cumulative[cuts])).astype(np.int64)


def per_entry(layout: ParamLayout, per_row: np.ndarray) -> np.ndarray:
    """Row values summed per param_map entry."""
    cumulative = np.concatenate([[0], np.cumsum(per_row, dtype=np.int64)])
    return cumulative[layout.row_offsets[1:]] - cumulative[layout.row_offsets[:-1]]


def selected_rows(layout: ParamLayout, checkpoint) -> np.ndarray:
    """Input-space scalars per row: every scalar for an unpruned run, the selected ones for a pruned run (read from
    its mapping files, FORMAT.md §2.2)."""
    if not checkpoint.config.pruned:
        return layout.row_numels
    return row_counts(layout, checkpoint.local_to_base, checkpoint.folder / "config.json")


# ------------------------------------------------------------------------------------------------ one run's map


@dataclass
class RunMap:
    """One run's top-k placed in the base model, as per-row counts."""

    k: int
    counts: np.ndarray  # top-k indices per row of the model
    space: np.ndarray  # input-space scalars per row (what the run could choose from)
    positive: np.ndarray | None = None  # indices per row whose decoder weight is > 0 (None: signs not read)
    negative: np.ndarray | None = None  # ... < 0

    @property
    def input_dim(self) -> int:
        return int(self.space.sum())


def map_run(layout: ParamLayout, indices: np.ndarray, space: np.ndarray, path: Path,
            signs: np.ndarray | None = None) -> RunMap:
    """`indices` (base-global) counted per row; `signs` (+1/-1/0 per index) split them by decoder-weight sign."""
    counts = row_counts(layout, indices, path)
    positive = negative = None
    if signs is not None:
        positive = row_counts(layout, indices, path, weights=(signs > 0).astype(np.float64))
        negative = row_counts(layout, indices, path, weights=(signs < 0).astype(np.float64))
    return RunMap(len(indices), counts, space, positive, negative)


# ------------------------------------------------------------------------------------------------ groups


@dataclass(frozen=True)
class Groups:
    """Per group (in drawing order): top-k count, base scalars, input-space scalars, share, over-representation."""

    names: list[str]
    counts: np.ndarray
    base: np.ndarray
    space: np.ndarray
    k: int
    input_dim: int

    @property
    def share(self) -> np.ndarray:
        return self.counts / max(self.k, 1)

    @property
    def overrepresentation(self) -> np.ndarray:
        """share of k / share of the input space; NaN where the group holds no input scalar."""
        with np.errstate(divide="ignore", invalid="ignore"):
            space_share = self.space / max(self.input_dim, 1)
            return np.where(self.space > 0, self.share / space_share, np.nan)

    def as_dict(self, nonzero: bool = True) -> dict[str, int]:
        return {n: int(c) for n, c in zip(self.names, self.counts, strict=True) if c or not nonzero}


def group(layout: ParamLayout, run: RunMap, by: str) -> Groups:
    """The run's counts grouped by parameter, layer or component (in layout / drawing order)."""
    labels = layout.labels(by)
    order = (list(layout.names) if by == "parameter" else layout.layers if by == "layer" else layout.components)
    position = {name: i for i, name in enumerate(order)}
    codes = np.array([position[label] for label in labels], dtype=np.int64)

    def summed(per_row):
        return np.bincount(codes, weights=per_entry(layout, per_row), minlength=len(order)).astype(np.int64)

    return Groups(order, summed(run.counts), np.bincount(codes, weights=layout.numels, minlength=len(order))
                  .astype(np.int64), summed(run.space), run.k, run.input_dim)


@dataclass(frozen=True)
class Grid:
    """Layers x components: counts, base scalars and input-space scalars per cell."""

    layers: list[str]
    components: list[str]
    counts: np.ndarray  # [layers, components]
    base: np.ndarray
    space: np.ndarray
    k: int
    input_dim: int

    def values(self, value: str) -> np.ndarray:
        """"count" | "share" (of k) | "overrepresentation"; NaN where the cell has no input scalar."""
        with np.errstate(divide="ignore", invalid="ignore"):
            if value == "count":
                return np.where(self.space > 0, self.counts.astype(float), np.nan)
            share = self.counts / max(self.k, 1)
            if value == "share":
                return np.where(self.space > 0, share, np.nan)
            if value == "overrepresentation":
                return np.where(self.space > 0, share / (self.space / max(self.input_dim, 1)), np.nan)
        raise ValueError(f"unknown value '{value}': choose one of count, share, overrepresentation")


def grid(layout: ParamLayout, run: RunMap, per_row: np.ndarray | None = None) -> Grid:
    """The layers x components grid of `run` (of `per_row` instead of its counts, e.g. its positive counts)."""
    layer_pos = {name: i for i, name in enumerate(layout.layers)}
    comp_pos = {name: i for i, name in enumerate(layout.components)}
    cells = np.array([layer_pos[p.layer] * len(comp_pos) + comp_pos[p.component] for p in layout.places], np.int64)
    shape = (len(layer_pos), len(comp_pos))

    def summed(values):
        return np.bincount(cells, weights=values, minlength=shape[0] * shape[1]).astype(np.int64).reshape(shape)

    counts = run.counts if per_row is None else per_row
    return Grid(layout.layers, layout.components, summed(per_entry(layout, counts)), summed(layout.numels),
                summed(per_entry(layout, run.space)), run.k, run.input_dim)


# ------------------------------------------------------------------------------------------------ heads, rows


@dataclass(frozen=True)
class HeadGrid:
    """Top-k counts per attention head: [component (query, key, value), layer, head]; NaN where a layer has fewer
    heads (grouped-query attention) or no such parameter."""

    components: list[str]
    layers: list[str]
    counts: np.ndarray
    space: np.ndarray
    head_size: int


def attention_hidden(layout: ParamLayout) -> int | None:
    """The output rows of the first query weight (the hidden size in BERT-like models), None without one."""
    for shape, place in zip(layout.shapes, layout.places, strict=True):
        if place.component == "query" and len(shape) == 2:
            return int(shape[0])
    return None


def head_grid(layout: ParamLayout, run: RunMap, num_heads: int) -> HeadGrid:
    """Counts per head of every query/key/value weight and bias: head = output row // head size, with head size =
    the query's output rows / `num_heads`."""
    hidden = attention_hidden(layout)
    if hidden is None:
        raise ValueError("no query weight among the parameter names: nothing to split into heads")
    if num_heads < 1 or hidden % num_heads:
        raise ValueError(f"num_heads {num_heads} does not divide the query's {hidden} output rows")
    size = hidden // num_heads
    layers = [layer for layer in layout.layers
              if any(p.layer == layer and p.component in HEAD_COMPONENTS for p in layout.places)]
    counts = np.full((len(HEAD_COMPONENTS), len(layers), num_heads), np.nan)
    space = np.full_like(counts, np.nan)
    for e, place in enumerate(layout.places):
        if place.component not in HEAD_COMPONENTS or place.layer not in layers:
            continue
        rows = int(layout.rows[e])
        if rows % size:
            raise ValueError(f"{layout.names[e]} has {rows} rows, not a multiple of the head size {size}")
        heads = min(rows // size, num_heads)
        start = int(layout.row_offsets[e])
        block = slice(start, start + heads * size)
        c, l_ = HEAD_COMPONENTS.index(place.component), layers.index(place.layer)
        for target, values in ((counts, run.counts), (space, run.space)):
            summed = values[block].reshape(heads, size).sum(axis=1)
            target[c, l_, :heads] = np.nan_to_num(target[c, l_, :heads]) + summed
    return HeadGrid(list(HEAD_COMPONENTS), layers, counts, space, size)


def head_groups(layout: ParamLayout, run: RunMap, num_heads: int) -> dict[str, tuple[int, int]]:
    """{"layer.<i>.<component>.head.<h>": (count, base scalars)} for every query/key/value head."""
    heads = head_grid(layout, run, num_heads)
    found: dict[str, tuple[int, int]] = {}
    for l_, layer in enumerate(heads.layers):
        for c, component in enumerate(heads.components):
            for h in range(num_heads):
                if not np.isnan(heads.counts[c, l_, h]):
                    base = _head_base(layout, layer, component, heads.head_size)
                    found[f"{layer}.{component}.head.{h}"] = (int(heads.counts[c, l_, h]), base)
    return found


def _head_base(layout: ParamLayout, layer: str, component: str, size: int) -> int:
    """Base scalars of one head: head-size rows of every weight and bias of this layer's component."""
    return int(sum(size * layout.row_width[e] for e, p in enumerate(layout.places)
                   if p.layer == layer and p.component == component))


def rows_of(layout: ParamLayout, per_row: np.ndarray, layer: str, component: str) -> tuple[list[str], np.ndarray]:
    """Per-row values of one layer's component, weight and bias rows added (row i of intermediate.dense.weight and
    of its bias are the same neuron); (parameter names, values by row)."""
    entries = [e for e, p in enumerate(layout.places) if p.layer == layer and p.component == component]
    if not entries:
        return [], np.zeros(0, dtype=np.int64)
    length = int(max(layout.rows[e] for e in entries))
    out = np.zeros(length, dtype=np.int64)
    for e in entries:
        start = int(layout.row_offsets[e])
        out[: layout.rows[e]] += per_row[start:start + int(layout.rows[e])]
    return [layout.names[e] for e in entries], out


# ------------------------------------------------------------------------------------------------ the weights


WEIGHT_COLUMNS = ("param_name", "param_row", "param_col", "importance", "rank", "head", "layer", "component",
                  "flat_index_in_param", "base_global_index")


def cell_weights(layout: ParamLayout, indices: np.ndarray, importance: np.ndarray, path: Path, *,
                 layer: str | None = None, component: str | None = None, head: int | None = None,
                 head_size: int | None = None, parameter: str | None = None) -> dict[str, np.ndarray]:
    """The top-k weights in one cell (layer and/or component, optionally one head; or one parameter), in rank order:
    columns as gradiend's `get_topk_feature_metadata` names them (param_row/param_col; -1 for no column), plus
    the layer, component and head (-1: not a query/key/value weight or no head size)."""
    indices = np.asarray(indices, dtype=np.int64)
    where = locate(layout, indices, path)
    entry_layer = np.array([p.layer for p in layout.places], dtype=object)
    entry_component = np.array([p.component for p in layout.places], dtype=object)
    keep = np.ones(len(indices), dtype=bool)
    if layer is not None:
        keep &= entry_layer[where.entry] == layer
    if component is not None:
        keep &= entry_component[where.entry] == component
    if parameter is not None:
        keep &= np.array(layout.names, dtype=object)[where.entry] == parameter
    heads = np.full(len(indices), -1, dtype=np.int64)
    if head_size:
        is_head = np.isin(entry_component[where.entry], HEAD_COMPONENTS)
        heads = np.where(is_head, where.row // head_size, -1)
    if head is not None:
        keep &= heads == head
    chosen = np.flatnonzero(keep)
    entry = where.entry[chosen]
    return {
        "rank": chosen + 1,
        "importance": np.asarray(importance)[chosen],
        "param_name": np.array(layout.names, dtype=object)[entry],
        "param_row": where.row[chosen],
        "param_col": where.column[chosen],
        "layer": entry_layer[entry],
        "component": entry_component[entry],
        "head": heads[chosen],
        "flat_index_in_param": where.flat[chosen],
        "base_global_index": indices[chosen],
    }


def cell_count(layout: ParamLayout, run: RunMap, *, layer: str, component: str) -> int:
    """The layers x components cell's count, as the figure shows it."""
    cells = grid(layout, run)
    return int(cells.counts[cells.layers.index(layer), cells.components.index(component)])

