"""A view's Options dataclass as widgets, grouped Content / Labels / Layout / Typography.

Widgets are derived from each field's name and type, so a view module only has to declare its Options. Fields the
mapping grids fill (labels, groups, colours, order) are not shown here. Values live in
`state.view_options(view)` (only what differs from the default); widgets are fed from it, so a preset or a shared
link shows up in the widgets, and switching pages loses nothing.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, dataclass, fields
from typing import Any

import streamlit as st

from gradiend_st.analysis.topk import PARTS, parse_topk
from gradiend_st.mapping import MAPPED_FIELDS
from gradiend_st.ui import state
from gradiend_st.views import registry
from gradiend_st.views.base import View

GROUPS = ("Content", "Labels", "Layout", "Typography")
LAYOUT = {"figsize", "height", "width", "alpha", "patch_linewidth", "jitter_scale", "max_points", "max_intersections",
          "order", "cluster"}
LABELS = {"title", "highlight_non_convergence", "annot", "annot_fmt", "fmt", "hover_text_max_chars",
          "hover_text_line_chars", "hover_cols"}
CMAPS = ["viridis", "cividis", "magma", "plasma", "inferno", "Blues", "Greens", "Greys", "YlGnBu", "tab10", "tab20",
         "Set2", "Dark2", "Paired", "Set1"]
# None: the view's default place outside the axes; "outside …": the studio's outside places (constrained layout);
# the rest: every matplotlib location, inside the axes, as gradiend uses them (figures/style.place_legend).
OUTSIDE_LOCS = [f"outside {side} {align}" for side, aligns in (("right", ("upper", "center", "lower")),
                                                              ("left", ("upper", "center", "lower")),
                                                              ("upper", ("left", "center", "right")),
                                                              ("lower", ("left", "center", "right")))
                for align in aligns]
MATPLOTLIB_LOCS = ["best", "upper right", "upper left", "lower left", "lower right", "right", "center left",
                   "center right", "lower center", "upper center", "center"]
LEGEND_LOCS = [None, *OUTSIDE_LOCS, *MATPLOTLIB_LOCS]
# Choices by GRADIEND parameter name, for every view that has the parameter (a view adds its own in View.choices).
CHOICES = {"part": PARTS, "legend_loc": tuple(LEGEND_LOCS)}


@dataclass(frozen=True)
class Widget:
    kind: str  # toggle | choice | int | float | text | optional_text | optional_float | optional_int | topk | pair
    #          | title | list (comma-separated or JSON) | json (a JSON object)
    choices: tuple = ()


def widget_for(field, choices: dict[str, tuple]) -> Widget | None:
    """The widget for one Options field; `choices` are the known choices by field name."""
    name, kinds = field.name, _type_names(field.type)
    if name in MAPPED_FIELDS:  # filled from the mapping grids
        return None
    if name in choices:
        return Widget("choice", tuple(choices[name]))
    if name == "cmap" or name.endswith("_cmap"):
        return Widget("choice", ((None,) if "None" in kinds else ()) + tuple(CMAPS))
    if name == "topk":
        return Widget("topk")
    if name == "title":
        return Widget("title")
    if name in ("figsize", "legend_bbox_to_anchor"):
        return Widget("pair")
    if kinds == {"bool"}:
        return Widget("toggle")
    if kinds == {"bool", "None"}:
        return Widget("choice", (None, True, False))
    if kinds == {"int"}:
        return Widget("int")
    if kinds in ({"float"}, {"int", "float"}):
        return Widget("float")
    if kinds in ({"float", "None"}, {"int", "float", "None"}):
        return Widget("optional_float")
    if kinds == {"int", "None"}:
        return Widget("optional_int")
    if kinds == {"str"}:
        return Widget("text")
    if kinds == {"str", "None"}:
        return Widget("optional_text")
    if kinds in ({"list", "None"}, {"list"}):
        return Widget("list")
    if kinds in ({"dict", "None"}, {"dict"}):
        return Widget("json")
    return None  # unusual unions: set through presets only


def _type_names(annotation: Any) -> set[str]:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    names = set()
    for part in text.replace("Optional[", "").replace("]", "").split("|"):
        part = part.strip()
        base = part.split("[")[0]
        names.add({"NoneType": "None"}.get(base, base))
    return names


def group_of(name: str) -> str:
    if "fontsize" in name or name.endswith("_font"):
        return "Typography"
    if name in LAYOUT or name.startswith(("legend_", "cbar")):
        return "Layout"
    if name in LABELS or "label" in name or "title" in name:
        return "Labels"
    return "Content"


# ----------------------------------------------------------------------------------------------- rendering


def render_options(view: View, *, key: str, context: dict | None = None):
    """Widgets for every shown field, in tabs per group; returns the Options with the user's values."""
    choices = {**CHOICES, **(view.choices(context or {}) if view.choices else {})}
    options_cls = view.Options
    defaults = options_cls()
    stored = state.view_options(view.name)
    values = {}
    specs = [(f, widget_for(f, choices)) for f in fields(options_cls)]
    by_group = {g: [(f, w) for f, w in specs if w is not None and group_of(f.name) == g] for g in GROUPS}
    tabs = st.tabs([g for g in GROUPS if by_group[g]])
    version = state.version(f"options.{view.name}")
    for tab, group in zip(tabs, [g for g in GROUPS if by_group[g]], strict=True):
        with tab:
            for f, widget in by_group[group]:
                default = getattr(defaults, f.name) if f.default is not MISSING or f.default_factory is not MISSING else None
                current = stored.get(f.name, default)
                wkey = f"{key}.opt.{f.name}.{version}"
                value = _render_widget(f.name, widget, current, default, wkey, view.help.get(f.name))
                values[f.name] = value
    changed = {name: value for name, value in values.items() if value != getattr(defaults, name)}
    # Keep values the form cannot show (e.g. dicts from a preset) and store the rest.
    kept = {k: v for k, v in stored.items() if k not in values}
    state.view_options(view.name).clear()
    state.view_options(view.name).update({**kept, **changed})
    return registry.options_from_dict(view, {**kept, **changed})


