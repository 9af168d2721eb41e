"""The convergence view's interactive mode: many runs' curves in one Altair (Vega-Lite) chart.

The browser draws it: hover a point for its run, series, step and value; click a run in the legend to highlight
it (shift-click for several); drag or scroll a panel to pan or zoom its steps. The same spec is turned into
PNG/SVG/PDF/HTML files by vl-convert, without a browser, so a download is the chart on screen.
Panels, series names, spreads, seed bands, titles and run labels come from the matplotlib view's own helpers
(`convergence._panels`, `_curves`, ...), so both modes show the same numbers under the same names.
"""

from __future__ import annotations

import re

import altair as alt
import pandas as pd

from gradiend_st.figures import convergence as cv
from gradiend_st.figures.style import categorical_colors

FORMATS = ("png", "svg", "pdf", "html")
SCREEN_DPI = 100  # chart pixels per inch of figsize, as the matplotlib modes on screen; a 200 dpi PNG doubles them
VL_CONVERT_PPI = 72  # vl-convert draws ppi / 72 pixels per chart pixel
PICK = "run_pick"  # the legend selection; fixed names keep the spec deterministic
COLUMNS = ["run", "run_id", "panel", "series", "style", "step", "value", "low", "high"]


def frame(data: cv.ConvergenceData, options: cv.Options) -> pd.DataFrame:
    """One row per (run, panel, series, step): the drawn value and, where the options ask for one, its band."""
    panels = cv._panels(data.runs, options)
    rows = []
    for curves in data.runs:
        label = cv.overlay_label(curves, options)
        for panel in panels:
            for curve in cv._curves(curves, panel, options):
                low, high = curve.band or ({}, {})
                style = "" if panel == "correlation" else cv._style_name(curve, curves.training, panel, options)
                rows.extend({"run": label, "run_id": curves.run_id, "panel": panel, "series": curve.name,
                             "style": style, "step": step, "value": value, "low": low.get(step), "high": high.get(step)}
                            for step, value in sorted(curve.values.items()))
    return pd.DataFrame(rows, columns=COLUMNS)


def best_steps(data: cv.ConvergenceData, options: cv.Options) -> pd.DataFrame:
    """Each run's best step and the correlation there (runs without one are left out)."""
    rows = [{"run": cv.overlay_label(c, options), "step": c.training.best_step, "correlation": c.training.best_correlation}
            for c in data.runs if c.training.best_step is not None]
    return pd.DataFrame(rows, columns=["run", "step", "correlation"])


def build(data: cv.ConvergenceData, options: cv.Options):
    """The panels the options ask for, stacked, sharing one run legend and one highlight."""
    values = frame(data, options)
    labels = list(dict.fromkeys(cv.overlay_label(c, options) for c in data.runs))
    color = alt.Color("run:N", title="Run", sort=labels,
                      scale=alt.Scale(domain=labels, range=categorical_colors(max(1, len(labels)))))
    best = best_steps(data, options) if options.best_step else None
    width, height = _panel_size(options, len(values.panel.unique()))
    panels = [_panel(values[values.panel == panel], panel, i, color, best, width, height,
                     cv._panel_title(panel, options, cv._panel_seeds(data.runs, options), overlay=True))
              for i, panel in enumerate(dict.fromkeys(values.panel))]
    # Everything passed to the constructor: each chained call (.resolve_scale, .configure_*) deep-copies the chart
    return alt.vconcat(
        *panels, title=alt.TitleParams(cv._title(data.runs, options) or "", anchor="start", fontSize=14, offset=12),
        padding={"left": 5, "top": 5, "right": 16, "bottom": 5},
        resolve=alt.Resolve(scale=alt.ScaleResolveMap(color="shared", strokeDash="shared")),  # one legend each
        # symbolOpacity: the legend would take the faint opacity of the bands otherwise
        config=alt.Config(legend=alt.LegendConfig(orient="bottom", direction="vertical", columns=2, labelLimit=260,
                                                  symbolOpacity=1),
                          view=alt.ViewConfig(stroke="#bbbbbb")))


def _picked(on: float, off: float) -> alt.OpacityValue:
    """Opacity `on` for the runs picked in the legend (all runs while none is picked), `off` for the others.
    Typed, not alt.condition(): Altair parses that dict against its whole schema, ~25 ms per use."""
    return alt.OpacityValue(off, condition={"param": PICK, "value": on})


