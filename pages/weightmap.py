"""Where the selected runs' top-k weights sit in the base model."""

from gradiend_st.ui.router import through_router
from gradiend_st.ui.view_page import ViewPage

through_router()  # first: a page opened without the router runs the router instead

ViewPage("weightmap").render()
