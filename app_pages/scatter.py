"""Encoder scatter: every encoded row of one run, interactive."""

from gradiend_st.ui.view_page import ViewPage

page = ViewPage("scatter")
page.header()
if page.ready():
    page.pick_runs()
    page.figure_panel()  # options, figure, downloads, copy as code
    page.mapping_grids()  # labels, legend groups, colours: shared by every view
