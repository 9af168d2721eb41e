"""Labels, legend groups, colours and order: one mapping shared by every run and every view.

Two tables, as the user edits them:
- runs: run id -> display label (+ group), used for heatmap/Venn axis and set labels and for titles;
- classes: a label as it appears in the data (class id `he`, transition `he -> she`, legend label
  `Neutral: Training masked`) -> display name, legend group, colour, order.

A mapping never fails on labels a run lacks: rows that match nothing are simply unused. Every row gets its colour
once, when it is added (the next unused palette colour, in order of first appearance), so a class, legend group or
run has the same colour in every view, after a reload and in a preset; the grids edit it. `to_options` turns the
mapping into each view's own Options fields (GRADIEND's names: `label_name_mapping`,
`legend_group_mapping`, `colors`, `row_label_mapping`, `label_mapping`, `pretty_groups`, ...), touching only fields
the view's Options actually has. No Streamlit here.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import asdict, dataclass, field, fields, replace

import matplotlib.colors as mcolors
import pandas as pd

from gradiend_st.palettes import DEFAULT_NAME, NEUTRAL_GREYS, PALETTES, is_neutral, next_color, palette

# Options fields the mapping fills (to_options); forms do not show them and presets keep them in the mapping.
MAPPED_FIELDS = frozenset({"label_name_mapping", "legend_name_mapping", "legend_group_mapping", "colors",
                           "run_colors", "paired_legend_labels", "run_labels", "row_label_mapping",
                           "column_label_mapping", "label_mapping", "pretty_groups", "line_styles"})
CLASS_COLUMNS = ("label", "display", "group", "color", "order")
RUN_COLUMNS = ("run", "display", "group", "color")
NEUTRAL_LABELS = ("neutral",)


@dataclass
class ClassLabel:
    label: str
    display: str = ""
    group: str = ""
    color: str = ""
    order: int | None = None

    @property
    def shown(self) -> str:
        return self.display or self.label


@dataclass
class RunLabel:
    run: str
    display: str = ""
    group: str = ""
    color: str = ""

    @property
    def shown(self) -> str:
        return self.display or self.run


@dataclass
class Mapping:
    runs: list[RunLabel] = field(default_factory=list)
    classes: list[ClassLabel] = field(default_factory=list)
    palette: str = DEFAULT_NAME  # where new rows take their colours from (palettes.PALETTES)

    # ---- lookups every view conversion uses

    def run_labels(self) -> dict[str, str]:
        """{run id: label} for runs that were renamed."""
        return {r.run: r.display for r in self.runs if r.display and r.display != r.run}

    def run_label(self, run_id: str) -> str:
        return self.run_labels().get(run_id, run_id)

    def run_groups(self) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = {}
        for r in self.runs:
            if r.group:
                groups.setdefault(r.group, []).append(r.run)
        return groups

    def run_colors(self) -> dict[str, str]:
        return {r.run: r.color for r in self.runs if r.color}

    def class_names(self) -> dict[str, str]:
        """{label: display name} for renamed labels; a transition "a -> b" without its own name follows its classes."""
        names = {c.label: c.display for c in self.classes if c.display and c.display != c.label}
        for c in self.classes:
            if c.label not in names and " -> " in c.label:
                parts = c.label.split(" -> ")
                composed = " -> ".join(names.get(p, p) for p in parts)
                if composed != c.label:
                    names[c.label] = composed
        return names

    def ordered_classes(self) -> list[ClassLabel]:
        """Rows in the user's order: explicit `order` first (ascending), then table order."""
        indexed = list(enumerate(self.classes))
        indexed.sort(key=lambda item: (item[1].order is None, item[1].order if item[1].order is not None else 0, item[0]))
        return [c for _, c in indexed]

    def legend_groups(self) -> dict[str, list[str]]:
        """{group: [labels of its members]} in the user's order (raw labels: views match them to their data)."""
        groups: dict[str, list[str]] = {}
        for c in self.ordered_classes():
            if c.group:
                groups.setdefault(c.group, []).append(c.label)
        return groups

    def colors(self) -> dict[str, str]:
        """{legend entry: colour}: by raw label, by display name, and by group (its first coloured member)."""
        out: dict[str, str] = {}
        for c in self.ordered_classes():
            if not c.color:
                continue
            out.setdefault(c.label, c.color)
            out.setdefault(c.shown, c.color)
            if c.group:
                out.setdefault(c.group, c.color)
        return out

    def order(self) -> list[str]:
        """Labels of rows with an explicit order, in that order (empty when the user set none)."""
        return [c.label for c in self.ordered_classes() if c.order is not None]

    # ---- JSON

    def to_dict(self) -> dict:
        return {"runs": [asdict(r) for r in self.runs], "classes": [asdict(c) for c in self.classes],
                "palette": self.palette}

    @classmethod
    def from_dict(cls, data: dict | None) -> Mapping:
        data = data or {}
        runs = [_run_row(r) for r in data.get("runs", []) if isinstance(r, dict)]
        classes = [_class_row(c) for c in data.get("classes", []) if isinstance(c, dict)]
        name = data.get("palette")
        return cls(runs=[r for r in runs if r], classes=[c for c in classes if c],
                   palette=name if name in PALETTES else DEFAULT_NAME)


