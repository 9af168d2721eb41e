"""Analysis over run data: importance and top-k, overlaps, convergence. Never imports Streamlit."""
