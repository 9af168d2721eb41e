"""The five views behind one contract, so the app pages, `gradiend-st render` and presets treat them alike.

Every view module `gradiend_st.figures.<name>` provides:
- `Options`: a dataclass with GRADIEND's parameter names and JSON-friendly defaults;
- `load(catalog, run_ids, options) -> data`: reads what the view needs (the expensive part, cached by callers);
- `build(data, options) -> figure`: a matplotlib `Figure`, a plotly figure or an Altair chart, the one shown and
  exported;
- `table(data, options) -> pandas.DataFrame`: the numbers behind the figure, for the CSV download;
- `EXPORT_FORMATS`: the download formats it offers, e.g. ("png", "pdf", "svg");
and optionally `export_formats(options)` when the formats depend on the options, and
`export(data, options, fmt, dpi=...)` when its files are not simply `build(...)` through `export.figure_bytes`
(the plotly scatter, Altair charts).
"""

from __future__ import annotations

import importlib
from dataclasses import fields
from types import ModuleType

VIEWS = ("convergence", "distributions", "scatter", "heatmap", "venn")


def view_module(name: str) -> ModuleType:
    if name not in VIEWS:
        raise ValueError(f"unknown view '{name}': choose one of {', '.join(VIEWS)}")
    return importlib.import_module(f"gradiend_st.figures.{name}")


def options_from_dict(name: str, values: dict | None):
    """The view's Options with known keys from `values` (unknown keys are ignored, so old presets still load)."""
    options_cls = view_module(name).Options
    known = {f.name for f in fields(options_cls)}
    return options_cls(**{k: v for k, v in (values or {}).items() if k in known})


def export_formats(module: ModuleType, options) -> tuple[str, ...]:
    """The file formats the view offers with these options."""
    by_options = getattr(module, "export_formats", None)
    return tuple(by_options(options) if callable(by_options) else module.EXPORT_FORMATS)


def file_bytes(module: ModuleType, data, options, fmt: str, *, dpi: int = 200) -> bytes:
    """The figure `build(data, options)` draws, as a `fmt` file (dpi for raster output)."""
    from gradiend_st.figures.export import figure_bytes

    own_export = getattr(module, "export", None)
    if callable(own_export):
        return own_export(data, options, fmt, dpi=dpi)
    return figure_bytes(module.build(data, options), fmt, dpi=dpi)
