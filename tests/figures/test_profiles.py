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


def svg_font_families(svg: str) -> set[str]:
    """First family of every font-family declaration (CSS in matplotlib and plotly SVGs, attributes in Vega's)."""
    return {name for name in re.findall(r"font-family[:=]\s*[\"']?\s*'?([A-Za-z][A-Za-z ]*)", svg)}


def png_width(png: bytes) -> int:
    return int.from_bytes(png[16:20], "big")  # IHDR: width, then height


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
    assert svg_font_families(svg) == {"STIXGeneral"}, "no text in another font"
    png = file_bytes(view, data, options, "png", dpi=100, profile=profile)
    assert abs(png_width(png) - profile.width_in * 100) <= 1


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


def draw_at(drawn, view_name: str, profile, **changes):
    """The view's figure as the export builds it at `profile` (its sizes and fonts in force), laid out."""
    from dataclasses import replace

    from gradiend_st.figures.style import studio_style
    from gradiend_st.pipeline import sized

    view, data, options = drawn[view_name]
    with profiles.use(profile), studio_style():
        fig = view.build(data, sized(view, data, replace(options, **changes), profile))
        profiles.fit(fig, profile)
    return fig


def test_legends_go_below_the_axes_in_a_column(drawn):
    """Beside the axes at NeurIPS width; below them (never over the data) in an ACL column."""
    for view_name in ("distributions", "convergence"):
        wide = draw_at(drawn, view_name, profiles.get("neurips"))
        narrow = draw_at(drawn, view_name, profiles.get("acl-column"))
        renderer = narrow._get_renderer()
        [legend] = narrow.legends
        box = legend.get_window_extent(renderer)
        assert all(box.y1 <= ax.get_window_extent(renderer).y0 for ax in narrow.axes), view_name
        assert box.x0 >= 0 and box.x1 <= narrow.bbox.x1
        beside = [lg for ax in wide.axes for lg in [ax.get_legend()] if lg] or wide.legends
        assert all(lg.get_window_extent(wide._get_renderer()).x0 >= wide.axes[0].get_window_extent().x1 - 1
                   for lg in beside), view_name


def test_heatmap_numbers_fit_their_cells_or_a_note_says_they_are_left_out(demo):
    """Thirteen runs in an ACL column leave cells too small for "1000" at 5 pt: no numbers, a note; at the ACL
    page width they fit, at the profile's annotation size."""
    runs = [rid for rid, run in demo.runs.items() if run.has_topk]
    assert len(runs) >= 12
    preset = Preset(selection=runs)
    _, view, data, options, _ = prepared(demo, "heatmap", preset=preset, allow_missing=True)
    column = file_bytes(view, data, options, "svg", profile=profiles.get("acl-column")).decode()
    assert 'id="heatmap-cell"' not in column and "cell values left out" in column
    page = file_bytes(view, data, options, "svg", profile=profiles.get("acl-page")).decode()
    assert 'id="heatmap-cell"' in page and "cell values left out" not in page


def test_interactive_convergence_follows_the_profile(demo):
    """The Altair chart (vl-convert) is exactly the profile's width, in STIX, at the profile's sizes."""
    preset = Preset(selection=SELECTION, run="he_she", views={"convergence": {"mode": "interactive"}})
    _, view, data, options, _ = prepared(demo, "convergence", preset=preset, allow_missing=True)
    for name in ("acl-column", "neurips"):
        profile = profiles.get(name)
        pdf = file_bytes(view, data, options, "pdf", profile=profile)
        assert abs(pdf_width_pt(pdf) - profile.width_pt) <= 1.0
        assert {f.split("-")[0] for f in pdf_fonts(pdf)} == {"STIXGeneral"}
        svg = file_bytes(view, data, options, "svg", profile=profile).decode()
        sizes = {float(size) for size in re.findall(r'font-size="([\d.]+)', svg)}
        assert sizes and sizes <= set(profile.sizes.values()), sizes
        assert svg_font_families(svg) == {"STIXGeneral"}


def test_greyscale_palette_varies_dash_patterns(demo):
    """The greyscale palette turns `line_styles` on: classes of a convergence figure get distinct dash patterns;
    with the default palette every class line is solid."""
    from gradiend_st.mapping import Mapping

    def class_dashes(palette: str) -> list:
        preset = Preset(selection=["he_she"], run="he_she", mapping=Mapping(palette=palette))
        _, view, data, options, _ = prepared(demo, "convergence", preset=preset, allow_missing=True)
        assert options.line_styles is (palette == "greyscale")
        fig = view.build(data, options)
        lines = [line for line in fig.axes[0].get_lines() if not line.get_label().startswith(("_", "best"))]
        return [line.get_linestyle() for line in lines]

    grey = class_dashes("greyscale")
    assert len(grey) >= 2 and len(set(grey)) == len(grey)
    assert set(class_dashes("okabe-ito")) == {"-"}


def test_a_size_the_user_set_is_kept(drawn):
    """The venue's sizes are for what the user left to the studio: a title size they chose survives the export."""
    from dataclasses import replace

    view, data, options = drawn["distributions"]
    svg = file_bytes(view, data, replace(options, title_fontsize=12.0), "svg",
                     profile=profiles.get("acl-column")).decode()
    assert 12.0 in svg_font_sizes(svg)
    assert svg_font_families(svg) == {"STIXGeneral"}
