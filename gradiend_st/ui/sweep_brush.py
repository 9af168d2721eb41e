"""Brushing the Sweep view's parallel coordinates selects runs.

Streamlit reports box and lasso selections of plotly figures, not the brushes of a Parcoords. A small script
(`st.components.v2`, trusted code running in the app page, no iframe) attaches to the plotly figure on the page
(found by the element key the view page gives it) and reports the brushed ranges when a brush ends. The runs
inside every brushed range become the comparison selection (Heatmap, Venn, Weight map, curves ...), and the
ranges the view's `brush` option, so the figure, the link and a preset keep them.
"""

from __future__ import annotations

import re

import streamlit as st

from gradiend_st.analysis.sweep import runs_in_ranges
from gradiend_st.figures.sweep import axis_title, plotly_label
from gradiend_st.ui import state

# One plotly listener per graph element (plotly keeps it across re-draws of the same element); it calls whichever
# instance of this component is mounted now, which compares with what it last reported before it triggers a rerun.
LISTENER_JS = r"""
export default function (component) {
  const { data, setTriggerValue } = component;
  const id = data.selector;
  const reporters = (window.__gradiendStudioBrush = window.__gradiendStudioBrush || {});
  let last = JSON.stringify(data.current || {});
  const report = (gd) => {
    const trace = (gd.data || []).find((t) => t.type === "parcoords");
    if (!trace) return;
    const ranges = {};
    (trace.dimensions || []).forEach((d) => { if (d.constraintrange) ranges[d.label] = d.constraintrange; });
    const text = JSON.stringify(ranges);
    if (text === last) return;
    last = text;
    setTriggerValue("brush", ranges);
  };
  reporters[id] = report;
  const attach = () => {
    document.querySelectorAll(data.selector).forEach((gd) => {
      if (gd.__gradiendStudioBrush || typeof gd.on !== "function") return;
      if (!(gd.data || []).some((t) => t.type === "parcoords")) return;
      gd.__gradiendStudioBrush = true;
      gd.on("plotly_restyle", () => { if (reporters[id]) reporters[id](gd); });
    });
  };
  attach();
  const timer = setInterval(attach, 200);  // the figure may be drawn after this component
  return () => { clearInterval(timer); if (reporters[id] === report) delete reporters[id]; };
}
"""

_listener = st.components.v2.component("gradiend_studio.sweep_brush", js=LISTENER_JS)


def render_brush_listener(data, options, *, key: str) -> None:
    """Mount the listener; a reported brush selects the runs inside it and reruns the whole app with them."""
    from gradiend_st.views.sweep import lines_of

    try:
        lines = lines_of(data, options)
    except ValueError:
        return  # the figure said why it cannot be drawn
    by_label = {plotly_label(axis_title(axis)): axis.name for axis in lines.axes}
    label_of = {name: label for label, name in by_label.items()}
    current = {label_of[name]: spans[0] if len(spans) == 1 else spans for name, spans in lines.brush.items()}
    result = _listener(key=f"{key}.brush", data={"selector": f".{chart_class('sweep')} .js-plotly-plot",
                                                 "current": current},
                       on_brush_change=lambda: None, height=1)
    ranges = result.brush
    open("/tmp/sw/debug.log", "a").write(f"DEBUG result={dict(result)!r}\n")
    if ranges is None:  # no brush ended since the last run
        return
    brush = {by_label[label]: spans for label, spans in ranges.items() if label in by_label and spans}
    apply_brush(data, lines.axes, brush)
    st.rerun()  # the whole app: the sidebar's selection and every view follow the brush


def chart_class(view_name: str) -> str:
    """The CSS class Streamlit gives the element holding the view page's plotly figure (its key, sanitized)."""
    return "st-key-" + re.sub(r"[^A-Za-z0-9_-]", "-", f"{view_name}.plotly")


def apply_brush(data, axes, brush: dict[str, list]) -> list[str]:
    """The runs inside every brushed range become the selection (no brush: every run drawn); the ranges are kept
    as the view's `brush` option."""
    selected = runs_in_ranges(axes, data.runs, brush) if brush else list(data.runs)
    state.set_selection(selected)
    stored = {name: value for name, value in state.view_options("sweep").items() if name != "brush"}
    state.set_view_options("sweep", {**stored, "brush": brush} if brush else stored)
    return selected
