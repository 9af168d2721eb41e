"""The points of the encoder scatter (FORMAT.md §9.3): one table behind the plotly figure, its static twin and the CSV.

Every row with an encoded value, or a stated stratified sample of them: its x category, seeded jitter, colour
category (label values named by training.json's class names), the row's sentence and escaped hover text.
"""

from __future__ import annotations

import html
import math
import textwrap
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gradiend_st.analysis.colors import fill_colors, given_color

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


@dataclass(frozen=True)
class Points:
    table: pd.DataFrame  # one row per drawn point: category, x, encoded, color, hover, text
    categories: list[str]  # x categories, in axis order
    color_order: list[str]  # colour display names, in legend order
    total: int  # rows with an encoded value
    missing: int  # rows without an encoded value (not drawable)
    x_title: str
    # colour display name -> every name the category is known by (raw values, class names): what `colors` may use
    color_names: dict[str, list[str]] = field(default_factory=dict)
    colors: dict[str, str] = field(default_factory=dict)  # colour display name -> colour (see category_colors)


def points(frame: pd.DataFrame, *, class_names: dict[str, str] | None = None, color_by: str = "label",
           label_name_mapping: dict | None = None, x_col: str | None = None, neutral_category: bool = True,
           hover_cols: list[str] | None = None, jitter_scale: float = 0.15, max_points: int | None = None,
           stratify_by: str | None = None, hover_text_max_chars: int = 180,
           hover_text_line_chars: int = 90) -> Points:
    """The drawn points of an encoder table (parameters: the scatter's options of the same names).

    `class_names`: training.json's label value -> class name, the default names of label values.
    """
    has_value = frame["encoded"].notna().to_numpy()
    frame = frame[has_value]
    raw_color, color_column = color_values(frame, color_by)
    names = color_display_names(raw_color, color_column, class_names or {}, label_name_mapping)
    x_col = x_col or first_filled(frame, X_CANDIDATES)
    category = x_values(frame, x_col, neutral_category)
    keep = stratified_rows(frame, raw_color, max_points=max_points, stratify_by=stratify_by)
    chosen = frame.iloc[keep]
    category, raw_color = category[keep], raw_color[keep]
    categories = sort_categories(category)
    color_order = list(dict.fromkeys(names[v] for v in sort_categories(raw_color)))
    jitter = np.random.default_rng(SEED).uniform(-jitter_scale, jitter_scale, len(chosen))
    position = {c: i for i, c in enumerate(categories)}
    table = pd.DataFrame({
        "row": chosen.index.to_numpy(),
        "category": category,
        "x": np.array([position[c] for c in category], dtype=float) + jitter,
        "encoded": chosen["encoded"].to_numpy(),
        "color": [names[v] for v in raw_color],
        "text": [row_text(row) for row in chosen.to_dict("records")],
    })
    columns = hover_columns(frame, hover_cols)
    table["hover"] = [hover(point, row, columns, max_chars=hover_text_max_chars, line_chars=hover_text_line_chars)
                      for point, row in zip(table.to_dict("records"), chosen.to_dict("records"), strict=True)]
    classes = {number_key(str(k)) or str(k): str(v) for k, v in (class_names or {}).items()} \
        if color_column == "label" else {}
    known_as: dict[str, list[str]] = {name: [] for name in color_order}
    for raw, name in names.items():
        if name in known_as:  # the raw value, its float spelling, its class name ("1.0" -> "he")
            key = number_key(raw) or raw
            known_as[name] += [raw, key] + ([classes[key]] if key in classes else [])
    return Points(table, categories, color_order, total=int(has_value.sum()), missing=int((~has_value).sum()),
                  x_title=axis_title(x_col), color_names={k: list(dict.fromkeys(v)) for k, v in known_as.items()})


def category_colors(pts: Points, colors: dict | None, palette: list[str]) -> dict[str, str]:
    """Colour display name -> colour: the one `colors` gives for its display name, raw value ("1.0", also spelled
    "1") or class name ("he"), else its palette colour in legend order (the violins' rule)."""
    given = {str(k): v for k, v in (colors or {}).items()}
    given = {**{number_key(k) or k: v for k, v in given.items()}, **given}  # "1" colours label "1.0" too
    chosen = [given_color(given, [name, *pts.color_names.get(name, [])]) for name in pts.color_order]
    return dict(zip(pts.color_order, fill_colors(chosen, palette), strict=True))


def axis_title(column: str | None) -> str:
    # Name the column actually used: on 0.2.3 CSVs it is the factual token, not a "target".
    return column.replace("_", " ").capitalize() if column else "Category"


