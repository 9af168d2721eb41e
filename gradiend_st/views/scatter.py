"""Encoder scatter (FORMAT.md §9.3): every encoded row of one run, by target category and colour class.

Interactive plotly figure with a matplotlib twin for PNG/PDF/SVG when no Chromium is around.
Differences from upstream (§10 item 5): seeded jitter, neutral rows share one "neutral" category, hover text from
the first non-empty text column of each row (never "nan"), all user text HTML-escaped, and a subsample says so.
The points are computed in `analysis.scatter_points`; `figures.scatter` draws them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd
from matplotlib.figure import Figure

from gradiend_st.analysis import scatter_points
from gradiend_st.analysis.convergence import Convergence, run_convergence
from gradiend_st.figures import scatter as drawing
from gradiend_st.figures.export import ExportUnavailable, figure_bytes, fixed_svg_ids
from gradiend_st.figures.style import categorical_colors, message_figure, run_label, with_marker
from gradiend_st.io.encoded import describe_key, read_encoded
from gradiend_st.io.errors import RunReadError
from gradiend_st.io.training import read_training
from gradiend_st.views.base import GradiendCall, View, ViewData

EXPORT_FORMATS = ("html", "png", "pdf", "svg")
DEFAULT_SPLIT = "split_test"


@dataclass
class Options:
    split: str | None = None  # encoded file key, e.g. "split_test" (default when present)
    color_by: str = "label"
    label_name_mapping: dict[str, str] | None = None  # colour value ("-1.0", "he", ...) -> display name
    x_col: str | None = None  # default: first existing of scatter_points.X_CANDIDATES
    neutral_category: bool = True  # neutral rows share one "neutral" x category instead of one per masked word
    hover_cols: list[str] | None = None
    jitter_scale: float = 0.15  # half-width of the seeded horizontal jitter, in category widths
    max_points: int | None = None  # None: every row, up to scatter_points.DRAW_LIMIT
    stratify_by: str | None = None
    cmap: str | None = None
    colors: dict[str, str] | None = None  # colour category (display name, raw value or class name) -> colour
    height: int = 500
    title: bool | str = True
    hover_text_max_chars: int = 180
    hover_text_line_chars: int = 90
    highlight_non_convergence: bool = True
    run_labels: dict[str, str] | None = None


@dataclass(kw_only=True)
class ScatterData(ViewData):
    split: str | None = None  # file key
    splits: list[str] = field(default_factory=list)  # every file key of the run
    frame: pd.DataFrame | None = None
    status: Convergence = field(default_factory=lambda: Convergence(None, "unknown"))
    class_names: dict[str, str] = field(default_factory=dict)  # label value ("1.0") -> class name, training.json


# ---------------------------------------------------------------------------------------------------------------
# Loading


def load(catalog, run_ids: list[str], options: Options | None = None, progress=None,
         should_stop=None) -> ScatterData:
    """One run's encoder table (the first of `run_ids`; one read: nothing for `progress`/`should_stop`).

    A run that cannot be drawn (not in the folder, no encoder table, no such split, unreadable) is left out with its
    reason; nothing raises for it.
    """
    options = options or Options()
    if not run_ids:
        return ScatterData()
    run_id = run_ids[0]
    try:
        run = catalog.get(run_id)
    except KeyError as exc:
        return ScatterData(left_out={run_id: str(exc.args[0]) if exc.args else str(exc)})
    files = run.encoded
    key = options.split or (DEFAULT_SPLIT if DEFAULT_SPLIT in files else next(iter(files), None))
    data = ScatterData(split=key, splits=list(files), status=run_convergence(run), class_names=_class_names(run))
    if not files:
        data.left_out[run_id] = "no encoded_values_*.csv (run evaluate_encoder first)"
    elif key not in files:
        data.left_out[run_id] = f"no encoded_values_{key}.csv (found: {', '.join(files)})"
    else:
        try:
            data.frame = read_encoded(files[key])
            data.runs = [run_id]
        except RunReadError as exc:
            data.left_out[run_id] = catalog.error_text(exc)
    return data


def _class_names(run) -> dict[str, str]:
    try:
        return read_training(run.training_path).label_value_to_class_name if run.training_path.is_file() else {}
    except RunReadError:
        return {}


# ---------------------------------------------------------------------------------------------------------------
# Points, figure, table


def points(data: ScatterData, options: Options) -> scatter_points.Points:
    """The drawn points (one table behind the figure, its static twin and the CSV), with their colours."""
    pts = scatter_points.points(
        data.frame, class_names=data.class_names, color_by=options.color_by,
        label_name_mapping=options.label_name_mapping, x_col=options.x_col, neutral_category=options.neutral_category,
        hover_cols=options.hover_cols, jitter_scale=options.jitter_scale, max_points=options.max_points,
        stratify_by=options.stratify_by, hover_text_max_chars=options.hover_text_max_chars,
        hover_text_line_chars=options.hover_text_line_chars)
    palette = categorical_colors(len(pts.color_order), options.cmap)  # the violins' colours, in legend order
    return replace(pts, colors=scatter_points.category_colors(pts, options.colors, palette))


def title_lines(data: ScatterData, options: Options, pts: scatter_points.Points) -> tuple[str | None, str | None]:
    """(title, note); the note says what is not drawn (subsample, rows without a value)."""
    title = None
    if options.title is True:
        label = run_label(data.runs[0], options.run_labels, data.status.converged, options.highlight_non_convergence)
        title = f"{label}: encoded values ({describe_key(data.split)})"
    elif options.title:
        title = with_marker(str(options.title), data.status.converged, options.highlight_non_convergence)
    return title, "; ".join(scatter_points.sample_notes(pts)) or None


def build(data: ScatterData, options: Options | None = None):
    """The plotly figure; a (matplotlib) message figure when the run cannot be drawn."""
    options = options or Options()
    if not data.runs:
        return _message(data)
    pts = points(data, options)
    title, note = title_lines(data, options, pts)
    return drawing.draw(pts, options, title=title, note=note)


def build_static(data: ScatterData, options: Options | None = None) -> Figure:
    """The same points as a matplotlib figure (PNG/PDF/SVG without a browser)."""
    options = options or Options()
    if not data.runs:
        return _message(data)
    pts = points(data, options)
    title, note = title_lines(data, options, pts)
    return drawing.draw_static(pts, options, title=title, note=note)


def _message(data: ScatterData) -> Figure:
    reasons = "; ".join(f"{run_id}: {reason}" for run_id, reason in data.left_out.items()) or "no run selected"
    return message_figure("Nothing to draw: " + reasons)


def table(data: ScatterData, options: Options | None = None) -> pd.DataFrame:
    """The drawn points (after any subsampling): row of the CSV, category, jittered x, encoded, colour, text."""
    options = options or Options()
    columns = ["row", "category", "x", "encoded", "color", "text"]
    if not data.runs:
        return pd.DataFrame(columns=columns)
    return points(data, options).table.drop(columns=["hover"])


def export(data: ScatterData, options: Options, fmt: str, *, dpi: int = 200) -> bytes:
    """File bytes: HTML from plotly; PNG/PDF/SVG from plotly via Chromium, else from the matplotlib twin.
    A message figure (nothing to draw) exports as itself; as HTML, a page holding its SVG."""
    fmt = fmt.lower()
    figure = build(data, options)
    if isinstance(figure, Figure):
        if fmt == "html":
            return _html_page(figure_bytes(figure, "svg").decode("utf-8"))
        return figure_bytes(figure, fmt, dpi=dpi)
    if fmt == "html":
        return figure_bytes(figure, "html")
    try:
        drawn = figure_bytes(figure, fmt, dpi=dpi)
    except ExportUnavailable:
        return figure_bytes(build_static(data, options), fmt, dpi=dpi)
    return fixed_svg_ids(drawn) if fmt == "svg" else drawn


def _html_page(svg: str) -> bytes:
    body = svg[svg.find("<svg"):]  # without the XML prologue, which has no place inside HTML
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Encoder scatter</title></head>\n"
            f"<body>{body}</body></html>\n").encode()


def choices(context: dict) -> dict[str, tuple]:
    return {
        "split": (None, *context.get("splits", ())),
        "color_by": ("label", "source_id", "target_id", "type", "data_split", "feature_class_id"),
        "x_col": (None, "factual_token", "source_token", "target_id", "source_id", "type", "data_split"),
        "stratify_by": (None, "feature_class_id", "label", "source_id", "type"),
    }


HELP = {
    "split": "Studio: which encoder table of the run (encoded_values_<split>.csv) is drawn; gradiend takes it as "
             "encoder_df (its own split parameter only picks the data when it evaluates the encoder itself).",
    "x_col": "The x categories. Empty: the first of target_token, factual_token, factual, feature_class, source_id, "
             "type, as gradiend.",
    "neutral_category": "Studio option: neutral rows share one 'neutral' category (gradiend: one per masked word).",
    "hover_cols": "Columns shown on hover; empty: gradiend's default list. Comma-separated or a JSON list.",
    "jitter_scale": "Studio option: seeded horizontal jitter, in category widths (gradiend: none, points overlap).",
    "max_points": "At most this many points, a stratified sample (gradiend's rule, seed 42); the figure says so.",
    "cmap": "Empty: the studio's tab10 (gradiend's default: tab20), as the violins.",
    "colors": "Studio option: colour category -> colour (the label grid); gradiend has only cmap.",
    "title": "automatic: '<run>: encoded values (split)'. gradiend: 'Encoded values (1D) by label'.",
    "run_labels": "Studio: the run's display name in the title (runs grid).",
}


def _selection_panel(data: ScatterData, options: Options, key: str) -> None:
    """Under the figure in the app: the rows of the points selected with box or lasso (ui/scatter_selection.py)."""
    from gradiend_st.ui.scatter_selection import render_selection_table

    render_selection_table(data, options, key=key)


VIEW = View(
    name="scatter",
    title="Encoder scatter",
    nav_title="Scatter",
    icon=":material/scatter_plot:",
    blurb="Every encoded row by category and label; hover a point for its sentence.",
    Options=Options,
    load=load,
    build=build,
    table=table,
    runs="one",
    needs=("encoded",),
    load_options=("split",),
    formats=EXPORT_FORMATS,
    export=export,
    choices=choices,
    help=HELP,
    plotly_select=("box", "lasso"),
    extra_panel=_selection_panel,
    gradiend=GradiendCall("plot_encoder_scatter", "run", studio_only=frozenset({
        "run_labels", "neutral_category", "jitter_scale", "colors", "split"}), defaults={"cmap": "tab20"}),
)
