"""Fixed Venn layouts for 4-6 sets and the exclusive regions they form, located numerically.

The geometry is the classic one the `venn` package draws (ellipses for 4 and 5 sets, triangles for 6), in a unit
square. Region label positions are not hand-tuned: the square is sampled on a grid, every sample is labelled by the
set of shapes containing it, and each region's label goes to its deepest point (farthest from any other region), so
a count sits as far from the region's edges as the region allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from matplotlib.patches import Ellipse, Patch, Polygon

# (centre x, centre y, width, height, angle in degrees) per ellipse.
ELLIPSES = {
    4: [(0.350, 0.400, 0.72, 0.45, 140), (0.450, 0.500, 0.72, 0.45, 140),
        (0.544, 0.500, 0.72, 0.45, 40), (0.644, 0.400, 0.72, 0.45, 40)],
    5: [(0.428, 0.449, 0.87, 0.50, 155), (0.469, 0.543, 0.87, 0.50, 82), (0.558, 0.523, 0.87, 0.50, 10),
        (0.578, 0.432, 0.87, 0.50, 118), (0.489, 0.383, 0.87, 0.50, 46)],
}
# Three (x, y) vertices per triangle.
TRIANGLES = {
    6: [((0.637, 0.921), (0.649, 0.274), (0.188, 0.667)),
        ((0.981, 0.769), (0.335, 0.191), (0.393, 0.671)),
        ((0.941, 0.397), (0.292, 0.475), (0.456, 0.747)),
        ((0.662, 0.119), (0.316, 0.548), (0.662, 0.700)),
        ((0.309, 0.081), (0.374, 0.718), (0.681, 0.488)),
        ((0.016, 0.626), (0.726, 0.687), (0.522, 0.327))],
}
SUPPORTED = (4, 5, 6)
GRID = 480  # samples per side: fine enough for the thinnest 6-set regions, fast enough to compute once per n


def shape_patches(n: int) -> list[Patch]:
    """Fresh (unstyled) patches in unit-square data coordinates, one per set."""
    if n in ELLIPSES:
        return [Ellipse((x, y), w, h, angle=a) for x, y, w, h, a in ELLIPSES[n]]
    if n in TRIANGLES:
        return [Polygon(np.array(vertices), closed=True) for vertices in TRIANGLES[n]]
    raise ValueError(f"drawn Venn shapes exist for {', '.join(map(str, SUPPORTED))} sets, not {n}")


@dataclass(frozen=True)
class RegionSpot:
    x: float
    y: float
    depth: float  # distance (unit-square units) from the spot to the region's edge


@cache
def region_spots(n: int) -> dict[int, RegionSpot]:
    """{membership bit mask: deepest point} for every region the n shapes form (bit i = inside shape i)."""
    centres = (np.arange(GRID) + 0.5) / GRID
    xs, ys = np.meshgrid(centres, centres)
    points = np.column_stack([xs.ravel(), ys.ravel()])
    labels = np.zeros(len(points), dtype=np.int64)
    for bit, patch in enumerate(shape_patches(n)):
        outline = patch.get_path().transformed(patch.get_patch_transform())
        labels |= outline.contains_points(points).astype(np.int64) << bit
    labels = labels.reshape(GRID, GRID)
    depth = _depth_in_region(labels)
    spots = {}
    for mask in np.unique(labels):
        if mask == 0:
            continue
        inside = labels == mask
        best = np.argmax(np.where(inside, depth, -1))
        row, col = divmod(int(best), GRID)
        spots[int(mask)] = RegionSpot(float(centres[col]), float(centres[row]), float(depth[row, col]) / GRID)
    return spots


def _depth_in_region(labels: np.ndarray) -> np.ndarray:
    """Steps to the nearest sample of another label (chessboard erosion): a cheap distance transform."""
    depth = np.zeros(labels.shape, dtype=np.int32)
    alive = np.ones(labels.shape, dtype=bool)
    step = 0
    while alive.any():
        step += 1
        depth[alive] = step
        padded = np.pad(alive, 1, constant_values=False)
        same = np.pad(labels, 1, constant_values=-1)
        keep = alive.copy()
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                if dx == 0 and dy == 0:
                    continue
                neighbour_alive = padded[1 + dy:1 + dy + labels.shape[0], 1 + dx:1 + dx + labels.shape[1]]
                neighbour_label = same[1 + dy:1 + dy + labels.shape[0], 1 + dx:1 + dx + labels.shape[1]]
                keep &= neighbour_alive & (neighbour_label == labels)
        alive = keep
    return depth
