"""One template for the five view pages: pick runs, options, the figure, downloads, code, mapping grids.

Every view module follows the contract in `gradiend_st.figures.registry`; this page only calls it. A view whose
module does not exist yet shows an st.info instead. The figure panel is an `st.fragment`: changing an option redraws
that panel only; the convergence panel also reruns on a timer to follow a run that is still training.
"""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import streamlit as st
from matplotlib.figure import Figure

from gradiend_st import mapping as mp
from gradiend_st import presets
from gradiend_st.figures import export, registry
from gradiend_st.figures.stamped_text import StampedText
from gradiend_st.io.errors import RunReadError
from gradiend_st.ui import caching, links, sources, state
from gradiend_st.ui.downloads import render_download_bar
from gradiend_st.ui.grids import render_mapping_grids
from gradiend_st.ui.options_form import render_options

LIVE_SECONDS = 2


@dataclass(frozen=True)
class ViewInfo:
    title: str
    icon: str
    runs: str  # "one": a single run | "one_or_selection": one run, or the selection in overlay/facet mode | "selection"
    min_runs: int
    blurb: str


VIEWS = {
    "convergence": ViewInfo("Training convergence", ":material/show_chart:", "one_or_selection", 1,
                            "Mean encoded value per class and correlation over training steps (training.json). "
                            "Set mode to overlay or facet to compare the selected runs."),
    "distributions": ViewInfo("Encoder distributions", ":material/align_vertical_center:", "one", 1,
                              "Split violins of the encoded values per class and neutral data (encoded_values_*.csv)."),
    "scatter": ViewInfo("Encoder scatter", ":material/scatter_plot:", "one", 1,
                        "Every encoded row by category and label; hover a point for its sentence."),
    "heatmap": ViewInfo("Top-k overlap heatmap", ":material/grid_on:", "selection", 1,
                        "How many of the top-k most important base-model weights each pair of selected runs shares."),
    "venn": ViewInfo("Top-k overlap Venn", ":material/join_inner:", "selection", 2,
                     "Exact exclusive region counts of the selected runs' top-k sets (an UpSet chart beyond 6 runs)."),
}


def module_or_none(view: str) -> ModuleType | None:
    """The view's module, or None while it does not exist yet (its page then says so)."""
    if importlib.util.find_spec(f"gradiend_st.figures.{view}") is None:
        return None
    return registry.view_module(view)


def current_catalog():
    source = sources.current()
    try:
        return caching.catalog_for(source.root)
    except RunReadError as exc:
        st.error(f"Cannot read the runs: {exc.problem}. Open another folder or the demo in the sidebar.")
        return None


# ----------------------------------------------------------------------------------------------- the page


class ViewPage:
    """The steps of a view page, so the page file reads like a table of contents."""

    def __init__(self, view: str, *, key: str | None = None):
        self.view, self.key, self.info = view, key or view, VIEWS[view]
        self.module: ModuleType | None = None
        self.catalog = None
        self.focus: str | None = None

    def render(self) -> None:
        """The whole view page: title, run choice, options with the figure, then the mapping grids."""
        self.header()
        if self.ready():
            self.pick_runs()
            self.figure_panel()  # options, figure, downloads, copy as code
            self.mapping_grids()  # labels, legend groups, colours: shared by every view

    def header(self) -> None:
        st.title(self.info.title)
        st.caption(self.info.blurb)

    def ready(self) -> bool:
        """The view's module exists and there are runs to show; otherwise say why."""
        self.module = module_or_none(self.view)
        if self.module is None:
            st.info(f"The {self.info.title.lower()} view is still being built; this page works as soon as "
                    f"`gradiend_st/figures/{self.view}.py` exists.", icon=":material/construction:")
            return False
        self.catalog = current_catalog()
        if self.catalog is None:
            return False
        if not self.catalog.runs:
            st.info("No GRADIEND runs in this folder. Open another folder, upload runs or open the demo (sidebar).")
            return False
        links.read_once(self.view, self.module.Options)
        return True

    def pick_runs(self) -> None:
        """Single-run views pick their run here; comparison views use the shared selection (sidebar, Runs page)."""
        if self.info.runs != "selection":
            with st.columns([2, 3])[0]:
                self.focus = pick_run(self.view, self.catalog, key=self.key)

    def figure_panel(self) -> None:
        """Options, figure, downloads and code in one fragment (the convergence one also reruns on a timer)."""
        live = False
        if self.view == "convergence":
            live = st.toggle(f"Live: re-read training.json every {LIVE_SECONDS} s", key=f"{self.key}.live",
                             value=state.get(state.LIVE, True), help="Follows a run that is still training.")
            state.put(state.LIVE, live)
        panel = st.fragment(figure_panel, run_every=LIVE_SECONDS if live else None)
        panel(self.view, self.module, self.catalog, self.focus, self.key)

    def mapping_grids(self) -> None:
        render_mapping_grids(state.get(f"studio.page_runs.{self.view}"), key=self.key)


