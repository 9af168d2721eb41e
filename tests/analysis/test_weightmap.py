"""The weight map's numbers: names -> layers and components, indices -> (parameter, row, column), groups, heads,
over-representation, the weights of a cell and the decoder signs, on the real fixture runs and small layouts."""

from __future__ import annotations

from dataclasses import replace
from math import prod
from pathlib import Path

import numpy as np
import pytest

from gradiend_st.analysis import weightmap as wm
from gradiend_st.analysis import weightmap_signs
from gradiend_st.analysis.comparison import compare_topk
from gradiend_st.analysis.weightmap_names import place_of
from gradiend_st.analysis.weightmap_runs import map_selection
from gradiend_st.io.checkpoint import DECODER_WEIGHT, ParamEntry
from gradiend_st.io.errors import RunReadError

CONFIG = Path("run/model/config.json")


@pytest.mark.parametrize(("name", "layer", "component"), [
    ("bert.embeddings.word_embeddings.weight", "embeddings", "embeddings"),
    ("bert.embeddings.LayerNorm.bias", "embeddings", "LayerNorm"),
    ("bert.encoder.layer.11.attention.self.query.weight", "layer.11", "query"),
    ("bert.encoder.layer.0.attention.self.key.bias", "layer.0", "key"),
    ("bert.encoder.layer.0.attention.output.dense.weight", "layer.0", "attention output"),
    ("bert.encoder.layer.0.attention.output.LayerNorm.weight", "layer.0", "LayerNorm"),
    ("bert.encoder.layer.3.intermediate.dense.bias", "layer.3", "intermediate"),
    ("bert.encoder.layer.3.output.dense.weight", "layer.3", "output"),
    ("bert.encoder.layer.3.output.LayerNorm.bias", "layer.3", "LayerNorm"),
    ("distilbert.transformer.layer.2.attention.v_lin.weight", "layer.2", "value"),
    ("distilbert.transformer.layer.2.ffn.lin1.weight", "layer.2", "intermediate"),
    ("model.layers.7.self_attn.o_proj.weight", "layer.7", "attention output"),
    ("model.layers.7.mlp.down_proj.weight", "layer.7", "output"),
    ("model.layers.7.input_layernorm.weight", "layer.7", "LayerNorm"),
    ("model.embed_tokens.weight", "embeddings", "embeddings"),
    ("transformer.h.4.mlp.c_fc.weight", "layer.4", "intermediate"),
    ("transformer.wte.weight", "embeddings", "embeddings"),
])
def test_known_names(name, layer, component):
    place = place_of(name)
    assert (place.layer, place.component, place.known) == (layer, component, True)


def test_unknown_names_keep_their_last_two_parts():
    assert place_of("bert.pooler.dense.weight") == wm.Place("other", "pooler.dense", False)
    assert place_of("transformer.h.0.attn.c_attn.bias") == wm.Place("layer.0", "attn.c_attn", False)


def _layout(*params) -> wm.ParamLayout:
    return wm.ParamLayout(tuple(n for n, _ in params), tuple(tuple(s) for _, s in params),
                          tuple(place_of(n) for n, _ in params))


def test_locate_matches_row_major_coordinates(catalog):
    run = catalog.get("he_she")
    layout = wm.param_layout(run.config, CONFIG)
    indices = np.random.default_rng(0).integers(0, layout.total, 5000)
    where = wm.locate(layout, indices, CONFIG)
    for i, index in enumerate(indices[:400]):
        e = int(np.searchsorted(layout.offsets, index, side="right")) - 1  # FORMAT.md §2.3: bisect the offsets
        coords = np.unravel_index(index - layout.offsets[e], layout.shapes[e])
        assert where.entry[i] == e and where.flat[i] == index - layout.offsets[e]
        assert where.row[i] == coords[0]
        assert where.column[i] == (coords[1] if len(coords) > 1 else -1)


