"""Cross-encoding on the real suite: the numbers its CSVs say, by the rule the README states."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gradiend_st.analysis import cross_encoding as ce
from gradiend_st.analysis.feature_factors import training_source
from gradiend_st.io.encoded import read_encoded
from tests.conftest import RUNS

SUITE = ["suite_pronouns/he__they", "suite_pronouns/she__they"]


def encodings(catalog, alignment: str, runs=SUITE) -> list[ce.RunEncoding]:
    found = []
    for rid in runs:
        run = catalog.get(rid)
        found.append(ce.run_encoding(rid, read_encoded(run.encoded["split_test"]), run.classes, training_source(run),
                                     alignment))
    return found


def factual_means_from_csv(run_id: str) -> pd.Series:
    """Independently of the studio's rule: in these CSVs every token is its class name, so the factual class is the
    factual token; mean per transition, then per factual class, negated (source="alternative" encodes the alternative
    class: the factual view flips it)."""
    frame = pd.read_csv(RUNS / run_id / "encoded_values_split_test.csv")
    rows = frame[frame["type"] == "training"]
    assert set(rows["alternative_token"]) == set(rows["target_id"]), "tokens are class names here"
    assert np.corrcoef(rows.loc[rows.label != 0, "encoded"], rows.loc[rows.label != 0, "label"])[0, 1] > 0
    per_transition = rows.groupby(["factual_token", "alternative_token"])["encoded"].mean()
    return -per_transition.groupby(level=0).mean()


def test_she_they_responds_to_its_own_pair_only_and_he_they_has_same_sign_means(catalog):
    found = encodings(catalog, "factual")
    columns = ce.default_columns(found, "factual")
    assert set(columns) == {"he", "she", "they"}
    matrix = pd.DataFrame(ce.gradiend_matrix(found, columns), index=SUITE, columns=columns)
    for rid in SUITE:
        expected = factual_means_from_csv(rid)
        assert matrix.loc[rid, expected.index].to_numpy() == pytest.approx(expected.to_numpy(), abs=1e-12)
    she_they = matrix.loc["suite_pronouns/she__they"]
    assert she_they["she"] > 0.9 and she_they["they"] < -0.9, "its own +1 class reads positive, its -1 negative"
    assert abs(she_they["he"]) < 0.05, "no response to the class outside its pair"
    he_they = matrix.loc["suite_pronouns/he__they"]
    assert np.sign(he_they["he"]) == np.sign(he_they["they"]) != 0, "not converged: both class means on one side"
    assert not any(e.flipped for e in found) and not any(e.dropped for e in found)


def test_counterfactual_columns_match_gradiends_own_grouping(catalog):
    """gradiend groups these CSVs by feature_class_id (its transition id) and takes target_id as the counterfactual
    class: the same cells."""
    found = encodings(catalog, "counterfactual")
    columns = ce.default_columns(found, "counterfactual")
    matrix = ce.gradiend_matrix(found, columns)
    for i, rid in enumerate(SUITE):
        frame = pd.read_csv(RUNS / rid / "encoded_values_split_test.csv")
        rows = frame[frame["type"] == "training"]
        transitions = rows.groupby(["feature_class_id", "target_id"])["encoded"].mean().reset_index()
        expected = transitions.groupby("target_id")["encoded"].mean()  # view sign +1: alternative source
        assert [matrix[i, columns.index(c)] for c in expected.index] == pytest.approx(expected.tolist(), abs=1e-12)


def test_class_rows_aggregate_every_run_with_its_anchor_sign(catalog):
    found = encodings(catalog, "factual")
    columns = ce.default_columns(found, "factual")
    classes = ce.class_order(found)
    by_class = ce.class_matrix(found, classes, columns, "mean")
    they = classes.index("they")
    for j, column in enumerate(columns):
        # "they" is the -1 class of both runs: every transition mean of that column, negated, averaged.
        means = pd.concat([e.transitions.loc[e.transitions["column"] == column, "mean"] for e in found])
        assert by_class[they, j] == pytest.approx(-means.mean(), abs=1e-12)
    counts = ce.class_matrix(found, classes, columns, "raw_count")
    assert counts[they].tolist() == [48.0] * 3, "two runs x two transitions per column x 12 rows"


def test_transition_columns_and_own_cells(catalog):
    found = encodings(catalog, "transition")
    columns = ce.default_columns(found, "transition")
    assert "she → they" in columns and len(columns) == 6
    own = [columns[j] for j in ce.own_cells(("she", "they"), columns, "transition")]
    assert sorted(own) == ["she → they", "they → she"]
    assert ce.anchor_cells("he", columns, "transition") == [j for j, c in enumerate(columns) if c.startswith("he →")]


def test_factual_class_from_tokens_agrees_with_the_label_rule(catalog):
    """Two independent ways to tell the factual class of a training row agree on every run with a CSV."""
    for rid in catalog.ids("run"):
        run = catalog.get(rid)
        if "split_test" not in run.encoded or len(run.classes) != 2:
            continue
        frame = read_encoded(run.encoded["split_test"])
        rows = frame[~frame["is_neutral"]]
        from_tokens = ce.factual_classes(rows.assign(label=0.0), run.classes, "alternative")
        from_labels = rows["label"].map({-1.0: run.classes[0], 1.0: run.classes[1]})
        known = from_labels.notna()
        assert (from_tokens[known] == from_labels[known]).all(), rid
        assert from_tokens.notna().all(), rid