def color_values(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, str]:
    """(each row's colour value as text, the column it came from)."""
    if column not in frame.columns or not filled(frame[column]):
        column = "label"  # upstream falls back to the label column too
    return np.array([as_text(v) for v in frame[column]], dtype=object), column


def color_display_names(raw: np.ndarray, column: str, class_names: dict[str, str],
                        label_name_mapping: dict | None) -> dict[str, str]:
    """Raw colour value -> display name: the user's mapping, else training.json's class name (labels only)."""
    # Label 0 is what gradiend names "neutral" when it records it (FORMAT.md §7.3); say so rather than "0.0".
    defaults = {"0.0": "neutral (0)", **class_names} if column == "label" else {}
    mapping = {}
    for key, name in [*defaults.items(), *(label_name_mapping or {}).items()]:
        mapping[number_key(str(key)) or str(key)] = str(name)  # "1", "1.0" and 1 all name label 1.0
    return {value: mapping.get(number_key(value) or value) or value for value in dict.fromkeys(raw)}


def number_key(value: str) -> str | None:
    """'1' and '1.0' name the same label: the float spelling gradiend uses ("1.0")."""
    try:
        return str(float(value))
    except ValueError:
        return None


def x_values(frame: pd.DataFrame, column: str | None, neutral_category: bool) -> np.ndarray:
    values = [as_text(v) for v in frame[column]] if column else [""] * len(frame)
    out = np.array([v or NEUTRAL for v in values], dtype=object)
    if neutral_category and "is_neutral" in frame.columns:
        out[frame["is_neutral"].to_numpy(dtype=bool)] = NEUTRAL
    return out


def first_filled(frame: pd.DataFrame, candidates) -> str | None:
    return next((c for c in candidates if c in frame.columns and filled(frame[c])), None)


def filled(column: pd.Series) -> bool:
    return bool(column.map(as_text).ne("").any())


def as_text(value) -> str:
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


def stratified_rows(frame: pd.DataFrame, raw_color: np.ndarray, *, max_points: int | None = None,
                    stratify_by: str | None = None) -> np.ndarray:
    """Row positions to draw: all, or at most `max_points` (default DRAW_LIMIT) spread evenly over strata (seeded,
    in table order)."""
    n, limit = len(frame), max_points or DRAW_LIMIT
    if n <= limit:
        return np.arange(n)
    rng = np.random.default_rng(SEED)
    strata = _strata(frame, raw_color, stratify_by)
    groups = pd.Series(strata).groupby(strata, sort=True).indices
    per_stratum = max(1, limit // len(groups))
    chosen = np.concatenate([rng.choice(rows, min(per_stratum, len(rows)), replace=False)
                             for rows in groups.values()])
    if len(chosen) > limit:
        chosen = rng.choice(chosen, limit, replace=False)
    return np.sort(chosen)


def _strata(frame: pd.DataFrame, raw_color: np.ndarray, stratify_by: str | None) -> np.ndarray:
    column = stratify_by if stratify_by in frame.columns else first_filled(frame, STRATA_CANDIDATES)
    if column is None:
        return raw_color
    return np.array([as_text(v) for v in frame[column]], dtype=object)


def row_text(row: dict) -> str:
    """The row's sentence: the first text column holding [MASK], else the first non-empty one."""
    values = [as_text(row.get(c)) for c in HOVER_TEXT_COLUMNS if c in row]
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


def hover_columns(frame: pd.DataFrame, hover_cols: list[str] | None) -> list[str]:
    if hover_cols is not None:
        return [c for c in hover_cols if c in frame.columns and c != "type"]
    return [c for c in HOVER_CANDIDATES if c in frame.columns and filled(frame[c])]


def hover(point: dict, row: dict, columns: list[str], *, max_chars: int, line_chars: int) -> str:
    """A point's hover text: its colour name, value, the chosen columns and its sentence, all escaped."""
    lines = [f"<b>{html.escape(point['color'], quote=False)}</b>", f"encoded: {point['encoded']:.4f}"]
    for column in columns:
        value = as_text(row.get(column))
        if value:  # empty cells are left out rather than shown as "nan"
            lines.append(f"{html.escape(column, quote=False)}: {html.escape(value, quote=False)}")
    text = truncate_around_mask(point["text"], max_chars)
    if text:
        lines.append(wrap_html(text, line_chars))
    return "<br>".join(lines)


def sample_notes(pts: Points) -> list[str]:
    """What the figure must say is not drawn: a subsample, rows without a value."""
    notes = []
    if len(pts.table) < pts.total:
        notes.append(f"showing {len(pts.table):,} of {pts.total:,} points (stratified sample)")
    if pts.missing:
        notes.append(f"{pts.missing:,} rows without an encoded value left out")
    return notes
