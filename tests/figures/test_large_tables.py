"""A million-row encoder table: the violins use every row (binned KDE), the scatter draws a stated sample."""

from __future__ import annotations

import numpy as np
import pytest

from gradiend_st.figures import distributions, scatter
from gradiend_st.io.discover import discover
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
    assert len(pts.table) == scatter.DRAW_LIMIT
    _, note = scatter.title_lines(data, options, pts)
    assert f"showing {scatter.DRAW_LIMIT:,} of {ROWS + NEUTRAL:,} points (stratified sample)" in note
    assert note in scatter.build(data, options).layout.title.text  # stated in the figure itself
    # Strata = feature_class_id: 1 (factual "she") and 0 (factual "he" and the neutral rows) get half each.
    per_category = pts.table["category"].value_counts()
    assert per_category["she"] == per_category["he"] + per_category["neutral"] == scatter.DRAW_LIMIT // 2


def test_violins_count_every_row(big_run):
    options = distributions.Options()
    data = distributions.load(big_run, ["big"], options)
    rows = distributions.table(data, options)
    assert rows["n"].sum() == ROWS + NEUTRAL
    distributions.build(data, options)


def test_binned_density_matches_the_exact_kde():
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.normal(0, 1, 60_000), rng.normal(4, 0.2, 40_000)])
    grid, binned = distributions.half_density(values)
    limit = distributions.BINNED_KDE_ABOVE
    try:
        distributions.BINNED_KDE_ABOVE = len(values)
        grid_exact, exact = distributions.half_density(values)
    finally:
        distributions.BINNED_KDE_ABOVE = limit
    assert np.array_equal(grid, grid_exact)
    assert np.abs(binned - exact).max() < 1e-4