# --------------------------------------------------------------------------------------- building and merging


def default_mapping(catalog, run_ids: list[str] | None = None) -> Mapping:
    """One row per run and per class found in the catalog, nothing renamed."""
    return merge(Mapping(), catalog, run_ids)


def merge(mapping: Mapping, catalog, run_ids: list[str] | None = None, extra_labels: list[str] = ()) -> Mapping:
    """`mapping` plus rows for runs and labels it does not have yet (edits kept; rows for absent labels kept too).

    A new row gets the next palette colour not used by a row of its table, so colours follow first appearance and
    never change once given (runs and classes added later take the colours after them).
    """
    ids = run_ids if run_ids is not None else list(catalog.runs)
    colors = palette(mapping.palette).colors
    spread = not palette(mapping.palette).dashes  # greyscale cycles its greys: dashes tell the entries apart
    runs = list(mapping.runs)
    known_runs = {r.run for r in runs}
    for rid in ids:
        if rid not in known_runs:
            runs.append(RunLabel(rid, color=next_color([r.color for r in runs if r.color], colors, overflow=spread)))
            known_runs.add(rid)
    labels: list[str] = []
    for rid in ids:
        run = catalog.runs.get(rid)
        labels.extend(run.classes if run else ())
    labels.extend(extra_labels)
    classes = list(mapping.classes)
    known = {c.label for c in classes}
    for label in dict.fromkeys(labels):
        if label and label not in known:
            used = [c.color for c in classes if c.color]
            grey = next((g for g in NEUTRAL_GREYS if g not in used), None) if is_neutral(label) else None
            classes.append(ClassLabel(label, color=grey or next_color(used, colors, overflow=spread)))
            known.add(label)
    return Mapping(runs=runs, classes=classes, palette=mapping.palette)


def recolor(mapping: Mapping, name: str) -> Mapping:
    """Every row coloured anew from palette `name`, in table order (classes and runs each from its first colour)."""
    colors, spread = palette(name).colors, not palette(name).dashes
    runs, classes = [], []
    for row in mapping.runs:
        runs.append(replace(row, color=next_color([r.color for r in runs], colors, overflow=spread)))
    for row in mapping.classes:
        classes.append(replace(row, color=next_color([c.color for c in classes], colors, overflow=spread)))
    return Mapping(runs=runs, classes=classes, palette=palette(name).name)


# ------------------------------------------------------------------------------------------ grid <-> mapping


def classes_frame(mapping: Mapping) -> pd.DataFrame:
    rows = [{"label": c.label, "display": c.shown, "group": c.group, "color": c.color,
             "order": c.order if c.order is not None else None} for c in mapping.classes]
    frame = pd.DataFrame(rows, columns=list(CLASS_COLUMNS))
    frame["order"] = frame["order"].astype("Int64")
    return frame


def runs_frame(mapping: Mapping, run_ids: list[str] | None = None) -> pd.DataFrame:
    rows = [{"run": r.run, "display": r.shown, "group": r.group, "color": r.color} for r in mapping.runs
            if run_ids is None or r.run in run_ids]
    return pd.DataFrame(rows, columns=list(RUN_COLUMNS))


def classes_from_frame(mapping: Mapping, frame: pd.DataFrame) -> Mapping:
    """The mapping with the class rows the grid returned (cleaned: text stripped, bad colours dropped)."""
    rows = [_class_row(record) for record in frame.to_dict("records")]
    return replace(mapping, classes=[r for r in rows if r])


