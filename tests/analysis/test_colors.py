"""One colour rule for every view: a colour given for any of an entry's names, else its palette colour."""

from __future__ import annotations

from gradiend_st.analysis.colors import assign_colors, given_color


def test_the_first_name_with_a_colour_wins():
    given = {"he": "#111111", "1.0": "#222222", "group A": "#333333"}
    assert given_color(given, ["HE", "1.0", "he"]) == "#222222"
    assert given_color(given, ["group A"]) == "#333333"
    assert given_color(given, ["she"]) is None
    assert given_color(None, ["he"]) is None
    assert given_color({1.0: "#444444"}, ["1.0"]) == "#444444"  # names compare as text
    assert given_color({"he": ""}, ["he"]) is None  # an empty cell is no colour


def test_entries_without_a_colour_take_palette_colours_no_other_entry_has():
    palette = ["#a00000", "#00a000", "#0000a0"]
    assert assign_colors([["he"], ["she", "-1.0"], ["Neutral"]], {"-1.0": "#123456"}, palette) == [
        "#a00000", "#123456", "#00a000"]
    assert assign_colors([["he"], ["she"]], None, palette) == palette[:2]
    assert assign_colors([["he"], ["she"]], {"she": "#A00000"}, palette) == ["#00a000", "#A00000"], \
        "an unmapped entry never repeats a mapped entry's colour"
