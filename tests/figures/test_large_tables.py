"""A million-row encoder table: the violins use every row (binned KDE, tests/analysis/test_density.py), the scatter
draws a stated sample."""

from __future__ import annotations

import pytest

from gradiend_st.analysis.scatter_points import DRAW_LIMIT
from gradiend_st.io.discover import discover
from gradiend_st.views import distributions, scatter
from tests.builders import write_encoded_csv, write_run

ROWS, NEUTRAL = 1_000_000, 2_000


@pytest.fixture(scope="module")
def big_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("big")
    write_run(root, "big")
    write_encoded_csv(root / "big", n=ROWS, neutral=NEUTRAL)
    return discover(root)


def test_scatter_draws_a_stated_stratified_sample(big_run):
    options = scatter.Options()
    data = scatter.load(big_run, ["big"], options)
    pts = scatter.points(data, options)
    assert len(pts.table) == DRAW_LIMIT
    _, note = scatter.title_lines(data, options, pts)
    assert f"showing {DRAW_LIMIT:,} of {ROWS + NEUTRAL:,} points (stratified sample)" in note
    assert note in scatter.build(data, options).layout.title.text  # stated in the figure itself
    # Strata = feature_class_id: 1 (factual "she") and 0 (factual "he" and the neutral rows) get half each.
    per_category = pts.table["category"].value_counts()
    assert per_category["she"] == per_category["he"] + per_category["neutral"] == DRAW_LIMIT // 2


def test_violins_count_every_row(big_run):
    options = distributions.Options()
    data = distributions.load(big_run, ["big"], options)
    rows = distributions.table(data, options)
    assert rows["n"].sum() == ROWS + NEUTRAL
    distributions.build(data, options)

