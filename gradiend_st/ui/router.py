"""The app's router: page config, navigation over pages/, the shared sidebar."""

from __future__ import annotations

import gc
import threading

import streamlit as st

from gradiend_st.ui.sidebar import render_sidebar
from gradiend_st.views import registry

_routing = threading.local()  # set while the router runs a page (Streamlit runs each session's script in a thread)


def run_app() -> None:
    st.set_page_config(page_title="GRADIEND Studio", page_icon=":material/neurology:", layout="wide")
    _freeze_startup_objects()
    navigation = st.navigation({
        "": [st.Page("pages/runs.py", title="Runs", icon=":material/table_rows:", default=True)],
        "Views": [st.Page(f"pages/{view.name}.py", title=view.nav_title, icon=view.icon, url_path=view.name)
                  for view in registry.all_views()],
    })
    render_sidebar()
    _routing.active = True
    try:
        navigation.run()
    finally:
        _routing.active = False


@st.cache_resource(show_spinner=False)
def _freeze_startup_objects() -> bool:
    """Once per server process: import every view's libraries, then exempt everything alive from garbage collection.

    Streamlit runs a full collection after every script run (runner.postScriptGC). It walked the ~190,000 objects
    of the imported libraries (matplotlib, pandas, plotly, ...) each time: about 0.2 s of every page switch and
    mapping edit, during which the server could not send the finished page. Nearly all of them are modules, classes
    and functions that live as long as the process, so freezing them loses nothing; what sessions create later is
    still collected after every run.
    """
    registry.all_views()
    gc.collect()
    gc.freeze()
    return True


def through_router() -> None:
    """Pages call this first. A page run without the router (see below) runs the router instead, then stops.

    Streamlit treats a `pages/` folder as an old-style multipage app until the router has called st.navigation
    once, so on a fresh server the first visitor of a link such as /heatmap gets that page run directly.
    """
    if getattr(_routing, "active", False):
        return
    run_app()
    st.stop()