def test_three_dimensional_parameters_and_empty_entries():
    layout = _layout(("a.weight", (2, 3, 4)), ("b.weight", (0, 5)), ("c.bias", (3,)))
    where = wm.locate(layout, np.array([0, 5, 23, 24, 26]), CONFIG)
    assert where.entry.tolist() == [0, 0, 0, 2, 2]  # the empty entry holds no index
    assert where.row.tolist() == [0, 0, 1, 0, 2] and where.column.tolist() == [0, 1, 2, -1, -1]


def test_an_index_beyond_the_map_names_the_file():
    layout = _layout(("a.weight", (2, 3)))
    with pytest.raises(RunReadError, match=r"run/model/config.json: top-k index 6 lies beyond mapping.param_map, "
                                           r"which covers 6 base scalars"):
        wm.locate(layout, np.array([1, 6]), CONFIG)


def test_param_layouts_that_cannot_place_indices(catalog):
    config = catalog.get("he_she").config
    with pytest.raises(RunReadError, match="no mapping.param_map"):
        wm.param_layout(replace(config, param_map=()), CONFIG)
    broken = replace(config, param_map=(ParamEntry("x.weight", (4,), "all", None, 4), *config.param_map[1:]))
    with pytest.raises(RunReadError, match=r"config.json: mapping.param_map selects 25,380 scalars but input_dim is "
                                           r"36,896: its sizes do not add up"):
        wm.param_layout(broken, CONFIG)


def test_over_representation_is_share_of_k_over_share_of_the_input_space():
    # layer.0 holds 20 of 100 scalars (20 %) and 4 of the top 10 (40 %): 2.0, as in the issue
    layout = _layout(("m.layer.0.output.dense.weight", (4, 5)), ("m.layer.1.output.dense.weight", (8, 10)))
    run = wm.map_run(layout, np.array([0, 7, 13, 19, 20, 30, 41, 55, 77, 99]), layout.row_numels, CONFIG)
    layers = wm.group(layout, run, "layer")
    assert layers.names == ["layer.0", "layer.1"] and layers.counts.tolist() == [4, 6]
    assert layers.overrepresentation.tolist() == pytest.approx([2.0, 0.75])
    assert wm.grid(layout, run).values("overrepresentation")[:, 0].tolist() == pytest.approx([2.0, 0.75])


def test_a_pruned_run_is_compared_with_what_it_could_choose(catalog):
    run = catalog.get("he_she_preprune")
    maps = map_selection(catalog, ["he_she_preprune"], "decoder-weight", 0.01)
    mapped, layout = maps.maps["he_she_preprune"], maps.layout
    assert mapped.input_dim == 1845 and mapped.k == 19
    per_param = wm.per_entry(layout, mapped.space)
    assert per_param.tolist() == [e.num_selected for e in run.config.param_map]
    assert per_param.sum() < layout.total  # the base space is larger
    layers = wm.group(layout, mapped, "layer")
    expected = (layers.counts / 19) / (layers.space / 1845)
    assert layers.overrepresentation == pytest.approx(expected)


def test_heads_split_query_key_value_rows():
    layout = _layout(("m.layer.0.attention.self.query.weight", (8, 2)), ("m.layer.0.attention.self.query.bias", (8,)),
                     ("m.layer.0.attention.self.key.weight", (8, 2)), ("m.layer.0.output.dense.weight", (2, 8)))
    # query.weight rows 0..7 (2 columns each: indices 0..15), bias 16..23, key 24..39, output 40..55
    run = wm.map_run(layout, np.array([0, 3, 9, 15, 16, 23, 30, 45]), layout.row_numels, CONFIG)
    heads = wm.head_grid(layout, run, num_heads=2)  # head size 4 rows
    assert heads.head_size == 4 and heads.layers == ["layer.0"]
    assert heads.counts[0, 0].tolist() == [2 + 1, 2 + 1]  # query: rows 0, 1 | 4, 7; bias rows 0 | 7
    assert heads.counts[1, 0].tolist() == [1, 0]  # key: index 30 is row 3
    assert np.isnan(heads.counts[2, 0]).all()  # no value parameter
    groups = wm.head_groups(layout, run, 2)
    assert groups["layer.0.query.head.1"] == (3, 4 * 2 + 4)
    with pytest.raises(ValueError, match="num_heads 3 does not divide the query's 8 output rows"):
        wm.head_grid(layout, run, 3)


