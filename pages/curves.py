"""Overlap of the selected runs' top-k weights against k, chance and sign agreement, with seed reports."""

from gradiend_st.ui.router import through_router
from gradiend_st.ui.view_page import ViewPage

through_router()  # first: a page opened without the router runs the router instead

ViewPage("curves").render()