def pick_run(view: str, catalog, *, key: str) -> str | None:
    """The run a single-run view shows: the page's selectbox, fed from the shared state."""
    needs_encoded = view in ("distributions", "scatter")
    choices = [rid for rid, run in catalog.runs.items() if not needs_encoded or run.encoded]
    if not choices:
        st.info("No run here has an encoder evaluation (encoded_values_*.csv).")
        return None
    current = state.get(state.RUN)
    if current not in choices:
        current = next((rid for rid in state.selection() if rid in choices), choices[0])
    wkey = f"{key}.run"
    if st.session_state.get(wkey) != current:
        st.session_state[wkey] = current
    labels = state.mapping()
    chosen = st.selectbox("Run", choices, key=wkey, format_func=lambda rid: _run_choice(rid, labels))
    state.put(state.RUN, chosen)
    return chosen


def _run_choice(run_id: str, labels: mp.Mapping) -> str:
    label = labels.run_label(run_id)
    return run_id if label == run_id else f"{label}  ({run_id})"


# ----------------------------------------------------------------------------------------------- the panel


def figure_panel(view: str, module: ModuleType, catalog, focus: str | None, key: str) -> None:
    info = VIEWS[view]
    left, right = st.columns([1.15, 3], gap="large")
    with left:
        st.markdown("**Options**")
        options = render_options(view, module, key=key, context={"splits": _splits(catalog, focus)})
    run_ids = runs_for(info, options, catalog, focus)
    state.put(f"studio.page_runs.{view}", run_ids)
    with right:
        problem = run_count_problem(info, run_ids)
        if problem:
            st.info(problem, icon=":material/checklist:")
            return
        data_key = caching.data_key(view, catalog, run_ids, options)  # stats the runs' files: once per rerun
        data = load_with_progress(view, module, catalog, run_ids, options, data_key)
        if data is None:
            return
        for rid, exc in getattr(data, "left_out", {}).items():  # top-k views draw the readable runs
            st.warning(f"Left out {rid}: {catalog.error_text(exc)}", icon=":material/warning:")
        _merge_view_labels(module, data)
        full = mp.to_options(view, options, state.mapping(), run_ids, label_values=getattr(data, "class_names", None))
        shown = draw(view, module, data, full, data_key)
        if shown:
            render_download_bar(view, module, data, full, run_ids, key=key)
            render_code(view, full, run_ids, catalog)
    from_selection = info.runs == "selection" or (info.runs == "one_or_selection" and run_ids != [focus])
    links.write(view, options, module.Options(), runs=run_ids if from_selection else None,
                run=None if from_selection else focus)


def runs_for(info: ViewInfo, options, catalog, focus: str | None) -> list[str]:
    selection = [rid for rid in state.selection() if rid in catalog.runs]
    if info.runs == "selection":
        return selection
    if info.runs == "one_or_selection" and getattr(options, "mode", "single") != "single":
        return selection or ([focus] if focus else [])
    return [focus] if focus else []


def run_count_problem(info: ViewInfo, run_ids: list[str]) -> str | None:
    if len(run_ids) >= info.min_runs:
        return None
    if info.runs == "one":
        return "Pick a run above."
    return (f"Select at least {info.min_runs} runs: tick them on the Runs page or pick them in the sidebar "
            f"({len(run_ids)} selected).")


def _splits(catalog, focus: str | None) -> list[str]:
    run = catalog.runs.get(focus) if focus else None
    return list(run.encoded) if run else []


def load_with_progress(view: str, module: ModuleType, catalog, run_ids: list[str], options, data_key: tuple):
    """The cached load; a progress bar names the run being read when top-k work is not cached yet."""
    bar = st.empty()

    def progress(done: int, total: int, run_id: str) -> None:
        text = f"Reading {run_id} ({min(done + 1, total)} of {total})" if run_id else "Comparing…"
        bar.progress(min(1.0, done / max(total, 1)), text=text)

    try:
        return caching.load_view(view, module, catalog, run_ids, options, progress, keys=data_key)
    except RunReadError as exc:
        st.error(catalog.error_text(exc), icon=":material/error:")
    except (ValueError, KeyError, InterruptedError) as exc:
        st.error(str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc), icon=":material/error:")
    finally:
        bar.empty()
    return None


def _merge_view_labels(module: ModuleType, data) -> None:
    """Labels the view found in the data (e.g. 'Neutral: Training masked') get rows in the class grid."""
    finder = getattr(module, "legend_labels", None)
    if not callable(finder):
        return
    try:
        labels = [str(x) for x in finder(data)]
    except Exception:  # a view that cannot list labels still draws
        return
    current = state.mapping()
    merged = mp.merge(current, catalog=_Empty(), run_ids=[], extra_labels=labels)
    if merged != current:
        state.set_mapping(merged)


