"""Presets: every mapping and view option as one JSON file, and "copy as code" (the equivalent gradiend calls).

The same file works in the app (Presets in the sidebar) and on the command line
(`gradiend-st render ROOT --view heatmap --preset FILE -o out.png`). View options keep GRADIEND's parameter names
and JSON types, so `topk: 100` (k) and `topk: 0.01` (a fraction) stay distinct. No Streamlit here.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, is_dataclass

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

    def to_json(self) -> str:
        payload = {FORMAT_KEY: FORMAT_VERSION, "mapping": self.mapping.to_dict(), "views": self.views,
                   "selection": None if self.selection is None else list(self.selection), "run": self.run}
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
        return cls(mapping=Mapping.from_dict(mapping), views={str(k): dict(v) for k, v in views.items()},
                   selection=selection, run=run if isinstance(run, str) else None)


def preset_of(mapping: Mapping, view_options: dict[str, dict], selection: list[str] | None, run: str | None) -> Preset:
    """What the app's "Save preset" writes: the mapping, every view's full options (GRADIEND names; the fields the
    mapping fills live in the mapping), the selection and the shown run."""
    from gradiend_st.views import registry

    views = {}
    for view in registry.all_views():
        values = options_to_dict(registry.options_from_dict(view, view_options.get(view.name)))
        views[view.name] = {k: v for k, v in values.items() if k not in MAPPED_FIELDS}
    return Preset(mapping=mapping, views=views, selection=selection, run=run)


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


# ---------------------------------------------------------------------------------------------- copy as code


def as_code(view, options, run_ids: list[str], *, root: str = "ROOT", checkpoints: dict[str, str] | None = None) -> str:
    """A Python snippet with the gradiend call that draws this view (arguments that differ from defaults only).

    `view` is a registry View; `checkpoints` maps run ids to checkpoint folders relative to `root` (default
    `<run id>/model`). A view without a gradiend equivalent says so in a comment.
    """
    call = view.gradiend
    if call is None:
        return f"# The {view.title.lower()} view has no gradiend equivalent: gradiend 0.2.3 does not draw it.\n"
    defaults = type(options)()
    args, skipped = {}, []
    for f in fields(options):
        value = getattr(options, f.name)
        if f.name not in call.always and value == getattr(defaults, f.name):
            continue
        if f.name in call.studio_only:
            skipped.append(f.name)
        else:
            args[f.name] = value
    labels = getattr(options, "run_labels", None) or {}
    if call.inputs == "models":
        return _models_snippet(call.function, args, sorted(skipped), run_ids, labels, root, checkpoints or {})
    return _trainer_snippet(call.function, args, sorted(skipped), run_ids, root)


def _models_snippet(function, args, skipped, run_ids, labels, root, checkpoints) -> str:
    if args.get("pretty_groups"):  # groups list models by their keys, i.e. by label
        args["pretty_groups"] = {g: [labels.get(r, r) for r in ids] for g, ids in args["pretty_groups"].items()}
    lines = ["from gradiend import ModelWithGradiend", f"from gradiend.visualizer import {function}", "",
             f"root = {root!r}", "models = {"]
    for rid in run_ids:
        folder = checkpoints.get(rid, f"{rid}/model")
        lines.append(f"    {labels.get(rid, rid)!r}: ModelWithGradiend.from_pretrained(f\"{{root}}/{folder}\"),")
    lines.append("}")
    lines.append(f"{function}(models, " + ", ".join(f"{k}={_py(v)}" for k, v in args.items()) + ", show=True)")
    return "\n".join(lines + _skipped_comment(skipped)) + "\n"


def _trainer_snippet(function, args, skipped, run_ids, root) -> str:
    run = run_ids[0] if run_ids else "RUN"
    lines = [f"# trainer: the gradiend Trainer that wrote {root}/{run} (e.g. the one in your training script)",
             f"trainer.{function}(" + ", ".join(f"{k}={_py(v)}" for k, v in args.items()) + ")"]
    if len(run_ids) > 1:
        lines.append(f"# gradiend draws one run per call: repeat with the trainer of each of the {len(run_ids)} runs")
    return "\n".join(lines + _skipped_comment(skipped)) + "\n"


def _skipped_comment(skipped: list[str]) -> list[str]:
    return [f"# studio-only options not in gradiend: {', '.join(skipped)}"] if skipped else []


def _py(value) -> str:
    """A Python literal (tuples as lists are fine for gradiend; keeps int vs float for topk)."""
    if isinstance(value, tuple):
        value = list(value)
    return repr(value)
