"""Shareable links: the selection, the shown run and a view's main options mirrored into `st.query_params`.

`?runs=he_she&runs=she_they&topk=100&part=decoder-sum` on the Heatmap page opens that heatmap. Values are read once
per session and view (a link is an entry point, not a second source of truth), then written back as things change.
"""

from __future__ import annotations

import json
from dataclasses import fields

import streamlit as st

from gradiend_st.ui import state

MAIN_OPTIONS = ("topk", "part", "value", "percentages", "mode", "split", "color_by", "cluster", "scale", "cmap",
                "x_arg", "y_arg", "cell", "aggregate", "axes_metrics", "reference", "brush")
JSON_OPTIONS = ("brush", "axes_metrics")  # link values that are JSON objects or lists (the Sweep's)


def read_runs_once(catalog) -> None:
    """The link's selection and shown run, once per session: before the sidebar draws its selection from them."""
    done = st.session_state.setdefault(state.LINKS_READ, set())
    if "runs" in done:
        return
    done.add("runs")
    runs = [rid for rid in st.query_params.get_all("runs") if rid in catalog.runs]
    if runs:
        state.set_selection(runs)
    run = st.query_params.get("run")
    if run in catalog.runs:
        state.put(state.RUN, run)
    profile = st.query_params.get("profile")
    if profile:
        from gradiend_st.figures.profiles import from_spec

        try:
            from_spec(profile)
            state.put(state.PROFILE, profile)
        except (ValueError, TypeError):
            pass  # a hand-edited link with a bad profile: the figure's own size


def read_once(view: str, options_cls) -> None:
    """The link's options for `view`, the first time this session shows that view."""
    done = st.session_state.setdefault(state.LINKS_READ, set())
    if view in done:
        return
    done.add(view)
    params = st.query_params
    if params.get("view", view) != view:
        return  # options written by another view's page
    names = {f.name for f in fields(options_cls)}
    updates = {name: parse_value(params[name], structured=name in JSON_OPTIONS) for name in MAIN_OPTIONS
               if name in names and name in params}
    if updates:
        state.set_view_options(view, {**state.view_options(view), **updates})


def write(view: str, options, defaults, *, runs: list[str] | None, run: str | None) -> None:
    wanted: dict[str, str | list[str]] = {"view": view}
    if runs:
        wanted["runs"] = list(runs)
    if run:
        wanted["run"] = run
    if state.get(state.PROFILE):
        wanted["profile"] = state.get(state.PROFILE)
    for name in MAIN_OPTIONS:
        if hasattr(options, name) and getattr(options, name) != getattr(defaults, name):
            wanted[name] = format_value(getattr(options, name))
    current = {key: st.query_params.get_all(key) if key == "runs" else st.query_params.get(key)
               for key in st.query_params.keys()}  # noqa: SIM118 - QueryParams is not a dict
    if current != wanted:
        st.query_params.from_dict(wanted)


def format_value(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def parse_value(text: str, *, structured: bool = False):
    """JSON numbers and booleans keep their type (topk 100 is k, 0.01 a fraction); with `structured`, JSON objects
    and lists too; anything else is a string."""
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return text
    if structured and isinstance(value, (dict, list)):
        return value
    return value if isinstance(value, (int, float, bool)) or value is None else text


def read_flags_once(names: tuple[str, ...], state_keys: dict[str, str]) -> None:
    """A page's switches from the link (`?diff=1`), once per session: into `state_keys[name]`."""
    done = st.session_state.setdefault(state.LINKS_READ, set())
    for name in names:
        if f"flag.{name}" not in done:
            done.add(f"flag.{name}")
            if st.query_params.get(name) == "1":
                state.put(state_keys[name], True)


def write_flags(values: dict[str, bool]) -> None:
    """Mirror a page's switches into the link (`name=1` when on), leaving other parameters alone."""
    for name, on in values.items():
        if on and st.query_params.get(name) != "1":
            st.query_params[name] = "1"
        elif not on and name in st.query_params:
            del st.query_params[name]
