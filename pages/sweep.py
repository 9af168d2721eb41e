"""Sweep: the differing training arguments of the runs as a grid or as parallel coordinates."""

from gradiend_st.ui.router import through_router
from gradiend_st.ui.view_page import ViewPage

through_router()  # first: a page opened without the router runs the router instead

ViewPage("sweep").render()
