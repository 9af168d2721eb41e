"""Training convergence: class means and correlation over steps, live while a run trains."""

from gradiend_st.ui.router import through_router
from gradiend_st.ui.view_page import ViewPage

through_router()  # first: a page opened without the router runs the router instead

ViewPage("convergence").render()
