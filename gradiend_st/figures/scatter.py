"""Encoder scatter (FORMAT.md §9.3): every encoded row of one run, by target category and colour class.

Interactive plotly figure with a matplotlib twin (`build_static`) for PNG/PDF/SVG when no Chromium is around.
Differences from upstream (§10 item 5): seeded jitter, neutral rows share one "neutral" category, hover text from
the first non-empty text column of each row (never "nan"), all user text HTML-escaped, and a subsample says so.
"""

from __future__ import annotations

import html
import math
import textwrap
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.figure import Figure

from gradiend_st.analysis.convergence import Convergence, run_convergence
from gradiend_st.figures.export import ExportUnavailable, figure_bytes
from gradiend_st.figures.style import categorical_colors, new_figure, studio_style, with_marker
from gradiend_st.io.discover import Catalog
from gradiend_st.io.encoded import describe_key, read_encoded
from gradiend_st.io.errors import RunReadError

EXPORT_FORMATS = ("html", "png", "pdf", "svg")
DEFAULT_SPLIT = "split_test"
X_CANDIDATES = ("target_token", "factual_token", "factual", "feature_class", "source_id", "type")
HOVER_CANDIDATES = ("target_token", "factual_token", "factual", "feature_class", "label", "data_split",
                    "source_id", "target_id")
HOVER_TEXT_COLUMNS = ("display_text", "text_:hover", "text_hover", "template", "masked", "input_text", "text",
                      "sentence")
STRATA_CANDIDATES = ("feature_class", "feature_class_id")
MASK = "[MASK]"
NEUTRAL = "neutral"
SEED = 42
# More points than this make the browser crawl and the HTML export huge: drawn as a stated stratified sample.
DRAW_LIMIT = 50_000
OPACITY = 0.78


@dataclass
class Options:
    split: str | None = None  # encoded file key, e.g. "split_test" (default when present)
    color_by: str = "label"
    label_name_mapping: dict[str, str] | None = None  # colour value ("-1.0", "he", ...) -> display name
    x_col: str | None = None  # default: first existing of X_CANDIDATES
    neutral_category: bool = True  # neutral rows share one "neutral" x category instead of one per masked word
    hover_cols: list[str] | None = None
    jitter_scale: float = 0.15  # half-width of the seeded horizontal jitter, in category widths
    max_points: int | None = None  # None: every row, up to DRAW_LIMIT
    stratify_by: str | None = None
    cmap: str | None = None
    colors: dict[str, str] | None = None  # colour category (display name or raw value) -> colour
    height: int = 500
    title: bool | str = True
    hover_text_max_chars: int = 180
    hover_text_line_chars: int = 90
    highlight_non_convergence: bool = True
    run_labels: dict[str, str] | None = None


@dataclass(frozen=True)
class ScatterData:
    run_id: str
    split: str  # file key
    frame: pd.DataFrame
    status: Convergence = field(default_factory=lambda: Convergence(None, "unknown"))
    class_names: dict[str, str] = field(default_factory=dict)  # label value ("1.0") -> class name, training.json


# ---------------------------------------------------------------------------------------------------------------
# Loading


def load(catalog: Catalog, run_ids: list[str] | str, options: Options) -> ScatterData:
    """One run's encoder table (the first of `run_ids`)."""
    run_id = run_ids if isinstance(run_ids, str) else run_ids[0]
    run = catalog.get(run_id)
    files = run.encoded
    if not files:
        raise RunReadError(run.folder, "no encoded_values_*.csv (run evaluate_encoder first)")
    key = options.split or (DEFAULT_SPLIT if DEFAULT_SPLIT in files else next(iter(files)))
    if key not in files:
        raise RunReadError(run.folder, f"no encoded_values_{key}.csv (found: {', '.join(files)})")
    return ScatterData(run_id=run_id, split=key, frame=read_encoded(files[key]), status=run_convergence(catalog.get(run_id)),
                       class_names=_class_names(run))


def _class_names(run) -> dict[str, str]:
    from gradiend_st.io.training import read_training

    try:
        return read_training(run.training_path).label_value_to_class_name if run.training_path.is_file() else {}
    except RunReadError:
        return {}


# ---------------------------------------------------------------------------------------------------------------
# Points: the one table behind the plotly figure, the static twin and the CSV