def runs_from_frame(mapping: Mapping, frame: pd.DataFrame) -> Mapping:
    """The mapping with the run rows the grid returned; runs the grid did not show keep their rows."""
    edited = {r.run: r for r in (_run_row(rec) for rec in frame.to_dict("records")) if r}
    runs = [edited.pop(r.run, r) for r in mapping.runs] + list(edited.values())
    return replace(mapping, runs=runs)


def clean_color(value: object) -> str:
    """A matplotlib colour as '#rrggbb', or '' for anything that is not a colour."""
    text = _text(value)
    if not text:
        return ""
    try:
        return mcolors.to_hex(text)
    except ValueError:
        return ""


# ------------------------------------------------------------------------------------------ per-view options


def to_options(options, mapping: Mapping, run_ids: list[str], *, colors_runs: bool = False,
               escape_html: bool = False, label_values: dict[str, str] | None = None):
    """`options` with the mapping applied to the fields this view's Options has (others are left alone).

    `colors` gets the class colours, or the run colours for views whose sets are runs (`colors_runs`, the Venn);
    `run_colors` always the run colours.

    `label_values` ({"1.0": "he", ...}, from training.json) lets a renamed class also rename the label value
    that stands for it, for views that colour by raw label values.

    Edits in the grids win over values already in `options` (e.g. a hand-written preset), key by key.
    `escape_html` is for plotly views: plotly renders a subset of HTML in text, labels must show literally.
    `line_styles` (line views) is on when the palette asks lines to differ by dash pattern too (greyscale).
    """
    esc = html.escape if escape_html else (lambda s: s)
    names = mapping.class_names()
    for value, class_name in (label_values or {}).items():
        if class_name in names and value not in names:
            names[value] = names[class_name]
    class_names = {k: esc(v) for k, v in names.items()}
    run_labels = {k: esc(v) for k, v in mapping.run_labels().items() if k in run_ids}
    run_colors = {k: v for k, v in mapping.run_colors().items() if k in run_ids}
    colors = run_colors if colors_runs else mapping.colors()
    values = {
        "label_name_mapping": class_names,
        "legend_name_mapping": class_names,
        "legend_group_mapping": {esc(g): [esc(m) for m in ms] for g, ms in mapping.legend_groups().items()},
        "colors": {(k if colors_runs else esc(k)): v for k, v in colors.items()},
        "run_colors": run_colors,
        "paired_legend_labels": [esc(x) for x in mapping.order()],
        "run_labels": run_labels,
        "row_label_mapping": run_labels,
        "column_label_mapping": run_labels,
        "label_mapping": run_labels,
        "pretty_groups": {esc(g): [r for r in rs if r in run_ids] for g, rs in mapping.run_groups().items()
                          if any(r in run_ids for r in rs)},
        "line_styles": palette(mapping.palette).dashes,
    }
    names = {f.name for f in fields(options)}
    changes = {name: _combine(value, getattr(options, name)) for name, value in values.items() if name in names}
    return replace(options, **changes)


def _combine(from_mapping, explicit):
    """The grids win over option values from elsewhere (a hand-written preset), key by key for dicts."""
    if not from_mapping:
        return explicit
    if isinstance(from_mapping, dict) and isinstance(explicit, dict):
        return {**explicit, **from_mapping}
    return from_mapping


# ------------------------------------------------------------------------------------------------- helpers


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return re.sub(r"\s+", " ", str(value)).strip()


def _order(value: object) -> int | None:
    text = _text(value)
    try:
        return int(float(text)) if text else None
    except ValueError:
        return None


def _class_row(record: dict) -> ClassLabel | None:
    label = _text(record.get("label"))
    if not label:
        return None
    display = _text(record.get("display"))
    return ClassLabel(label=label, display="" if display == label else display, group=_text(record.get("group")),
                      color=clean_color(record.get("color")), order=_order(record.get("order")))


def _run_row(record: dict) -> RunLabel | None:
    run = _text(record.get("run"))
    if not run:
        return None
    display = _text(record.get("display"))
    return RunLabel(run=run, display="" if display == run else display, group=_text(record.get("group")),
                    color=clean_color(record.get("color")))
