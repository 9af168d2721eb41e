"""Presets: every mapping and view option as one JSON file, and "copy as code" (the equivalent gradiend calls).

The same file works in the app (Presets in the sidebar) and on the command line
(`gradiend-st render ROOT --view heatmap --preset FILE -o out.png`). View options keep GRADIEND's parameter names
and JSON types, so `topk: 100` (k) and `topk: 0.01` (a fraction) stay distinct. No Streamlit here.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, is_dataclass

from gradiend_st.mapping import Mapping

FORMAT_KEY = "gradiend_studio_preset"
FORMAT_VERSION = 1
MAX_PRESET_BYTES = 2 * 1024 * 1024


class PresetError(ValueError):
    """A preset file that cannot be used; the message is one line."""


@dataclass
class Preset:
    mapping: Mapping = field(default_factory=Mapping)
    views: dict[str, dict] = field(default_factory=dict)  # view name -> Options fields (JSON values)
    selection: list[str] = field(default_factory=list)  # run ids for the comparison views
    run: str | None = None  # the run single-run views show

    def to_json(self) -> str:
        payload = {FORMAT_KEY: FORMAT_VERSION, "mapping": self.mapping.to_dict(), "views": self.views,
                   "selection": list(self.selection), "run": self.run}
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
        selection = data.get("selection") or []
        if not isinstance(selection, list) or not all(isinstance(s, str) for s in selection):
            raise PresetError("'selection' should be a list of run ids")
        mapping = data.get("mapping")
        if mapping is not None and not isinstance(mapping, dict):
            raise PresetError("'mapping' should be an object")
        run = data.get("run")
        return cls(mapping=Mapping.from_dict(mapping), views={str(k): dict(v) for k, v in views.items()},
                   selection=selection, run=run if isinstance(run, str) else None)


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

_TOPK_CALLS = {
    "heatmap": "plot_topk_overlap_heatmap",
    "venn": "plot_topk_overlap_venn",
}
_TRAINER_CALLS = {
    "convergence": "plot_training_convergence",
    "distributions": "plot_encoder_distributions",
    "scatter": "plot_encoder_scatter",
}
# Always written out: they define the figure, and the studio's default can differ from gradiend's
# (gradiend's heatmap shows percentages by default, the studio raw counts).
_ALWAYS = {"heatmap": ("topk", "part", "value", "percentages"), "venn": ("topk", "part")}
# Studio-only options (no gradiend parameter of that name): left out of the snippet, named in a comment.
# run_labels become the keys of the models dict instead, as gradiend labels models by their keys.
_STUDIO_ONLY = {"run_labels", "mode", "seed_band", "max_intersections"}
_STUDIO_ONLY_BY_VIEW = {"venn": {"colors", "cmap"}}


def as_code(view: str, options, run_ids: list[str], *, root: str = "ROOT", checkpoints: dict[str, str] | None = None) -> str:
    """A Python snippet with the gradiend call that draws this view (arguments that differ from defaults only).

    `checkpoints` maps run ids to checkpoint folders relative to `root` (default `<run id>/model`).
    """
    studio_only = _STUDIO_ONLY | _STUDIO_ONLY_BY_VIEW.get(view, set())
    defaults = type(options)()
    always = _ALWAYS.get(view, ())
    args, skipped = {}, []
    for f in fields(options):
        value = getattr(options, f.name)
        if f.name not in always and value == getattr(defaults, f.name):
            continue
        if f.name in studio_only:
            skipped.append(f.name)
        else:
            args[f.name] = value
    labels = getattr(options, "run_labels", None) or {}
    if view in _TOPK_CALLS:
        return _topk_snippet(view, args, sorted(skipped), run_ids, labels, root, checkpoints or {})
    if view in _TRAINER_CALLS:
        return _trainer_snippet(view, args, sorted(skipped), run_ids, root)
    raise ValueError(f"no gradiend equivalent for view '{view}'")


def _topk_snippet(view, args, skipped, run_ids, labels, root, checkpoints) -> str:
    call = _TOPK_CALLS[view]
    if args.get("pretty_groups"):  # groups list models by their keys, i.e. by label
        args["pretty_groups"] = {g: [labels.get(r, r) for r in ids] for g, ids in args["pretty_groups"].items()}
    lines = ["from gradiend import ModelWithGradiend", f"from gradiend.visualizer import {call}", "",
             f"root = {root!r}", "models = {"]
    for rid in run_ids:
        folder = checkpoints.get(rid, f"{rid}/model")
        lines.append(f"    {labels.get(rid, rid)!r}: ModelWithGradiend.from_pretrained(f\"{{root}}/{folder}\"),")
    lines.append("}")
    lines.append(f"{call}(models, " + ", ".join(f"{k}={_py(v)}" for k, v in args.items()) + ", show=True)")
    return "\n".join(lines + _skipped_comment(skipped)) + "\n"


def _trainer_snippet(view, args, skipped, run_ids, root) -> str:
    call = _TRAINER_CALLS[view]
    run = run_ids[0] if run_ids else "RUN"
    lines = [f"# trainer: the gradiend Trainer that wrote {root}/{run} (e.g. the one in your training script)",
             f"trainer.{call}(" + ", ".join(f"{k}={_py(v)}" for k, v in args.items()) + ")"]
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


# ---------------------------------------------------------------------------------------------- headless render

SINGLE_RUN_VIEWS = ("distributions", "scatter")
SELECTION_VIEWS = ("heatmap", "venn")


def runs_for(view: str, catalog, run_ids: list[str] | None, preset: Preset) -> list[str]:
    """The runs a headless render draws: --runs, else the preset's run / selection, else the app's defaults."""
    if run_ids:
        missing = [rid for rid in run_ids if rid not in catalog.runs]
        if missing:
            raise KeyError(f"no run '{missing[0]}' under {catalog.root.name}")
        if view in SINGLE_RUN_VIEWS and len(run_ids) != 1:
            raise ValueError(f"the {view} view draws one run; pass one --runs ID")
        return list(run_ids)
    compares_runs = view == "convergence" and preset.views.get(view, {}).get("mode", "single") != "single"
    if view in SELECTION_VIEWS or compares_runs:  # as the app: overlay, facet and interactive show the selection
        chosen = [rid for rid in preset.selection if rid in catalog.runs]
        return chosen or catalog.ids("run")
    candidates = [rid for rid, run in catalog.runs.items() if view not in SINGLE_RUN_VIEWS or run.encoded]
    if preset.run in candidates:
        return [preset.run]
    if not candidates:
        raise ValueError(f"no run under {catalog.root.name} has what the {view} view needs")
    return candidates[:1]


def render_figure(catalog, view: str, *, run_ids: list[str] | None = None, preset: Preset | None = None,
                  fmt: str = "png", dpi: int = 200) -> bytes:
    """The view as file bytes, exactly as the app draws it with the same preset (labels, groups, options)."""
    from gradiend_st.figures import registry
    from gradiend_st.mapping import merge, to_options

    preset = preset or Preset()
    module = registry.view_module(view)
    options = registry.options_from_dict(view, preset.views.get(view))
    formats = registry.export_formats(module, options)
    if fmt not in formats:
        raise ValueError(f"the {view} view exports {', '.join(formats)}, not {fmt}")
    ids = runs_for(view, catalog, run_ids, preset)
    data = module.load(catalog, ids, options)
    if getattr(data, "left_out", None):  # a file for a paper leaves nothing out silently (the app warns instead)
        raise next(iter(data.left_out.values()))
    mapping = merge(preset.mapping, catalog, ids)
    full = to_options(view, options, mapping, ids, label_values=getattr(data, "class_names", None))
    return registry.file_bytes(module, data, full, fmt, dpi=dpi)