class _Empty:
    runs: dict = {}


def draw(view: str, module: ModuleType, data, options, data_key: tuple) -> bool:
    """build() and show; records the figure's text and timing (the alt text, and what tests check)."""
    started = time.perf_counter()
    try:
        shown, texts = _rendered(repr((data_key, options)), module, data, options)
    except (ValueError, KeyError, RunReadError) as exc:
        st.error(f"Cannot draw with these options: {exc}", icon=":material/error:")
        return False
    built = time.perf_counter()
    if isinstance(shown, bytes):
        st.image(shown, width="content", output_format="PNG", alt=_alt(view, texts))
    elif isinstance(shown, dict):  # a Vega-Lite spec; theme=None: the browser draws what vl-convert exports
        st.vega_lite_chart(shown, theme=None, key=f"{view}.vega", alt=_alt(view, texts))
    else:
        st.plotly_chart(shown, theme=None, width="stretch", key=f"{view}.plotly",
                        config={"displaylogo": False, "toImageButtonOptions": {"format": "svg"}})
    done = time.perf_counter()
    _notes(data)
    state.record_figure(view, texts=texts, build_ms=(built - started) * 1000, show_ms=(done - built) * 1000)
    return True


@st.cache_data(max_entries=32, show_spinner=False)
def _rendered(key: str, _module: ModuleType, _data, _options):  # noqa: ARG001 - `key` is the cache key
    """(screen PNG, the plotly figure or the Altair chart's spec; the figure's texts). The same data and options
    draw the same figure, so page visits and reruns that change nothing in it (another session's too) reuse it."""
    fig = _module.build(_data, _options)
    if _is_altair(fig):  # as its spec, made once (st.altair_chart would validate it again on every run: ~0.13 s)
        fig = fig.to_dict(validate=False)
    texts = figure_texts(fig)
    if isinstance(fig, Figure):
        png = export.screen_png(fig)
        _close(fig)
        return png, texts
    return fig, texts


def _is_altair(fig) -> bool:
    return type(fig).__module__.startswith("altair.")


def figure_texts(fig) -> list[str]:
    """Every piece of text in the figure (titles, ticks, legend entries), in drawing order, without repeats."""
    if isinstance(fig, Figure):
        from matplotlib.text import Text

        found = [t.get_text() for t in fig.findobj(Text)]
        found += [text for labels in fig.findobj(StampedText) for text in labels.texts]  # heatmap names, numbers
    elif isinstance(fig, dict):  # a Vega-Lite spec
        found = list(_spec_texts(fig))
    else:
        layout = fig.layout
        found = [getattr(getattr(layout, "title", None), "text", None) or ""]
        found += [trace.name or "" for trace in fig.data]
        for axis in ("xaxis", "yaxis"):
            found += list(getattr(getattr(layout, axis, None), "ticktext", None) or [])
    return list(dict.fromkeys(t for t in found if t and t.strip()))


def _spec_texts(spec):
    """Titles and legend entries of a Vega-Lite spec (its "title" texts and the domains of its scales)."""
    if isinstance(spec, list):
        for item in spec:
            yield from _spec_texts(item)
    elif isinstance(spec, dict):
        for name, value in spec.items():
            if name == "title" and isinstance(value, str):
                yield value
            elif name == "text" and isinstance(value, str):  # TitleParams
                yield value
            elif name == "domain" and isinstance(value, list):
                yield from (v for v in value if isinstance(v, str))
            elif name != "datasets":
                yield from _spec_texts(value)


def _alt(view: str, texts: list[str]) -> str:
    """Words first (title, labels, legend), then the numbers: what a screen reader should hear first."""
    words = [t for t in texts if not _is_number(t)]
    numbers = [t for t in texts if _is_number(t)]
    shown = ", ".join((words + numbers)[:80])
    return f"{VIEWS[view].title}: {shown}"[:1500]


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "").replace("\u2212", "-"))
    except ValueError:
        return False
    return True


def _close(fig: Figure) -> None:
    import matplotlib.pyplot as plt

    plt.close(fig)  # our figures are pyplot-free, so this only guards against one that is not


def _notes(data) -> None:
    error = getattr(data, "error", None)
    errors = getattr(data, "errors", None) or ([error] if error else [])
    for message in errors:
        st.warning(message, icon=":material/warning:")


def render_code(view: str, options, run_ids: list[str], catalog) -> None:
    source = sources.current()
    checkpoints = {}
    for rid in run_ids:
        run = catalog.runs.get(rid)
        if run is not None:
            try:
                checkpoints[rid] = Path(run.checkpoint_dir).relative_to(catalog.root).as_posix()
            except ValueError:
                pass
    with st.expander("Copy as code: the same figure with gradiend", icon=":material/code:"):
        st.code(presets.as_code(view, options, run_ids, root=source.code_root, checkpoints=checkpoints),
                language="python")
