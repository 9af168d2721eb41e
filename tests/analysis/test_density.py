"""The violin halves' density: seaborn's KDE (Scott's bandwidth, cut=0), binned for large tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gradiend_st.analysis import density
from gradiend_st.analysis.density import density_at, half_density


def test_half_density_is_scotts_kde_over_the_value_range(runs_root):
    scipy_stats = pytest.importorskip("scipy.stats")
    raw = pd.read_csv(runs_root / "he_she" / "encoded_values_split_test.csv")
    values = raw[raw.type == "neutral_dataset"].encoded.to_numpy()
    grid, curve = half_density(values)
    assert grid[0] == values.min() and grid[-1] == values.max()  # cut=0
    expected = scipy_stats.gaussian_kde(values)(grid)  # Scott's rule is scipy's default
    np.testing.assert_allclose(curve, expected / expected.max(), rtol=1e-9)
    assert curve.max() == 1.0  # every half reaches the same width
    assert density_at(grid, curve, grid[int(np.argmax(curve))]) == 1.0


def test_no_spread_no_density():
    assert half_density(np.array([0.5, 0.5, 0.5])) is None
    assert half_density(np.array([1.0])) is None
    assert half_density(np.array([np.nan, 2.0])) is None  # one finite value


def test_binned_density_matches_the_exact_kde(monkeypatch):
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.normal(0, 1, 60_000), rng.normal(4, 0.2, 40_000)])
    grid, binned = half_density(values)
    monkeypatch.setattr(density, "BINNED_KDE_ABOVE", len(values))
    grid_exact, exact = half_density(values)
    assert np.array_equal(grid, grid_exact)
    assert np.abs(binned - exact).max() < 1e-4
