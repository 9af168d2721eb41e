"""GRADIEND Studio: router only. Pages live in app_pages/, everything else in gradiend_st/ui.

(Not `pages/`: Streamlit treats a folder of that name as an old-style multipage app until the first st.navigation
call, so the first visitor of a fresh server opening e.g. /heatmap would get the page without this router.)

    streamlit run streamlit_app.py                     # the bundled demo runs
    streamlit run streamlit_app.py -- --root PATH      # a folder of runs (or GRADIEND_ST_ROOT=PATH)
"""

import streamlit as st

from gradiend_st.ui.sidebar import render_sidebar


def run() -> None:
    st.set_page_config(page_title="GRADIEND Studio", page_icon=":material/neurology:", layout="wide")
    navigation = st.navigation({
        "": [st.Page("app_pages/runs.py", title="Runs", icon=":material/table_rows:", default=True)],
        "Views": [
            st.Page("app_pages/convergence.py", title="Convergence", icon=":material/show_chart:"),
            st.Page("app_pages/distributions.py", title="Distributions", icon=":material/align_vertical_center:"),
            st.Page("app_pages/scatter.py", title="Scatter", icon=":material/scatter_plot:"),
            st.Page("app_pages/heatmap.py", title="Heatmap", icon=":material/grid_on:"),
            st.Page("app_pages/venn.py", title="Venn", icon=":material/join_inner:"),
        ],
    })
    render_sidebar()
    navigation.run()


if __name__ == "__main__":
    run()
