"""Top-k overlap Venn (UpSet beyond 6 runs) of the selected runs."""

from gradiend_st.ui.router import through_router
from gradiend_st.ui.view_page import ViewPage

through_router()  # first: a page opened without the router runs the router instead

page = ViewPage("venn")
page.header()
if page.ready():
    page.pick_runs()
    page.figure_panel()  # options, figure, downloads, copy as code
    page.mapping_grids()  # labels, legend groups, colours: shared by every view
