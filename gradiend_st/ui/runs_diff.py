"""The Runs page's "only what differs" switch: beside the overview's columns, exactly the training_args that differ
between the listed runs (`analysis.run_diff`; seed checkpoints only when shown), and the training time.

Nested configs (pre/post pruning) show compactly in the table; the full objects are in an expander under it. The
switches are kept in the session and in the link (`?diff=1&seeds=1`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from gradiend_st.analysis.run_diff import RunDiff, compact_texts, identity, listed_runs, run_diff
from gradiend_st.ui import links
from gradiend_st.ui.caching import recent_tree_key

DIFF = "studio.runs_diff"  # the switch, kept across page switches
SEEDS = "studio.runs_diff_seeds"
ARG = "arg."  # column ids of training arguments (a key never collides with the overview's own columns)
TIME = "training_time"


@dataclass
class DiffColumns:
    """The differing arguments of the listed runs as overview columns."""

    diff: RunDiff
    listed: list[str]
    seeds: bool  # seed checkpoints are listed (and compared)
    texts: dict[str, dict[str, str]] = field(default_factory=dict)  # key -> run id -> cell text

    @property
    def name(self) -> str:
        return "diff_seeds" if self.seeds else "diff"

    def apply(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
        """(the overview's frame: the listed runs and unreadable files, with the argument columns after the run
        and the training time after `converged`; their column settings)."""
        listed = set(self.listed)
        frame = frame[frame["id"].isin(listed) | (frame["kind"] == "error")].reset_index(drop=True)
        at = list(frame.columns).index("id") + 1
        for offset, key in enumerate(self.diff.keys):
            frame.insert(at + offset, ARG + key, frame["id"].map(self.texts[key]).fillna(""))
        times = {rid: f.metrics.get("training_time") for rid, f in self.diff.facts.items()}
        after = list(frame.columns).index("converged") + 1 if "converged" in frame.columns else len(frame.columns)
        frame.insert(after, TIME, frame["id"].map(times).astype("Float64"))
        nested = self.nested()
        config = {ARG + key: st.column_config.TextColumn(key, width="medium" if key in nested else None,
                                                         help=f"training_args.{key} (differs between the runs)")
                  for key in self.diff.keys}
        config[TIME] = st.column_config.NumberColumn("training time (s)", format="%.1f",
                                                     help="training.json → time.total")
        return frame, config

    def nested(self) -> list[str]:
        return [key for key in self.diff.keys
                if any(isinstance(self.diff.facts[r].args.get(key), dict) for r in self.diff.runs)]


def diff_columns(catalog, *, seeds: bool) -> DiffColumns:
    listed = listed_runs(catalog, seeds=seeds)
    diff = run_diff(catalog, listed)
    texts = {}
    for key in diff.keys:
        values = [diff.facts[rid].args.get(key) for rid in diff.runs]
        texts[key] = dict(zip(diff.runs, compact_texts(key, values), strict=True))
    return DiffColumns(diff, listed, seeds, texts)


@st.cache_data(max_entries=16, show_spinner=False)
def _cached_columns(root: str, tree: str, seeds: bool, _catalog) -> DiffColumns:  # noqa: ARG001 - cache keys
    return diff_columns(_catalog, seeds=seeds)


def render_diff_switch(catalog, *, key: str) -> DiffColumns | None:
    """The switches; the columns to add when "only what differs" is on."""
    links.read_flags_once(("diff", "seeds"), {"diff": DIFF, "seeds": SEEDS})
    left, right, _ = st.columns([1.3, 1.3, 4])
    with left:
        on = _toggle("Only what differs", DIFF, f"{key}.on",
                     "Add the training arguments whose values differ between the listed runs (machine paths "
                     "experiment_dir and output_dir left out) and the training time.")
    seeds = False
    if on:
        with right:
            seeds = _toggle("With seed checkpoints", SEEDS, f"{key}.seeds",
                            "List the seed checkpoints of multi-seed runs too, and compare their arguments.")
    links.write_flags({"diff": on, "seeds": on and seeds})
    if not on:
        return None
    return _cached_columns(str(catalog.root), recent_tree_key(catalog.root), seeds, catalog)


def _toggle(label: str, state_key: str, widget_key: str, help_text: str) -> bool:
    """A toggle fed from `state_key` (a link or an earlier visit set it) whose changes go back there."""
    current = bool(st.session_state.get(state_key, False))
    if st.session_state.get(widget_key) != current:
        st.session_state[widget_key] = current
    st.toggle(label, key=widget_key, help=help_text, on_change=_keep, args=(widget_key, state_key))
    return current


def _keep(widget_key: str, state_key: str) -> None:
    st.session_state[state_key] = st.session_state[widget_key]


def render_diff_details(columns: DiffColumns) -> None:
    """What the table cannot show: the runs left out of the comparison, and the nested configs in full."""
    diff = columns.diff
    if not diff.keys:
        st.caption(f"The {len(diff.runs)} listed runs were trained with the same arguments.")
    for rid, reason in diff.left_out.items():
        st.caption(f"Not compared: {rid}: {reason}")
    nested = columns.nested()
    if not nested:
        return
    with st.expander(f"{', '.join(nested)} in full", icon=":material/data_object:"):
        for key in nested:
            st.markdown(f"**{key}**")
            for value, runs in _grouped(diff, key):
                st.caption(", ".join(runs))
                st.code(json.dumps(value, indent=2, sort_keys=True), language="json")


def _grouped(diff: RunDiff, key: str) -> list[tuple[object, list[str]]]:
    """Each distinct value of `key` with the runs that have it."""
    groups: dict[str, tuple[object, list[str]]] = {}
    for rid in diff.runs:
        value = diff.facts[rid].args.get(key)
        groups.setdefault(identity(value), (value, []))[1].append(rid)
    return list(groups.values())
