"""The shared sidebar: where runs come from, which runs are selected, presets, and display settings."""

from __future__ import annotations

import streamlit as st

from gradiend_st import mapping as mp
from gradiend_st.presets import Preset, PresetError, preset_of
from gradiend_st.ui import caching, links, sources, state
from gradiend_st.views import registry


def render_sidebar() -> None:
    with st.sidebar:
        catalog = _catalog()
        summary = None
        if catalog is not None:
            summary = f"{len(catalog.runs)} runs" + (f", {len(catalog.errors)} unreadable" if catalog.errors else "")
        sources.render_source_picker(summary)
        if catalog is not None:
            sync_with_catalog(catalog)
            links.read_runs_once(catalog)  # a shared link's runs, before the selection widget shows them
            st.divider()
            render_selection(catalog)
        st.divider()
        render_presets(catalog)
        st.toggle("Plain tables instead of AG Grid", key=state.PLAIN_GRIDS,
                  help="Use Streamlit's own table editor for the label grids (e.g. if AG Grid does not load).")


def _catalog():
    try:
        return caching.catalog_for(sources.current().root)
    except Exception as exc:  # shown on the pages; the sidebar must stay usable to pick another source
        st.error(f"Cannot read the runs: {getattr(exc, 'problem', exc)}")
        return None


def sync_with_catalog(catalog) -> None:
    """Default selection (every run) for a new catalog, and mapping rows for its runs and classes."""
    if state.SELECTION not in st.session_state:
        state.set_selection(catalog.ids("run"))
    current = state.mapping()
    merged = mp.merge(current, catalog)
    if merged != current:
        state.set_mapping(merged)


def render_selection(catalog) -> None:
    wkey = "sidebar.selection"
    canonical = [rid for rid in state.selection() if rid in catalog.runs]
    if st.session_state.get(wkey) != canonical:
        st.session_state[wkey] = canonical
    labels = state.mapping()
    st.multiselect(f"Selected runs ({registry.comparison_titles()})", list(catalog.runs), key=wkey,
                   format_func=labels.run_label, on_change=lambda: state.set_selection(st.session_state[wkey],
                                                                                       from_widget="sidebar"),
                   placeholder="Tick runs on the Runs page or pick them here")


# ----------------------------------------------------------------------------------------------- presets


def current_preset() -> Preset:
    """Mappings + every view's options (full, GRADIEND names; label fields live in the mapping) + selection."""
    return preset_of(state.mapping(), st.session_state.get(state.OPTIONS, {}), state.selection(), state.get(state.RUN),
                     dpi=state.get(state.DPI), profile=state.get(state.PROFILE))


def apply_preset(preset: Preset, catalog) -> str:
    """Load a preset into the session; returns a one-line summary."""
    state.set_mapping(mp.merge(preset.mapping, catalog) if catalog is not None else preset.mapping)
    for view, values in preset.views.items():
        if view in registry.VIEW_NAMES:
            state.set_view_options(view, values)
    selection = preset.selection or []
    known = [rid for rid in selection if catalog is None or rid in catalog.runs]
    if known:
        state.set_selection(known)
    missing = [rid for rid in selection if rid not in known]
    if preset.run and catalog is not None and preset.run not in catalog.runs:
        missing.append(preset.run)
    elif preset.run:
        state.put(state.RUN, preset.run)
    if preset.profile is not None:
        state.put(state.PROFILE, preset.profile)
        state.bump("profile")
    if preset.dpi is not None:
        state.put(state.DPI, preset.dpi)
        for name in registry.VIEW_NAMES:  # the download bars' DPI boxes are fed from state.DPI when re-created
            st.session_state.pop(f"{name}.dpi", None)
    return (f"Preset loaded: {len(preset.views)} views, {len(preset.mapping.classes)} label rows"
            + (f"; not in this folder: {', '.join(dict.fromkeys(missing))}" if missing else "") + ".")


def _figure_set(catalog) -> bytes:
    from gradiend_st.figure_set import build_figure_set
    from gradiend_st.ui.downloads import current_profile

    return build_figure_set(catalog, current_preset(), profile=current_profile()).zip_bytes


def render_presets(catalog) -> None:
    st.markdown("**Preset**")
    st.caption("All labels, groups, colours and view options as one JSON file; "
               "also works with `gradiend-st render --preset`.")
    st.download_button("Save preset", data=lambda: current_preset().to_json().encode("utf-8"), on_click="ignore",
                        file_name="gradiend-studio-preset.json", mime="application/json", icon=":material/save:",
                        key="preset.save", width="stretch")
    uploaded = st.file_uploader("Load preset", type=["json"], key=f"preset.load.{state.version('preset')}")
    if catalog is not None:
        st.download_button("Figure set (.zip)", data=lambda: _figure_set(catalog), on_click="ignore",
                           file_name="gradiend-figures.zip", mime="application/zip", icon=":material/folder_zip:",
                           key="preset.figure_set", width="stretch",
                           help="Every view of the selection as PDF and PNG at the chosen paper size, the CSVs, "
                                "this preset and a figures.tex with one figure environment per file")
    if uploaded is not None:
        try:
            message = apply_preset(Preset.from_json(uploaded.getvalue()), catalog)
            state.put(state.SOURCE_MESSAGE, ("success", message))
        except PresetError as exc:
            state.put(state.SOURCE_MESSAGE, ("error", f"Preset not loaded: {exc}"))
        state.bump("preset")  # a fresh uploader: the same file can be loaded again later
        st.rerun()
