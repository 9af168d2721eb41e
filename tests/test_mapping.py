"""The label/group/colour mapping and its translation into each view's Options fields."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pytest

from gradiend_st.demo import DEMO_ROOT
from gradiend_st.io.discover import discover
from gradiend_st.mapping import (
    ClassLabel,
    Mapping,
    RunLabel,
    classes_frame,
    classes_from_frame,
    clean_color,
    default_mapping,
    merge,
    runs_frame,
    runs_from_frame,
    to_options,
)
from gradiend_st.palettes import DEFAULT
from gradiend_st.views import registry


@pytest.fixture(scope="module")
def demo():
    return discover(DEMO_ROOT)


def edited() -> Mapping:
    return Mapping(
        runs=[RunLabel("he_she", "He/She", "pronouns", "#112233"), RunLabel("she_they", "", "pronouns"),
              RunLabel("1SG_1PL")],
        classes=[ClassLabel("he", "HE", "masc", "#ff0000", 2), ClassLabel("she", "SHE", "fem", "", 1),
                 ClassLabel("they"), ClassLabel("he -> she"), ClassLabel("Neutral: Training masked", "neutral text")],
    )


def test_default_mapping_has_every_run_and_class_once(demo):
    mapping = default_mapping(demo)
    assert [r.run for r in mapping.runs] == list(demo.runs)
    labels = [c.label for c in mapping.classes]
    assert labels == list(dict.fromkeys(labels)) and {"he", "she", "they", "1SG", "3PL"} <= set(labels)
    assert mapping.run_labels() == {} and mapping.class_names() == {}


def test_merge_keeps_edits_and_rows_for_labels_a_catalog_lacks(demo):
    mapping = Mapping(classes=[ClassLabel("he", "HE"), ClassLabel("nonexistent", "X")])
    merged = merge(mapping, demo, ["he_she"])
    assert merged.classes[:2] == mapping.classes
    assert [c.label for c in merged.classes[2:]] == ["she"]
    assert [r.run for r in merged.runs] == ["he_she"]


def test_every_row_gets_one_colour_in_order_of_first_appearance(demo):
    mapping = default_mapping(demo)
    class_colors = [c.color for c in mapping.classes]
    assert class_colors[:len(DEFAULT)] == list(DEFAULT)[:len(class_colors)], "palette order, first label first"
    assert [r.color for r in mapping.runs][:3] == list(DEFAULT[:3])
    assert all(class_colors) and all(r.color for r in mapping.runs)


def test_colours_are_stable_when_runs_and_labels_are_added(demo):
    first = merge(Mapping(), demo, ["he_she"])
    later = merge(first, demo, ["she_they", "he_she"], extra_labels=["Neutral: Training masked"])
    assert later.classes[:len(first.classes)] == first.classes, "existing rows keep their colours"
    new = [c.color for c in later.classes[len(first.classes):]]
    assert new and not set(new) & {c.color for c in first.classes}, "new labels take unused colours"
    edited_first = Mapping(classes=[ClassLabel("he", color=DEFAULT[1])])
    assert merge(edited_first, demo, ["he_she"]).classes[1].color == DEFAULT[0], "a colour chosen by hand is not reused"
    reloaded = Mapping.from_dict(later.to_dict())
    assert merge(reloaded, demo).colors() == merge(later, demo).colors(), "a reload (or a preset) keeps them"


def test_lookups():
    mapping = edited()
    assert mapping.run_labels() == {"he_she": "He/She"}
    assert mapping.run_groups() == {"pronouns": ["he_she", "she_they"]}
    assert mapping.run_colors() == {"he_she": "#112233"}
    names = mapping.class_names()
    assert names["he"] == "HE" and names["Neutral: Training masked"] == "neutral text"
    assert names["he -> she"] == "HE -> SHE", "a transition without its own name follows its renamed classes"
    assert mapping.order() == ["she", "he"], "explicit order first, ascending"
    assert mapping.legend_groups() == {"fem": ["she"], "masc": ["he"]}
    assert mapping.colors() == {"he": "#ff0000", "HE": "#ff0000", "masc": "#ff0000"}


def test_grid_round_trip_cleans_input():
    mapping = edited()
    frame = classes_frame(mapping)
    assert list(frame.columns) == ["label", "display", "group", "color", "order"]
    frame = frame.astype(object)  # grids hand back text (AG Grid) or objects
    frame.loc[frame["label"] == "they", ["display", "color", "order"]] = ["  They\n ", "not a colour", "3.0"]
    frame.loc[len(frame)] = ["", "ignored: no label", "", "", None]
    back = classes_from_frame(mapping, frame)
    they = next(c for c in back.classes if c.label == "they")
    assert (they.display, they.color, they.order) == ("They", "", 3)
    assert len(back.classes) == len(mapping.classes)
    assert classes_from_frame(mapping, classes_frame(mapping)) == mapping


def test_run_grid_edits_only_the_rows_it_showed():
    mapping = edited()
    frame = runs_frame(mapping, ["she_they"])
    assert frame["run"].tolist() == ["she_they"]
    frame.loc[0, "display"] = "S/T"
    back = runs_from_frame(mapping, frame)
    assert back.run_labels() == {"he_she": "He/She", "she_they": "S/T"}
    assert [r.run for r in back.runs] == [r.run for r in mapping.runs]


@pytest.mark.parametrize("value, expected", [("#AbC", "#aabbcc"), ("red", "#ff0000"), ("#12345", ""), ("", ""),
                                             (None, ""), (float("nan"), ""), ("<script>", "")])
def test_clean_color(value, expected):
    assert clean_color(value) == expected


def test_json_round_trip():
    mapping = edited()
    assert Mapping.from_dict(mapping.to_dict()) == mapping
    assert Mapping.from_dict({"classes": [{"label": ""}, "junk", {"label": "x", "order": "a"}]}).classes == [ClassLabel("x")]


# ----------------------------------------------------------------------------------------------- per view


def test_each_view_gets_its_own_fields():
    mapping = edited()
    heat = to_options(registry.get("heatmap").Options(), mapping, ["he_she", "she_they"])
    assert heat.row_label_mapping == heat.column_label_mapping == {"he_she": "He/She"}
    assert heat.pretty_groups == {"pronouns": ["he_she", "she_they"]}
    venn = to_options(registry.get("venn").Options(), mapping, ["he_she", "she_they"], colors_runs=True)
    assert venn.colors == {"he_she": "#112233"}, "the Venn colours runs"
    dist = to_options(registry.get("distributions").Options(), mapping, ["he_she"])
    assert dist.legend_name_mapping["he"] == "HE"
    assert dist.legend_group_mapping == {"fem": ["she"], "masc": ["he"]}
    assert dist.paired_legend_labels == ["she", "he"]
    assert dist.colors["he"] == "#ff0000"
    conv = to_options(registry.get("convergence").Options(), mapping, ["he_she"])
    assert conv.label_name_mapping["she"] == "SHE" and conv.run_labels == {"he_she": "He/She"}
    assert conv.colors["he"] == "#ff0000" and conv.run_colors == {"he_she": "#112233"}


def test_label_values_rename_with_their_class():
    scatter = to_options(registry.get("scatter").Options(), edited(), ["he_she"],
                         label_values={"1.0": "he", "-1.0": "she", "0.0": "neutral"})
    assert scatter.label_name_mapping["1.0"] == "HE" and scatter.label_name_mapping["-1.0"] == "SHE"
    assert "0.0" not in scatter.label_name_mapping


def test_fields_a_view_lacks_are_left_alone():
    @dataclass
    class Bare:
        topk: int = 5
        other: dict = field(default_factory=dict)

    assert to_options(Bare(), edited(), ["he_she"]) == Bare()


def test_grid_edits_win_over_option_values_key_by_key():
    options = registry.get("heatmap").Options(row_label_mapping={"he_she": "from preset", "she_they": "kept"})
    merged = to_options(options, edited(), ["he_she", "she_they"])
    assert merged.row_label_mapping == {"he_she": "He/She", "she_they": "kept"}


def test_html_in_labels_can_be_escaped_for_html_renderers():
    mapping = Mapping(runs=[RunLabel("he_she", "<b>bold</b>")], classes=[ClassLabel("he", "<img src=x>")])
    opts = to_options(registry.get("scatter").Options(), mapping, ["he_she"], escape_html=True)
    assert opts.label_name_mapping == {"he": "&lt;img src=x&gt;"}
    assert opts.run_labels == {"he_she": "&lt;b&gt;bold&lt;/b&gt;"}


def test_frames_are_plain_strings_and_integers():
    frame = classes_frame(edited())
    assert frame["order"].dtype == pd.Int64Dtype()
    assert frame["display"].tolist()[2] == "they"


def test_more_rows_than_palette_colours_still_get_distinct_colours(demo):
    from gradiend_st.mapping import recolor

    mapping = default_mapping(demo)
    assert len(mapping.runs) > len(DEFAULT)
    assert len({r.color for r in mapping.runs}) == len(mapping.runs), "no two runs share a colour"
    greys = recolor(mapping, "greyscale")
    assert greys.palette == "greyscale" and greys.classes[0].color == "#000000"
    from gradiend_st.palettes import PALETTES

    assert {r.color for r in greys.runs} <= set(PALETTES["greyscale"].colors), "greyscale stays grey (dashes differ)"
