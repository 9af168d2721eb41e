"""What every view is: one `View` record per view module, and one contract for the data a view loads.

A view module (`gradiend_st/views/<name>.py`) defines its Options dataclass, its data class (a `ViewData`),
`load`, `build`, `table`, and ends with `VIEW = View(...)`. The registry (`views/registry.py`) collects them; the
router, the view page, caching, the options form, presets, links, downloads, the CLI, tests and benches read it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

RUN_CHOICES = ("one", "one_or_selection", "selection")
NEEDS = ("training", "encoded", "weights", "decoder")


@dataclass(kw_only=True)
class ViewData:
    """The part of every view's data that the page, the CLI and the tests read the same way."""

    runs: list[str] = field(default_factory=list)  # the runs drawn, in drawing order
    left_out: dict[str, str] = field(default_factory=dict)  # run id -> one-line reason ("file: problem")
    warnings: list[str] = field(default_factory=list)  # shown beside the figure (the figure may say it too)


@dataclass(frozen=True)
class GradiendCall:
    """The gradiend 0.2.3 function that draws the same figure, for "copy as code"."""

    function: str  # e.g. "plot_topk_overlap_heatmap"
    inputs: str  # "models": a dict of loaded checkpoints | "run": one run folder
    always: tuple[str, ...] = ()  # options written out even at their default (they define the figure)
    studio_only: frozenset[str] = frozenset()  # options with no gradiend parameter: named in a comment
    # gradiend's default of each option whose studio default differs (else the studio's default is gradiend's):
    # "copy as code" writes out every option whose value differs from gradiend's default
    defaults: dict = field(default_factory=dict)
    studio_values: dict = field(default_factory=dict)  # option -> values only the studio has (named, not passed)


@dataclass(frozen=True)
class View:
    name: str  # the page's URL path and the key in presets
    title: str  # page title
    nav_title: str  # the navigation entry
    icon: str  # a Material icon, ":material/...:"
    blurb: str  # one sentence under the title
    Options: type
    load: Callable[..., ViewData]  # load(catalog, run_ids, options, progress=None) -> data
    build: Callable[[Any, Any], Any]  # build(data, options) -> matplotlib Figure | plotly figure | Altair chart
    table: Callable[[Any, Any], Any]  # table(data, options) -> pandas.DataFrame for the CSV download
    runs: str = "selection"  # "one": one run | "one_or_selection": one, or the selection in a multi-run mode
    min_runs: int = 1
    needs: tuple[str, ...] = ()  # files every drawn run must have (NEEDS)
    load_options: tuple[str, ...] | None = None  # Options fields load() reads; None: all of them
    formats: Callable[[Any], tuple[str, ...]] | tuple[str, ...] = ("png", "pdf", "svg")
    export: Callable[..., bytes] | None = None  # export(data, options, fmt, dpi=) when not figure_bytes(build())
    legend_labels: Callable[[Any], list[str]] | None = None  # labels found in the data, for the class grid
    choices: Callable[[dict], dict[str, tuple]] | None = None  # {option: choices} given {"splits": [...]}
    colors_runs: bool = False  # the Options' `colors` colour runs (Venn), not classes
    runs_coloured: Callable[[Any], bool] | None = None  # with these options, `run_colors` tell the runs apart
    live: bool = False  # the page can re-read the run's files on a timer
    extra_panel: Callable[[Any, Any, str], None] | None = None  # extra_panel(data, options, key): app-only, below
    # the downloads (e.g. the weight map's table of a picked cell); it may use Streamlit (imported inside the call)
    plotly_select: tuple[str, ...] = ()  # box/lasso/points selection on the plotly figure on screen, which the
    # extra_panel reads with ui.view_page.plotly_selection (e.g. the scatter's table of the selected rows)
    gradiend: GradiendCall | None = None
    help: dict[str, str] = field(default_factory=dict)  # option -> help text (and how/why it differs from gradiend)

    def __post_init__(self):
        if self.runs not in RUN_CHOICES:
            raise ValueError(f"{self.name}: runs must be one of {RUN_CHOICES}, not {self.runs!r}")
        unknown = set(self.needs) - set(NEEDS)
        if unknown:
            raise ValueError(f"{self.name}: unknown needs {sorted(unknown)}")

    def export_formats(self, options) -> tuple[str, ...]:
        return tuple(self.formats(options) if callable(self.formats) else self.formats)

    def run_colors_shown(self, options) -> bool:
        """Whether the figure tells runs apart by colour with these options (then their colours must differ)."""
        return self.colors_runs or bool(self.runs_coloured and self.runs_coloured(options))

    def multi_run(self, options) -> bool:
        """Whether the view draws the selection (True) or one run (False) with these options."""
        if self.runs == "one_or_selection":
            return getattr(options, "mode", "single") != "single"
        return self.runs == "selection"
