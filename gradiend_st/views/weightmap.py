"""Weight map: where in the base model the selected runs' top-k weights sit (layers, components, heads, rows).

Each top-k index is placed through `config.json -> mapping.param_map` (FORMAT.md §2.1-2.3) and counted per row of
the base model (`analysis.weightmap`); `load` does that once, `build` draws one of five figures (`plot`):
- "map": layers x components, one panel per run, one shared colour scale (count, share of k, or
  over-representation = share of k / share of the input space, on a log2 scale diverging at 1);
- "difference": the first two runs' maps, A - B (counts, percentage points of k, or log2 of the ratio);
- "heads": query/key/value counts per attention head, layers x heads (`num_heads`: prefilled for known shapes);
- "rows": one layer's feed-forward rows (intermediate neurons, output units) as bars;
- "flow": run -> layer -> component as a plotly Sankey (auto_circuit's style; `score_threshold` hides links below
  that share of k; `color_by_sign` colours links by the sign of the decoder weight, read from the weights).
gradiend 0.2.3 has no such figure (its example code plots mean importance per layer by hand): no "copy as code".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from gradiend_st.analysis import weightmap as wm
from gradiend_st.analysis.convergence import run_statuses
from gradiend_st.analysis.topk import topk_text
from gradiend_st.analysis.weightmap_names import FEED_FORWARD, known_heads
from gradiend_st.analysis.weightmap_runs import map_selection
from gradiend_st.figures import weightmap as drawing
from gradiend_st.figures.style import categorical_colors, message_figure, run_label
from gradiend_st.views.base import View
from gradiend_st.views.topk_overlap import TopKData, nothing_to_draw

if TYPE_CHECKING:
    import pandas as pd

    from gradiend_st.io.discover import Catalog

PLOTS = ("map", "difference", "heads", "rows", "flow")
VALUES = ("count", "share", "overrepresentation")
CAPTIONS = {"count": "top-k weights", "share": "share of the run's k",
            "overrepresentation": "over-representation (share of k / share of the input space)"}


@dataclass
class Options:
    topk: int | float = 1000
    part: str = "decoder-weight"
    plot: str = "map"  # map | difference | heads | rows | flow
    value: str = "count"  # count | share (of k) | overrepresentation (share of k / share of the input space)
    scale: str = "linear"  # count and share: linear | sqrt | log (over-representation is always log2, diverging at 1)
    num_heads: int | None = None  # heads: None = known for the shape (bert-base 12 of 64), else it must be given
    layer: int | None = None  # rows: the layer whose feed-forward rows are drawn (None: the one with most top-k)
    score_threshold: float = 0.01  # flow: links below this share of the run's k are hidden (auto_circuit's name)
    color_by_sign: bool = False  # flow: blue/red links by the sign of the decoder weight (reads the weights)
    annot: bool | str = "auto"  # numbers in the cells ("auto": up to 400 cells a panel, 12 panels)
    ncols: int | None = None  # panels across (None: up to 4)
    cmap: str = "viridis"  # count and share
    diverging_cmap: str = "RdBu_r"  # over-representation and differences
    vmin: float | None = None
    vmax: float | None = None
    figsize: tuple[float, float] | list[float] | None = None
    annot_fontsize: float | None = None
    tick_label_fontsize: float | None = None
    title: bool | str = True
    highlight_non_convergence: bool = True
    run_labels: dict[str, str] | None = None  # run id -> display label
    run_colors: dict[str, str] | None = None  # run id -> colour (flow and rows)


@dataclass(kw_only=True)
class WeightMapData(TopKData):
    layout: wm.ParamLayout | None = None  # the base model the runs share
    maps: dict[str, wm.RunMap] = field(default_factory=dict)
    sources: dict = field(default_factory=dict)  # run id -> discovered Run, for the weights of a picked cell


def load(catalog: Catalog, run_ids: list[str], options: Options,
         progress: Callable[[int, int, str], None] | None = None,
         should_stop: Callable[[], bool] | None = None) -> WeightMapData:
    maps = map_selection(catalog, run_ids, options.part, options.topk, signs=options.color_by_sign,
                         progress=progress, should_stop=should_stop)
    return WeightMapData(
        part=maps.part, topk=maps.topk, runs=maps.runs, sizes={rid: maps.maps[rid].k for rid in maps.runs},
        statuses=run_statuses(catalog, maps.runs), warnings=maps.warnings,
        left_out={rid: catalog.error_text(exc) for rid, exc in maps.left_out.items()},
        layout=maps.layout, maps=maps.maps, sources={rid: catalog.get(rid) for rid in maps.runs})


# ------------------------------------------------------------------------------------------------ names


def label_of(data: WeightMapData, options: Options, rid: str) -> str:
    status = data.statuses.get(rid)
    return run_label(rid, options.run_labels, status.converged if status else None, options.highlight_non_convergence)


def _panel_title(data: WeightMapData, options: Options, rid: str) -> str:
    return f"{label_of(data, options, rid)} (k = {data.sizes[rid]:,})"


def _title(data: WeightMapData, options: Options, what: str) -> str | None:
    if options.title is True:
        return f"{topk_text(data.topk)} weights ({data.part}) {what}"
    return options.title or None


def run_colors(data: WeightMapData, options: Options) -> dict[str, str]:
    given = options.run_colors or {}
    palette = categorical_colors(len(data.runs))
    return {rid: given.get(rid) or palette[i] for i, rid in enumerate(data.runs)}


# ------------------------------------------------------------------------------------------------ figures


def build(data: WeightMapData, options: Options):
    """The figure `options.plot` names: matplotlib for the grids and rows, plotly for the flow."""
    if options.plot not in PLOTS:
        raise ValueError(f"unknown plot '{options.plot}': choose one of {', '.join(PLOTS)}")
    if options.value not in VALUES:
        raise ValueError(f"unknown value '{options.value}': choose one of {', '.join(VALUES)}")
    message = nothing_to_draw(data, 2 if options.plot == "difference" else 1,
                              "a difference map" if options.plot == "difference" else "a weight map")
    if message:
        return message_figure(message, options.figsize)
    try:
        return BUILDERS[options.plot](data, options)
    except ValueError as exc:  # e.g. heads of an unknown shape: say what to set
        return message_figure(f"Nothing to draw: {exc}", options.figsize)


def _grid_color(options: Options, kind: str = "sequential") -> drawing.ColorScale:
    ratio = options.value == "overrepresentation"
    return drawing.ColorScale(
        kind="ratio" if ratio and kind == "sequential" else kind,
        cmap=options.diverging_cmap if ratio or kind == "difference" else options.cmap,
        scale=options.scale, vmin=options.vmin, vmax=options.vmax, caption=CAPTIONS[options.value],
        number={"count": "count", "share": "share", "overrepresentation": "ratio"}[options.value])


def _draw_grids(panels, color, options, title):
    return drawing.draw_grids(panels, color, title=title, ncols=options.ncols, annot=options.annot,
                              figsize=options.figsize, annot_fontsize=options.annot_fontsize,
                              tick_label_fontsize=options.tick_label_fontsize)


def build_map(data: WeightMapData, options: Options):
    panels = []
    for rid in data.runs:
        cells = wm.grid(data.layout, data.maps[rid])
        panels.append(drawing.Panel(_panel_title(data, options, rid), cells.values(options.value), cells.layers,
                                    cells.components))
    return _draw_grids(panels, _grid_color(options), options, _title(data, options, "by layer and component"))


def difference(data: WeightMapData, options: Options) -> tuple[str, str, np.ndarray, wm.Grid]:
    """(run A, run B, A - B in the chosen value, A's grid): counts, shares, or log2 of the over-representation
    ratio A / B (= the ratio of the shares when both runs choose from the same input space)."""
    a, b = data.runs[:2]
    grid_a, grid_b = wm.grid(data.layout, data.maps[a]), wm.grid(data.layout, data.maps[b])
    if options.value == "overrepresentation":
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = grid_a.values("overrepresentation") / grid_b.values("overrepresentation")
            values = np.where(np.isfinite(np.log2(ratio)), np.log2(ratio), np.nan)
    else:
        values = grid_a.values(options.value) - grid_b.values(options.value)
    return a, b, values, grid_a


def build_difference(data: WeightMapData, options: Options):
    a, b, values, cells = difference(data, options)
    number = {"count": "difference", "share": "points", "overrepresentation": "ratio"}[options.value]
    caption = {"count": "top-k weights, A − B", "share": "share of k, A − B (percentage points)",
               "overrepresentation": "log2 of over-representation A / B (empty: 0 in one run)"}[options.value]
    color = drawing.ColorScale("difference", options.diverging_cmap, vmin=options.vmin, vmax=options.vmax,
                               caption=caption, number=number)
    name_a, name_b = label_of(data, options, a), label_of(data, options, b)
    panel = drawing.Panel(f"A = {name_a}, B = {name_b}", values, cells.layers, cells.components)
    title = _title(data, options, f"by layer and component: {name_a} − {name_b}")
    if len(data.runs) > 2:
        title = (title or "") + f" (first two of {len(data.runs)} runs)"
    return _draw_grids([panel], color, options, title)


def head_count(data: WeightMapData, options: Options) -> int:
    """`num_heads`, or the known number for the query's shape; a ValueError says what to set otherwise."""
    if options.num_heads:
        return int(options.num_heads)
    hidden = wm.attention_hidden(data.layout)
    if hidden is None:
        raise ValueError("no query weight among the parameter names: nothing to split into heads")
    known = known_heads(hidden)
    if known is None:
        raise ValueError(f"set num_heads: a query weight with {hidden} output rows is not a known shape "
                         "(bert-base: 12 heads of 64)")
    return known


def build_heads(data: WeightMapData, options: Options):
    heads = head_count(data, options)
    panels = []
    for rid in data.runs:
        found = wm.head_grid(data.layout, data.maps[rid], heads)
        for c, component in enumerate(found.components):
            values = _values(found.counts[c], found.space[c], data.maps[rid], options.value)
            panels.append(drawing.Panel(f"{_panel_title(data, options, rid)}: {component} heads", values, found.layers,
                                        [str(h) for h in range(heads)]))
    options_across = options if options.ncols else replace(options, ncols=3)
    return _draw_grids(panels, _grid_color(options), options_across,
                       _title(data, options, f"by attention head ({heads} heads of {found.head_size})"))


def _values(counts: np.ndarray, space: np.ndarray, run: wm.RunMap, value: str) -> np.ndarray:
    """Counts (of heads, rows) as the chosen value: count, share of k, or over-representation."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if value == "count":
            return counts
        share = counts / max(run.k, 1)
        return share if value == "share" else share / (space / max(run.input_dim, 1))


def rows_layer(data: WeightMapData, options: Options) -> str:
    """The layer of the rows plot: `layer`, else the one whose feed-forward rows hold the most top-k weights."""
    layers = [name for name in data.layout.layers if name.startswith("layer.")]
    if not layers:
        raise ValueError("no numbered layers (.layer.<i>.) among the parameter names")
    if options.layer is not None:
        name = f"layer.{options.layer}"
        if name not in layers:
            raise ValueError(f"layer {options.layer} is not in the model (layers {layers[0]}…{layers[-1]})")
        return name

    def held(layer: str) -> int:
        return sum(int(wm.rows_of(data.layout, data.maps[rid].counts, layer, c)[1].sum())
                   for rid in data.runs for c in FEED_FORWARD)

    return max(layers, key=held)


def build_rows(data: WeightMapData, options: Options):
    layer = rows_layer(data, options)
    colors = run_colors(data, options)
    bars = []
    for rid in data.runs:
        run = data.maps[rid]
        for component in FEED_FORWARD:
            names, counts = wm.rows_of(data.layout, run.counts, layer, component)
            if not names:
                continue
            _, space = wm.rows_of(data.layout, run.space, layer, component)
            values = _values(counts.astype(float), space.astype(float), run, options.value)
            bars.append(drawing.Bars(label_of(data, options, rid), component, np.nan_to_num(values), names))
    if not bars:
        raise ValueError(f"{layer} has no intermediate/output parameters")
    labelled = {label_of(data, options, rid): colors[rid] for rid in data.runs}
    return drawing.draw_rows(bars, title=_title(data, options, f"in {layer}'s feed-forward rows"),
                             ylabel=CAPTIONS[options.value].split(" (")[0], figsize=options.figsize, colors=labelled)


def flow(data: WeightMapData, options: Options):
    """The Sankey's nodes and links: run -> layer -> component, links below `score_threshold` of k hidden."""
    from gradiend_st.figures.weightmap_flow import NEGATIVE, POSITIVE, ZERO, Flow, translucent

    result, hidden = Flow(), [0, 0]
    colors = run_colors(data, options)
    layout = data.layout
    run_nodes = {rid: result.node(label_of(data, options, rid), 0, colors[rid]) for rid in data.runs}
    layer_nodes = {layer: result.node(layer, 1, "#888888") for layer in layout.layers}
    comp_nodes = {c: result.node(c, 2, "#bbbbbb") for c in layout.components}

    def count(grid: wm.Grid, i: int, j: int | None) -> int:  # a layer's total, or one layer x component cell
        return int(grid.counts[i].sum() if j is None else grid.counts[i, j])

    def add(source, target, rid, grids, i, j, where):
        k, total = data.sizes[rid], count(grids[0], i, j)
        if total <= 0:
            return
        if total < options.score_threshold * k:
            hidden[0] += 1
            hidden[1] += total
            return
        if len(grids) == 1:  # coloured by run; grey when signs were asked for but this run has none (a bundle)
            color = ZERO if options.color_by_sign else translucent(colors[rid])
            result.link(source, target, total, color, f"{where}: {total:,} ({100 * total / k:.1f}% of k)")
            return
        signed = [count(g, i, j) for g in grids[1:]]
        for part, color, sign in ((signed[0], POSITIVE, "+"), (signed[1], NEGATIVE, "−"), (total - sum(signed), ZERO, "0")):
            if part:
                result.link(source, target, part, color, f"{where}, decoder weight {sign}: {part:,} of {total:,}")

    for rid in data.runs:
        run = data.maps[rid]
        grids = [wm.grid(layout, run)]
        if options.color_by_sign and run.positive is not None:
            grids += [wm.grid(layout, run, run.positive), wm.grid(layout, run, run.negative)]
        name = label_of(data, options, rid)
        for i, layer in enumerate(grids[0].layers):
            add(run_nodes[rid], layer_nodes[layer], rid, grids, i, None, f"{name} → {layer}")
            for j, component in enumerate(grids[0].components):
                add(layer_nodes[layer], comp_nodes[component], rid, grids, i, j, f"{name}: {layer} → {component}")
    return result.without_unused_nodes(), hidden


def build_flow(data: WeightMapData, options: Options):
    from gradiend_st.figures.weightmap_flow import draw_flow

    result, (hidden_links, hidden_weights) = flow(data, options)
    notes = []
    if hidden_links:
        notes.append(f"{hidden_links} links under {100 * options.score_threshold:g}% of k hidden "
                     f"({hidden_weights:,} weights)")
    if options.color_by_sign:
        notes.append("links: blue = decoder weight > 0, red = < 0")
        if any(data.maps[rid].positive is None for rid in data.runs):
            notes.append("grey: signs not read (no weights)")
    if not result.values:
        return message_figure("Nothing to draw: every link is under score_threshold; lower it", options.figsize)
    width, height = (int(100 * v) for v in options.figsize) if options.figsize else (None, None)
    return draw_flow(result, title=_title(data, options, "from run to layer to component"),
                     note="; ".join(notes) or None, height=height, width=width)


BUILDERS = {"map": build_map, "difference": build_difference, "heads": build_heads, "rows": build_rows,
            "flow": build_flow}


# ------------------------------------------------------------------------------------------------ the CSV


def table(data: WeightMapData, options: Options) -> pd.DataFrame:
    """The numbers behind the figure: per run and cell (layer, component; head; row), count, share of k,
    over-representation, base and input-space scalars."""
    import pandas as pd

    rows = []
    for rid in data.runs:
        run = data.maps[rid]
        if options.plot == "heads":
            try:
                found = wm.head_grid(data.layout, run, head_count(data, options))
            except ValueError:
                continue
            for (c, l_, h), count in np.ndenumerate(found.counts):
                if not math.isnan(count):
                    rows.append(_row(rid, run, found.layers[l_], found.components[c], count, found.space[c, l_, h],
                                     head=h))
        elif options.plot == "rows":
            try:
                layer = rows_layer(data, options)
            except ValueError:
                continue
            for component in FEED_FORWARD:
                _, counts = wm.rows_of(data.layout, run.counts, layer, component)
                _, space = wm.rows_of(data.layout, run.space, layer, component)
                rows += [_row(rid, run, layer, component, c, s, row=r) for r, (c, s) in enumerate(zip(counts, space))]
        else:
            cells = wm.grid(data.layout, run)
            for (i, j), count in np.ndenumerate(cells.counts):
                if cells.base[i, j]:
                    rows.append(_row(rid, run, cells.layers[i], cells.components[j], count, cells.space[i, j],
                                     base=cells.base[i, j]))
    columns = ["run", "layer", "component", "head", "row", "count", "share_of_k", "overrepresentation",
               "input_scalars", "base_scalars"]
    frame = pd.DataFrame(rows, columns=columns)
    keep = [c for c in columns if not (c in ("head", "row", "base_scalars") and frame[c].isna().all())]
    return frame[keep]


def _row(rid, run: wm.RunMap, layer, component, count, space, *, head=None, row=None, base=None) -> dict:
    share = count / max(run.k, 1)
    over = share / (space / max(run.input_dim, 1)) if space else float("nan")
    return {"run": rid, "layer": layer, "component": component, "head": head, "row": row, "count": int(count),
            "share_of_k": share, "overrepresentation": over, "input_scalars": int(space),
            "base_scalars": None if base is None else int(base)}


# ------------------------------------------------------------------------------------------------ files


def formats(options: Options) -> tuple[str, ...]:
    return ("html", "png", "pdf", "svg") if options.plot == "flow" else ("png", "pdf", "svg")


def export(data: WeightMapData, options: Options, fmt: str, *, dpi: int = 200) -> bytes:
    """File bytes: matplotlib figures as usual; the Sankey as HTML from plotly, PNG/PDF/SVG through kaleido
    (Chromium), with the scatter's fixed SVG ids. Without Chromium a figure says so (the HTML still works)."""
    from matplotlib.figure import Figure

    from gradiend_st.figures.export import ExportUnavailable, figure_bytes

    figure = build(data, options)
    if isinstance(figure, Figure):  # a grid, or a message (in HTML too, when the flow has nothing to draw)
        if fmt == "html":
            svg = figure_bytes(figure, "svg").decode("utf-8")
            return f"<!DOCTYPE html>\n<html><body>{svg[svg.find('<svg'):]}</body></html>\n".encode()
        return figure_bytes(figure, fmt, dpi=dpi)
    if fmt == "html":
        return figure_bytes(figure, "html")
    try:
        drawn = figure_bytes(figure, fmt, dpi=dpi)
    except ExportUnavailable as exc:
        return figure_bytes(message_figure(f"{exc}; the HTML download has the same figure"), fmt, dpi=dpi)
    from gradiend_st.figures.export import fixed_svg_ids  # one rule for plotly's random SVG ids

    return fixed_svg_ids(drawn) if fmt == "svg" else drawn


def _choices(_context: dict) -> dict[str, tuple]:
    return {"plot": PLOTS, "value": VALUES, "scale": drawing.SCALES, "annot": ("auto", True, False)}


HELP = {
    "topk": "As in gradiend: an integer k, or a fraction in (0, 1] of each run's own input_dim.",
    "part": "Which importance ranks the weights (gradiend's get_topk_weights part).",
    "plot": "map: layers x components, a panel per run. difference: the first two runs, A − B. heads: query/key/value "
            "counts per attention head. rows: one layer's feed-forward rows. flow: run → layer → component (Sankey).",
    "value": "count: top-k weights in the cell. share: of the run's k. overrepresentation: share of k / share of the "
             "run's input space (a layer with 20 % of the inputs and 40 % of the top-k is 2.0; a pruned run is "
             "compared with the scalars it could choose from).",
    "scale": "Colour scale of counts and shares. Over-representation is always on a log2 scale diverging at 1.",
    "num_heads": "Attention heads per layer (heads plot): head = output row ÷ (query rows ÷ num_heads), for the "
                 "weights and biases of query, key and value. Empty: known for bert-base-like shapes (768 → 12).",
    "layer": "rows plot: the layer number (empty: the layer whose feed-forward rows hold the most top-k weights).",
    "score_threshold": "flow: links below this share of the run's k are hidden (auto_circuit's name); the figure "
                       "says how many and how many weights.",
    "color_by_sign": "flow: links blue where the decoder weight is > 0, red where < 0 (auto_circuit's colours). Reads "
                     "the decoder weight of every top-k index; a bundle has no weights, its links stay grey.",
    "annot": "auto: numbers in the cells while the figure has at most 625 cells (the heatmap's 25 × 25).",
    "ncols": "Panels across (empty: up to 4; 3 for the heads plot).",
    "cmap": "Colour map of counts and shares.",
    "diverging_cmap": "Colour map of over-representation and of differences (centred on 1 and on 0).",
    "vmin": "Colour scale minimum (over-representation: a ratio, e.g. 0.25).",
    "vmax": "Colour scale maximum (over-representation: a ratio, e.g. 4).",
    "figsize": "Width, height in inches (flow: of the plotly figure, 100 px an inch). Empty: sized by the panels.",
    "title": "automatic: 'Top-k weights (part) by ...'. gradiend has no weight map (its example code plots mean "
             "importance per layer by hand).",
}


def _weights_panel(data: WeightMapData, options: Options, key: str) -> None:
    """Under the figure in the app: the weights of the cell the user picks (Streamlit code lives in ui/)."""
    from gradiend_st.ui.weightmap_panel import render_weights_panel

    render_weights_panel(data, options, key=key)


VIEW = View(
    name="weightmap",
    title="Weight map",
    nav_title="Weight map",
    icon=":material/account_tree:",
    blurb="Where in the base model the selected runs' top-k weights sit: layers, components, heads and rows.",
    Options=Options,
    load=load,
    build=build,
    table=table,
    runs="selection",
    min_runs=1,
    needs=("weights",),
    load_options=("part", "topk", "color_by_sign"),
    formats=formats,
    export=export,
    choices=_choices,
    extra_panel=_weights_panel,
    gradiend=None,
    help=HELP,
)
