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
    """Entry i's colour: the given colour for one of its names, else palette[i] (so entries keep their palette
    place whether or not other entries have a colour of their own)."""
    return [given_color(given, names) or palette[i] for i, names in enumerate(names_per_entry)]
