"""Venue profiles: a figure exactly as wide as a paper's column or page, with the venue's font sizes.

tueplots provides the widths and font sizes of the venues it knows (NeurIPS, ICLR, ICML); ACL is added from its
style file (acl.sty: two 7.7 cm columns, 16 cm text width, Times 11 pt). A profile is active while a file is
exported (`use(profile)`): `style.studio_style` then applies its rc values, `style.font_size(role)` gives its sizes,
and `export` saves at exactly its width (no tight crop across) with fonts embedded as TrueType; plotly and Altair
figures follow it too (`plotly_profile`, `convergence_interactive`). Serif profiles use STIX, a Times-like font
that ships with matplotlib, so no TeX and no system fonts are needed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace

CM, MM = 1 / 2.54, 1 / 25.4
ROLES = ("title", "label", "tick", "legend", "annotation")
SERIF = ["STIXGeneral"]  # Times-like, ships with matplotlib
SANS = ["DejaVu Sans"]  # ships with matplotlib
SMALLEST_FONT = 5.0  # a label that does not fit shrinks down to this, then wraps


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    width_in: float
    sizes: dict[str, float]  # role -> points (ROLES)
    family: str = "serif"  # "serif" (STIX) | "sans" (DejaVu Sans)
    aspect: float | None = None  # height / width; None keeps each figure's own proportions
    linewidth: float = 1.0
    page_wide: bool = False  # spans the text width of a two-column venue (LaTeX figure*)
    source: str = ""  # where the numbers come from

    def rc(self) -> dict:
        return {
            "font.family": "serif" if self.family == "serif" else "sans-serif",
            "font.serif": SERIF, "font.sans-serif": SANS,
            "mathtext.fontset": "stix" if self.family == "serif" else "dejavusans",
            "font.size": self.sizes["label"],
            "axes.titlesize": self.sizes["title"], "figure.titlesize": self.sizes["title"],
            "axes.labelsize": self.sizes["label"], "figure.labelsize": self.sizes["label"],
            "xtick.labelsize": self.sizes["tick"], "ytick.labelsize": self.sizes["tick"],
            "legend.fontsize": self.sizes["legend"], "legend.title_fontsize": self.sizes["legend"],
            "lines.linewidth": self.linewidth, "axes.linewidth": 0.6 * self.linewidth,
            "pdf.fonttype": 42, "ps.fonttype": 42,
        }

    def height_for(self, natural: tuple[float, float]) -> float:
        """The height of a figure drawn `natural` (width, height) inches on screen, at this profile's width: the
        profile's aspect, else the figure's height scaled by the square root of the width ratio. Text keeps its
        size when a figure narrows, so a proportional height would crush stacked panels into their labels (a
        7 x 4 in figure in a 3 in column: 2.6 in tall, not 1.7)."""
        width, height = natural
        if self.aspect:
            return self.width_in * self.aspect
        return height * (self.width_in / width) ** 0.5

    @property
    def width_pt(self) -> float:
        return self.width_in * 72


def _tueplots(name: str, title: str, width_key: str, sizes_key: str, **extra) -> Profile:
    from tueplots import figsizes, fontsizes

    width = getattr(figsizes, width_key)()["figure.figsize"][0]
    rc = getattr(fontsizes, sizes_key)()
    sizes = {"title": rc["axes.titlesize"], "label": rc["axes.labelsize"], "tick": rc["xtick.labelsize"],
             "legend": rc["legend.fontsize"], "annotation": rc["legend.fontsize"]}
    return Profile(name, title, width, sizes, source=f"tueplots figsizes.{width_key}, fontsizes.{sizes_key}", **extra)


# ACL (acl.sty, 2023 template): columns 7.7 cm, text width 16 cm, body Times 11 pt, captions 10 pt; figure text a
# size or two below the captions, as the tueplots venues do.
ACL_SIZES = {"title": 9.0, "label": 9.0, "tick": 8.0, "legend": 8.0, "annotation": 7.0}


def _builtin() -> dict[str, Profile]:
    profiles = [
        Profile("acl-column", "ACL, one column (7.7 cm)", 7.7 * CM, ACL_SIZES, source="acl.sty"),
        Profile("acl-page", "ACL, full text width (16 cm)", 16 * CM, ACL_SIZES, page_wide=True, source="acl.sty"),
        _tueplots("neurips", "NeurIPS (5.5 in)", "neurips2024", "neurips2024"),
        _tueplots("iclr", "ICLR (5.5 in)", "iclr2024", "iclr2024"),
        _tueplots("icml-column", "ICML, one column (3.25 in)", "icml2024_half", "icml2024"),
        _tueplots("icml-page", "ICML, full text width (6.75 in)", "icml2024_full", "icml2024", page_wide=True),
    ]
    return {p.name: p for p in profiles}


PROFILES: dict[str, Profile] = _builtin()


def parse_width(text: str) -> float:
    """'85mm', '8.5 cm', '3.25in' or '3.25' (inches) -> inches."""
    found = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(mm|cm|in|)\s*", str(text))
    if not found or float(found.group(1)) <= 0:
        raise ValueError(f"width {text!r}: expected a number with mm, cm or in, e.g. 85mm or 3.25in")
    value, unit = float(found.group(1)), found.group(2) or "in"
    return value * {"mm": MM, "cm": CM, "in": 1.0}[unit]


def get(name: str | None, *, width: str | None = None, family: str | None = None) -> Profile | None:
    """A built-in profile by name; `width` alone makes a custom one (sizes as ACL's); both: that venue, resized."""
    if not name and not width:
        return None
    if name and name not in PROFILES and name != "custom":
        raise ValueError(f"unknown profile {name!r}: choose one of {', '.join(PROFILES)} (or --width)")
    base = PROFILES.get(name or "", Profile("custom", "Custom width", 1.0, ACL_SIZES))
    profile = base if width is None else replace(base, name=f"{base.name}@{width}", width_in=parse_width(width),
                                                 title=f"{base.title.split(' (')[0]} at {width}")
    return replace(profile, family=family) if family else profile


def from_spec(spec: str | None) -> Profile | None:
    """A profile from its preset/URL spelling: "NAME", "NAME@WIDTH", "WIDTH" (custom), each optionally
    followed by "+sans" or "+serif" — e.g. "acl-column", "neurips@4in", "85mm+sans". None or "": no profile."""
    if not spec:
        return None
    if not isinstance(spec, str):
        raise TypeError(f"a profile is a text such as 'acl-column', not {spec!r}")
    body, _, family = spec.partition("+")
    if family not in ("", "serif", "sans"):
        raise ValueError(f"profile {spec!r}: the font after '+' is 'serif' or 'sans'")
    name, _, width = body.partition("@")
    if name and name not in PROFILES and not width:
        try:  # a width alone
            parse_width(name)
            name, width = "", name
        except ValueError:
            pass
    return get(name or None, width=width or None, family=family or None)


_ACTIVE: ContextVar[Profile | None] = ContextVar("gradiend_st_profile", default=None)


def active() -> Profile | None:
    """The profile of the export in progress, or None (screen and plain downloads)."""
    return _ACTIVE.get()


@contextmanager
def use(profile: Profile | None) -> Iterator[None]:
    token = _ACTIVE.set(profile)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


@dataclass
class Fitted:
    """What `fit` changed, for tests and notes."""

    shrunk: list[str] = field(default_factory=list)  # texts made smaller so they stay inside the figure


# ----------------------------------------------------------------------------------------------- matplotlib


def fit(fig, profile: Profile) -> Fitted:
    """Make a built matplotlib figure the profile's: its width (height by aspect), one font family, and every text
    inside the figure. The sizes are the view's own, chosen while the profile was active (`style.font_size`, the
    profile's rc values; a size the user set is kept). Titles and axis labels longer than their panel wrap; a
    figure whose text leaves its panels too little height at this width (a wide figure in a paper column) grows
    taller; a text that still spills takes the profile's next smaller size, then smaller down to SMALLEST_FONT,
    then wraps.

    A figure that lays itself out (no layout engine: the heatmap, Venn shapes, UpSet) was built at the profile's
    size already (`pipeline.sized`): resizing it would undo its layout, so only the last step applies to it.
    """
    from matplotlib.text import Text

    if fig.get_layout_engine() is not None:
        fig.set_size_inches(profile.width_in, profile.height_for(tuple(fig.get_size_inches())), forward=False)
        family = profile.rc()["font.family"]
        for text in fig.findobj(Text):
            text.set_family(family)
        lay_out(fig)
        wrap_to_axes(fig)
        _grow_to_fit_panels(fig)
    fitted = Fitted()
    renderer = fig._get_renderer()  # a pyplot-free figure has no Agg canvas of its own
    fig.draw_without_rendering()  # runs the layout and puts every tick label where the saved file will have it
    bounds = fig.bbox
    for text in fig.findobj(Text):
        if not text.get_visible() or not text.get_text().strip():
            continue
        for size in smaller_sizes(text.get_fontsize(), profile):
            if not _spills(text, renderer, bounds):
                break
            text.set_fontsize(size)
        if _spills(text, renderer, bounds):
            text.set_wrap(True)
        if text.get_fontsize() < min(profile.sizes.values()):
            fitted.shrunk.append(text.get_text())
    return fitted


def lay_out(fig) -> bool:
    """Run the figure's layout now, so its axes are where they will be drawn (to measure them). False, quietly,
    when its text leaves the panels no room (constrained layout then gives up): `fit` makes such a figure taller."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.get_layout_engine().execute(fig)
    return not any("collapsed" in str(w.message) for w in caught)


SMALLEST_PANEL_IN = 0.8  # the least height a panel's data area keeps in a venue export, whatever its text needs


def _grow_to_fit_panels(fig) -> None:
    """Make the figure taller until every row of panels has SMALLEST_PANEL_IN of height for its data (colour bars
    do not count): the text around panels keeps its size when the width shrinks, and takes the height from them."""
    for _ in range(4):  # the layout shares the added height among the rows: a few steps settle it
        if not lay_out(fig):  # no room at all for the panels
            fig.set_size_inches(fig.get_figwidth(), fig.get_figheight() * 1.5, forward=False)
            continue
        rows = {}
        for ax in fig.get_axes():
            if getattr(ax, "_colorbar", None) is None and ax.get_visible():
                box = ax.get_position()
                rows[round(box.y0, 3)] = min(rows.get(round(box.y0, 3), 1e9), box.height * fig.get_figheight())
        missing = sum(max(0.0, SMALLEST_PANEL_IN - height) for height in rows.values())
        if missing < 0.02:
            return
        fig.set_size_inches(fig.get_figwidth(), fig.get_figheight() + 1.1 * missing, forward=False)


def wrap_to_axes(fig) -> None:
    """Axes titles and x labels wider than their axes broken into lines that fit, y labels taller than their axes
    likewise (stacked panels in a paper column). The figure's layout must have run (axes at their places)."""
    from gradiend_st.figures.style import text_width_in, wrap_text

    for ax in fig.get_axes():
        box = ax.get_position()
        width, height = box.width * fig.get_figwidth(), box.height * fig.get_figheight()
        if getattr(ax, "_colorbar", None) is not None:  # a colour bar's caption may reach beyond the bar
            width, height = fig.get_figwidth(), fig.get_figheight()
        for text, room in [(ax.title, width), (ax._left_title, width), (ax._right_title, width),
                           (ax.xaxis.label, width), (ax.yaxis.label, height)]:
            if text.get_text() and text_width_in(text.get_text(), text.get_fontsize()) > room:
                text.set_text(wrap_text(text.get_text(), text.get_fontsize(), room))


def smaller_sizes(size: float, profile: Profile | None) -> list[float]:
    """The sizes a text too large for its place tries in turn: the profile's own smaller sizes (a figure keeps to
    few sizes), then steps of 10 % below its smallest (without a profile: below `size`), down to SMALLEST_FONT."""
    own = sorted((s for s in set(profile.sizes.values()) if s < size), reverse=True) if profile else []
    below = [min(size, *profile.sizes.values())] if profile else [size]
    while below[-1] > SMALLEST_FONT:
        below.append(max(SMALLEST_FONT, round(below[-1] * 0.9, 2)))
    return own + [s for s in below[1:] if s < size]


def _spills(text, renderer, bounds) -> bool:
    box = text.get_window_extent(renderer)
    return box.x0 < bounds.x0 - 0.5 or box.x1 > bounds.x1 + 0.5 or box.y0 < bounds.y0 - 0.5 or box.y1 > bounds.y1 + 0.5
