"""Categorical palettes as hex lists: the colours the mapping gives new labels, groups and runs.

Plain data (no matplotlib), so the mapping can hand out colours before any figure exists.
"""

from __future__ import annotations

# matplotlib's tab10, the studio's default until now; the order in which new labels get their colour.
TAB10 = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
DEFAULT = TAB10


def next_color(used: list[str], palette: tuple[str, ...] = DEFAULT) -> str:
    """The first palette colour not in `used`; when all are taken, cycle by how many are used."""
    taken = {c.lower() for c in used}
    return next((c for c in palette if c not in taken), palette[len(used) % len(palette)])
