"""The two mapping grids (run labels; class labels, legend groups, colours, order), shared by every view.

AG Grid (streamlit-aggrid) when it can render; `st.data_editor` with the same columns otherwise (AppTest, a
missing package, or the "plain tables" switch). The canonical mapping is `state.mapping()`; grids are fed from it
and write back to it. Cells are plain text: no cell renderer, no JavaScript, so HTML in a label is shown, never run.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from gradiend_st import mapping as mp
from gradiend_st.ui import state

ROW_PX, HEADER_PX = 32, 40
HEADERS = {"run": "Run", "label": "Label in the data", "display": "Display name", "group": "Group",
           "color": "Colour", "order": "Order"}
TIPS = {"group": "Legend group (classes) or heatmap group (runs)", "color": "#rrggbb or a colour name",
        "order": "Legend / pairing order (smaller first)"}


def aggrid_available() -> bool:
    """AG Grid needs a browser: not under AppTest, not when the user chose plain tables, not when missing."""
    if state.get(state.PLAIN_GRIDS) or under_apptest():
        return False
    try:
        import st_aggrid  # noqa: F401
    except ImportError:
        return False
    return True


def under_apptest() -> bool:
    from streamlit import config  # AppTest patches config.get_option (st.get_option does not see it)

    return bool(config.get_option("global.appTest"))


def grid_height(n_rows: int, *, max_rows: int = 10) -> int:
    return HEADER_PX + ROW_PX * max(2, min(n_rows, max_rows)) + 4


def render_mapping_grids(run_ids: list[str] | None, *, key: str) -> None:
    """Both grids side by side; `run_ids` limits the run grid to the runs on this page (None: every run)."""
    st.subheader("Labels, legend groups and colours", divider="gray")
    st.caption("Shared by every view and every run: a row for a label a run does not have is simply unused. "
               "Edits redraw the figures at once.")
    if not aggrid_available() and not under_apptest() and not state.get(state.PLAIN_GRIDS):
        st.info("AG Grid is not installed: using plain tables.", icon=":material/table:")
    left, right = st.columns(2, gap="medium")
    with left:
        st.markdown("**Runs** · display labels (heatmap and Venn axes, titles) and heatmap groups")
        render_run_grid(run_ids, key=f"{key}.runs")
    with right:
        st.markdown("**Classes and legend entries** · names, legend groups, colours, order")
        render_class_grid(key=f"{key}.classes")


def render_run_grid(run_ids: list[str] | None, *, key: str) -> None:
    current = state.mapping()
    frame = mp.runs_frame(current, run_ids)
    edited = _grid(frame, key=f"{key}.{state.version('runs')}", editable=["display", "group", "color"])
    if edited is not None:
        updated = mp.runs_from_frame(current, edited)
        if updated != current:
            state.set_mapping(updated, from_grid="runs" if aggrid_available() else None)
            st.rerun()


def render_class_grid(*, key: str) -> None:
    current = state.mapping()
    frame = mp.classes_frame(current)
    edited = _grid(frame, key=f"{key}.{state.version('classes')}", editable=["display", "group", "color", "order"])
    if edited is not None:
        updated = mp.classes_from_frame(current, edited)
        if updated != current:
            state.set_mapping(updated, from_grid="classes" if aggrid_available() else None)
            st.rerun()
    _add_label_form(key)


def _add_label_form(key: str) -> None:
    with st.form(f"{key}.add", border=False, clear_on_submit=True):
        cols = st.columns([3, 1], vertical_alignment="bottom")
        label = cols[0].text_input("Add a row for another label (e.g. a transition 'he -> she')", key=f"{key}.add.text")
        if cols[1].form_submit_button("Add row", icon=":material/add:") and label.strip():
            current = state.mapping()
            state.set_mapping(mp.merge(current, _NoCatalog(), [], extra_labels=[label.strip()]))
            st.rerun()


class _NoCatalog:
    runs: dict = {}


# ----------------------------------------------------------------------------------------------- backends


def _grid(frame: pd.DataFrame, *, key: str, editable: list[str]) -> pd.DataFrame | None:
    """The frame as the user left it (None when the grid has not reported yet).

    A data_editor is re-created from the mapping after each edit (its key changes), so its pending edits are
    never applied twice; AG Grid simply receives the new data.
    """
    if aggrid_available():
        return _aggrid(frame, key=key, editable=editable)
    return _data_editor(frame, key=key, editable=editable)


def _aggrid(frame: pd.DataFrame, *, key: str, editable: list[str]) -> pd.DataFrame | None:
    from st_aggrid import AgGrid

    column_defs = []
    for column in frame.columns:
        spec = {"field": column, "headerName": HEADERS.get(column, column), "editable": column in editable,
                "headerTooltip": TIPS.get(column, HEADERS.get(column, column)),
                "flex": 3 if column in ("run", "label", "display") else 2, "minWidth": 70}
        if column == "order":
            spec.update({"cellEditor": "agNumberCellEditor", "type": "numericColumn", "flex": 1, "maxWidth": 80})
        if column in editable:
            spec["cellClass"] = "studio-editable"
        column_defs.append(spec)
    grid_options = {
        "columnDefs": column_defs,
        "defaultColDef": {"resizable": True, "sortable": False, "filter": False, "suppressMovable": True},
        "singleClickEdit": True,
        "stopEditingWhenCellsLoseFocus": True,
        "rowHeight": ROW_PX,
        "headerHeight": HEADER_PX - 4,
    }
    data = frame.astype(object).where(frame.notna(), None)
    response = AgGrid(data, gridOptions=grid_options, height=grid_height(len(frame)), key=key,
                      update_on=["cellValueChanged"], allow_unsafe_jscode=False, theme="streamlit",
                      show_toolbar=False, show_search=False, show_download_button=False,
                      data_return_mode="AS_INPUT", custom_css={".studio-editable": {"background-color": "#f3f8fb"}})
    returned = response.data
    if returned is None or not isinstance(returned, pd.DataFrame) or returned.empty and not frame.empty:
        return None
    return returned.reindex(columns=frame.columns)


def _data_editor(frame: pd.DataFrame, *, key: str, editable: list[str]) -> pd.DataFrame | None:
    config = {column: st.column_config.TextColumn(HEADERS.get(column, column), help=TIPS.get(column))
              for column in frame.columns}
    if "order" in frame.columns:
        config["order"] = st.column_config.NumberColumn(HEADERS["order"], help=TIPS["order"], step=1, format="%d")
    if "color" in frame.columns:
        config["color"] = st.column_config.TextColumn(HEADERS["color"], help=TIPS["color"], validate=r"^(#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}|[A-Za-z]+|)$")
    edited = st.data_editor(frame, key=key, hide_index=True, width="stretch", height=grid_height(len(frame)),
                            disabled=[c for c in frame.columns if c not in editable], column_config=config,
                            num_rows="fixed")
    return edited
