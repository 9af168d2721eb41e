"""Training convergence: class means and correlation over steps, live while a run trains."""

from gradiend_st.ui.router import through_router
from gradiend_st.ui.view_page import ViewPage

through_router()  # first: a page opened without the router runs the router instead

page = ViewPage("convergence")
page.header()
if page.ready():
    page.pick_runs()
    page.figure_panel()  # options, figure, downloads, copy as code
    page.mapping_grids()  # labels, legend groups, colours: shared by every view
