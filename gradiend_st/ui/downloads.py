"""The download bar under each figure: every export format of the view plus the CSV behind it.

Files are rendered only when clicked (`data=` a zero-argument callable, `on_click="ignore"`: no app rerun), from
the same `build(data, options)` that drew the screen, so the file is the figure on screen.
"""

from __future__ import annotations

import streamlit as st

from gradiend_st import pipeline
from gradiend_st.figures import export, profiles
from gradiend_st.ui import state
from gradiend_st.views.base import View

DPI_CHOICES = (100, 150, 200, 300, 600)
DEFAULT_DPI = 200
DETAILS = ("part", "topk", "split", "mode")  # options that name what a file holds


def render_download_bar(view: View, data, options, run_ids: list[str], *, key: str) -> None:
    formats = view.export_formats(options)
    details = {name: getattr(options, name) for name in DETAILS if getattr(options, name, None) not in (None, "")}
    # DPI and paper size get room for their labels; one column per format and the CSV
    columns = st.columns([1.3, 1.5, *([1] * len(formats)), 1], vertical_alignment="bottom")
    if "png" in formats:
        state.put(state.DPI, state.get(state.DPI, DEFAULT_DPI))
        dpi_key = f"{key}.dpi"
        if dpi_key not in st.session_state:
            st.session_state[dpi_key] = state.get(state.DPI)
        choices = sorted({*DPI_CHOICES, int(state.get(state.DPI))})  # a preset may bring its own resolution
        dpi = columns[0].selectbox("PNG DPI", choices, key=dpi_key, help="Resolution of the PNG download (saved in presets)")
        state.put(state.DPI, dpi)
    else:
        dpi = DEFAULT_DPI
        columns[0].caption("Download")
    with columns[1]:
        profile = render_profile_picker(key=key)
    for column, fmt in zip(columns[2:], formats, strict=False):
        column.download_button(
            fmt.upper(), data=_renderer(view, data, options, fmt, dpi, profile), on_click="ignore",
            file_name=export.file_name(view.name, run_ids, fmt, **details), mime=export.MIME.get(fmt),
            key=f"{key}.download.{fmt}", icon=":material/download:", width="stretch",
            help=f"The figure as {fmt.upper()}" + (f" at {dpi} dpi" if fmt == "png" else "")
                 + (f", {profile.title}" if profile and fmt != "html" else ""),
        )
    columns[-1].download_button(
        "CSV", data=lambda: table_csv(view, data, options),
        on_click="ignore", file_name=export.file_name(view.name, run_ids, "csv", **details), mime=export.MIME["csv"],
        key=f"{key}.download.csv", icon=":material/table_view:", width="stretch",
        help="The numbers behind the figure",
    )


def _renderer(view: View, data, options, fmt: str, dpi: int, profile):
    """A zero-argument callable that builds the figure again and turns it into `fmt` bytes."""
    return lambda: pipeline.file_bytes(view, data, options, fmt, dpi=dpi, profile=profile)


CUSTOM = "custom width"


def current_profile() -> profiles.Profile | None:
    """The venue profile the downloads follow (None: the figure's own size), from the session's spec."""
    try:
        return profiles.from_spec(state.get(state.PROFILE))
    except (ValueError, TypeError):
        return None


def render_profile_picker(*, key: str) -> profiles.Profile | None:
    """Paper size of the downloads: a venue profile (exact width, its fonts), a custom width, or the figure's own."""
    spec = state.get(state.PROFILE) or ""
    name, _, family = spec.partition("+")
    base, _, width = name.partition("@")
    if base and base not in profiles.PROFILES:  # a width alone
        base, width = CUSTOM, base
    current = current_profile()
    with st.popover(current.name if current else "Paper", icon=":material/straighten:", width="stretch",
                    help="Downloads exactly as wide as a venue's column or page, in its font sizes"):
        choices = [None, *profiles.PROFILES, CUSTOM]
        chosen = st.selectbox("Venue profile", choices, index=choices.index(base) if base in choices else 0,
                              key=f"{key}.profile.{state.version('profile')}",
                              format_func=lambda c: "the figure's own size" if c is None
                              else profiles.PROFILES[c].title if c in profiles.PROFILES else c)
        if chosen is None:
            new = None
        else:
            size = st.text_input("Width (e.g. 85mm, 3.25in)", value=width, key=f"{key}.profile_width",
                                 help="Empty: the venue's own width") if chosen == CUSTOM or width else width
            font = st.segmented_control("Font", ["serif", "sans"], default=family or "serif",
                                        key=f"{key}.profile_font") or "serif"
            body = (size or "85mm") if chosen == CUSTOM else chosen + (f"@{size}" if size else "")
            new = body + ("+sans" if font == "sans" else "")
            try:
                profiles.from_spec(new)
            except ValueError as exc:
                st.caption(f":red[{exc}]")
                new = spec or None
    if new != (spec or None):
        state.put(state.PROFILE, new)
    return current_profile()


def table_csv(view: View, data, options) -> bytes:
    """table() as CSV; a named index (the heatmap's run labels) is kept, a plain 0..n-1 one dropped."""
    frame = view.table(data, options)
    return frame.to_csv(index=frame.index.name is not None).encode("utf-8")
