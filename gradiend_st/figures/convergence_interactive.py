"""The convergence view's interactive mode: many runs' curves in one Altair (Vega-Lite) chart.

The browser draws it: hover a point for its run, series, step and value; click a run in the legend to highlight
it (shift-click for several); drag or scroll a panel to pan or zoom its steps. The same spec is turned into
PNG/SVG/PDF/HTML files by vl-convert, without a browser, so a download is the chart on screen. With a venue
profile (figures.profiles) a file is exactly the profile's width, in its font (STIX from matplotlib's font folder,
embedded by vl-convert's PDF writer) and sizes.
Panels, series names, spreads, seed bands come from `analysis.convergence_curves`, run names, colours and the title
from the public helpers of `figures.convergence`: both modes show the same numbers under the same names and colours.
"""

from __future__ import annotations

import re
from functools import cache

import altair as alt
import pandas as pd

from gradiend_st.analysis import convergence_curves as cc
from gradiend_st.analysis.convergence_curves import CurveSpec, RunCurves
from gradiend_st.figures.convergence import figure_title, option_panels, overlay_names, run_colors

FORMATS = ("png", "svg", "pdf", "html")
SCREEN_DPI = 100  # chart pixels per inch of figsize, as the matplotlib modes on screen; a 200 dpi PNG doubles them
VL_CONVERT_PPI = 72  # vl-convert draws ppi / 72 pixels per chart pixel
PICK = "run_pick"  # the legend selection; fixed names keep the spec deterministic


def frame(runs: list[RunCurves], options) -> pd.DataFrame:
    """One row per (run, panel, series, step): the drawn value and, where the options ask for one, its band."""
    return cc.curve_points(runs, overlay_names(runs, options), option_panels(runs, options), CurveSpec.of(options))


def best_steps(runs: list[RunCurves], options) -> pd.DataFrame:
    """Each run's best step and the correlation there (runs without one are left out)."""
    return cc.best_points(runs, overlay_names(runs, options))