@dataclass(frozen=True)
class Points:
    table: pd.DataFrame  # one row per drawn point: category, x, encoded, color, hover, text
    categories: list[str]  # x categories, in axis order
    color_order: list[str]  # colour display names, in legend order
    colors: dict[str, str]  # colour display name -> hex
    total: int  # rows with an encoded value
    missing: int  # rows without an encoded value (not drawable)
    x_title: str


def points(data: ScatterData, options: Options) -> Points:
    frame = data.frame
    has_value = frame["encoded"].notna().to_numpy()
    frame = frame[has_value]
    raw_color = _color_values(frame, options.color_by)
    names = _color_names(raw_color, data, options)
    x_col = options.x_col or _first_filled(frame, X_CANDIDATES)
    category = _x_values(frame, x_col, options.neutral_category)
    keep = stratified_rows(frame, raw_color, options)
    chosen = frame.iloc[keep]
    category, raw_color = category[keep], raw_color[keep]
    categories = sort_categories(category)
    color_raw_order = sort_categories(raw_color)
    color_order = list(dict.fromkeys(names[v] for v in color_raw_order))
    jitter = np.random.default_rng(SEED).uniform(-options.jitter_scale, options.jitter_scale, len(chosen))
    position = {c: i for i, c in enumerate(categories)}
    table = pd.DataFrame({
        "row": chosen.index.to_numpy(),
        "category": category,
        "x": np.array([position[c] for c in category], dtype=float) + jitter,
        "encoded": chosen["encoded"].to_numpy(),
        "color": [names[v] for v in raw_color],
        "text": [row_text(row) for row in chosen.to_dict("records")],
    })
    hover_cols = _hover_columns(frame, options)
    table["hover"] = [_hover(rec, chosen_row, hover_cols, options)
                      for rec, chosen_row in zip(table.to_dict("records"), chosen.to_dict("records"), strict=True)]
    return Points(table, categories, color_order, _palette(color_order, raw_color, names, options),
                  total=int(has_value.sum()), missing=int((~has_value).sum()),
                  x_title=_axis_title(x_col))


def _axis_title(column: str | None) -> str:
    # Name the column actually used: on 0.2.3 CSVs it is the factual token, not a "target".
    return column.replace("_", " ").capitalize() if column else "Category"


