"""The scatter's points: categories, colour names, stratified sample, sentences and hover text, without drawing."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from gradiend_st.analysis import scatter_points as sp
from gradiend_st.io.encoded import read_encoded
from gradiend_st.io.training import read_training

HE_THEY = "suite_pronouns/he__they"
PALETTE = ["#000001", "#000002", "#000003", "#000004"]


@pytest.fixture(scope="module")
def he_they(runs_root):
    frame = read_encoded(runs_root / HE_THEY / "encoded_values_split_test.csv")
    names = read_training(runs_root / HE_THEY / "model" / "training.json").label_value_to_class_name
    return frame, names


def test_every_row_once_with_training_json_class_names(he_they):
    frame, names = he_they
    pts = sp.points(frame, class_names=names)
    assert len(pts.table) == pts.total == len(frame) == 160 and pts.missing == 0
    assert pts.categories == ["neutral", "he", "she", "they"]
    assert pts.color_order == ["they", "neutral (0)", "he"]  # numeric label order, named by training.json
    assert pts.x_title == "Factual token"
    assert sp.sample_notes(pts) == []


def test_colours_by_display_name_raw_value_or_class_name(he_they):
    frame, names = he_they
    pts = sp.points(frame, class_names=names, label_name_mapping={"1.0": "HE"})
    assert pts.color_names["HE"] == ["1.0", "he"]
    for key in ("HE", "1.0", "1", "he"):
        assert sp.category_colors(pts, {key: "#123456"}, PALETTE[:3])["HE"] == "#123456", key
    assert sp.category_colors(pts, None, PALETTE[:3]) == dict(zip(pts.color_order, PALETTE))


def test_stratified_sample_is_seeded_and_covers_every_stratum(he_they):
    frame, names = he_they
    pts = sp.points(frame, class_names=names, max_points=50)
    assert 0 < len(pts.table) <= 50
    assert set(frame.loc[pts.table["row"], "feature_class_id"]) == set(frame["feature_class_id"])
    assert pts.table["row"].tolist() == sp.points(frame, class_names=names, max_points=50).table["row"].tolist()
    assert sp.sample_notes(pts) == [f"showing {len(pts.table)} of 160 points (stratified sample)"]


def test_jitter_is_bounded_and_seeded(he_they):
    frame, _ = he_they
    table = sp.points(frame).table
    offsets = table["x"] - np.round(table["x"])
    assert np.all(np.abs(offsets) <= 0.15) and offsets.std() > 0.03
    flat = sp.points(frame, jitter_scale=0).table
    assert np.all(flat["x"] == np.round(flat["x"]))


def test_sort_categories():
    assert sp.sort_categories(["b", "positive", "10", "neutral", "2", "A", "negative", "b"]) == [
        "2", "10", "negative", "neutral", "positive", "A", "b"]


def test_row_text_hover_and_rows_without_a_value():
    frame = pd.DataFrame({"encoded": [0.5, np.nan, -0.2], "label": [1.0, 1.0, -1.0],
                          "template": ["<b>x</b> [MASK] & y", "", ""], "text": ["a", "b", "she sat"],
                          "source_id": ["he", "he", np.nan]})
    pts = sp.points(frame)
    assert pts.missing == 1 and sp.sample_notes(pts) == ["1 rows without an encoded value left out"]
    assert pts.table["text"].tolist() == ["<b>x</b> [MASK] & y", "she sat"]
    hovers = pts.table["hover"].tolist()
    assert "&lt;b&gt;x&lt;/b&gt; [MASK] &amp; y" in hovers[0] and "<b>x" not in hovers[0]
    assert not any(re.search(r"\bnan\b", h, re.IGNORECASE) for h in hovers)
    assert sp.as_text(float("nan")) == "" and sp.as_text(1.0) == "1.0"


def test_hover_text_truncated_around_mask():
    long = " ".join(f"word{i}" for i in range(60)) + " [MASK] " + " ".join(f"tail{i}" for i in range(60))
    short = sp.truncate_around_mask(long, 180)
    assert "[MASK]" in short and len(short) <= 180
    assert short.startswith("...") and short.endswith("...")
    assert " word" in short and not re.search(r"\.\.\.\S*\d\S*\d{3}", short)  # cut at word boundaries
    wrapped = sp.wrap_html(short, 90)
    assert all(len(line) <= 90 for line in wrapped.split("<br>"))
    assert sp.truncate_around_mask("short [MASK] text", 180) == "short [MASK] text"
