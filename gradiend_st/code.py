""""Copy as code": a complete script that draws a view with gradiend 0.2.3's own plot function.

The app's "Copy as code" and `gradiend-st code` write the same text from the same inputs: the view, its options
with the mapping applied (`pipeline.labelled`), its loaded data and the catalog. The script loads what gradiend
needs without a Trainer: checkpoints with `ParamMappedGradiendModel.from_pretrained(<run>/model)` (heatmap, Venn),
`model_path=<run>/model` (convergence), the encoder table with `pandas.read_csv` (distributions, scatter).

Every option whose value differs from gradiend's default is written out under gradiend's own parameter name
(`GradiendCall.defaults` holds gradiend's default where the studio's differs). Options gradiend does not have
(`GradiendCall.studio_only`) and studio-only values of shared parameters (legend_loc "outside …") are named in a
comment, never passed. Runs are the dict keys by run id; their labels go in gradiend's label mappings and their
convergence in `converged_by_id`, so the † is kept. No Streamlit here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path, PurePosixPath

from gradiend_st.figures.style import LEGACY_LEGEND_LOCS

MATPLOTLIB_LOCS = frozenset({"best", "upper right", "upper left", "lower left", "lower right", "right", "center left",
                             "center right", "lower center", "upper center", "center"})
INSTALL = 'pip install "gradiend[plot]==0.2.3"'


@dataclass
class Call:
    """One gradiend call being written: its arguments (gradiend names) and what is only named in a comment."""

    args: dict
    studio_only: dict = field(default_factory=dict)  # option -> value (not passed)
    notes: list[str] = field(default_factory=list)  # comment lines about differences


def script(view, options, data, catalog, *, root: str | None = None, output: str | None = None,
           dpi: int | None = None) -> str:
    """The script drawing `view` as gradiend 0.2.3 does, for the runs of `data` under `catalog`.

    `root`: how the script names the runs folder (default: the catalog's folder, absolute); `output`: a file the
    script saves through gradiend's own output parameter (default: none, the figure is shown); `dpi`: the PNG
    resolution, for the functions that take one."""
    call = view.gradiend
    if call is None:
        return f"# The {view.title.lower()} view has no gradiend equivalent: gradiend 0.2.3 does not draw it.\n"
    writer = WRITERS.get(call.function)
    if writer is None:
        return _unsupported(view, options)
    runs = list(data.runs)
    if not runs:
        return f"# Nothing to draw: no readable run ({', '.join(data.left_out) or 'none selected'}).\n"
    context = _Context(view, options, data, catalog, root or str(Path(catalog.root).resolve()), output, dpi)
    return writer(context)


@dataclass
class _Context:
    view: object
    options: object
    data: object
    catalog: object
    root: str
    output: str | None
    dpi: int | None

    def path(self, folder) -> str:
        """A folder of the catalog as the script writes it: `ROOT / "<relative path>"`."""
        relative = PurePosixPath(Path(folder).resolve().relative_to(Path(self.catalog.root).resolve()).as_posix())
        return f"ROOT / {str(relative)!r}" if str(relative) != "." else "ROOT"

    def checkpoint(self, run_id: str) -> str:
        return self.path(self.catalog.get(run_id).checkpoint_dir)

    def run_folder(self, run_id: str) -> str:
        return self.path(self.catalog.get(run_id).folder)


# ----------------------------------------------------------------------------------------------- arguments


def arguments(view, options) -> Call:
    """Options that differ from gradiend's defaults, under gradiend's names; studio-only options set apart."""
    call = view.gradiend
    studio_defaults = type(options)()
    found = Call({})
    for f in fields(options):
        value = getattr(options, f.name)
        if f.name in call.studio_only or value in call.studio_values.get(f.name, ()):
            if value not in (None, {}, []) and value != getattr(studio_defaults, f.name):
                found.studio_only[f.name] = value
            continue
        default = call.defaults.get(f.name, getattr(studio_defaults, f.name))
        if f.name in call.always or value != default:
            found.args[f.name] = value
    if any(f.name == "legend_loc" for f in fields(options)):
        _legend_loc(found, options.legend_loc, call.defaults.get("legend_loc"))
    return found


def _legend_loc(found: Call, loc, gradiend_default) -> None:
    """matplotlib locations are gradiend's; the studio's outside places (and its default) are named, not passed."""
    found.args.pop("legend_loc", None)
    loc = LEGACY_LEGEND_LOCS.get(loc, loc)
    if loc in MATPLOTLIB_LOCS:
        found.args["legend_loc"] = loc
        return
    if loc:
        found.studio_only["legend_loc"] = loc
    where = f"legend_loc={gradiend_default!r}" if gradiend_default else "its default place"
    found.notes.append(f"the studio's legend sits outside the axes ({loc or 'its default'}); gradiend's at {where}")


def _title(found: Call, text: str | None, gradiend_default) -> None:
    """The studio's title as text (gradiend's automatic title is another text)."""
    if text:
        found.args["title"] = text
    elif gradiend_default not in (None, False):
        found.args["title"] = False
    else:
        found.args.pop("title", None)


def _converged_by_id(data, run_ids: list[str]) -> dict[str, bool]:
    return {rid: data.statuses[rid].converged for rid in run_ids
            if rid in data.statuses and data.statuses[rid].converged is not None}


def _py(value) -> str:
    """A Python literal (tuples as lists; int and float kept apart, so topk 100 and 0.01 stay what they are)."""
    if isinstance(value, tuple):
        value = list(value)
    return repr(value)


def _call_text(function: str, first: list[str], args: dict, indent: str = "") -> str:
    parts = [*first, *(f"{name}={value if isinstance(value, _Raw) else _py(value)}" for name, value in args.items())]
    inner = f",\n{indent}    ".join(parts)
    return f"{function}(\n{indent}    {inner},\n{indent})"


class _Raw(str):
    """An argument written as code, not as a literal (a variable name)."""


def _header(context: _Context, function: str, imports: list[str], stdlib: tuple[str, ...] = ()) -> list[str]:
    lines = [f'"""{context.view.title} of GRADIEND Studio, drawn by gradiend 0.2.3\'s {function}.',
             "",
             f"Needs gradiend 0.2.3 with its plotting extras: {INSTALL}",
             '"""', "", "import os", "from pathlib import Path", *stdlib, ""]
    if context.output:
        lines += ["import matplotlib", "", 'matplotlib.use("Agg")  # draw to a file, no window', ""]
    lines += imports + ["", f"ROOT = Path({context.root!r})"]
    if context.output:
        lines.append(f"OUTPUT = os.path.abspath({context.output!r})")
    return lines + [""]


