"""One template for every view page: pick runs, options, the figure, downloads, code, mapping grids.

Everything view-specific comes from the view's registry record (`gradiend_st.views.base.View`); the run choice,
loading rules and mapping come from `gradiend_st.pipeline`, the same functions `gradiend-st render` uses. The figure
panel is an `st.fragment`: changing an option redraws that panel only; a `live` view's panel also reruns on a timer
to follow a run that is still training.
"""

from __future__ import annotations

import time

import streamlit as st
from matplotlib.figure import Figure

from gradiend_st import colorvision, pipeline
from gradiend_st import mapping as mp
from gradiend_st.figures import export
from gradiend_st.figures.stamped_text import StampedText
from gradiend_st.io.errors import RunReadError
from gradiend_st.ui import caching, links, sources, state
from gradiend_st.ui.downloads import current_profile, render_download_bar
from gradiend_st.ui.grids import render_mapping_grids
from gradiend_st.ui.options_form import render_options
from gradiend_st.views import registry
from gradiend_st.views.base import View

LIVE_SECONDS = 2


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

    def __init__(self, name: str, *, key: str | None = None):
        self.view: View = registry.get(name)
        self.key = key or name
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
        st.title(self.view.title)
        st.caption(self.view.blurb)

    def ready(self) -> bool:
        """There are runs to show; otherwise say why."""
        self.catalog = current_catalog()
        if self.catalog is None:
            return False
        if not self.catalog.runs:
            st.info("No GRADIEND runs in this folder. Open another folder, upload runs or open the demo (sidebar).")
            return False
        links.read_once(self.view.name, self.view.Options)
        return True

    def pick_runs(self) -> None:
        """Single-run views pick their run here; comparison views use the shared selection (sidebar, Runs page)."""
        if self.view.runs != "selection":
            with st.columns([2, 3])[0]:
                self.focus = pick_run(self.view, self.catalog, key=self.key)

    def figure_panel(self) -> None:
        """Options, figure, downloads and code in one fragment (a live view's also reruns on a timer)."""
        live = False
        if self.view.live:
            live = st.toggle(f"Live: re-read training.json every {LIVE_SECONDS} s", key=f"{self.key}.live",
                             value=state.get(state.LIVE, True), help="Follows a run that is still training.")
            state.put(state.LIVE, live)
        panel = st.fragment(figure_panel, run_every=LIVE_SECONDS if live else None)
        panel(self.view, self.catalog, self.focus, self.key)

    def mapping_grids(self) -> None:
        render_mapping_grids(state.get(f"studio.page_runs.{self.view.name}"), key=self.key)


def pick_run(view: View, catalog, *, key: str) -> str | None:
    """The run a single-run view shows: the page's selectbox, fed from the shared state."""
    choice = pipeline.one_run(view, catalog, state.selection(), state.get(state.RUN))
    if choice.missing and choice.ids:
        st.warning(f"Run {choice.missing_text(catalog.root.name)}; showing {choice.ids[0]}", icon=":material/warning:")
    if not choice.ids:
        st.info(choice.problem)
        return None
    wkey = f"{key}.run"
    if st.session_state.get(wkey) != choice.ids[0]:  # fed from the shared state (a callback keeps it current)
        st.session_state[wkey] = choice.ids[0]
    labels = state.mapping()
    chosen = st.selectbox("Run", pipeline.candidates(view, catalog), key=wkey,
                          format_func=lambda rid: _run_choice(rid, labels),
                          on_change=lambda: state.put(state.RUN, st.session_state[wkey]))
    state.put(state.RUN, chosen)
    return chosen


def _run_choice(run_id: str, labels: mp.Mapping) -> str:
    label = labels.run_label(run_id)
    return run_id if label == run_id else f"{label}  ({run_id})"


# ----------------------------------------------------------------------------------------------- the panel