def draw(runs: list[RunCurves], options):
    """The panels the options ask for, stacked, sharing one run legend and one highlight (`options`: the view's)."""
    values = frame(runs, options)
    names, by_run = overlay_names(runs, options), run_colors(runs, options)
    label_colors: dict[str, str] = {}  # legend entry -> its run's colour (runs of the same name share the first's)
    for run in runs:
        label_colors.setdefault(names[run.run_id], by_run[run.run_id])
    labels = list(label_colors)
    scale = alt.Scale(domain=labels, range=list(label_colors.values()))
    color = alt.Color("run:N", title="Run", sort=labels, scale=scale)
    best = best_steps(runs, options) if options.best_step else None
    width, height = _panel_size(options, len(values.panel.unique()))
    spec = CurveSpec.of(options)
    panels = [_panel(values[values.panel == panel], panel, i, color, best, width, height,
                     cc.panel_title(panel, spec, cc.panel_seeds(runs, spec.seed_band), overlay=True))
              for i, panel in enumerate(dict.fromkeys(values.panel))]
    # Everything passed to the constructor: each chained call (.resolve_scale, .configure_*) deep-copies the chart
    return alt.vconcat(
        *panels, title=alt.TitleParams(figure_title(runs, options) or "", anchor="start", fontSize=14, offset=12),
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
    y = alt.Y("value:Q", title=cc.PANEL_YLABELS[panel], scale=alt.Scale(zero=False))
    series = alt.Detail("series:N")
    tooltip = [alt.Tooltip("run:N"), alt.Tooltip("series:N"), alt.Tooltip("step:Q"),
               alt.Tooltip("value:Q", format=".4f")]
    line = alt.Chart(rows).mark_line(strokeWidth=1.6).encode(x, y, color, _picked(1.0, 0.12), series, tooltip=tooltip)
    # points as a layer of their own, not the line's overlay: with one, the dash legend's symbols are invisible
    points = alt.Chart(rows).mark_circle(size=18).encode(x, y, color, _picked(1.0, 0.12), tooltip=tooltip)
    if panel != "correlation":  # colour tells the run, the dash pattern the label (as the matplotlib overlay)
        styles = sorted(set(rows["style"]), key=cc.style_name_rank)
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


def _panel_size(options, n_panels: int) -> tuple[int, int]:
    """Width and height of one panel: figsize (inches, the whole chart as in the matplotlib modes) less the axis
    labels beside the panels, the title and the legends below them, and each panel's title and step axis."""
    if options.figsize:
        width, height = (float(v) * SCREEN_DPI for v in options.figsize)
        return max(200, round(width - 70)), max(80, round((height - 110) / max(n_panels, 1) - 55))
    return 420, 170


def to_bytes(chart, fmt: str, *, dpi: int = 200) -> bytes:
    """The chart as a file, rendered by vl-convert from the spec the browser shows (at the venue profile of the
    export in progress, if any: one chart pixel per point)."""
    import vl_convert as vlc

    from gradiend_st.figures import profiles

    fmt = fmt.lower()
    profile = profiles.active()
    spec = _profiled(chart.to_dict(), profile) if profile and fmt in ("png", "svg", "pdf") else chart.to_json()
    if fmt == "png":
        # ppi / 72 pixels per chart pixel, times scale: dpi / 100 in all (ppi also goes into the file's metadata);
        # with a profile a chart pixel is a point: dpi / 72
        return vlc.vegalite_to_png(spec, scale=1.0 if profile else VL_CONVERT_PPI / SCREEN_DPI, ppi=dpi)
    if fmt == "svg":
        return _numbered_from_one(vlc.vegalite_to_svg(spec)).encode("utf-8")
    if fmt == "pdf":  # not byte-identical between calls: the PDF writer picks font subset tags at random
        return vlc.vegalite_to_pdf(spec)
    if fmt == "html":
        return vlc.vegalite_to_html(spec, bundle=True).encode("utf-8")  # bundled: opens offline
    raise ValueError(f"the interactive convergence chart exports {', '.join(FORMATS)}, not {fmt}")


FAMILIES = {"serif": "STIXGeneral", "sans": "DejaVu Sans"}


def _profiled(spec: dict, profile) -> dict:
    """`spec` in the profile's font and sizes, its panels as wide as makes the whole chart the profile's width
    (measured: vl-convert draws it once, and the panels take the difference), the legend in one column when the
    profile is a narrow column."""
    import vl_convert as vlc

    from gradiend_st.figures.style import NARROW_IN

    _register_fonts()
    sizes, width = profile.sizes, profile.width_pt
    axis = {"labelFontSize": sizes["tick"], "titleFontSize": sizes["label"], "titleFontWeight": "normal"}
    spec["config"] = {**spec.get("config", {}), "font": FAMILIES[profile.family], "axis": axis,
                      "title": {"fontSize": sizes["title"], "fontWeight": "normal"},  # as the matplotlib figures
                      "legend": {**spec.get("config", {}).get("legend", {}), "labelFontSize": sizes["legend"],
                                 "titleFontSize": sizes["legend"], "titleFontWeight": "normal",
                                 "labelLimit": round(width * 0.8),
                                 "columns": 1 if profile.width_in < NARROW_IN else 2}}
    for part in [spec, *spec.get("vconcat", [])]:
        if isinstance(part.get("title"), dict):
            part["title"]["fontSize"] = sizes["title"]
    panels = spec.get("vconcat", [])
    natural = _size_of(vlc.vegalite_to_svg(spec))
    for panel in panels:  # text keeps its size: panel heights follow the width by its square root (profiles)
        panel["height"] = round(panel["height"] * (width / natural[0]) ** 0.5)
    for _ in range(2):  # the axis labels beside a panel depend a little on its width: a second pass settles them
        drawn = _size_of(vlc.vegalite_to_svg(spec))[0]
        if abs(drawn - width) < 0.5:
            break
        for panel in panels:
            panel["width"] = max(40.0, panel["width"] + width - drawn)
    return spec


def _size_of(svg: str) -> tuple[float, float]:
    found = re.search(r'<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"', svg)
    return float(found.group(1)), float(found.group(2))


@cache
def _register_fonts() -> None:
    """vl-convert draws with the fonts it is told of: matplotlib's folder holds STIX and DejaVu."""
    from pathlib import Path

    import matplotlib
    import vl_convert as vlc

    vlc.register_font_directory(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf"))


def _numbered_from_one(svg: str) -> str:
    """Clip-path ids renumbered in order of appearance: vl-convert counts them across the whole process, so the
    same chart would otherwise give a different file each time."""
    ids: dict[str, int] = {}
    return re.sub(r"\bclip(\d+)\b", lambda m: f"clip{ids.setdefault(m.group(1), len(ids) + 1)}", svg)