def _footer(found: Call) -> list[str]:
    lines = []
    if found.studio_only:
        shown = ", ".join(f"{k}={_short(v)}" for k, v in found.studio_only.items())
        lines.append(f"# Studio-only options, not gradiend parameters (not passed): {shown}")
    lines += [f"# Note: {note}" for note in found.notes]
    return lines


def _short(value) -> str:
    text = _py(value) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:57] + "..."


def _output_args(context: _Context, found: Call, name: str, *, image_format: bool = False, dpi: bool = False) -> None:
    if context.output:
        found.args[name] = _Raw("OUTPUT")
        suffix = Path(context.output).suffix.lstrip(".").lower()
        if image_format and suffix and suffix != "png":
            found.args["img_format"] = suffix  # gradiend replaces the file's suffix by img_format
        if dpi and context.dpi:
            found.args["dpi"] = context.dpi
        found.args["show"] = False
    else:
        found.args["show"] = True


# ----------------------------------------------------------------------------------------------- models: heatmap, Venn


def _models_lines(context: _Context) -> list[str]:
    """`models = {run id: checkpoint, or [seed checkpoints] for a seed group}` (best seed first)."""
    lines = ["models = {"]
    for rid in context.data.runs:
        members = context.data.members.get(rid, [rid])
        if len(members) == 1 and members[0] == rid:
            lines.append(f"    {rid!r}: ParamMappedGradiendModel.from_pretrained(str({context.checkpoint(rid)})),")
        else:
            lines.append(f"    {rid!r}: [  # seed group: its seed checkpoints, best seed first")
            lines += [f"        ParamMappedGradiendModel.from_pretrained(str({context.checkpoint(m)}))," for m in members]
            lines.append("    ],")
    return lines + ["}"]


