"""Presets: every mapping and view option as one JSON file ("copy as code" is `gradiend_st.code`).

The same file works in the app (Presets in the sidebar) and on the command line
(`gradiend-st render ROOT --view heatmap --preset FILE -o out.png`). View options keep GRADIEND's parameter names
and JSON types, so `topk: 100` (k) and `topk: 0.01` (a fraction) stay distinct. No Streamlit here.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, is_dataclass

from gradiend_st.mapping import MAPPED_FIELDS, Mapping

FORMAT_KEY = "gradiend_studio_preset"
FORMAT_VERSION = 1
MAX_PRESET_BYTES = 2 * 1024 * 1024


class PresetError(ValueError):
    """A preset file that cannot be used; the message is one line."""


@dataclass
class Preset:
    mapping: Mapping = field(default_factory=Mapping)
    views: dict[str, dict] = field(default_factory=dict)  # view name -> Options fields (JSON values)
    selection: list[str] | None = None  # run ids for the comparison views; None: not chosen (every run)
    run: str | None = None  # the run single-run views show
    dpi: int | None = None  # PNG resolution of downloads and `render` (None: the default, 200)
    profile: str | None = None  # venue profile of the downloads (figures.profiles spec, e.g. "acl-column")

    def to_json(self) -> str:
        payload = {FORMAT_KEY: FORMAT_VERSION, "mapping": self.mapping.to_dict(), "views": self.views,
                   "selection": None if self.selection is None else list(self.selection), "run": self.run}
        if self.dpi is not None:
            payload["dpi"] = self.dpi
        if self.profile is not None:
            payload["profile"] = self.profile
        return json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False, default=_json_default) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> Preset:
        if isinstance(text, bytes):
            if len(text) > MAX_PRESET_BYTES:
                raise PresetError(f"preset is larger than {MAX_PRESET_BYTES // 1024} KiB")
            try:
                text = text.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise PresetError("preset is not UTF-8 text") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PresetError(f"not JSON (line {exc.lineno}: {exc.msg})") from None
        if not isinstance(data, dict) or FORMAT_KEY not in data:
            raise PresetError(f"not a GRADIEND Studio preset (no '{FORMAT_KEY}' key)")
        if data[FORMAT_KEY] != FORMAT_VERSION:
            raise PresetError(f"preset version {data[FORMAT_KEY]!r} is not supported (expected {FORMAT_VERSION})")
        views = data.get("views") or {}
        if not isinstance(views, dict) or not all(isinstance(v, dict) for v in views.values()):
            raise PresetError("'views' should be an object of view name -> options object")
        selection = data.get("selection")
        if selection is not None and (not isinstance(selection, list) or not all(isinstance(s, str) for s in selection)):
            raise PresetError("'selection' should be a list of run ids")
        mapping = data.get("mapping")
        if mapping is not None and not isinstance(mapping, dict):
            raise PresetError("'mapping' should be an object")
        run = data.get("run")
        dpi = data.get("dpi")
        if dpi is not None and (isinstance(dpi, bool) or not isinstance(dpi, int) or not 10 <= dpi <= 2400):
            raise PresetError(f"'dpi' should be a whole number from 10 to 2400, not {dpi!r}")
        profile = data.get("profile")
        if profile is not None:
            from gradiend_st.figures.profiles import from_spec

            try:
                from_spec(profile)
            except (ValueError, TypeError) as exc:
                raise PresetError(f"'profile': {exc}") from None
        return cls(mapping=Mapping.from_dict(mapping), views={str(k): dict(v) for k, v in views.items()},
                   selection=selection, run=run if isinstance(run, str) else None, dpi=dpi, profile=profile)


def preset_of(mapping: Mapping, view_options: dict[str, dict], selection: list[str] | None, run: str | None,
              dpi: int | None = None, profile: str | None = None) -> Preset:
    """What the app's "Save preset" writes: the mapping, every view's full options (GRADIEND names; the fields the
    mapping fills live in the mapping), the selection, the shown run and the PNG resolution."""
    from gradiend_st.views import registry

    views = {}
    for view in registry.all_views():
        values = options_to_dict(registry.options_from_dict(view, view_options.get(view.name)))
        views[view.name] = {k: v for k, v in values.items() if k not in MAPPED_FIELDS}
    return Preset(mapping=mapping, views=views, selection=selection, run=run, dpi=dpi, profile=profile)


def options_to_dict(options) -> dict:
    """An Options dataclass as JSON-friendly values (tuples become lists)."""
    return json.loads(json.dumps(asdict(options), default=_json_default))


def _json_default(value):
    if is_dataclass(value):
        return asdict(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
