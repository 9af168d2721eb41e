"""Runs overview: one row per run (and per unreadable file), with a checkbox that selects runs for the views."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from gradiend_st.analysis.convergence import convergence_status
from gradiend_st.analysis.decoder_runs import overview_columns
from gradiend_st.io.discover import Catalog
from gradiend_st.io.errors import RunReadError
from gradiend_st.io.seeds import read_seed_report
from gradiend_st.io.training import read_training
from gradiend_st.ui import state
from gradiend_st.ui.caching import recent_tree_key

COLUMNS = ["select", "id", "kind", "classes", "input_dim", "pruned", "seeds", "steps", "best_step", "best_corr",
           "converged", "decoder_dp", "lms_ratio", "files", "problem"]


def run_rows(catalog: Catalog) -> pd.DataFrame:
    """The overview table (pure: no Streamlit). Unreadable files become rows with their reason."""
    rows = [_run_row(catalog, run) for run in catalog.runs.values()]
    rows += [{"id": e.path, "kind": "error", "problem": e.error} for e in catalog.errors]
    frame = pd.DataFrame(rows, columns=COLUMNS[1:])
    frame["seeds"] = frame["seeds"].map(lambda n: str(int(n)) if pd.notna(n) else "")  # blank, not "None"
    for column in ("input_dim", "steps", "best_step"):
        frame[column] = frame[column].astype("Int64")
    frame["best_corr"] = frame["best_corr"].astype("Float64")
    frame["pruned"] = frame["pruned"].astype("boolean")
    return frame.fillna({"classes": "", "converged": "", "decoder_dp": "", "lms_ratio": "", "files": "", "problem": ""})


def _run_row(catalog: Catalog, run) -> dict:
    training, report, problem = None, None, ""
    try:
        training = read_training(run.training_path) if run.training_path.is_file() else None
        if run.kind == "run" and run.seed_report_path.is_file():
            report = read_seed_report(run.seed_report_path)
    except RunReadError as exc:
        problem = exc.relative_to(catalog.root)
    status = convergence_status(training, report)
    if run.weights_error and not problem:
        problem = run.weights_error.relative_to(catalog.root)
    return {
        "id": run.id,
        "kind": run.kind,
        "classes": " / ".join(run.classes),
        "input_dim": run.config.input_dim,
        "pruned": run.config.pruned,
        "seeds": len(run.seeds) or None,
        "steps": training.global_step if training else None,
        "best_step": training.best_step if training else None,
        "best_corr": training.best_correlation if training else None,
        "converged": {True: "yes", False: "no", None: "?"}[status.converged],
        **overview_columns(run),  # the decoder rewrite gradiend selects, per class (Decoder page)
        "files": _files(run, training is not None, report is not None),
        "problem": problem,
    }


def _files(run, has_training: bool, has_report: bool) -> str:
    present = []
    if run.bundle is not None:
        packed = run.bundle.get("parts", {})
        present.append("bundle top-k (" + ", ".join(f"{part} K={k:,}" for part, k in packed.items()) + ")")
    elif run.format:
        present.append("weights" + (" (.bin)" if run.format == "bin" else ""))
    if has_training:
        present.append("training")
    if run.encoded:
        present.append(f"encoded ×{len(run.encoded)}" if len(run.encoded) > 1 else "encoded")
    if run.decoder_grid_path.is_file():
        present.append("decoder grid")
    if has_report:
        present.append("seed report")
    return ", ".join(present)


@st.cache_data(max_entries=16, show_spinner=False)
def _cached_rows(root: str, tree: str, _catalog: Catalog) -> pd.DataFrame:  # noqa: ARG001 - cache keys
    return run_rows(_catalog)


def render_overview(catalog: Catalog, *, key: str = "overview", diff=None) -> None:
    """The grid of runs; ticking a row selects the run for the comparison views (Heatmap, Venn). `diff`
    (ui.runs_diff.DiffColumns): "only what differs", the differing training arguments beside the columns."""
    frame = _cached_rows(str(catalog.root), recent_tree_key(catalog.root), catalog).copy()
    diff_config = {}
    if diff is not None:
        frame, diff_config = diff.apply(frame)
    selected = set(state.selection())
    frame.insert(0, "select", frame["id"].isin(selected) & (frame["kind"] != "error"))
    n_runs, n_errors = len(catalog.runs), len(catalog.errors)
    st.caption(f"{n_runs} runs" + (f" and {n_errors} unreadable files (listed with their reason)" if n_errors else "")
               + f" · {len(selected & set(catalog.runs))} selected for the comparison views")
    widget = f"{key}.editor.{state.version('overview')}"
    st.session_state[f"{key}.base"] = (frame["id"].tolist(), sorted(selected))
    st.data_editor(
        frame, key=widget, hide_index=True, width="stretch", height=min(38 + 35 * len(frame), 560),
        disabled=[c for c in frame.columns if c != "select"], num_rows="fixed",
        on_change=_apply_selection, args=(key, widget),
        column_config={
            "select": st.column_config.CheckboxColumn("✓", help="Select for the comparison views", width="small"),
            "id": st.column_config.TextColumn("run", width="medium"),
            **{c: st.column_config.Column(c.replace("_", " "), width="small")
               for c in ("kind", "pruned", "seeds", "steps", "converged")},
            "input_dim": st.column_config.NumberColumn("input_dim", format="localized"),
            "best_corr": st.column_config.NumberColumn("best corr", format="%.3f"),
            "best_step": st.column_config.NumberColumn("best step"),
            "decoder_dp": st.column_config.TextColumn("decoder ΔP", width="medium",
                                                      help="Selected rewrite per class (LMSThresholdPolicy 0.99): "
                                                           "P(class) − P(base) on the other class's rows"),
            "lms_ratio": st.column_config.TextColumn("LMS ratio", width="medium",
                                                     help="LMS of the selected rewrite / LMS of the base model"),
            "files": st.column_config.TextColumn("files present", width="large"),
            "problem": st.column_config.TextColumn("problem", width="large"),
            **diff_config,
        },
    )


def _apply_selection(key: str, widget: str) -> None:
    """Editor callback: the ticked boxes (edits since the editor was created) become the canonical selection."""
    ids, base = st.session_state[f"{key}.base"]
    chosen = set(base)
    for row, change in st.session_state[widget].get("edited_rows", {}).items():
        if "select" in change and int(row) < len(ids):
            (chosen.add if change["select"] else chosen.discard)(ids[int(row)])
    ordered = [rid for rid in ids if rid in chosen]
    state.set_selection(ordered, from_widget="overview")
