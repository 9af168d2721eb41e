"""Venue profiles: every view's export is exactly the profile's width, in one embedded TrueType font family, at the
profile's font sizes (a label that would spill is allowed to shrink, and `fit` reports it)."""

from __future__ import annotations

import re
import zipfile

import pytest

from gradiend_st.demo import DEMO_ROOT
from gradiend_st.figure_set import build_figure_set, included_files
from gradiend_st.figures import profiles
from gradiend_st.io.discover import discover
from gradiend_st.pipeline import file_bytes, prepared
from gradiend_st.presets import Preset
from gradiend_st.views.registry import VIEW_NAMES

SELECTION = ["he_she", "she_they", "he_it"]


@pytest.fixture(scope="module")
def demo():
    return discover(DEMO_ROOT)


@pytest.fixture(scope="module")
def drawn(demo):
    """Each view of the demo's first three pair runs, prepared once (data and options)."""
    preset = Preset(selection=SELECTION, run="he_she")
    return {name: prepared(demo, name, preset=preset, allow_missing=True)[1:4] for name in VIEW_NAMES}


def pdf_width_pt(pdf: bytes) -> float:
    box = re.search(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)", pdf)
    return float(box.group(3)) - float(box.group(1))


def pdf_fonts(pdf: bytes) -> set[str]:
    return {name.decode().split("+")[-1] for name in re.findall(rb"/BaseFont\s*/([A-Za-z0-9+_-]+)", pdf)}


def svg_font_sizes(svg: str) -> set[float]:
    return {float(size) for size in re.findall(r"font-size:\s*([\d.]+)px", svg)}


@pytest.mark.parametrize("name", list(profiles.PROFILES))
@pytest.mark.parametrize("view_name", VIEW_NAMES)
def test_every_view_fits_every_profile(drawn, name, view_name):
    profile = profiles.PROFILES[name]
    view, data, options = drawn[view_name]
    pdf = file_bytes(view, data, options, "pdf", profile=profile)
    assert abs(pdf_width_pt(pdf) - profile.width_pt) <= 1.0
    fonts = pdf_fonts(pdf)
    assert fonts and {f.split("-")[0] for f in fonts} == {"STIXGeneral"}, f"one family: {fonts}"
    assert b"/FontFile2" in pdf and b"/Subtype /Type3" not in pdf, "TrueType, embedded (pdf.fonttype 42)"
    svg = file_bytes(view, data, options, "svg", profile=profile).decode()
    sizes = svg_font_sizes(svg)
    allowed = set(profile.sizes.values())
    assert sizes <= allowed | {s for s in sizes if profiles.SMALLEST_FONT <= s < min(allowed)}, sizes
    assert sizes & allowed, "the profile's sizes are used"


def test_custom_widths_and_sans(drawn):
    view, data, options = drawn["heatmap"]
    profile = profiles.from_spec("85mm+sans")
    pdf = file_bytes(view, data, options, "pdf", profile=profile)
    assert abs(pdf_width_pt(pdf) - 85 / 25.4 * 72) <= 1.0
    assert {f.split("-")[0] for f in pdf_fonts(pdf)} == {"DejaVuSans"}
    assert profiles.from_spec("neurips@4in").width_in == 4.0
    with pytest.raises(ValueError, match="unknown profile 'wide'"):
        profiles.from_spec("wide")
    with pytest.raises(ValueError, match="mm, cm or in"):
        profiles.from_spec("neurips@wide")


def test_the_figure_set_compiles(demo):
    """Every file figures.tex includes is in the zip (what LaTeX needs, checked without TeX)."""
    result = build_figure_set(demo, Preset(selection=SELECTION, run="he_she"), profile=profiles.get("acl-column"))
    archive = zipfile.ZipFile(__import__("io").BytesIO(result.zip_bytes))
    names = set(archive.namelist())
    tex = archive.read("figures.tex").decode()
    included = included_files(tex)
    assert included and set(included) <= names
    assert len(included) == len(result.figures) == tex.count(r"\begin{figure}")
    assert {"preset.json", *(f"figures/{v}.png" for v in result.figures), *(f"figures/{v}.csv" for v in result.figures)} <= names
    assert r"he\_she" in tex and r"\columnwidth" in tex
    page = build_figure_set(demo, Preset(selection=SELECTION), profile=profiles.get("acl-page"))
    assert r"\begin{figure*}" in zipfile.ZipFile(__import__("io").BytesIO(page.zip_bytes)).read("figures.tex").decode()
