"""The two mapping grids (run labels; class labels, legend groups, colours, order), shared by every view.

AG Grid (streamlit-aggrid) when it can render; `st.data_editor` with the same columns otherwise (AppTest, a
missing package, or the "plain tables" switch). The canonical mapping is `state.mapping()`; grids are fed from it
and write back to it. Cells are plain text: no cell renderer, no JavaScript, so HTML in a label is shown, never run.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from gradiend_st import mapping as mp
from gradiend_st.palettes import PALETTES
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
    render_palette_picker(key=key)
    left, right = st.columns(2, gap="medium")
    with left:
        st.markdown("**Runs** · display labels (heatmap and Venn axes, titles) and heatmap groups")
        render_run_grid(run_ids, key=f"{key}.runs")
    with right:
        st.markdown("**Classes and legend entries** · names, legend groups, colours, order")
        render_colour_warnings()
        render_class_grid(key=f"{key}.classes")


def render_palette_picker(*, key: str) -> None:
    """The palette new rows take their colours from; choosing one recolours every row in table order."""
    current = state.mapping().palette
    names = list(PALETTES)
    wkey = f"{key}.palette.{state.version('classes')}"
    chosen = st.selectbox("Palette", names, index=names.index(current) if current in names else 0, key=wkey,
                          format_func=lambda name: PALETTES[name].title,
                          help="Colour-blind-safe by default (Okabe–Ito). Choosing a palette recolours every class "
                               "and run in table order; single colours stay editable in the grids.")
    if chosen != current:
        state.set_mapping(mp.recolor(state.mapping(), chosen))
        st.rerun()


def render_colour_warnings() -> None:
    """Pairs of colours in the figure on screen that a reader with a colour-vision deficiency can hardly tell
    apart (ΔE < 10 in CAM02-UCS after simulation), naming both labels."""
    for a, b, deficiency, delta_e in state.get(state.CLOSE_COLORS, [])[:3]:
        st.warning(f"**{a}** and **{b}** look alike with {deficiency} (ΔE {delta_e:.1f} < 10): give one of them "
                   "another colour.", icon=":material/visibility:")


def render_run_grid(run_ids: list[str] | None, *, key: str) -> None:
    frame = mp.runs_frame(state.mapping(), run_ids)
    _grid(frame, key=f"{key}.{state.version('runs')}", editable=["display", "group", "color"],
          apply=lambda edited: _store(mp.runs_from_frame(state.mapping(), edited), "runs"))


def render_class_grid(*, key: str) -> None:
    frame = mp.classes_frame(state.mapping())
    _grid(frame, key=f"{key}.{state.version('classes')}", editable=["display", "group", "color", "order"],
          apply=lambda edited: _store(mp.classes_from_frame(state.mapping(), edited), "classes"))
    _add_label_form(key)


def _store(updated: mp.Mapping, grid: str) -> bool:
    """Keep an edit; AG Grid already shows it, a data_editor is re-created from the mapping (no double edits)."""
    if updated == state.mapping():
        return False
    state.set_mapping(updated, from_grid=grid if aggrid_available() else None)
    return True


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


def _grid(frame: pd.DataFrame, *, key: str, editable: list[str], apply) -> None:
    """Show the grid; `apply(edited_frame)` stores an edit in the canonical mapping.

    Both report edits through a callback, which Streamlit runs before the next script run: the figures above the
    grid are drawn once, already with the new labels.
    """
    if aggrid_available():
        _aggrid(frame, key=key, editable=editable, apply=apply)
    else:
        _data_editor(frame, key=key, editable=editable, apply=apply)


def _aggrid(frame: pd.DataFrame, *, key: str, editable: list[str], apply) -> None:
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

    def on_edit(response) -> None:
        returned = response.data
        if isinstance(returned, pd.DataFrame) and not (returned.empty and not frame.empty):
            apply(returned.reindex(columns=frame.columns))

    AgGrid(data, gridOptions=grid_options, height=grid_height(len(frame)), key=key, callback=on_edit,
           update_on=["cellValueChanged"], allow_unsafe_jscode=False, theme="streamlit",
           show_toolbar=False, show_search=False, show_download_button=False,
           data_return_mode="AS_INPUT", custom_css={".studio-editable": {"background-color": "#f3f8fb"}})


def _data_editor(frame: pd.DataFrame, *, key: str, editable: list[str], apply) -> None:
    config = {column: st.column_config.TextColumn(HEADERS.get(column, column), help=TIPS.get(column))
              for column in frame.columns}
    if "order" in frame.columns:
        config["order"] = st.column_config.NumberColumn(HEADERS["order"], help=TIPS["order"], step=1, format="%d")
    if "color" in frame.columns:
        config["color"] = st.column_config.TextColumn(HEADERS["color"], help=TIPS["color"], validate=r"^(#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}|[A-Za-z]+|)$")
    st.data_editor(frame, key=key, hide_index=True, width="stretch", height=grid_height(len(frame)),
                   disabled=[c for c in frame.columns if c not in editable], column_config=config, num_rows="fixed",
                   on_change=_apply_editor_edits, args=(frame, key, apply))


def _apply_editor_edits(frame: pd.DataFrame, key: str, apply) -> None:
    """data_editor callback: the shown frame with the edited cells, handed to `apply`."""
    edited = frame.copy()
    for row, change in st.session_state[key].get("edited_rows", {}).items():
        for column, value in change.items():
            if column in edited.columns and int(row) < len(edited):
                edited.iloc[int(row), edited.columns.get_loc(column)] = value
    apply(edited)
