"""The registry: every view of the studio, in navigation order. The only list of view names in the project.

Adding a view: write `gradiend_st/views/<name>.py` ending in `VIEW = View(...)`, add its name to `VIEW_NAMES`,
add `pages/<name>.py` (two lines, like the others), and its tests. The router, the view page, caching, the
options form, presets, links, downloads, the CLI, tests and benches all read this module.
"""

from __future__ import annotations

import importlib
from dataclasses import fields
from functools import cache

from gradiend_st.views.base import View

VIEW_NAMES = ("sweep", "convergence", "distributions", "scatter", "decoder", "heatmap", "venn", "weightmap", "curves", "crossencoding")


@cache
def get(name: str) -> View:
    """The view called `name` (its module is imported on first use: plotly and altair are slow to import)."""
    if name not in VIEW_NAMES:
        raise ValueError(f"unknown view '{name}': choose one of {', '.join(VIEW_NAMES)}")
    view = importlib.import_module(f"gradiend_st.views.{name}").VIEW
    if view.name != name:
        raise ValueError(f"gradiend_st/views/{name}.py declares a view named {view.name!r}")
    return view


def all_views() -> list[View]:
    return [get(name) for name in VIEW_NAMES]


def comparison_titles() -> str:
    """The views that draw the selection, for texts such as "Selected runs (Heatmap, Venn, Convergence)"."""
    return ", ".join(view.nav_title for view in all_views() if view.runs != "one")


def options_from_dict(view: View, values: dict | None):
    """The view's Options with known keys from `values` (unknown keys are ignored, so old presets still load)."""
    known = {f.name for f in fields(view.Options)}
    return view.Options(**{k: v for k, v in (values or {}).items() if k in known})


def file_bytes(view: View, data, options, fmt: str, *, dpi: int = 200) -> bytes:
    """The figure `view.build(data, options)` draws, as a `fmt` file (dpi for raster output)."""
    from gradiend_st.figures.export import figure_bytes

    if view.export is not None:
        return view.export(data, options, fmt, dpi=dpi)
    return figure_bytes(view.build(data, options), fmt, dpi=dpi)
