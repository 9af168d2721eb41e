"""Runs overview: every run under the chosen folder; tick runs to compare them in the views."""

from gradiend_st.ui.router import through_router
from gradiend_st.ui.runs_page import RunsPage

through_router()  # first: a page opened without the router runs the router instead

page = RunsPage()
page.header()
if page.ready():
    page.overview()  # one row per run and per unreadable file; the ticks are the selection
    page.mapping_grids()  # labels, legend groups, colours: shared by every view