def _heatmap(context: _Context) -> str:
    from gradiend_st.analysis.ordering import OTHER_GROUP, base_order, ordered_groups
    from gradiend_st.figures.heatmap import cell_format
    from gradiend_st.views import heatmap

    options, data = context.options, context.data
    found = arguments(context.view, options)
    _title(found, heatmap.title_text(data, options), False)
    for name in ("row_label_mapping", "column_label_mapping"):
        labels = {rid: label for rid, label in (getattr(options, name) or {}).items() if rid in data.runs}
        found.args.pop(name, None)
        if labels:
            found.args[name] = labels
    if isinstance(options.order, (list, tuple)):  # every run, as gradiend needs: the listed ones, then the rest
        found.args["order"] = base_order(data.runs, list(options.order))
    found.args.pop("pretty_groups", None)
    if options.pretty_groups:
        groups = ordered_groups(data.runs, data.counts, options.order, options.pretty_groups, cluster=False)
        found.args["pretty_groups"] = {name: ids for name, ids in groups if name != OTHER_GROUP}
    if not (options.annot_fmt or options.fmt):  # the studio's cell format where gradiend's default differs
        studio_fmt = cell_format(options)
        if studio_fmt != (".0f" if options.percentages else ".2f"):
            found.args["annot_fmt"] = studio_fmt
    if options.row_metric == "correlation":
        found.args["row_metric"] = {rid: value for rid, value in data.correlations.items() if value is not None}
        found.notes.append("row_metric: best_score_checkpoint.correlation of each run's training.json")
    if options.highlight_non_convergence:
        found.args["converged_by_id"] = _converged_by_id(data, data.runs)
    if options.cluster and options.pretty_groups:
        found.notes.append("the studio clusters within each pretty group; gradiend's chain can split groups")
    if any(len(m) > 1 for m in data.members.values()):
        found.notes.append("diagonal cells of seed groups: the studio compares distinct seeds, gradiend includes "
                           "each seed with itself")
    _output_args(context, found, "output_path")
    lines = _header(context, "plot_topk_overlap_heatmap",
                    ["from gradiend import ParamMappedGradiendModel",
                     "from gradiend.visualizer import plot_topk_overlap_heatmap"])
    lines += _models_lines(context)
    lines += ["", "result = " + _call_text("plot_topk_overlap_heatmap", ["models"], found.args)]
    lines += ["print(result['model_ids'])", "print(result['matrix'])"]
    return "\n".join(lines + _footer(found)) + "\n"


def _venn(context: _Context) -> str:
    from gradiend_st.views import venn

    options, data = context.options, context.data
    found = arguments(context.view, options)
    _title(found, venn.title_text(data, options), None)
    found.args.pop("label_mapping", None)
    labels = {rid: label for rid, label in (options.label_mapping or {}).items() if rid in data.runs}
    if labels:
        found.args["label_mapping"] = labels
    if options.highlight_non_convergence:
        found.args["converged_by_id"] = _converged_by_id(data, data.runs)
    if not options.equal_circles and len(data.runs) <= 3:
        found.notes.append("2-3 runs: areas follow the counts in both")
    if len(data.runs) > 6:
        found.notes.append(f"gradiend draws 2 to 6 sets and refuses {len(data.runs)}; the studio draws an UpSet chart")
    _output_args(context, found, "output_path")
    lines = _header(context, "plot_topk_overlap_venn",
                    ["from gradiend import ParamMappedGradiendModel",
                     "from gradiend.visualizer import plot_topk_overlap_venn"])
    lines += _models_lines(context)
    lines += ["", "result = " + _call_text("plot_topk_overlap_venn", ["models"], found.args)]
    lines += ["print({run: len(indices) for run, indices in result['per_model'].items()})",
              "print(len(result['intersection']), len(result['union']))"]
    return "\n".join(lines + _footer(found)) + "\n"


# ----------------------------------------------------------------------------------------------- one run per call


def _convergence(context: _Context) -> str:
    from gradiend_st.analysis.convergence_curves import convergence_title
    from gradiend_st.figures.style import run_label

    options, data = context.options, context.data
    found = arguments(context.view, options)
    found.args.pop("label_name_mapping", None)
    if options.label_name_mapping:
        found.args["label_name_mapping"] = dict(options.label_name_mapping)
    several = len(data.runs) > 1
    if several:
        found.notes.append("gradiend draws one run per figure: one call (and file) per run")
    lines = _header(context, "plot_training_convergence", ["from gradiend.visualizer import plot_training_convergence"])
    for i, rid in enumerate(data.runs):
        args = dict(found.args)
        name = run_label(rid, options.run_labels, None)  # gradiend adds the † from training.json itself
        title = convergence_title(options.title, [name])
        one = Call(args, found.studio_only, [])
        _title(one, title, True)
        folder = context.path(context.catalog.get(rid).training_path.parent)
        if context.output and several:
            out = Path(context.output)
            lines.append(f"OUTPUT = os.path.abspath({str(out.with_name(f'{out.stem}_{i + 1}{out.suffix}'))!r})  # {rid}")
        _output_args(context, one, "output", image_format=True, dpi=True)
        lines.append(_call_text("plot_training_convergence", [f"model_path=str({folder})"], one.args))
        lines.append("")
    return "\n".join(lines + _footer(found)) + "\n"


def _encoder_table(context: _Context, rid: str) -> list[str]:
    run = context.catalog.get(rid)
    csv = run.encoded[context.data.split]
    return [f"encoder_df = pandas.read_csv({context.path(csv)})  # the studio's {context.data.split} table of {rid}"]


