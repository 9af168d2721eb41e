"""Any figure the studio builds -> file bytes (PNG, PDF, SVG; HTML for plotly). One source for screen and file."""

from __future__ import annotations

import io
import re
import shutil

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure

from gradiend_st.figures import profiles
from gradiend_st.figures.png import encode_rgba
from gradiend_st.figures.style import studio_style

MATPLOTLIB_FORMATS = ("png", "pdf", "svg")
SCREEN_DPI = 100  # on-screen PNG: 1 inch of figure = 100 CSS px; downloads choose their own DPI
PAD_INCHES = 0.08
MIME = {"png": "image/png", "pdf": "application/pdf", "svg": "image/svg+xml", "html": "text/html",
        "csv": "text/csv", "json": "application/json"}


class ExportUnavailable(RuntimeError):
    """A format this machine cannot produce (e.g. plotly static images without a Chromium)."""


def figure_bytes(fig, fmt: str, *, dpi: int = 200) -> bytes:
    fmt = fmt.lower()
    if isinstance(fig, Figure):
        if fmt not in MATPLOTLIB_FORMATS:
            raise ValueError(f"matplotlib figures export as {', '.join(MATPLOTLIB_FORMATS)}, not {fmt}")
        return _matplotlib_bytes(fig, fmt, dpi)
    return _plotly_bytes(fig, fmt, dpi)


def _matplotlib_bytes(fig: Figure, fmt: str, dpi: int) -> bytes:
    buffer = io.BytesIO()
    # Fixed metadata keeps output byte-identical for the same inputs (no creation dates).
    metadata = {"png": {"Software": None}, "pdf": {"CreationDate": None, "ModDate": None, "Producer": None},
                "svg": {"Date": None}}[fmt]
    profile = profiles.active()
    with studio_style():
        if profile is not None:  # exactly the profile's width: its own layout, no crop across
            profiles.fit(fig, profile)
            fig.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata, bbox_inches=_full_width_box(fig))
        else:
            fig.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata, bbox_inches=_crop(fig, fmt, dpi),
                        pad_inches=PAD_INCHES)
    return buffer.getvalue()


def screen_png(fig: Figure) -> bytes:
    """What the app shows: the download's figure (tight box, studio style) at screen resolution, fast compression.

    (st.pyplot would render at 200 dpi, about twice the time, and no longer takes savefig arguments.)
    """
    buffer = io.BytesIO()
    with studio_style():
        _ScreenCanvas(fig).print_figure(buffer, format=_ScreenCanvas.FORMAT, dpi=SCREEN_DPI,
                                        bbox_inches=_crop(fig, "png", SCREEN_DPI), pad_inches=PAD_INCHES)
    return buffer.getvalue()


class _ScreenCanvas(FigureCanvasAgg):
    """Agg with one more output format: the same pixels as "png", written by the faster `png.encode_rgba`."""

    FORMAT = "screenpng"

    def print_screenpng(self, filename_or_obj, **_applied_by_print_figure) -> None:  # facecolor, dpi, ...
        FigureCanvasAgg.draw(self)
        filename_or_obj.write(encode_rgba(np.asarray(self.buffer_rgba())))


def _crop(fig: Figure, fmt: str, dpi: float):
    """The tight box around everything drawn. matplotlib's "tight" draws the figure once without output first,
    which a layout engine needs; for a PNG of a figure that lays itself out (no engine, e.g. the heatmap) the box
    is measured here without that pass: the same pixels, one drawing pass fewer."""
    if fmt != "png" or fig.get_layout_engine() is not None:
        return "tight"
    return tight_box(fig, dpi).padded(PAD_INCHES)


def _full_width_box(fig: Figure):
    """The figure's whole width, and only the height its content takes (plus the usual pad): a diagram that the
    width limits leaves no blank band above or below it."""
    from matplotlib.transforms import Bbox

    content = tight_box(fig)
    bottom, top = max(0.0, content.y0 - PAD_INCHES), min(fig.get_figheight(), content.y1 + PAD_INCHES)
    return Bbox.from_extents(0.0, bottom, fig.get_figwidth(), top)


def tight_box(fig: Figure, dpi: float | None = None):
    """The box (inches) around everything drawn, with text measured at `dpi` (default: the figure's), no drawing."""
    saved_dpi = fig.dpi
    fig.dpi = dpi or saved_dpi  # text extents at the output resolution, as savefig measures them
    try:
        with studio_style():
            # A 1-pixel renderer measures text as well as a full-size one, without allocating the whole canvas
            # (33 MB for a 100-run heatmap)
            return fig.get_tightbbox(RendererAgg(1, 1, fig.dpi))
    finally:
        fig.dpi = saved_dpi


def chromium_path() -> str | None:
    """A Chromium that kaleido can drive, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _plotly_bytes(fig, fmt: str, dpi: int) -> bytes:
    if fmt == "html":
        # Self-contained: plotly.js inlined, so the file opens offline.
        return fig.to_html(include_plotlyjs=True, full_html=True).encode("utf-8")
    if fmt not in MATPLOTLIB_FORMATS:
        raise ValueError(f"plotly figures export as html, png, pdf or svg, not {fmt}")
    browser = chromium_path()
    if browser is None:
        raise ExportUnavailable("static export of the interactive scatter needs Chromium (apt-get install chromium)")
    import os

    os.environ.setdefault("BROWSER_PATH", browser)  # kaleido >= 1 finds the browser through this variable
    profile = profiles.active()
    try:
        if profile is None:
            return fig.to_image(format=fmt, scale=max(1.0, dpi / 100))
        from gradiend_st.figures import plotly_profile

        return plotly_profile.image(fig, fmt, dpi, profile)
    except Exception as exc:  # kaleido reports a missing or broken browser in several ways
        raise ExportUnavailable(f"static export failed ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})") from None


def file_name(view: str, runs: list[str], ext: str, **details) -> str:
    """Names that say what is inside: view, run (or run count), then details such as part and topk."""
    subject = _slug(runs[0]) if len(runs) == 1 else f"{len(runs)}runs"
    extras = [f"{key}-{_slug(str(value))}" for key, value in details.items() if value not in (None, "")]
    return "_".join([view, subject, *extras]) + f".{ext}"


def _slug(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z.+-]+", "_", text).strip("_") or "x"


def fixed_svg_ids(svg: bytes) -> bytes:
    """plotly names the SVG's definitions with a random id each time (defs-84822e, clip84822exy, ...): one fixed
    id instead, so the same figure gives the same file (the app's download and `gradiend-st render` agree)."""
    found = re.search(rb'id="defs-([0-9a-f]+)"', svg)
    if found is None:
        return svg
    return re.sub(rb"\b(topdefs-|defs-|clip|legend)" + found.group(1), rb"\g<1>studio", svg)
