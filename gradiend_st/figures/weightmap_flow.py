"""The weight map's flow view: run -> layer -> component as a plotly Sankey, in auto_circuit's style (its
`visualize.net_viz`: translucent links, blue for positive and red for negative scores, grey for zero, small links
hidden below a threshold). Link widths are top-k counts. All user text is HTML-escaped (plotly renders HTML).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import plotly.graph_objects as go

POSITIVE, NEGATIVE, ZERO = "rgba(0,0,255,0.3)", "rgba(255,0,0,0.3)", "rgba(0,0,0,0.1)"  # auto_circuit's link colours
COLUMN_X = (0.001, 0.5, 0.999)  # runs, layers, components


@dataclass
class Flow:
    """Nodes (in drawing order within each column) and links of the Sankey."""

    nodes: list[str] = field(default_factory=list)
    columns: list[int] = field(default_factory=list)
    node_colors: list[str] = field(default_factory=list)
    sources: list[int] = field(default_factory=list)
    targets: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    colors: list[str] = field(default_factory=list)
    hovers: list[str] = field(default_factory=list)

    def node(self, name: str, column: int, color: str) -> int:
        self.nodes.append(name)
        self.columns.append(column)
        self.node_colors.append(color)
        return len(self.nodes) - 1

    def link(self, source: int, target: int, value: float, color: str, hover: str) -> None:
        self.sources.append(source)
        self.targets.append(target)
        self.values.append(float(value))
        self.colors.append(color)
        self.hovers.append(hover)


    def without_unused_nodes(self) -> Flow:
        """The flow without nodes that no link touches (plotly would draw them as stray bars)."""
        kept = sorted(set(self.sources) | set(self.targets))
        renumber = {old: new for new, old in enumerate(kept)}
        clean = Flow([self.nodes[i] for i in kept], [self.columns[i] for i in kept],
                     [self.node_colors[i] for i in kept])
        for s, t, v, c, h in zip(self.sources, self.targets, self.values, self.colors, self.hovers, strict=True):
            clean.link(renumber[s], renumber[t], v, c, h)
        return clean


def translucent(color: str, alpha: float = 0.45) -> str:
    """A hex colour as plotly rgba with `alpha` (links show the run colour, lighter, as auto_circuit's do)."""
    from matplotlib.colors import to_rgb

    r, g, b = (round(255 * c) for c in to_rgb(color))
    return f"rgba({r},{g},{b},{alpha})"


def draw_flow(flow: Flow, *, title: str | None, note: str | None, height: int | None = None,
              width: int | None = None) -> go.Figure:
    positions = _positions(flow)
    sankey = go.Sankey(
        uid="weightmap-flow",  # fixed, not plotly.js's random one: the same figure gives the same SVG
        arrangement="snap",
        node={"label": [html.escape(n, quote=False) for n in flow.nodes], "color": flow.node_colors,
              "x": [p[0] for p in positions], "y": [p[1] for p in positions], "pad": 12, "thickness": 16,
              "line": {"width": 0}, "hovertemplate": "%{label}: %{value:,.0f} top-k weights<extra></extra>"},
        link={"source": flow.sources, "target": flow.targets, "value": flow.values, "color": flow.colors,
              "customdata": [html.escape(h, quote=False) for h in flow.hovers], "arrowlen": 12,
              "hovertemplate": "%{customdata}<extra></extra>"},
    )
    heading = html.escape(title, quote=False) if title else ""
    if note:
        heading += ("<br>" if heading else "") + f"<sup>{html.escape(note, quote=False)}</sup>"
    figure = go.Figure(sankey)
    figure.update_layout(
        template="plotly_white", font={"family": "DejaVu Sans, Arial, sans-serif", "size": 12},
        height=height or max(420, 28 * max(flow.columns.count(c) for c in (0, 1, 2)) + 140),
        width=width, margin={"t": 80 if heading else 30, "l": 20, "r": 20, "b": 20},
        title={"text": heading, "x": 0.01, "xanchor": "left"} if heading else None,
    )
    return figure


def _positions(flow: Flow) -> list[tuple[float, float]]:
    """Columns at fixed x; within a column, nodes top to bottom in drawing order (layers in model order), spaced by
    their size so they do not overlap."""
    sizes = [0.0] * len(flow.nodes)
    for s, t, v in zip(flow.sources, flow.targets, flow.values, strict=True):
        sizes[s] += v if flow.columns[s] == 0 else 0.0
        sizes[t] += v
    for i, column in enumerate(flow.columns):  # a node's size is the larger of what enters and what leaves it
        if column == 0:
            continue
        leaving = sum(v for s, v in zip(flow.sources, flow.values, strict=True) if s == i)
        sizes[i] = max(sizes[i], leaving)
    positions = [(0.0, 0.0)] * len(flow.nodes)
    for column, x in enumerate(COLUMN_X):
        members = [i for i, c in enumerate(flow.columns) if c == column]
        total = sum(sizes[i] for i in members) or 1.0
        gap = 0.04 if len(members) > 1 else 0.0
        room = max(0.1, 1.0 - gap * (len(members) - 1))
        top = 0.0
        for i in members:
            share = sizes[i] / total * room
            positions[i] = (x, min(0.999, max(0.001, top + share / 2)))
            top += share + gap
    return positions
