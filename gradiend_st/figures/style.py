"""The shared look of every matplotlib figure: fonts, literal text, colour-blind-safe colours, determinism."""

from __future__ import annotations

from contextlib import contextmanager

import matplotlib

matplotlib.use("Agg")  # never a GUI backend: figures are built headless, in the app and the CLI

import matplotlib.colors as mcolors  # noqa: E402
from matplotlib import colormaps  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from gradiend_st.analysis.convergence import MARKER  # noqa: E402  (the non-convergence marker, as gradiend writes it)
from gradiend_st.figures import profiles  # noqa: E402
from gradiend_st.palettes import PALETTES, palette  # noqa: E402

RC = {
    "font.family": "DejaVu Sans",  # ships with matplotlib: exists everywhere
    "text.usetex": False,
    "text.parse_math": False,  # "$", "_", "\" in labels are literal text, never mathtext
    "svg.fonttype": "none",  # SVG text stays text
    "pdf.fonttype": 42,  # TrueType: PDF text stays selectable
    "ps.fonttype": 42,
    "svg.hashsalt": "gradiend-studio",  # deterministic SVG ids
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 100,
    "savefig.dpi": 150,
}


@contextmanager
def studio_style():
    """Apply the studio's rc settings while a figure is built (text objects keep them when exported), and those of
    the venue profile of the export in progress, if any."""
    profile = profiles.active()
    with matplotlib.rc_context({**RC, **(profile.rc() if profile else {})}):
        yield


# Sizes (points) of each kind of text when no venue profile is active.
FONT_SIZES = {"title": 11.0, "label": 10.0, "tick": 9.0, "legend": 9.0, "annotation": 8.0}


lay_out = profiles.lay_out  # views measure their cells with it, as the venue fit does


def font_size(role: str) -> float:
    """The size of a kind of text ("title", "label", "tick", "legend", "annotation"): the venue profile's during a
    profile export, else the studio's. Views use it for every size the user did not set."""
    profile = profiles.active()
    return profile.sizes[role] if profile else FONT_SIZES[role]


def new_figure(figsize: tuple[float, float], *, layout: str | None = "constrained") -> Figure:
    """A pyplot-free Figure (nothing global to close), with the studio style's rc values baked in."""
    return Figure(figsize=figsize, layout=layout)


def categorical_colors(n: int, cmap: str | None = None) -> list[str]:
    """n distinct hex colours: a studio palette (palettes.PALETTES; None: the default, Okabe–Ito) or a qualitative
    matplotlib map's colours in order, a continuous map sampled evenly end to end.

    A qualitative palette with fewer colours than asked moves on to tab20, then to an even sampling of turbo,
    so two entries never share a colour.
    """
    if cmap is None or cmap in PALETTES:
        listed = list(palette(cmap).colors)
        if n <= len(listed):
            return [mcolors.to_hex(c) for c in listed[:n]]
        return categorical_colors(n, "tab20") if n <= 20 else categorical_colors(n, "turbo")
    cmap_obj = colormaps[cmap]
    listed = getattr(cmap_obj, "colors", None)
    qualitative = listed is not None and len(listed) <= 32
    if qualitative and n <= len(listed):
        return [mcolors.to_hex(c) for c in listed[:n]]
    if qualitative:
        return categorical_colors(n, "tab20") if n <= 20 and len(listed) < 20 else categorical_colors(n, "turbo")
    if n == 1:
        return [mcolors.to_hex(cmap_obj(0.5))]
    # Continuous maps: spread over the usable range (the extreme ends of many maps are near-white/black).
    return [mcolors.to_hex(cmap_obj(0.05 + 0.9 * i / (n - 1))) for i in range(n)]


def place_title(fig: Figure, title: str, fontsize: float | None = None, legend=None) -> None:
    """The caption title as suptitle, or as the title of a legend placed above the axes: constrained layout
    puts both at the top edge of the figure, where a suptitle would overlap the legend. Wrapped to the figure's
    width (a paper column); `fontsize` None: the title size of the style or venue profile."""
    fontsize = fontsize or font_size("title")
    title = wrap_text(title, fontsize, fig.get_figwidth() * 0.96)
    if legend is not None and getattr(legend, "_outside_loc", None) == "upper":
        legend.set_title(title, prop={"size": fontsize})
    else:
        fig.suptitle(title, fontsize=fontsize)


NARROW_IN = 4.0  # a figure narrower than this (a paper column) takes its legend below the axes, not beside them


def narrow(fig: Figure) -> bool:
    return fig.get_figwidth() < NARROW_IN


