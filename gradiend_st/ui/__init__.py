"""The Streamlit layer: components, session state and caching wrappers (the only package part importing Streamlit)."""
