"""A figure set: every view of the current selection as PDF and PNG, the numbers as CSV, the preset, and a LaTeX
snippet with one figure environment per figure, in one zip, ready to unpack next to a paper.

The same function serves the app's "Figure set" download and `gradiend-st render-all`. No Streamlit here.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

from gradiend_st import pipeline
from gradiend_st.views import registry

FOLDER = "figures"  # inside the zip, and the path the LaTeX snippet includes from
FORMATS = ("pdf", "png")
LATEX_SPECIALS = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


@dataclass
class FigureSet:
    zip_bytes: bytes
    figures: list[str] = field(default_factory=list)  # view names drawn
    skipped: list[str] = field(default_factory=list)  # "view: why" for views that could not be drawn


def build_figure_set(catalog, preset, *, profile=None, dpi: int | None = None) -> FigureSet:
    """Every registry view that can draw the preset's selection/run, at `profile` (a figures.profiles.Profile)."""
    buffer = io.BytesIO()
    drawn, skipped, environments = [], [], []
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in registry.VIEW_NAMES:
            try:
                preset_, view, data, full, notes = pipeline.prepared(catalog, name, preset=preset, allow_missing=True)
                files = {fmt: pipeline.file_bytes(view, data, full, fmt, dpi=dpi or preset_.dpi or 200, profile=profile)
                         for fmt in FORMATS if fmt in view.export_formats(full)}
                table = view.table(data, full)
            except Exception as exc:  # one view that cannot draw this selection must not cost the others
                skipped.append(f"{name}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
                continue
            if not data.runs:
                skipped.append(f"{name}: nothing to draw")
                continue
            for fmt, content in files.items():
                _write(archive, f"{FOLDER}/{name}.{fmt}", content)
            _write(archive, f"{FOLDER}/{name}.csv", table.to_csv(index=table.index.name is not None).encode("utf-8"))
            environments.append(latex_figure(name, view.title, data, full, notes, profile))
            drawn.append(name)
        _write(archive, "preset.json", preset.to_json().encode("utf-8"))
        _write(archive, "figures.tex", ("\n".join(environments) or "% no figure could be drawn\n").encode("utf-8"))
        if skipped:
            _write(archive, "SKIPPED.txt", ("\n".join(skipped) + "\n").encode("utf-8"))
    return FigureSet(buffer.getvalue(), drawn, skipped)


def _write(archive: zipfile.ZipFile, name: str, content: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))  # fixed dates: the same set gives the same zip
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, content)


def latex_figure(name: str, title: str, data, options, notes: list[str], profile=None) -> str:
    """One figure environment: full width for a page-wide profile (figure*), the column otherwise."""
    page_wide = bool(profile and getattr(profile, "page_wide", False))
    env, width = ("figure*", r"\textwidth") if page_wide else ("figure", r"\columnwidth")
    labels = getattr(options, "run_labels", None) or {}
    runs = ", ".join(labels.get(rid, rid) for rid in data.runs)
    details = [f"runs: {runs}"]
    for field_name, what in (("part", "part"), ("topk", "k")):
        value = getattr(data, field_name, None) or getattr(options, field_name, None)
        if value is not None:
            details.append(f"{what} = {value}")
    caption = f"{title} ({'; '.join(details)}). TODO: what the reader should see."
    if notes:
        caption += f" Not shown: {'; '.join(notes)}."
    return "\n".join([
        rf"\begin{{{env}}}[t]",
        r"  \centering",
        rf"  \includegraphics[width={width}]{{{FOLDER}/{name}.pdf}}",
        rf"  \caption{{{latex_escape(caption)}}}",
        rf"  \label{{fig:{name}}}",
        rf"\end{{{env}}}",
        "",
    ])


def latex_escape(text: str) -> str:
    return re.sub(r"[\\&%$#_{}~^]", lambda m: LATEX_SPECIALS[m.group(0)], text)


def included_files(tex: str) -> list[str]:
    """The files a LaTeX snippet includes (what the zip must hold for it to compile)."""
    return re.findall(r"\\includegraphics(?:\[[^\]]*\])?\{([^}]+)\}", tex)
