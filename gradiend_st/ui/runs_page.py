"""The Runs page: the overview grid (whose ticks are the selection) and the shared mapping grids."""

from __future__ import annotations

import streamlit as st

from gradiend_st.ui.grids import render_mapping_grids
from gradiend_st.ui.overview import render_overview
from gradiend_st.ui.runs_diff import render_diff_details, render_diff_switch
from gradiend_st.ui.view_page import current_catalog
from gradiend_st.views import registry


class RunsPage:
    def __init__(self, key: str = "runs"):
        self.key = key
        self.catalog = None

    def header(self) -> None:
        st.title("Runs")
        st.caption("Every GRADIEND run found under the chosen folder, with unreadable files listed by reason. "
                   f"Tick runs to compare them ({registry.comparison_titles()}).")

    def ready(self) -> bool:
        self.catalog = current_catalog()
        if self.catalog is None:
            return False
        if not self.catalog.runs and not self.catalog.errors:
            st.info("No GRADIEND runs in this folder. Open another folder, upload runs or open the demo (sidebar).")
            return False
        return True

    def overview(self) -> None:
        diff = render_diff_switch(self.catalog, key=f"{self.key}.diff")
        # its own table per set of columns: the editor's ticks refer to the rows it was created with
        render_overview(self.catalog, key=f"{self.key}.overview" + (f".{diff.name}" if diff else ""), diff=diff)
        if diff is not None:
            render_diff_details(diff)

    def mapping_grids(self) -> None:
        render_mapping_grids(None, key=self.key)
