"""Decoder evaluation: the rewrite GRADIEND selects and how it moves the class probabilities."""

from gradiend_st.ui.router import through_router
from gradiend_st.ui.view_page import ViewPage

through_router()  # first: a page opened without the router runs the router instead

ViewPage("decoder").render()
