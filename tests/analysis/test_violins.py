"""The violins' labels, groups, pairs, order, colours and statistics (FORMAT.md §9.2), without drawing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gradiend_st.analysis import violins
from gradiend_st.io.encoded import read_encoded

SUITE = "suite_pronouns/he__they"
PALETTE = ["#000001", "#000002", "#000003", "#000004", "#000005"]


@pytest.fixture(scope="module")
def suite(runs_root) -> pd.DataFrame:
    return read_encoded(runs_root / SUITE / "encoded_values_split_test.csv")


def prepared(frame, pair=("he", "they"), colors=None, **options):
    result = violins.prepare(frame, pair, **options)
    violins.color_entries(result.entries, colors, PALETTE[:len(result.entries)])
    return result


def test_step3_labels_and_raw_legend_labels(suite):
    assert violins.raw_legend_labels(suite) == ["they", "he", "she", "Neutral: Training masked",
                                                "Neutral: Neutral dataset"]
    assert violins.raw_legend_labels(None) == [] and violins.raw_legend_labels(suite.iloc[:0]) == []
    frame = pd.DataFrame({"source_id": ["he", "she", "neutral"], "target_id": ["she", "she", "neutral"],
                          "type": ["training", "training", "neutral_dataset"], "is_neutral": [False, False, True]})
    assert violins.step3_labels(frame).tolist() == ["he -> she", "she", "Neutral: Neutral dataset"]
    assert violins.target_labels(("he", "she")) == ["he", "he -> she", "she", "she -> he"]
    assert violins.target_labels(("he",)) == []
    assert violins.display("he -> she") == "he \u2192 she"


def test_entries_pairs_and_default_order(suite):
    result = prepared(suite)
    assert [e.label for e in result.entries] == ["he", "they", "she", "Neutral: Training masked",
                                                 "Neutral: Neutral dataset"]
    assert [e.highlighted for e in result.entries] == [True, True, False, False, False]
    assert [v.name for v in result.violins] == ["he | they", "she", "Neutral"]
    assert result.violins[1].halves[1] is None


def test_paired_labels_and_violin_order(suite):
    paired = prepared(suite, paired_legend_labels=["he", "Neutral: Training masked", "unknown label", "they", "she"])
    assert [v.name for v in paired.violins] == ["he | Neutral: Training masked", "they | she"]  # only the listed
    assert "Neutral: Neutral dataset" not in set(paired.rows.legend_label)
    ordered = prepared(suite, violin_order=["Neutral", "she"])
    assert [v.name for v in ordered.violins] == ["Neutral", "she", "he | they"]
    assert [e.label for e in ordered.entries][:2] == ["Neutral: Training masked", "Neutral: Neutral dataset"]


def test_groups_are_down_sampled_to_their_smallest_member(suite):
    groups = {"she or neutral": ["she", "Neutral: Neutral dataset", "not in this run"]}
    result = prepared(suite, legend_group_mapping=groups)
    rows = result.rows[result.rows.legend_label == "she or neutral"]
    assert len(rows) == 32 and (rows.step3 == "she").sum() == 16  # she 24 rows, the neutral dataset 16
    expected = suite[suite.source_id == "she"].sample(n=16, random_state=violins.RANDOM_STATE).index
    assert sorted(rows[rows.step3 == "she"].index) == sorted(expected)
    assert result.notes == ["she: 16 of 24 rows (group she or neutral)"]


def test_renamed_labels_merge(suite):
    result = prepared(suite, legend_name_mapping={"he": "A", "they": "A"})
    merged = next(e for e in result.entries if e.label == "A")
    assert merged.members == ["they", "he"] and merged.highlighted


def test_colours_by_raw_label_display_name_or_group(suite):
    by_raw = prepared(suite, colors={"they": "#abcdef"}, legend_name_mapping={"they": "THEY"})
    assert {e.label: e.color for e in by_raw.entries}["THEY"] == "#abcdef"
    by_name = prepared(suite, colors={"THEY": "#abcdef"}, legend_name_mapping={"they": "THEY"})
    assert {e.label: e.color for e in by_name.entries}["THEY"] == "#abcdef"
    by_group = prepared(suite, colors={"G": "#abcdef"}, legend_group_mapping={"G": ["she", "Neutral: Neutral dataset"]})
    assert {e.label: e.color for e in by_group.entries}["G"] == "#abcdef"
    plain = prepared(suite)
    assert [e.color for e in plain.entries] == PALETTE  # palette colours in legend order


def test_target_filter_keeps_transitions_and_neutral_rows():
    frame = pd.DataFrame({"source_id": ["he", "she", "he", "neutral"], "target_id": ["she", "he", "he", "neutral"],
                          "type": ["training"] * 3 + ["neutral_dataset"], "is_neutral": [False, False, False, True],
                          "encoded": [0.9, -0.9, 0.1, 0.0], "data_split": ["test"] * 4})
    kept = violins.prepare(frame, ("he", "she"))
    assert [e.label for e in kept.entries] == ["he -> she", "she -> he", "Neutral: Neutral dataset"]
    everything = violins.prepare(frame, ("he", "she"), target_and_neutral_only=False)
    assert "he" in [e.label for e in everything.entries]


def test_split_panels_values_and_summary(suite):
    result = prepared(suite)
    assert violins.split_panels(result.rows) == [None]
    two = prepared(suite.assign(data_split=np.where(np.arange(len(suite)) % 2, "train", "test")))
    assert violins.split_panels(two.rows) == ["train", "test"]
    he = result.entries[0]
    values = violins.half_values(result.rows, he, None)
    assert len(values) == 24
    table = violins.summary(result, "split_test")
    assert list(table.columns) == violins.SUMMARY_COLUMNS
    row = table.set_index("legend_label").loc["he"]
    assert (row.violin, row.side, row.split, row.n, row.color) == ("he | they", "left", "split_test", 24, PALETTE[0])
    assert row["median"] == pytest.approx(float(np.median(values)))
    assert violins.value_span(result.rows) == pytest.approx(float(result.rows.encoded.max() - result.rows.encoded.min()))
