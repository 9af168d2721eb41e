"""The weight maps of several runs: their top-k lists (the cached top-k machinery, from weights or bundles), placed
in the one base model they share. Used alike by the Weight map view and `gradiend-st where`.

A run that cannot be mapped (unreadable weights, a param_map that does not add up, an index beyond the map) is left
out with one line naming the file; runs whose param_maps differ are refused as a whole, as in the heatmap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from gradiend_st.analysis.comparison import compare_topk
from gradiend_st.analysis.weightmap import (
    ParamLayout,
    RunMap,
    check_sizes,
    map_run,
    param_layout,
    selected_rows,
    unknown_names_text,
)
from gradiend_st.analysis.weightmap_signs import decoder_signs
from gradiend_st.io.errors import RunReadError, display_path


@dataclass
class WeightMaps:
    part: str
    topk: int | float
    runs: list[str]
    layout: ParamLayout | None  # None when no run could be mapped
    maps: dict[str, RunMap]
    left_out: dict[str, RunReadError] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def map_selection(catalog, run_ids: list[str], part: str, topk: int | float, *, signs: bool = False,
                  progress: Callable[[int, int, str], None] | None = None,
                  should_stop: Callable[[], bool] | None = None) -> WeightMaps:
    """Top-k of every run (cached), mapped per row of the base model; `signs` also reads the decoder weight signs."""
    comparison = compare_topk(catalog, run_ids, part, topk, progress=progress, should_stop=should_stop,
                              skip_unreadable=True)
    left_out = dict(comparison.left_out)
    layout, maps, warnings = None, {}, []
    for rid in comparison.runs:
        run = catalog.get(rid)
        config_path = run.checkpoint_dir / "config.json"
        try:
            layout = layout or param_layout(run.config, config_path)  # equal param_maps (compare_topk checks)
            check_sizes(run.config, config_path)  # every run's own sizes must add up
            space = selected_rows(layout, run.checkpoint)
            indices = comparison.sets[rid].indices
            run_signs = _signs(run, indices, signs, should_stop, warnings)
            maps[rid] = map_run(layout, indices, space, _index_source(run), run_signs)
        except RunReadError as exc:
            left_out[rid] = exc
    if maps:
        first = catalog.get(next(iter(maps)))
        note = unknown_names_text(layout, display_path(first.checkpoint_dir / "config.json", catalog.root))
        warnings += [note] if note else []
    return WeightMaps(comparison.part, comparison.topk, [r for r in comparison.runs if r in maps],
                      layout if maps else None, maps, left_out, warnings)


def _index_source(run):
    """The file the top-k indices come from, for messages about them."""
    from gradiend_st.io.bundle_files import TOPK_FILE

    return run.checkpoint_dir / TOPK_FILE if run.bundle is not None else run.checkpoint_dir / "config.json"


def _signs(run, indices: np.ndarray, wanted: bool, should_stop, warnings: list[str]) -> np.ndarray | None:
    if not wanted:
        return None
    if run.bundle is not None or not run.has_weights:
        warnings.append(f"{run.id}: no weights in this folder (a bundle keeps only the top-k lists), so its decoder "
                        "signs are unknown; its links are grey")
        return None
    return decoder_signs(run.checkpoint, indices, should_stop=should_stop)


def group_counts(maps: WeightMaps, by: str, num_heads: int | None = None) -> tuple[dict, dict]:
    """({run id: {group: count}} with non-zero counts, {group: base scalars}) for `by` in parameter / layer /
    component / head (heads of query/key/value weights and biases; `num_heads` else the known one for the shape)."""
    from gradiend_st.analysis.weightmap import attention_hidden, group, head_groups
    from gradiend_st.analysis.weightmap_names import known_heads

    layout = maps.layout
    if by != "head":
        counts = {rid: group(layout, maps.maps[rid], by).as_dict() for rid in maps.runs}
        first = group(layout, maps.maps[maps.runs[0]], by) if maps.runs else None
        sizes = {n: int(b) for n, b in zip(first.names, first.base, strict=True)} if first else {}
        return counts, sizes
    if not maps.runs:
        return {}, {}
    hidden = attention_hidden(layout)
    heads = num_heads or (known_heads(hidden) if hidden else None)
    if not heads:
        raise ValueError(f"pass --num-heads: a query weight with {hidden} output rows is not a known shape "
                         "(bert-base: 12 heads of 64)" if hidden else "no query weight to split into heads")
    counts, sizes = {}, {}
    for rid in maps.runs:
        found = head_groups(layout, maps.maps[rid], heads)
        counts[rid] = {name: count for name, (count, _) in found.items() if count}
        sizes.update({name: base for name, (_, base) in found.items()})
    return counts, sizes
