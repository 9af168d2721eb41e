"""Reading GRADIEND run folders. Never imports Streamlit; torch only for legacy `.bin` files."""

from gradiend_st.io.errors import RunReadError

__all__ = ["RunReadError"]
