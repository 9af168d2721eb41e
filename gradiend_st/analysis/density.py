"""The density of one violin half: a Gaussian KDE, Scott's bandwidth, over [min, max] (cut=0), as seaborn draws it."""

from __future__ import annotations

import numpy as np

GRID_SIZE = 100
KDE_CHUNK = 50_000
BINNED_KDE_ABOVE = 20_000  # rows per half; above, the KDE runs over KDE_BINS weighted bins
KDE_BINS = 8192


def half_density(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(grid, density scaled to max 1) over [min, max] (cut=0), Gaussian KDE with Scott's bandwidth.

    None when the values have no spread (one row, or all equal): there is no density to draw.
    """
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return None
    std = float(np.std(values, ddof=1))
    low, high = float(values.min()), float(values.max())
    if std == 0.0 or high <= low:
        return None
    bandwidth = std * len(values) ** (-1 / 5)  # Scott's factor n^(-1/(d+4)) with d = 1, as scipy/seaborn
    grid = np.linspace(low, high, GRID_SIZE)
    weights = None
    if len(values) > BINNED_KDE_ABOVE:
        # Every row still counts: rows are binned far finer than the bandwidth (1M rows: bin width < 2 % of it)
        # and each bin's centre is weighted by its count, so a million-row table draws in milliseconds.
        weights, edges = np.histogram(values, bins=KDE_BINS, range=(low, high))
        values = (edges[:-1] + edges[1:]) / 2
    density = np.zeros(GRID_SIZE)
    for start in range(0, len(values), KDE_CHUNK):  # bounded memory for large tables
        chunk = values[start:start + KDE_CHUNK]
        kernel = np.exp(-0.5 * ((grid[:, None] - chunk[None, :]) / bandwidth) ** 2)
        density += kernel.sum(axis=1) if weights is None else kernel @ weights[start:start + KDE_CHUNK]
    return grid, density / density.max()  # density_norm="width": every half reaches the same width


def density_at(grid: np.ndarray, density: np.ndarray, y: float) -> float:
    """The (scaled) density at value y, for the quartile lines inside a half."""
    return float(np.interp(y, grid, density))
