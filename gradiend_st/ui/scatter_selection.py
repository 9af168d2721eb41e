"""Linked selection in the encoder scatter: the rows of the points selected with the box or lasso tool, as a table
under the figure with a CSV download. Clearing the selection (double-click the figure) clears the table."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from gradiend_st.figures.export import file_name

COLUMNS = ("text", "label", "encoded", "source_id", "target_id")  # what a reader checks first; others if present
MORE = ("factual_token", "alternative_token", "feature_class_id", "type", "data_split")


def selected_rows(data, options, points: list[dict]) -> pd.DataFrame:
    """The encoder table's rows behind the selected points. A point is (curve_number, point_index) of the figure
    `views.scatter.build` draws: trace i holds the rows of colour category i, in table order."""
    from gradiend_st.views.scatter import points as scatter_points

    if not points or data.frame is None:
        return pd.DataFrame(columns=["row", *COLUMNS])
    pts = scatter_points(data, options)
    parts = [pts.table[pts.table["color"] == name] for name in pts.color_order]
    rows = []
    for point in points:
        curve, index = point.get("curve_number"), point.get("point_index", point.get("point_number"))
        if not isinstance(curve, int) or not isinstance(index, int) or not 0 <= curve < len(parts):
            continue
        part = parts[curve]
        if not 0 <= index < len(part):
            continue  # a selection made on an earlier figure
        drawn = part.iloc[index]
        if "y" in point and not _close(point["y"], drawn["encoded"]):
            continue
        rows.append(int(drawn["row"]))
    rows = list(dict.fromkeys(rows))
    frame = data.frame.loc[rows]
    shown = [c for c in (*COLUMNS, *MORE) if c in frame.columns]
    table = frame[shown].copy()
    table.insert(0, "row", rows)
    if "text" in table.columns:  # the row's sentence as the figure's hover shows it (first text with [MASK])
        table["text"] = pts.table.set_index("row").loc[rows, "text"].to_numpy()
    return table.reset_index(drop=True)


def _close(a, b) -> bool:
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9)
    except (TypeError, ValueError):
        return False


def render_selection_table(data, options, *, key: str) -> None:
    """Under the scatter: the selected rows and their CSV, or a hint how to select."""
    from gradiend_st.ui.view_page import plotly_selection
    from gradiend_st.views.registry import get

    points = plotly_selection(get("scatter")).get("points") or []
    table = selected_rows(data, options, points)
    if table.empty:
        st.caption("Select points with the box or lasso tool (figure toolbar) to list their rows here.")
        return
    total = 0 if data.frame is None else int(data.frame["encoded"].notna().sum())
    st.markdown(f"**{len(table)} selected row{'s' if len(table) != 1 else ''}** of {total:,}")
    st.dataframe(table, hide_index=True, width="stretch", height=min(38 + 35 * len(table), 420))
    st.download_button("CSV of the selected rows", data=lambda: table.to_csv(index=False).encode("utf-8"),
                       file_name=file_name("scatter_selection", data.runs, "csv"), mime="text/csv",
                       on_click="ignore", icon=":material/download:", key=f"{key}.selection.csv")
