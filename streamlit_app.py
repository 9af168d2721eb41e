"""GRADIEND Studio: router only (see gradiend_st/ui for everything else)."""

import streamlit as st


def run() -> None:
    st.set_page_config(page_title="GRADIEND Studio", page_icon=":material/neurology:", layout="wide")
    st.title("GRADIEND Studio")
    st.write("The app pages are being built; the engine is available as `gradiend-st`.")


if __name__ == "__main__":
    run()