def test_feed_forward_rows_add_weight_and_bias_rows():
    layout = _layout(("m.layer.0.intermediate.dense.weight", (3, 2)), ("m.layer.0.intermediate.dense.bias", (3,)))
    run = wm.map_run(layout, np.array([0, 1, 5, 6, 8]), layout.row_numels, CONFIG)
    names, rows = wm.rows_of(layout, run.counts, "layer.0", "intermediate")
    assert len(names) == 2 and rows.tolist() == [3, 0, 2]


def test_the_weights_of_each_cell_are_exactly_the_cells_count(catalog):
    maps = map_selection(catalog, ["he_she"], "decoder-weight", 1000)
    layout, mapped = maps.layout, maps.maps["he_she"]
    found = compare_topk(catalog, ["he_she"], "decoder-weight", 1000).sets["he_she"]
    cells = wm.grid(layout, mapped)
    seen = 0
    for i, layer in enumerate(cells.layers):
        for j, component in enumerate(cells.components):
            rows = wm.cell_weights(layout, found.indices, found.importance, CONFIG, layer=layer, component=component)
            assert len(rows["rank"]) == cells.counts[i, j] == wm.cell_count(layout, mapped, layer=layer,
                                                                            component=component)
            seen += len(rows["rank"])
            for rank, name, row, col, base in zip(rows["rank"], rows["param_name"], rows["param_row"],
                                                   rows["param_col"], rows["base_global_index"], strict=True):
                e = layout.names.index(name)
                assert found.indices[rank - 1] == base  # rank = position in the top-k list, from 1
                shape = layout.shapes[e]
                flat = row * prod(shape[1:]) + max(col, 0)
                assert layout.offsets[e] + flat == base
                assert place_of(name).layer == layer and place_of(name).component == component
            assert np.all(np.diff(rows["importance"]) <= 0)  # in rank order
    assert seen == 1000


def test_decoder_signs_read_the_decoder_rows(catalog, monkeypatch):
    for rid in ("he_she", "he_she_preprune"):
        run = catalog.get(rid)
        found = compare_topk(catalog, [rid], "decoder-weight", 200).sets[rid]
        weights = run.checkpoint.open_weights().read(DECODER_WEIGHT)[:, 0]
        table = run.checkpoint.local_to_base
        local = found.indices if table is None else np.searchsorted(table, found.indices)
        expected = np.sign(weights[local]).astype(np.int8)
        assert weightmap_signs.decoder_signs(run.checkpoint, found.indices).tolist() == expected.tolist()
        monkeypatch.setattr(weightmap_signs, "ROW_BY_ROW", 0)  # the streaming path gives the same
        assert weightmap_signs.decoder_signs(run.checkpoint, found.indices).tolist() == expected.tolist()
        monkeypatch.undo()
    maps = map_selection(catalog, ["he_she"], "decoder-weight", 200, signs=True)
    mapped = maps.maps["he_she"]
    assert mapped.positive.sum() + mapped.negative.sum() == 200 and mapped.positive.sum() > 0


def test_few_and_many_indices_are_counted_alike():
    """Few indices take a binary search per index, many a sort cut at the row starts: the same counts."""
    layout = _layout(("m.layer.0.intermediate.dense.weight", (5000, 3)), ("m.layer.0.intermediate.dense.bias", (5000,)))
    rng = np.random.default_rng(3)
    for size in (5, 50, 5000):
        indices = rng.choice(layout.total, size, replace=False)
        few_or_many = wm.row_counts(layout, indices, CONFIG)
        by_weights = wm.row_counts(layout, indices, CONFIG, weights=np.ones(size))  # always the sorting path
        expected = np.bincount(wm.locate(layout, indices, CONFIG).row + layout.row_offsets[
            wm.locate(layout, indices, CONFIG).entry], minlength=int(layout.row_offsets[-1]))
        assert few_or_many.tolist() == by_weights.tolist() == expected.tolist()
    with pytest.raises(RunReadError, match="top-k index 20,000 lies beyond"):
        wm.row_counts(layout, np.array([3, 20_000]), CONFIG)
