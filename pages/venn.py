"""Top-k overlap Venn (UpSet beyond 6 runs) of the selected runs."""

from gradiend_st.ui.router import through_router
from gradiend_st.ui.view_page import ViewPage

through_router()  # first: a page opened without the router runs the router instead

ViewPage("venn").render()
