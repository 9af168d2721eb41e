"""The app's canonical state: plain `st.session_state["studio.*"]` entries that outlive page switches.

Widget keys vanish when their page is not shown, so widgets are *fed* from these entries and write back to them;
nothing else in the app reads widget keys directly.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from gradiend_st.mapping import Mapping

SOURCE = "studio.source"  # sources.Source
SOURCE_MESSAGE = "studio.source_message"  # (level, text) shown under the source picker once
SELECTION = "studio.selection"  # run ids for the comparison views
RUN = "studio.run"  # the run single-run views show
MAPPING = "studio.mapping"  # mapping.Mapping shared by every view
OPTIONS = "studio.options"  # {view: {option name: JSON value}}: what the user changed from the defaults
DPI = "studio.dpi"  # PNG download resolution
LIVE = "studio.live"  # convergence page re-reads training.json on a timer
PLAIN_GRIDS = "studio.plain_grids"  # st.data_editor instead of AG Grid
UPLOADS = "studio.uploads"  # io.uploads.SessionSpace of this session
VERSION = "studio.version"  # {grid name: int}: bumped when state changes behind a grid's back
LAST_FIGURE = "studio.last_figure"  # {view: {"texts": [...], "build_ms": float}}: what is on screen
LINKS_READ = "studio.links_read"  # views whose query parameters were applied once
PROFILE = "studio.profile"  # venue profile spec of the downloads (figures.profiles.from_spec), or None
CVD_PREVIEW = "studio.cvd_preview"  # None, or how the figure on screen is previewed ("deuteranopia", "greyscale", ...)
CLOSE_COLORS = "studio.close_colors"  # [(label a, label b, deficiency, ΔE)] of the figure on screen


def get(key: str, default: Any = None) -> Any:
    return st.session_state.get(key, default)


def put(key: str, value: Any) -> None:
    st.session_state[key] = value


def mapping() -> Mapping:
    if MAPPING not in st.session_state:
        st.session_state[MAPPING] = Mapping()
    return st.session_state[MAPPING]


def set_mapping(value: Mapping, *, from_grid: str | None = None) -> None:
    """Store a new mapping; grids other than the one that made the edit are re-created from it."""
    st.session_state[MAPPING] = value
    for grid in ("runs", "classes"):
        if grid != from_grid:
            bump(grid)


def selection() -> list[str]:
    return list(st.session_state.get(SELECTION, []))


def set_selection(run_ids: list[str], *, from_widget: str | None = None) -> None:
    st.session_state[SELECTION] = list(dict.fromkeys(run_ids))
    if from_widget != "overview":
        bump("overview")


def view_options(view: str) -> dict:
    """The options the user changed for `view` (JSON values, GRADIEND names)."""
    return st.session_state.setdefault(OPTIONS, {}).setdefault(view, {})


def set_view_options(view: str, values: dict) -> None:
    st.session_state.setdefault(OPTIONS, {})[view] = dict(values)
    bump(f"options.{view}")


def version(name: str) -> int:
    return st.session_state.setdefault(VERSION, {}).get(name, 0)


def bump(name: str) -> None:
    versions = st.session_state.setdefault(VERSION, {})
    versions[name] = versions.get(name, 0) + 1


def record_figure(view: str, **info) -> None:
    st.session_state.setdefault(LAST_FIGURE, {})[view] = info