def figure_panel(view: View, catalog, focus: str | None, key: str) -> None:
    left, right = st.columns([1.15, 3], gap="large")
    with left:
        st.markdown("**Options**")
        options = render_options(view, key=key, context={"splits": _splits(catalog, focus), "catalog": catalog,
                                                          "selection": state.selection()})
    choice = pipeline.choose_runs(view, catalog, options, selection=state.selection(), run=focus)
    state.put(f"studio.page_runs.{view.name}", choice.ids)
    with right:
        if choice.missing:
            st.warning(f"Selected runs {choice.missing_text(catalog.root.name)}", icon=":material/warning:")
        if choice.problem:
            st.info(choice.problem, icon=":material/checklist:")
            return
        data_key = caching.data_key(view, catalog, choice.ids, options)  # stats the runs' files: once per rerun
        data = load_with_progress(view, catalog, choice.ids, options, data_key)
        if data is None:
            return
        for rid, reason in data.left_out.items():  # the readable runs are drawn
            st.warning(f"Left out {rid}: {reason}", icon=":material/warning:")
        for message in data.warnings:
            st.warning(message, icon=":material/warning:")
        mapping, full = pipeline.labelled(view, data, options, state.mapping(), catalog)
        if mapping != state.mapping():  # labels found in the data (e.g. 'Neutral: Training masked') get grid rows
            state.set_mapping(mapping)
        if draw(view, data, full, data_key):
            render_download_bar(view, data, full, choice.ids, key=key)
            if view.extra_panel is not None:
                view.extra_panel(data, full, key)
            render_code(view, full, data, catalog)
    multi = view.multi_run(options)
    links.write(view.name, options, view.Options(), runs=choice.ids if multi else None, run=None if multi else focus)


def _splits(catalog, focus: str | None) -> list[str]:
    run = catalog.runs.get(focus) if focus else None
    return list(run.encoded) if run else []


def load_with_progress(view: View, catalog, run_ids: list[str], options, data_key: tuple):
    """The cached load; a progress bar names the run being read when top-k work is not cached yet."""
    bar = st.empty()

    def progress(done: int, total: int, run_id: str) -> None:
        text = f"Reading {run_id} ({min(done + 1, total)} of {total})" if run_id else "Comparing…"
        bar.progress(min(1.0, done / max(total, 1)), text=text)

    try:
        return caching.load_view(view, catalog, run_ids, options, progress, keys=data_key)
    except RunReadError as exc:
        st.error(catalog.error_text(exc), icon=":material/error:")
    except (ValueError, KeyError, InterruptedError) as exc:
        st.error(str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc), icon=":material/error:")
    finally:
        bar.empty()
    return None


def draw(view: View, data, options, data_key: tuple) -> bool:
    """build() and show; records the figure's text and timing (the alt text, and what tests check)."""
    started = time.perf_counter()
    try:
        shown, texts = _rendered(repr((data_key, options)), view, data, options)
    except (ValueError, KeyError, RunReadError) as exc:
        st.error(f"Cannot draw with these options: {exc}", icon=":material/error:")
        return False
    built = time.perf_counter()
    preview = render_preview_choice(view)
    if preview:  # the figure as a reader with this deficiency sees it; downloads keep the real colours
        png = shown if isinstance(shown, bytes) else pipeline.file_bytes(view, data, options, "png", dpi=100)
        st.image(colorvision.simulate_png(png, preview), width="content", output_format="PNG", alt=_alt(view, texts),
                 caption=f"Preview: as seen with {preview} (the downloads keep the real colours)")
    elif isinstance(shown, bytes):
        st.image(shown, width="content", output_format="PNG", alt=_alt(view, texts))
    elif isinstance(shown, dict):  # a Vega-Lite spec; theme=None: the browser draws what vl-convert exports
        st.vega_lite_chart(shown, theme=None, key=f"{view.name}.vega", alt=_alt(view, texts))
    else:
        selecting = {"on_select": "rerun", "selection_mode": view.plotly_select} if view.plotly_select else {}
        st.plotly_chart(shown, theme=None, width="stretch", key=f"{view.name}.plotly",
                        config={"displaylogo": False, "toImageButtonOptions": {"format": "svg"}}, **selecting)
    done = time.perf_counter()
    profile = current_profile()  # the paper size the downloads use, captured with the figure
    state.record_figure(view.name, texts=texts, build_ms=(built - started) * 1000, show_ms=(done - built) * 1000,
                        file=lambda fmt, dpi=200: pipeline.file_bytes(view, data, options, fmt, dpi=dpi,
                                                                      profile=profile))
    state.put(state.CLOSE_COLORS, colorvision.close_pairs(figure_colors(view, options, texts)))
    return True