def _color_values(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns or not _filled(frame[column]):
        column = "label"  # upstream falls back to the label column too
    return np.array([_as_text(v) for v in frame[column]], dtype=object)


def _color_names(raw: np.ndarray, data: ScatterData, options: Options) -> dict[str, str]:
    """Raw colour value -> display name: the user's mapping, else training.json's class name (labels only)."""
    # Label 0 is what gradiend names "neutral" when it records it (FORMAT.md §7.3); say so rather than "0.0".
    defaults = {"0.0": "neutral (0)", **data.class_names} if options.color_by == "label" else {}
    mapping = {}
    for key, name in [*defaults.items(), *(options.label_name_mapping or {}).items()]:
        mapping[_number_key(str(key)) or str(key)] = str(name)  # "1", "1.0" and 1 all name label 1.0
    return {value: mapping.get(_number_key(value) or value) or value for value in dict.fromkeys(raw)}


def _number_key(value: str) -> str | None:
    """'1' and '1.0' name the same label: the float spelling gradiend uses ("1.0")."""
    try:
        return str(float(value))
    except ValueError:
        return None


def _x_values(frame: pd.DataFrame, column: str | None, neutral_category: bool) -> np.ndarray:
    values = [_as_text(v) for v in frame[column]] if column else [""] * len(frame)
    out = np.array([v or NEUTRAL for v in values], dtype=object)
    if neutral_category and "is_neutral" in frame.columns:
        out[frame["is_neutral"].to_numpy(dtype=bool)] = NEUTRAL
    return out


def _first_filled(frame: pd.DataFrame, candidates) -> str | None:
    return next((c for c in candidates if c in frame.columns and _filled(frame[c])), None)


def _filled(column: pd.Series) -> bool:
    return bool(column.map(_as_text).ne("").any())


def _as_text(value) -> str:
    """Cell -> display string; missing values become "" (never "nan")."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return str(value)
    return str(value).strip()


def sort_categories(values) -> list[str]:
    """Numbers first (numerically), then negative/neutral/positive, then the rest case-insensitively (§9.3)."""
    words = {"negative": 0, "neutral": 1, "positive": 2}

    def key(value: str):
        try:
            number = float(value)
            if math.isfinite(number):
                return (0, number, "")
        except ValueError:
            pass
        if value.lower() in words:
            return (1, words[value.lower()], "")
        return (2, 0, value.lower())

    return sorted(dict.fromkeys(values), key=key)


def stratified_rows(frame: pd.DataFrame, raw_color: np.ndarray, options: Options) -> np.ndarray:
    """Row positions to draw: all, or at most `max_points` (default DRAW_LIMIT) spread evenly over strata (seeded,
    in table order)."""
    n, limit = len(frame), options.max_points or DRAW_LIMIT
    if n <= limit:
        return np.arange(n)
    rng = np.random.default_rng(SEED)
    strata = _strata(frame, raw_color, options)
    groups = pd.Series(strata).groupby(strata, sort=True).indices
    per_stratum = max(1, limit // len(groups))
    chosen = np.concatenate([rng.choice(rows, min(per_stratum, len(rows)), replace=False)
                             for rows in groups.values()])
    if len(chosen) > limit:
        chosen = rng.choice(chosen, limit, replace=False)
    return np.sort(chosen)


def _strata(frame: pd.DataFrame, raw_color: np.ndarray, options: Options) -> np.ndarray:
    column = options.stratify_by if options.stratify_by in frame.columns else _first_filled(frame, STRATA_CANDIDATES)
    if column is None:
        return raw_color
    return np.array([_as_text(v) for v in frame[column]], dtype=object)


def row_text(row: dict) -> str:
    """The row's sentence: the first text column holding [MASK], else the first non-empty one."""
    values = [_as_text(row.get(c)) for c in HOVER_TEXT_COLUMNS if c in row]
    return next((v for v in values if MASK in v), None) or next((v for v in values if v), "")


def truncate_around_mask(text: str, max_chars: int) -> str:
    """At most ~max_chars, keeping [MASK] visible: cut at word boundaries on both sides, '...' where cut."""
    if len(text) <= max_chars:
        return text
    budget = max(len(MASK) + 2, max_chars - 12)
    at = text.find(MASK)
    if at < 0:
        start, end = 0, budget
    else:
        before = (budget - len(MASK)) // 2
        start = max(0, min(at - before, len(text) - budget))
        end = min(len(text), start + budget)
    if start > 0:
        space = text.find(" ", start, at if at >= 0 else end)
        start = space + 1 if space >= 0 else start
    if end < len(text):
        space = text.rfind(" ", max(start, at + len(MASK)) if at >= 0 else start, end)
        end = space if space > start else end
    return ("..." if start > 0 else "") + text[start:end].strip() + ("..." if end < len(text) else "")


def wrap_html(text: str, line_chars: int) -> str:
    """Escaped, word-wrapped text joined by <br> (the only markup in it)."""
    lines = textwrap.wrap(text, width=max(10, line_chars), break_long_words=True) or [""]
    return "<br>".join(html.escape(line, quote=False) for line in lines)


def _hover_columns(frame: pd.DataFrame, options: Options) -> list[str]:
    if options.hover_cols is not None:
        return [c for c in options.hover_cols if c in frame.columns and c != "type"]
    return [c for c in HOVER_CANDIDATES if c in frame.columns and _filled(frame[c])]


def _hover(point: dict, row: dict, columns: list[str], options: Options) -> str:
    lines = [f"<b>{html.escape(point['color'], quote=False)}</b>", f"encoded: {point['encoded']:.4f}"]
    for column in columns:
        value = _as_text(row.get(column))
        if value:  # empty cells are left out rather than shown as "nan"
            lines.append(f"{html.escape(column, quote=False)}: {html.escape(value, quote=False)}")
    text = truncate_around_mask(point["text"], options.hover_text_max_chars)
    if text:
        lines.append(wrap_html(text, options.hover_text_line_chars))
    return "<br>".join(lines)


def _palette(order: list[str], raw: np.ndarray, names: dict[str, str], options: Options) -> dict[str, str]:
    """Same colours as the violins (style.categorical_colors), overridden by name or raw value."""
    defaults = dict(zip(order, categorical_colors(len(order), options.cmap), strict=True))
    given = {str(k): v for k, v in (options.colors or {}).items()}
    by_raw = {names[v]: given[v] for v in dict.fromkeys(raw) if v in given}
    return {name: given.get(name) or by_raw.get(name) or defaults[name] for name in order}


def title_lines(data: ScatterData, options: Options, pts: Points) -> tuple[str | None, str | None]:
    """(title, note); the note says what is not drawn (subsample, rows without a value)."""
    title = None
    if options.title is True:
        label = (options.run_labels or {}).get(data.run_id) or data.run_id
        label = with_marker(label, data.status.converged, options.highlight_non_convergence)
        title = f"{label}: encoded values ({describe_key(data.split)})"
    elif options.title:
        title = with_marker(str(options.title), data.status.converged, options.highlight_non_convergence)
    notes = []
    if len(pts.table) < pts.total:
        notes.append(f"showing {len(pts.table):,} of {pts.total:,} points (stratified sample)")
    if pts.missing:
        notes.append(f"{pts.missing:,} rows without an encoded value left out")
    return title, "; ".join(notes) or None


def table(data: ScatterData, options: Options) -> pd.DataFrame:
    """The drawn points (after any subsampling): row of the CSV, category, jittered x, encoded, colour, text."""
    return points(data, options).table.drop(columns=["hover"])


# ---------------------------------------------------------------------------------------------------------------
# Figures


def build(data: ScatterData, options: Options) -> go.Figure:
    pts = points(data, options)
    fig = go.Figure()
    for name in pts.color_order:
        part = pts.table[pts.table["color"] == name]
        fig.add_trace(go.Scatter(
            x=part["x"], y=part["encoded"], mode="markers", name=html.escape(name, quote=False),
            marker={"color": pts.colors[name], "size": 7, "opacity": OPACITY, "line": {"width": 0}},
            text=part["hover"], hovertemplate="%{text}<extra></extra>",
        ))
    title, note = title_lines(data, options, pts)
    heading = html.escape(title, quote=False) if title else ""
    if note:
        heading += ("<br>" if heading else "") + f"<sup>{html.escape(note, quote=False)}</sup>"
    fig.update_layout(
        template="plotly_white", height=options.height,
        title={"text": heading, "x": 0.01, "xanchor": "left"} if heading else None,
        legend={"title": {"text": html.escape(_legend_title(options), quote=False)}, "x": 1.02, "xanchor": "left",
                "y": 1, "yanchor": "top"},
        margin={"t": 80 if heading else 30, "r": 20},
        xaxis={"title": {"text": html.escape(pts.x_title, quote=False)}, "tickmode": "array",
               "tickvals": list(range(len(pts.categories))),
               "ticktext": [html.escape(c, quote=False) for c in pts.categories],
               "range": [-0.6, len(pts.categories) - 0.4], "showgrid": False, "zeroline": False},
        yaxis={"title": {"text": "Encoded value"}, "zeroline": True, "zerolinecolor": "#bbbbbb"},
    )
    return fig


def _legend_title(options: Options) -> str:
    return "Label" if options.color_by == "label" else options.color_by


def build_static(data: ScatterData, options: Options) -> Figure:
    """The same points as a matplotlib figure (PNG/PDF/SVG without a browser)."""
    pts = points(data, options)
    title, note = title_lines(data, options, pts)
    width = max(7.0, 3.0 + 0.55 * len(pts.categories))
    with studio_style():
        fig = new_figure((width, options.height / 100))
        ax = fig.add_subplot()
        for name in pts.color_order:
            part = pts.table[pts.table["color"] == name]
            ax.scatter(part["x"], part["encoded"], s=14, color=pts.colors[name], alpha=OPACITY, linewidths=0,
                       label=name)
        ax.set_xticks(range(len(pts.categories)), pts.categories,
                      rotation=30 if len(pts.categories) > 6 else 0, ha="right" if len(pts.categories) > 6 else "center")
        ax.set_xlim(-0.6, len(pts.categories) - 0.4)
        ax.axhline(0, color="0.75", linewidth=0.8, zorder=0)
        ax.set_xlabel(pts.x_title)
        ax.set_ylabel("Encoded value")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(title=_legend_title(options), loc="upper left", bbox_to_anchor=(1.01, 1), markerscale=1.5)
        if title:
            ax.set_title(title + (f"\n{note}" if note else ""), loc="left")
        elif note:
            ax.set_title(note, loc="left", fontsize=9)
    return fig


def export(data: ScatterData, options: Options, fmt: str, *, dpi: int = 200) -> bytes:
    """File bytes: HTML from plotly; PNG/PDF/SVG from plotly via Chromium, else from the matplotlib twin."""
    fmt = fmt.lower()
    if fmt == "html":
        return figure_bytes(build(data, options), "html")
    try:
        return figure_bytes(build(data, options), fmt, dpi=dpi)
    except ExportUnavailable:
        return figure_bytes(build_static(data, options), fmt, dpi=dpi)
