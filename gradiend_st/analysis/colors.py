"""Which colour an entry gets: the one the user gave for any of its names, else its palette colour.

One rule for every view, so the same class has the same colour in the violins, the scatter and the convergence
curves: an entry (a violin half, a colour category, a curve) is known by several names — its display name, its raw
label, its legend group, its class name — and a colour given for any of them colours it. Palettes come from the
caller (figures.style), so this module needs no plotting library.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def given_color(given: dict | None, names: Iterable[object]) -> str | None:
    """The colour `given` holds for the first of `names` that has one (names are compared as text), or None."""
    if not given:
        return None
    as_text = {str(key): value for key, value in given.items()}
    for name in names:
        if name is not None and str(name) in as_text and as_text[str(name)]:
            return str(as_text[str(name)])
    return None


def assign_colors(names_per_entry: Sequence[Sequence[object]], given: dict | None, palette: Sequence[str]) -> list[str]:
    """Entry i's colour: the given colour for one of its names, else the next palette colour that no entry was given."""
    return fill_colors([given_color(given, names) for names in names_per_entry], palette)


def fill_colors(chosen: Sequence[str | None], palette: Sequence[str]) -> list[str]:
    """`chosen` with every missing colour filled from `palette`, skipping colours already chosen for other entries
    (an unmapped entry must not look like a mapped one); the palette repeats only when it runs out."""
    taken = {str(c).lower() for c in chosen if c}
    free = [c for c in palette if str(c).lower() not in taken] or list(palette)
    filled, n_free = [], 0
    for color in chosen:
        if not color:
            color, n_free = free[n_free % len(free)], n_free + 1
        filled.append(str(color))
    return filled