def plotly_selection(view: View) -> dict:
    """The points, boxes and lassos selected on the view's plotly figure (views with `plotly_select`); {} if none."""
    event = st.session_state.get(f"{view.name}.plotly") if view.plotly_select else None
    return dict(event.get("selection") or {}) if event else {}


PREVIEWS = (None, "deuteranopia", "protanopia", "tritanopia", "greyscale")


def render_preview_choice(view: View) -> str | None:
    """How the figure on screen is previewed: as is, or as seen with a colour-vision deficiency or in greyscale."""
    wkey = f"{view.name}.cvd_preview"
    if st.session_state.get(wkey) != state.get(state.CVD_PREVIEW):  # fed from the shared state, kept by the callback
        st.session_state[wkey] = state.get(state.CVD_PREVIEW)
    return st.selectbox("Preview colours", PREVIEWS, key=wkey, format_func=lambda p: p or "as drawn",
                        on_change=lambda: state.put(state.CVD_PREVIEW, st.session_state[wkey]),
                        help="See the figure as readers with a colour-vision deficiency (or a greyscale print) "
                             "see it; simulated with colorspacious.")


def figure_colors(view: View, options, texts: list[str]) -> dict[str, str]:
    """{label as shown: colour} for the coloured entries of the figure on screen (classes, or runs where runs are
    what the colours tell apart)."""
    shown = set(texts)
    named = {}
    if not view.colors_runs:
        named = {label: color for label, color in (getattr(options, "colors", None) or {}).items() if label in shown}
    coloured_runs = None
    if view.run_colors_shown(options):
        coloured_runs = getattr(options, "colors" if view.colors_runs else "run_colors", None)
    labels = getattr(options, "run_labels", None) or {}
    for rid, color in (coloured_runs or {}).items():
        label = labels.get(rid, rid)
        if any(text == label or text.startswith(f"{label} ") for text in shown):
            named[label] = color
    return named


@st.cache_data(max_entries=32, show_spinner=False)
def _rendered(key: str, _view: View, _data, _options):  # noqa: ARG001 - `key` is the cache key
    """(screen PNG, the plotly figure or the Altair chart's spec; the figure's texts). The same data and options
    draw the same figure, so page visits and reruns that change nothing in it (another session's too) reuse it."""
    fig = _view.build(_data, _options)
    if _is_altair(fig):  # as its spec, made once (st.altair_chart would validate it again on every run: ~0.13 s)
        fig = fig.to_dict(validate=False)
    texts = figure_texts(fig)
    if isinstance(fig, Figure):
        png = export.screen_png(fig)
        _close(fig)
        return png, texts
    if not isinstance(fig, dict):  # plotly: as the cache hands it out on later runs (its JSON orders the layout
        fig = type(fig)(fig.to_dict())  # differently), so the chart, and a selection on it, survives the next rerun
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


def _alt(view: View, texts: list[str]) -> str:
    """Words first (title, labels, legend), then the numbers: what a screen reader should hear first."""
    words = [t for t in texts if not _is_number(t)]
    numbers = [t for t in texts if _is_number(t)]
    shown = ", ".join((words + numbers)[:80])
    return f"{view.title}: {shown}"[:1500]


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "").replace("\u2212", "-"))
    except ValueError:
        return False
    return True


def _close(fig: Figure) -> None:
    import matplotlib.pyplot as plt

    plt.close(fig)  # our figures are pyplot-free, so this only guards against one that is not


def render_code(view: View, options, data, catalog) -> None:
    """The script `gradiend-st code` prints for the same view, runs and options (gradiend_st.code)."""
    from gradiend_st.code import script

    source = sources.current()
    with st.expander("Copy as code: the same figure with gradiend", icon=":material/code:"):
        st.code(script(view, options, data, catalog, root=source.code_root, dpi=state.get(state.DPI)),
                language="python")
