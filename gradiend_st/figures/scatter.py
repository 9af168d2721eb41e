"""Drawing the encoder scatter (FORMAT.md §9.3) from `analysis.scatter_points.Points`.

An interactive plotly figure, and its matplotlib twin (`draw_static`) for PNG/PDF/SVG when no Chromium is around:
the same points, colours, title and note. All user text in the plotly figure is HTML-escaped.
"""

from __future__ import annotations

import html

import plotly.graph_objects as go
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from gradiend_st.analysis.scatter_points import Points
from gradiend_st.figures.style import font_size, new_figure, place_legend, studio_style

OPACITY = 0.78
STATIC_POINT_SIZE = 14  # points^2 of a matplotlib marker
LEGEND_MARKER_SIZE = 5.6  # points: the drawn markers' size, 1.5 times, so the legend shows the colour clearly


def legend_title(color_by: str) -> str:
    return "Label" if color_by == "label" else color_by


def draw(pts: Points, options, *, title: str | None, note: str | None) -> go.Figure:
    """The interactive figure: one trace per colour category, hover text per point; `options`: the view's."""
    fig = go.Figure()
    for i, name in enumerate(pts.color_order):
        part = pts.table[pts.table["color"] == name]
        fig.add_trace(go.Scatter(
            uid=f"points{i}",  # fixed, not plotly.js's random one: the same figure gives the same SVG file
            x=part["x"], y=part["encoded"], mode="markers", name=html.escape(name, quote=False),
            marker={"color": pts.colors[name], "size": 7, "opacity": OPACITY, "line": {"width": 0}},
            text=part["hover"], hovertemplate="%{text}<extra></extra>",
        ))
    heading = html.escape(title, quote=False) if title else ""
    if note:
        heading += ("<br>" if heading else "") + f"<sup>{html.escape(note, quote=False)}</sup>"
    fig.update_layout(
        template="plotly_white", height=options.height,
        title={"text": heading, "x": 0.01, "xanchor": "left"} if heading else None,
        legend={"title": {"text": html.escape(legend_title(options.color_by), quote=False)}, "x": 1.02,
                "xanchor": "left", "y": 1, "yanchor": "top"},
        margin={"t": 80 if heading else 30, "r": 20},
        xaxis={"title": {"text": html.escape(pts.x_title, quote=False)}, "tickmode": "array",
               "tickvals": list(range(len(pts.categories))),
               "ticktext": [html.escape(c, quote=False) for c in pts.categories],
               "range": [-0.6, len(pts.categories) - 0.4], "showgrid": False, "zeroline": False},
        yaxis={"title": {"text": "Encoded value"}, "zeroline": True, "zerolinecolor": "#bbbbbb"},
    )
    return fig


def draw_static(pts: Points, options, *, title: str | None, note: str | None) -> Figure:
    """The same points as a matplotlib figure (PNG/PDF/SVG without a browser)."""
    width = max(7.0, 3.0 + 0.55 * len(pts.categories))
    with studio_style():
        fig = new_figure((width, options.height / 100))
        ax = fig.add_subplot()
        for name in pts.color_order:
            part = pts.table[pts.table["color"] == name]
            ax.scatter(part["x"], part["encoded"], s=STATIC_POINT_SIZE, color=pts.colors[name], alpha=OPACITY,
                       linewidths=0, label=name)
        many = len(pts.categories) > 6
        ax.set_xticks(range(len(pts.categories)), pts.categories, rotation=30 if many else 0,
                      ha="right" if many else "center")
        ax.set_xlim(-0.6, len(pts.categories) - 0.4)
        ax.axhline(0, color="0.75", linewidth=0.8, zorder=0)
        ax.set_xlabel(pts.x_title)
        ax.set_ylabel("Encoded value")
        ax.grid(axis="y", alpha=0.3)
        handles = [Line2D([], [], marker="o", linestyle="", markersize=LEGEND_MARKER_SIZE, markeredgewidth=0,
                          color=pts.colors[name], alpha=OPACITY) for name in pts.color_order]
        legend = place_legend(fig, ax, handles, list(pts.color_order), loc=None)  # beside the data, never over it
        legend.set_title(legend_title(options.color_by))
        if title:
            ax.set_title(title + (f"\n{note}" if note else ""), loc="left")
        elif note:
            ax.set_title(note, loc="left", fontsize=font_size("annotation"))
    return fig
