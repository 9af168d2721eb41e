"""The download bar under each figure: every export format of the view plus the CSV behind it.

Files are rendered only when clicked (`data=` a zero-argument callable, `on_click="ignore"`: no app rerun), from
the same `build(data, options)` that drew the screen, so the file is the figure on screen.
"""

from __future__ import annotations

import streamlit as st

from gradiend_st import pipeline
from gradiend_st.figures import export
from gradiend_st.ui import state
from gradiend_st.views.base import View

DPI_CHOICES = (100, 150, 200, 300, 600)
DEFAULT_DPI = 200
DETAILS = ("part", "topk", "split", "mode")  # options that name what a file holds


def render_download_bar(view: View, data, options, run_ids: list[str], *, key: str) -> None:
    formats = view.export_formats(options)
    details = {name: getattr(options, name) for name in DETAILS if getattr(options, name, None) not in (None, "")}
    columns = st.columns(len(formats) + 2, vertical_alignment="bottom")
    if "png" in formats:
        state.put(state.DPI, state.get(state.DPI, DEFAULT_DPI))
        dpi_key = f"{key}.dpi"
        if dpi_key not in st.session_state:
            st.session_state[dpi_key] = state.get(state.DPI)
        dpi = columns[0].selectbox("PNG DPI", DPI_CHOICES, key=dpi_key, help="Resolution of the PNG download")
        state.put(state.DPI, dpi)
    else:
        dpi = DEFAULT_DPI
        columns[0].caption("Download")
    for column, fmt in zip(columns[1:], formats, strict=False):
        column.download_button(
            fmt.upper(), data=_renderer(view, data, options, fmt, dpi), on_click="ignore",
            file_name=export.file_name(view.name, run_ids, fmt, **details), mime=export.MIME.get(fmt),
            key=f"{key}.download.{fmt}", icon=":material/download:", width="stretch",
            help=f"The figure as {fmt.upper()}" + (f" at {dpi} dpi" if fmt == "png" else ""),
        )
    columns[-1].download_button(
        "CSV", data=lambda: table_csv(view, data, options),
        on_click="ignore", file_name=export.file_name(view.name, run_ids, "csv", **details), mime=export.MIME["csv"],
        key=f"{key}.download.csv", icon=":material/table_view:", width="stretch",
        help="The numbers behind the figure",
    )


def _renderer(view: View, data, options, fmt: str, dpi: int):
    """A zero-argument callable that builds the figure again and turns it into `fmt` bytes."""
    return lambda: pipeline.file_bytes(view, data, options, fmt, dpi=dpi)


def table_csv(view: View, data, options) -> bytes:
    """table() as CSV; a named index (the heatmap's run labels) is kept, a plain 0..n-1 one dropped."""
    frame = view.table(data, options)
    return frame.to_csv(index=frame.index.name is not None).encode("utf-8")
