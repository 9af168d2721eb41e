"""Categorical palettes as hex lists: the colours the mapping gives new labels, groups and runs.

Plain data (no matplotlib), so the mapping can hand out colours before any figure exists. Every palette offered
keeps its first six colours at least ΔE 10 apart (CAM02-UCS) under simulated deuteranomaly, protanomaly and
tritanomaly (colorvision.py; tests/test_palettes.py), except where `cvd_safe` is False and the help says so.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Palette:
    name: str
    colors: tuple[str, ...]
    title: str
    cvd_safe: bool = True  # first six colours ≥ ΔE 10 apart under the three simulations
    dashes: bool = False  # lines also differ by dash pattern (for greyscale print)


PALETTES = {p.name: p for p in (
    # Okabe & Ito (2008), "Color Universal Design"; the studio's default.
    Palette("okabe-ito", ("#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7", "#000000"),
            "Okabe–Ito (default)"),
    # Paul Tol's qualitative schemes (personal.sron.nl/~pault). Bright: green moved to the end, where its
    # tritanomaly twin (blue, ΔE 7.4) is six places away.
    Palette("tol-bright", ("#4477aa", "#ee6677", "#ccbb44", "#66ccee", "#aa3377", "#bbbbbb", "#228833"),
            "Paul Tol bright"),
    Palette("tol-muted", ("#cc6677", "#332288", "#ddcc77", "#117733", "#88ccee", "#882255", "#44aa99", "#999933",
                          "#aa4499"), "Paul Tol muted"),
    # Tol's vibrant: blue and teal are ΔE 9.0 apart under tritanomaly whatever the order of its seven colours.
    Palette("tol-vibrant", ("#ee7733", "#0077bb", "#33bbee", "#ee3377", "#cc3311", "#009988", "#bbbbbb"),
            "Paul Tol vibrant (blue/teal close under tritanopia)", cvd_safe=False),
    Palette("greyscale", ("#000000", "#404040", "#6e6e6e", "#969696", "#bdbdbd", "#e0e0e0"),
            "Greyscale with line styles", dashes=True),
    # matplotlib's tab10, the studio's default before 0.3: orange and green are ΔE 1.6 apart for a protanope.
    Palette("tab10", ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                      "#bcbd22", "#17becf"), "matplotlib tab10 (not colour-blind-safe)", cvd_safe=False),
)}
DEFAULT_NAME = "okabe-ito"
DEFAULT = PALETTES[DEFAULT_NAME].colors
DASHES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 1)))  # line styles paired with greyscale colours


def palette(name: str | None) -> Palette:
    return PALETTES.get(name or DEFAULT_NAME, PALETTES[DEFAULT_NAME])


# When a palette runs out (more runs or labels than colours), new rows continue with matplotlib's tab20, so two
# entries never share a colour up to len(palette) + 20 of them.
OVERFLOW = ("#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896", "#9467bd",
            "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7", "#bcbd22", "#dbdb8d",
            "#17becf", "#9edae5")


# Neutral legend entries ("Neutral: Training masked", ...) are greys, which no class colour of the default palette
# comes within ΔE 10 of under any simulated deficiency (tests/test_palettes.py).
NEUTRAL_GREYS = ("#666666", "#bbbbbb")


def is_neutral(label: str) -> bool:
    return label.strip().lower().startswith("neutral")


def next_color(used: list[str], colors: tuple[str, ...] = DEFAULT, *, overflow: bool = True) -> str:
    """The first colour of the palette, then of OVERFLOW, not in `used`; when all are taken, cycle the palette.
    Without `overflow` (greyscale: dash patterns tell the entries apart) the palette cycles at once."""
    taken = {c.lower() for c in used}
    candidates = (*colors, *OVERFLOW) if overflow else colors
    return next((c for c in candidates if c.lower() not in taken), colors[len(used) % len(colors)])
