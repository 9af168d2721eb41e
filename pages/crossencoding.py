"""Cross-encoding matrix of the selected runs: does each encoder respond only to its own feature?"""

from gradiend_st.ui.router import through_router
from gradiend_st.ui.view_page import ViewPage

through_router()  # first: a page opened without the router runs the router instead

ViewPage("crossencoding").render()
