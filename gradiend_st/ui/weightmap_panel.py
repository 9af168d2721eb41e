"""The weight map's panel under the figure: pick a cell (run, layer, component, and a head in the heads plot) and
see exactly the top-k weights in it: parameter, row, column, importance, rank (a sortable table; its toolbar
downloads it as CSV, and a cell larger than the table shows gets a CSV button for all its weights).

The figure is a static image, so the cell is picked with select boxes naming the figure's rows and columns.
"""

from __future__ import annotations

import os

import pandas as pd
import streamlit as st

from gradiend_st.analysis import weightmap as wm
from gradiend_st.analysis.comparison import run_topk
from gradiend_st.analysis.weightmap_names import HEAD_COMPONENTS
from gradiend_st.io.errors import RunReadError
from gradiend_st.views import weightmap as view

MAX_ROWS = 50_000  # rows sent to the browser; the CSV button has them all


def render_weights_panel(data, options, *, key: str) -> None:
    if not data.runs or data.layout is None:
        return
    st.markdown("**The weights in one cell**")
    rid, layer, component, head, head_size = _pick_cell(data, options, key)
    try:
        frame = cell_frame(data, options, rid, layer, component, head, head_size)
    except RunReadError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    where = f"{layer} · {component}" + (f" · head {head}" if head is not None else "")
    st.caption(f"{len(frame):,} of {view.label_of(data, options, rid)}'s {data.sizes[rid]:,} top-k weights "
               f"({data.part}) sit in {where}. Click a column name to sort; the table's toolbar downloads it as CSV.")
    shown = frame if len(frame) <= MAX_ROWS else frame.head(MAX_ROWS)
    st.dataframe(shown, hide_index=True, width="stretch", height=min(420, 38 + 35 * max(len(shown), 1)),
                 key=f"{key}.cell.table", column_config={
                     "param_name": st.column_config.TextColumn(width="large"),
                     "importance": st.column_config.NumberColumn(format="%.6g"),
                     "param_col": st.column_config.NumberColumn(help="-1: a 1-D parameter (gradiend writes None)"),
                     "head": st.column_config.NumberColumn(help="-1: not a query/key/value weight")})
    if len(frame) > MAX_ROWS:
        st.download_button(f"CSV of all {len(frame):,} weights (the table shows the first {MAX_ROWS:,})",
                           data=lambda: frame.to_csv(index=False).encode("utf-8"), on_click="ignore",
                           file_name=f"weightmap_{rid.replace('/', '_')}_{layer}_{component}.csv".replace(" ", "_"),
                           mime="text/csv", key=f"{key}.cell.csv", icon=":material/table_view:")


def _pick_cell(data, options, key: str):
    """(run, layer, component, head or None, head size or None) from select boxes; defaults: the fullest cell."""
    columns = st.columns(4 if options.plot == "heads" else 3)
    rid = _select(columns[0], "Run", data.runs, f"{key}.cell.run", lambda r: view.label_of(data, options, r))
    cells = wm.grid(data.layout, data.maps[rid])
    fullest = divmod(int(cells.counts.argmax()), len(cells.components))
    components = list(HEAD_COMPONENTS) if options.plot == "heads" else cells.components
    layer = _select(columns[1], "Layer", cells.layers, f"{key}.cell.layer", default=cells.layers[fullest[0]])
    default_component = cells.components[fullest[1]] if cells.components[fullest[1]] in components else components[0]
    component = _select(columns[2], "Component", components, f"{key}.cell.component", default=default_component)
    head = head_size = None
    if options.plot == "heads":
        try:
            heads = view.head_count(data, options)
            head_size = wm.attention_hidden(data.layout) // heads
            head = _select(columns[3], "Head", list(range(heads)), f"{key}.cell.head")
        except ValueError as exc:
            columns[3].caption(str(exc))
    return rid, layer, component, head, head_size


def _select(column, label: str, choices: list, wkey: str, format_func=str, default=None):
    """A select box that keeps its choice while it is still offered, else starts at `default`."""
    if st.session_state.get(wkey) not in choices:
        st.session_state[wkey] = default if default in choices else choices[0]
    return column.selectbox(label, choices, key=wkey, format_func=format_func)


def cell_frame(data, options, rid: str, layer: str, component: str, head: int | None,
               head_size: int | None) -> pd.DataFrame:
    run = data.sources[rid]
    return _cell_frame(_identity(run), data.part, repr(data.topk), layer, component, head, head_size, run, data)


@st.cache_data(max_entries=16, show_spinner=False)
def _cell_frame(identity: str, part: str, topk: str, layer: str, component: str,  # noqa: ARG001 - cache keys
                head: int | None, head_size: int | None, _run, _data) -> pd.DataFrame:
    found = run_topk(_run, part, _data.topk)  # the disk cache (or the bundle) answers it
    columns = wm.cell_weights(_data.layout, found.indices, found.importance, _run.checkpoint_dir / "config.json",
                              layer=layer, component=component, head=head, head_size=head_size)
    return pd.DataFrame(columns)[list(wm.WEIGHT_COLUMNS)]


def _identity(run) -> str:
    """The files a run's top-k list comes from, as (path, size, mtime): a changed file is a new cache entry."""
    files = [run.checkpoint_dir / "config.json", run.checkpoint.weights_path, run.checkpoint_dir / "gradiend_topk.safetensors"]
    parts = []
    for path in files:
        if path is not None and path.is_file():
            info = os.stat(path)
            parts.append(f"{path}:{info.st_size}:{info.st_mtime_ns}")
    return "|".join(parts)