def _label(name: str) -> str:
    return name.replace("_", " ")


def _render_widget(name: str, widget: Widget, current, default, wkey: str, help_text: str | None = None):
    """One widget fed from `current`; returns the new value (or `current` when the input does not parse)."""
    label = _label(name)
    kind = widget.kind
    if kind == "toggle":
        _seed(wkey, bool(current))
        return st.toggle(label, key=wkey, help=help_text)
    if kind == "choice":
        # The widget holds an index: a selectbox treats None as "nothing chosen", but None is a real choice here.
        choices = list(widget.choices)
        if current not in choices:
            choices.append(current)
        _seed(wkey, choices.index(current))
        index = st.selectbox(label, range(len(choices)), key=wkey, format_func=lambda i: _choice_text(choices[i]),
                             help=help_text)
        return choices[index if index is not None else choices.index(current)]
    if kind == "int":
        _seed(wkey, int(current))
        return int(st.number_input(label, step=1, key=wkey, help=help_text))
    if kind == "float":
        _seed(wkey, float(current))
        return float(st.number_input(label, step=_step(default), format="%g", key=wkey, help=help_text))
    if kind in ("optional_float", "optional_int", "optional_text", "text", "topk", "pair", "list", "json"):
        return _text_widget(label, kind, current, default, wkey, help_text)
    if kind == "title":
        return _title_widget(label, current, wkey, help_text)
    raise ValueError(f"unknown widget kind {kind}")


def _seed(wkey: str, value) -> None:
    """Feed a widget from canonical state (before it is created this run)."""
    if wkey not in st.session_state:
        st.session_state[wkey] = value


def _step(default) -> float:
    return 0.05 if isinstance(default, float) and abs(default) < 2 else 1.0


def _choice_text(value) -> str:
    return {None: "automatic", True: "yes", False: "no"}.get(value, str(value)) if not isinstance(value, str) else value


def _text_widget(label: str, kind: str, current, default, wkey: str, help_text: str | None = None):
    _seed(wkey, _to_text(current, kind))
    hint = {"topk": "an integer k, or a fraction in (0, 1] of input_dim", "pair": "two numbers, e.g. 6, 4",
            "optional_float": "a number", "optional_int": "a whole number",
            "list": "comma-separated, or a JSON list", "json": 'a JSON object, e.g. {"he": "He"}'}.get(kind)
    text = st.text_input(label, key=wkey, placeholder="automatic" if default is None else None,
                         help=" ".join(t for t in (help_text, f"({hint})" if hint else None) if t) or None)
    try:
        return _parse(kind, text)
    except ValueError as exc:
        st.caption(f":red[{label}: {exc}; kept {current!r}]")
        return current


def _to_text(value, kind: str = "") -> str:
    if value is None:
        return ""
    if kind == "json" or (kind == "list" and any("," in str(v) for v in value)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    return str(value)


def _parse(kind: str, text: str):
    text = text.strip()
    if kind == "topk":
        return parse_topk(text)
    if kind == "text":
        return text
    if not text:
        return None
    if kind == "optional_text":
        return text
    if kind == "optional_int":
        return int(text)
    if kind == "optional_float":
        return float(text)
    if kind == "list":
        found = json.loads(text) if text.startswith("[") else [part.strip() for part in text.split(",") if part.strip()]
        if not isinstance(found, list):
            raise ValueError("expected a list")
        return [str(v) for v in found] or None
    if kind == "json":
        found = json.loads(text)
        if not isinstance(found, dict):
            raise ValueError('expected a JSON object such as {"he": "He"}')
        return {str(k): str(v) for k, v in found.items()} or None
    if kind == "pair":
        parts = [float(p) for p in text.replace(";", ",").replace("x", ",").split(",") if p.strip()]
        if len(parts) != 2 or min(parts) <= 0:
            raise ValueError("expected two positive numbers")
        return parts
    raise ValueError(kind)


def _title_widget(label: str, current, wkey: str, help_text: str | None = None):
    """title: True (automatic), False (none) or a string."""
    mode_key, text_key = f"{wkey}.mode", f"{wkey}.text"
    _seed(mode_key, "custom" if isinstance(current, str) else ("automatic" if current else "none"))
    _seed(text_key, current if isinstance(current, str) else "")
    mode = st.segmented_control(label, ["automatic", "none", "custom"], key=mode_key, help=help_text) or "automatic"
    if mode == "custom":
        return st.text_input("custom title", key=text_key, label_visibility="collapsed", placeholder="Title") or True
    return mode == "automatic"