def _distributions(context: _Context) -> str:
    from gradiend_st.analysis.violins import display
    from gradiend_st.views import distributions

    options, data = context.options, context.data
    rid = data.runs[0]
    found = arguments(context.view, options)
    _title(found, distributions.title_text(data, options), True)
    if options.cmap is None:
        found.args["cmap"] = "tab10"  # the studio's palette (gradiend's default: tab20)
    prepared = distributions.prepare(data, options)
    names = {e.label for e in prepared.entries} | {m for e in prepared.entries for m in e.members} | \
        {display(e.label) for e in prepared.entries}
    for name in ("legend_name_mapping", "colors"):
        found.args.pop(name, None)
        chosen = {k: v for k, v in (getattr(options, name) or {}).items() if k in names}
        if chosen:
            found.args[name] = chosen
    found.args.pop("legend_group_mapping", None)
    groups = {g: [m for m in ms if m in names] for g, ms in (options.legend_group_mapping or {}).items()}
    groups = {g: ms for g, ms in groups.items() if ms}
    if groups:
        found.args["legend_group_mapping"] = groups
        found.args["ignore_missing_legend_group_labels"] = options.ignore_missing_legend_group_labels
    found.args.pop("paired_legend_labels", None)
    if options.paired_legend_labels:  # gradiend pairs the labels after grouping: the groups' names stand for members
        member_group = {m: g for g, ms in groups.items() for m in ms}
        listed = [member_group.get(x, x) for x in options.paired_legend_labels]
        present = {member_group.get(m, m) for e in prepared.entries for m in e.members}
        paired = [x for x in dict.fromkeys(listed) if x in present]
        if paired:
            found.args["paired_legend_labels"] = paired
    if options.violin_order:
        found.notes.append("gradiend 0.2.3 ignores violin_order (dead code); the studio honours it")
    _output_args(context, found, "output", image_format=True, dpi=True)
    lines = _header(context, "plot_encoder_distributions",
                    ["import pandas", "from gradiend.visualizer import plot_encoder_distributions"],
                    ("from types import SimpleNamespace",))
    lines += _encoder_table(context, rid)
    lines += ["# What gradiend reads from a Trainer here: the run id and the target pair (gradiend_context.json)",
              f"trainer = SimpleNamespace(run_id={rid!r}, pair={tuple(data.pair)!r})", ""]
    lines.append(_call_text("plot_encoder_distributions", ["trainer", "encoder_df=encoder_df"], found.args))
    return "\n".join(lines + _footer(found)) + "\n"


def _scatter(context: _Context) -> str:
    from gradiend_st.views import scatter

    options, data = context.options, context.data
    rid = data.runs[0]
    found = arguments(context.view, options)
    title, _ = scatter.title_lines(data, options, scatter.points(data, options))
    _title(found, title, True)
    if options.cmap is None:
        found.args["cmap"] = "tab10"  # the studio's palette (gradiend's default: tab20)
    names = dict(options.label_name_mapping or {})
    if options.color_by == "label":  # label values shown by class name, as the studio shows them
        for value, class_name in data.class_names.items():
            names.setdefault(value, names.get(class_name, class_name))
    found.args.pop("label_name_mapping", None)
    if names:
        found.args["label_name_mapping"] = names
    image = context.output and Path(context.output).suffix.lower() not in (".html", ".htm")
    if context.output and not image:
        found.args["output_path"] = _Raw("OUTPUT")
    found.args["show"] = not context.output
    lines = _header(context, "plot_encoder_scatter",
                    ["import pandas", "from gradiend.visualizer import plot_encoder_scatter"])
    lines += _encoder_table(context, rid) + [""]
    lines.append("fig = " + _call_text("plot_encoder_scatter", ["encoder_df=encoder_df"], found.args))
    if image:  # gradiend saves HTML only; plotly writes the image (kaleido)
        lines.append("fig.write_image(OUTPUT)")
    return "\n".join(lines + _footer(found)) + "\n"


WRITERS = {
    "plot_topk_overlap_heatmap": _heatmap,
    "plot_topk_overlap_venn": _venn,
    "plot_training_convergence": _convergence,
    "plot_encoder_distributions": _distributions,
    "plot_encoder_scatter": _scatter,
}


def _unsupported(view, options) -> str:
    """A view whose gradiend function has no writer here yet: the call's options, as a starting point."""
    found = arguments(view, options)
    args = ", ".join(f"{k}={_py(v)}" for k, v in found.args.items())
    return (f"# gradiend 0.2.3 draws this view with {view.gradiend.function}; GRADIEND Studio cannot write a complete "
            f"script for it yet.\n# Options that differ from gradiend's defaults: {args or 'none'}\n"
            + "\n".join(_footer(found)) + ("\n" if found.studio_only or found.notes else ""))
