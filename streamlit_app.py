"""GRADIEND Studio: router only (gradiend_st/ui/router.py). Pages live in pages/, everything else in gradiend_st/ui.

    streamlit run streamlit_app.py                     # the bundled demo runs
    streamlit run streamlit_app.py -- --root PATH      # a folder of runs (or GRADIEND_ST_ROOT=PATH)
"""

from gradiend_st.ui.router import run_app

run_app()