def text_width_in(text: str, fontsize: float) -> float:
    """Width in inches of the widest line of `text` as Agg draws it, in the font family of the rc settings in
    force (inside `studio_style`: the studio's or the venue profile's)."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    # At the figures' own dpi, as layout and the venue fit measure (hinting makes widths differ by dpi, ±7 %)
    dpi = RC["figure.dpi"]
    renderer, font = RendererAgg(1, 1, dpi), FontProperties(size=fontsize)
    return max((renderer.get_text_width_height_descent(line, font, False)[0] for line in text.split("\n")),
               default=0.0) / dpi


def wrap_text(text: str, fontsize: float, width_in: float) -> str:
    """`text` broken between words into lines no wider than `width_in` (measured), so it fits a narrow figure.
    A single word wider than that stays whole (the venue fit shrinks it)."""
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and text_width_in(candidate, fontsize) > width_in:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return "\n".join(lines)


def fitting_size(text: str, size: float, width_in: float, height_in: float | None = None) -> float | None:
    """The largest size from `size` down (the venue profile's smaller sizes, then 10 % steps to
    profiles.SMALLEST_FONT) at which every line of `text` fits `width_in` (and all lines `height_in`); None when
    even the smallest does not."""
    lines = text.count("\n") + 1
    for candidate in [size, *profiles.smaller_sizes(size, profiles.active())]:
        tall_enough = height_in is None or lines * candidate * 1.2 / 72 <= height_in
        if tall_enough and text_width_in(text, candidate) <= width_in:
            return candidate
    return None


def with_marker(label: str, converged: bool | None, highlight: bool = True) -> str:
    return label + (MARKER if highlight and converged is False else "")


def run_label(run_id: str, run_labels: dict | None, converged: bool | None, highlight: bool = True) -> str:
    """A run as every view names it: the user's label (else the run id), with † when it did not converge."""
    return with_marker((run_labels or {}).get(run_id) or run_id, converged, highlight)


def message_figure(text: str, figsize=None) -> Figure:
    """A figure that says why there is nothing to draw (it downloads like any other figure)."""
    with studio_style():
        fig = new_figure(tuple(figsize) if figsize else (6.0, 2.0))
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True, fontsize=font_size("label"))
    return fig


# Old presets' placements (matplotlib rejects them): the outside places they always meant.
LEGACY_LEGEND_LOCS = {"below": "outside lower center", "bottom": "outside lower center",
                      "above": "outside upper center", "top": "outside upper center"}


def place_legend(fig: Figure, ax, handles, labels, *, loc: str | None, bbox=None, ncol: int | None = None,
                 fontsize: float | None = None, default: str = "outside right upper"):
    """The one meaning of `legend_loc` in every view.

    - None: the view's `default`, a place outside the axes ("outside right upper" beside the last panel, or
      "outside lower center" below the figure), so the legend never covers data; in a narrow figure (a paper
      column) below it rather than beside it. Below or above, it takes as many columns as the width holds;
    - "outside <side> <align>": constrained layout's outside places (the studio's own values);
    - any matplotlib location ("best", "upper left", "right", ...): inside `ax`, as gradiend places it, and with
      `bbox` (legend_bbox_to_anchor) anchored there, as in gradiend.
    """
    loc = LEGACY_LEGEND_LOCS.get(loc, loc)
    if bbox is not None:
        return ax.legend(handles, labels, loc=loc or "best", bbox_to_anchor=tuple(bbox), ncol=ncol or 1,
                         fontsize=fontsize)
    where = loc or default
    if loc is None and narrow(fig) and where.split()[1:2] in (["right"], ["left"]):
        where = "outside lower center"  # beside the axes a paper column would leave them no room
    if where == "outside right upper":
        # Beside the last panel, top-aligned with it (a figure legend there would run into a suptitle).
        return ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                         ncol=ncol or 1, fontsize=fontsize)
    if where.startswith("outside"):
        beside = "right" in where.split()[1:2] or "left" in where.split()[1:2]
        if beside:
            return fig.legend(handles, labels, loc=where, ncol=ncol or 1, fontsize=fontsize)
        return _legend_across(fig, handles, labels, where, fontsize, ncol or min(len(labels), 4))
    return ax.legend(handles, labels, loc=where, ncol=ncol or 1, fontsize=fontsize)


def _legend_across(fig: Figure, handles, labels, where: str, fontsize: float | None, most: int):
    """A legend above or below the axes in up to `most` columns, fewer when the figure's width holds fewer."""
    renderer = fig._get_renderer()
    for ncol in range(max(most, 1), 0, -1):
        legend = fig.legend(handles, labels, loc=where, ncol=ncol, fontsize=fontsize)
        if ncol == 1 or legend.get_window_extent(renderer).width <= 0.98 * fig.bbox.width:
            return legend
        legend.remove()
    return legend


def text_color_on(rgba) -> str:
    """Black on light cells, white on dark ones (WCAG relative luminance): numbers written on a coloured cell."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgba[:3]]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "black" if luminance > 0.179 else "white"