def _panel(rows: pd.DataFrame, panel: str, index: int, color: alt.Color, best: pd.DataFrame | None, width: int,
           height: int, title: str):
    x = alt.X("step:Q", title="Step")
    y = alt.Y("value:Q", title=cv.PANEL_YLABELS[panel], scale=alt.Scale(zero=False))
    series = alt.Detail("series:N")
    tooltip = [alt.Tooltip("run:N"), alt.Tooltip("series:N"), alt.Tooltip("step:Q"),
               alt.Tooltip("value:Q", format=".4f")]
    line = alt.Chart(rows).mark_line(strokeWidth=1.6).encode(x, y, color, _picked(1.0, 0.12), series, tooltip=tooltip)
    # points as a layer of their own, not the line's overlay: with one, the dash legend's symbols are invisible
    points = alt.Chart(rows).mark_circle(size=18).encode(x, y, color, _picked(1.0, 0.12), tooltip=tooltip)
    if panel != "correlation":  # colour tells the run, the dash pattern the label (as the matplotlib overlay)
        styles = sorted(set(rows["style"]), key=_style_rank)
        legend = alt.Legend(symbolType="stroke", symbolStrokeWidth=1.6, symbolSize=300, symbolStrokeColor="#555")
        line = line.encode(alt.StrokeDash("style:N", title="Line style", sort=styles, scale=alt.Scale(domain=styles),
                                          legend=legend))
    zoom = alt.selection_interval(name=f"zoom_{index}", bind="scales", encodings=["x"])
    pick = alt.selection_point(name=PICK, fields=["run"], bind="legend")
    line = line.add_params(zoom) if index else line.add_params(pick, zoom)  # the pick lives in the first panel
    layers = []
    banded = rows.dropna(subset=["low", "high"])
    if not banded.empty:
        layers.append(alt.Chart(banded).mark_area().encode(x, alt.Y("low:Q"), alt.Y2("high:Q"), color, series,
                                                           _picked(0.18, 0.03)))
    layers += [line, points]
    if best is not None and not best.empty:
        layers += _best_marks(best, panel, color)
    return alt.layer(*layers, title=alt.TitleParams(title, anchor="start", fontSize=12), width=width, height=height)


def _best_marks(best: pd.DataFrame, panel: str, color: alt.Color) -> list[alt.Chart]:
    """A dashed rule at each run's best step; on the correlation panel a diamond at its best correlation."""
    chart = alt.Chart(best)
    step = alt.X("step:Q")
    tooltip = [alt.Tooltip("run:N"), alt.Tooltip("step:Q", title="best step"),
               alt.Tooltip("correlation:Q", format=".4f")]
    rule = chart.mark_rule(strokeDash=[4, 3], strokeWidth=1).encode(step, color, _picked(0.7, 0.08), tooltip=tooltip)
    if panel != "correlation":
        return [rule]
    diamond = chart.mark_point(shape="diamond", size=90, filled=True, stroke="black", strokeWidth=0.6).encode(
        step, alt.Y("correlation:Q"), color, _picked(1.0, 0.1), tooltip=tooltip)
    return [rule, diamond]


def _style_rank(style: str) -> tuple[int, str]:
    """Target label first, then the other label, neutral, and classes without a label: the overlay's order."""
    order = [f"label {key}" for key in cv.LABEL_STYLES]
    return (order.index(style) if style in order else len(order), style)


def _panel_size(options: cv.Options, n_panels: int) -> tuple[int, int]:
    """Width and height of one panel: figsize (inches, the whole chart as in the matplotlib modes) less the axis
    labels beside the panels, the title and the legends below them, and each panel's title and step axis."""
    if options.figsize:
        width, height = (float(v) * SCREEN_DPI for v in options.figsize)
        return max(200, round(width - 70)), max(80, round((height - 110) / max(n_panels, 1) - 55))
    return 420, 170


def to_bytes(chart, fmt: str, *, dpi: int = 200) -> bytes:
    """The chart as a file, rendered by vl-convert from the spec the browser shows."""
    import vl_convert as vlc

    fmt = fmt.lower()
    spec = chart.to_json()
    if fmt == "png":
        # ppi / 72 pixels per chart pixel, times scale: dpi / 100 in all (ppi also goes into the file's metadata)
        return vlc.vegalite_to_png(spec, scale=VL_CONVERT_PPI / SCREEN_DPI, ppi=dpi)
    if fmt == "svg":
        return _numbered_from_one(vlc.vegalite_to_svg(spec)).encode("utf-8")
    if fmt == "pdf":  # not byte-identical between calls: the PDF writer picks font subset tags at random
        return vlc.vegalite_to_pdf(spec)
    if fmt == "html":
        return vlc.vegalite_to_html(spec, bundle=True).encode("utf-8")  # bundled: opens offline
    raise ValueError(f"the interactive convergence chart exports {', '.join(FORMATS)}, not {fmt}")


def _numbered_from_one(svg: str) -> str:
    """Clip-path ids renumbered in order of appearance: vl-convert counts them across the whole process, so the
    same chart would otherwise give a different file each time."""
    ids: dict[str, int] = {}
    return re.sub(r"\bclip(\d+)\b", lambda m: f"clip{ids.setdefault(m.group(1), len(ids) + 1)}", svg)
