"""A plotly figure (the scatter, the weight map's flow) as a venue profile's file: exactly the profile's width, its
font family and role sizes, the legend below the plot in a narrow column.

kaleido draws plotly figures in Chromium, which knows only the system's fonts: it is started here with a fontconfig
file that adds matplotlib's own font folder (STIX ships there), so its PDF embeds the same TrueType font as the
matplotlib views, with nothing to install. Units: Chromium counts CSS pixels (3/4 of a point in its PDF); the figure
is laid out at one pixel per point and exported at scale 4/3, so a PDF or SVG is the profile's width in points with
text at the profile's sizes, and a PNG has dpi / 72 pixels per point.
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

import matplotlib
import plotly.graph_objects as go

from gradiend_st.figures.profiles import Profile

FAMILIES = {"serif": "STIXGeneral", "sans": "DejaVu Sans"}
SCREEN_PX_PER_IN = 100  # plotly's on-screen pixels per inch of a figure, as the matplotlib views on screen
DEFAULT_SIZE_PX = (700, 500)  # plotly's size when the layout names none
PLOTLY_TEXT_PX = 12  # plotly's default text size, which marker sizes were chosen beside
PT_PER_CSS_PX = 0.75
CARTESIAN = ("scatter", "bar", "heatmap", "box", "violin", "histogram")  # traces drawn on x/y axes


def image(fig: go.Figure, fmt: str, dpi: int, profile: Profile) -> bytes:
    """`fig` as a PNG, PDF or SVG at `profile` (kaleido and Chromium; raises what kaleido raises)."""
    import kaleido

    fitted, width, height = profiled(fig, profile)
    scale = dpi / 72 if fmt == "png" else 1 / PT_PER_CSS_PX
    return kaleido.calc_fig_sync(fitted.to_dict(), opts={"format": fmt, "width": width, "height": height,
                                                         "scale": scale},
                                 kopts={"page_generator": _page(), "browser_cls": _browser_class()})


def profiled(fig: go.Figure, profile: Profile) -> tuple[go.Figure, float, float]:
    """(a copy of `fig` in the profile's fonts and sizes, its width and height in points)."""
    from gradiend_st.figures.style import NARROW_IN

    sizes = profile.sizes
    natural = tuple((fig.layout[key] or default) / SCREEN_PX_PER_IN for key, default in zip(("width", "height"),
                                                                                          DEFAULT_SIZE_PX))
    width, height = profile.width_pt, round(profile.height_for(natural) * 72, 2)
    fitted = go.Figure(fig)
    fitted.update_layout(
        width=None, height=None, font={"family": FAMILIES[profile.family], "size": sizes["label"]},
        margin={"l": 4, "r": 4, "t": 4, "b": 4, "autoexpand": True},
        legend={"font": {"size": sizes["legend"]}, "title": {"font": {"size": sizes["legend"]}}})
    if fig.layout.title.text:
        title = _wrapped(fig.layout.title.text, sizes["title"], width * 0.96, profile)
        fitted.update_layout(title={"text": title, "font": {"size": sizes["title"]}, "automargin": True,
                                    "yref": "paper"})
        if not any(trace.type in CARTESIAN for trace in fig.data):  # no axes for the title to push the plot below
            line = sizes["title"] * 1.25
            block = (title.count("<br>") + 1) * line + 6
            # anchored a line lower than its top: plotly lifts a title of several lines by about one
            fitted.update_layout(margin={"t": block}, title={"automargin": False, "yref": "container",
                                                             "yanchor": "top", "y": 1 - (line + 2) / height})
    if profile.width_in < NARROW_IN:  # a paper column: the legend below the plot, its entries side by side
        below = _legend_height(fitted, width, profile)
        fitted.update_layout(legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 0, "yanchor": "bottom",
                                     "yref": "container", "title": {"side": "top left"}},
                             margin={"b": below + AXIS_BELOW_PT * sizes["label"] / 9})
    for update in (fitted.update_xaxes, fitted.update_yaxes):
        update(title_font_size=sizes["label"], tickfont_size=sizes["tick"], automargin=True)
    for note in fitted.layout.annotations:
        note.font.size = sizes["annotation"]
    fitted.update_traces(textfont_size=sizes["annotation"], selector={"type": "sankey"})
    for trace in fitted.data:
        marker = getattr(trace, "marker", None)
        if trace.type == "scatter" and marker is not None and isinstance(marker.size, (int, float)):
            marker.size = marker.size * sizes["label"] / PLOTLY_TEXT_PX  # in proportion to the text, as on screen
    return fitted, width, height


AXIS_BELOW_PT = 42  # tick labels and title of the x axis at 9 pt, which the legend goes under
LEGEND_SYMBOL_PT = 40  # plotly's room for a legend symbol and its gap (CSS pixels, here points)


def _legend_height(fig: go.Figure, width_pt: float, profile: Profile) -> float:
    """Points a horizontal legend takes below the plot: its title, then rows of entries (plotly wraps them at the
    width)."""
    import math

    from gradiend_st.figures import profiles
    from gradiend_st.figures.style import studio_style, text_width_in

    size = profile.sizes["legend"]
    names = [trace.name for trace in fig.data if trace.name and trace.showlegend is not False]
    if not names:
        return 0.0
    with profiles.use(profile), studio_style():
        widest = max(text_width_in(name, size) for name in names) * 72 + LEGEND_SYMBOL_PT
    rows = math.ceil(len(names) / max(1, int(width_pt // widest))) + bool(fig.layout.legend.title.text)
    return rows * size * 2.2 + 6


def _wrapped(title: str, fontsize: float, width_pt: float, profile: Profile) -> str:
    """Plain lines of a plotly title broken to fit `width_pt` (lines with markup, such as <sup> notes, kept)."""
    from gradiend_st.figures import profiles
    from gradiend_st.figures.style import studio_style, wrap_text

    with profiles.use(profile), studio_style():  # measured in the profile's font
        return "<br>".join(line if "<" in line else wrap_text(line, fontsize, width_pt / 72).replace("\n", "<br>")
                           for line in title.split("<br>"))


@cache
def _page():
    """kaleido's page without MathJax (the studio's labels are literal text; MathJax would come from a CDN)."""
    from kaleido import PageGenerator

    return PageGenerator(mathjax=False)


@cache
def _fontconfig_file() -> Path:
    """A fontconfig file: the system's fonts and matplotlib's font folder (STIX, DejaVu)."""
    folder = Path(tempfile.gettempdir()) / "gradiend_st_fonts"
    folder.mkdir(exist_ok=True)
    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    path = folder / "fonts.conf"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
                    '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
                    f"  <dir>{fonts}</dir>\n  <cachedir>{folder / 'cache'}</cachedir>\n</fontconfig>\n")
    return path


@cache
def _browser_class():
    """choreographer's Chromium, started with the fontconfig file above."""
    from choreographer.browsers.chromium import Chromium

    class FontedChromium(Chromium):
        def get_env(self):
            env = super().get_env()
            env["FONTCONFIG_FILE"] = str(_fontconfig_file())
            return env

    return FontedChromium
