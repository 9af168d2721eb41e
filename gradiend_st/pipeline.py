"""One pipeline from (runs, selection, mapping, options) to a view's data and files, for the app and the CLI.

The view page and `gradiend-st render` both call these functions, so they follow the same rules:
- which runs a view draws (`choose_runs`): the selection for comparison views, one run for single-run views;
- a run that is named (by a preset, a link, the session) but not in the folder is reported in `missing`, never
  replaced silently: the app says so and shows what it can, `render` refuses unless allowed;
- unreadable runs are left out of the data with their one-line reasons (`ViewData.left_out`): the app draws the
  rest and names them, `render` refuses unless allowed;
- the mapping gets rows (and colours) for every run of the folder and every label the view finds in its data, and
  is applied to the options the same way (`figure_options`).
No Streamlit here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from gradiend_st.figures import profiles
from gradiend_st.mapping import Mapping, merge, to_options
from gradiend_st.views import registry
from gradiend_st.views.base import View, ViewData

NEED_TEXT = {"training": "training.json", "encoded": "an encoder evaluation (encoded_values_*.csv)",
             "weights": "weights", "decoder": "a decoder evaluation (decoder_grid_cache.json)"}


@dataclass
class RunChoice:
    ids: list[str]  # the runs to load, in order
    missing: list[str] = field(default_factory=list)  # named runs that are not in the folder
    problem: str | None = None  # why nothing can be drawn (then `ids` is what there is)

    def missing_text(self, root_name: str) -> str:
        return f"not in {root_name}: {', '.join(self.missing)}"


def has_needs(view: View, run) -> bool:
    """Whether a discovered run has the files the view needs."""
    checks = {
        "training": lambda: run.training_path.is_file(),
        "encoded": lambda: bool(run.encoded),
        "weights": lambda: run.has_topk,
        "decoder": lambda: run.decoder_grid_path.is_file(),
    }
    return all(checks[need]() for need in view.needs)


def candidates(view: View, catalog) -> list[str]:
    """Runs a single-run view can show: those with the files it needs."""
    return [rid for rid, run in catalog.runs.items() if has_needs(view, run)]


def choose_runs(view: View, catalog, options, *, selection: list[str] | None, run: str | None = None) -> RunChoice:
    """The runs `view` draws with `options`.

    `selection`: the comparison selection (None: never chosen, i.e. every run, as on a first visit); `run`: the run
    a single-run view was showing (the session's, a preset's or a link's).
    """
    if view.multi_run(options):
        return _from_selection(view, catalog, selection, run)
    return one_run(view, catalog, selection, run)


def _from_selection(view: View, catalog, selection: list[str] | None, run: str | None) -> RunChoice:
    if selection is None:
        ids, missing = catalog.ids("run"), []
    else:
        ids = [rid for rid in dict.fromkeys(selection) if rid in catalog.runs]
        missing = [rid for rid in dict.fromkeys(selection) if rid not in catalog.runs]
    if not ids and view.runs == "one_or_selection" and run in catalog.runs:
        ids = [run]  # nothing selected: the run the page shows
    choice = RunChoice(ids, missing)
    if len(ids) < view.min_runs:
        choice.problem = (f"Select at least {view.min_runs} run{'s' if view.min_runs > 1 else ''}: tick them on the "
                          f"Runs page or pick them in the sidebar ({len(ids)} selected).")
    return choice


def one_run(view: View, catalog, selection: list[str] | None, run: str | None) -> RunChoice:
    """`run` when the view can show it; else the first selected run it can show, else its first candidate."""
    choices = candidates(view, catalog)
    missing = [run] if run is not None and run not in catalog.runs else []
    if run in choices:
        return RunChoice([run])
    fallback = next((rid for rid in selection or () if rid in choices), None) or next(iter(choices), None)
    if fallback is None:
        needs = " and ".join(NEED_TEXT[n] for n in view.needs) or "files"
        return RunChoice([], missing, f"No run here has {needs}.")
    return RunChoice([fallback], missing)


def explicit_runs(view: View, catalog, run_ids: list[str], options) -> RunChoice:
    """Runs named one by one (`render --runs`): all of them, exactly one for a single-run view."""
    missing = [rid for rid in run_ids if rid not in catalog.runs]
    ids = [rid for rid in dict.fromkeys(run_ids) if rid in catalog.runs]
    choice = RunChoice(ids, missing)
    if not view.multi_run(options) and len(run_ids) != 1:
        choice.problem = f"the {view.name} view draws one run; pass one --runs ID"
    elif len(ids) < view.min_runs:
        choice.problem = f"the {view.name} view needs at least {view.min_runs} runs"
    return choice


def load(view: View, catalog, run_ids: list[str], options, progress=None) -> ViewData:
    """The view's data. Problems of single runs are in `left_out`; a request that cannot work at all raises."""
    return view.load(catalog, list(run_ids), options, progress=progress)


def labelled(view: View, data, options, mapping: Mapping, catalog) -> tuple[Mapping, object]:
    """(the mapping with rows and colours for every run of the folder and every label the view found in `data`,
    `options` with that mapping's labels, groups, colours and order applied under GRADIEND's parameter names)."""
    extra = [str(label) for label in view.legend_labels(data)] if view.legend_labels else []
    mapping = merge(mapping, catalog, extra_labels=extra)
    full = to_options(options, mapping, data.runs, colors_runs=view.colors_runs,
                      label_values=getattr(data, "class_names", None))
    return mapping, full


def file_bytes(view: View, data, options, fmt: str, *, dpi: int = 200, profile=None) -> bytes:
    """The view's figure as a `fmt` file; with a venue `profile` (figures.profiles) exactly that wide, in its fonts."""
    formats = view.export_formats(options)
    if fmt not in formats:
        raise ValueError(f"the {view.name} view exports {', '.join(formats)}, not {fmt}")
    if profile is None:
        return registry.file_bytes(view, data, options, fmt, dpi=dpi)
    with profiles.use(profile):
        return registry.file_bytes(view, data, sized(view, data, options, profile), fmt, dpi=dpi)


def sized(view: View, data, options, profile):
    """`options` with `figsize` set to the profile's width and the figure's own proportions (or the profile's
    aspect), so views that lay themselves out do so at the final size and in the profile's fonts."""
    if not hasattr(options, "figsize"):
        return options  # plotly views: the export reads the active profile
    natural = options.figsize
    if not natural:
        from matplotlib.figure import Figure

        figure = view.build(data, options)
        if not isinstance(figure, Figure):
            return options
        natural = tuple(figure.get_size_inches())
    return replace(options, figsize=[profile.width_in, profile.height_for(tuple(float(v) for v in natural))])


class MissingRuns(ValueError):
    """`render` was asked for runs that are not there or cannot be read (one line; --allow-missing draws the rest)."""


def render(catalog, view_name: str, *, preset=None, run_ids: list[str] | None = None, fmt: str = "png",
           dpi: int | None = None, allow_missing: bool = False, profile=None) -> tuple[bytes, list[str]]:
    """The view as file bytes, exactly as the app draws it with the same preset; and the notes (what was missing).

    `dpi`: None takes the preset's (else 200); `profile`: a figures.profiles.Profile, else the preset's.
    Raises MissingRuns for missing or unreadable runs unless `allow_missing`.
    """
    preset, view, data, full, notes = prepared(catalog, view_name, preset=preset, run_ids=run_ids,
                                               allow_missing=allow_missing)
    dpi = dpi or preset.dpi or 200
    profile = profile or profiles.from_spec(preset.profile)
    return file_bytes(view, data, full, fmt, dpi=dpi, profile=profile), notes


def prepared(catalog, view_name: str, *, preset=None, run_ids: list[str] | None = None, allow_missing: bool = False):
    """(preset, view, data, options with the mapping applied, notes): what `render` draws and `gradiend-st code`
    writes as a gradiend call, chosen and loaded as the app does."""
    from gradiend_st.presets import Preset

    preset = preset or Preset()
    view = registry.get(view_name)
    options = registry.options_from_dict(view, preset.views.get(view.name))
    if run_ids:
        choice = explicit_runs(view, catalog, run_ids, options)
    else:
        choice = choose_runs(view, catalog, options, selection=preset.selection, run=preset.run)
    notes = [choice.missing_text(catalog.root.name)] if choice.missing else []
    if notes and not allow_missing:
        raise MissingRuns(f"{notes[0]}; pass --allow-missing to draw the rest")
    if choice.problem:
        raise ValueError(choice.problem)
    data = load(view, catalog, choice.ids, options)
    notes += [f"left out {rid}: {reason}" for rid, reason in data.left_out.items()]
    if data.left_out and not allow_missing:
        raise MissingRuns(f"{next(iter(data.left_out.values()))}; pass --allow-missing to draw the other runs")
    _, full = labelled(view, data, options, preset.mapping, catalog)
    return preset, view, data, full, notes
