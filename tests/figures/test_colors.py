"""The same `colors` give the same class the same colour in the violins, the scatter and the convergence curves."""

from __future__ import annotations

import pytest
from matplotlib.colors import to_hex

from gradiend_st.views import convergence, distributions, scatter

RUN = "he_she"
COLORS = {"he": "#123456", "she": "#a1b2c3"}


def violin_colors(catalog, colors) -> tuple[dict[str, str], set[str]]:
    """(legend entry -> its patch's colour, the colours of the drawn halves: KDE fills, or bars when collapsed)."""
    options = distributions.Options(colors=colors)
    fig = distributions.build(distributions.load(catalog, [RUN], options), options)
    ax = fig.axes[0]
    legend = ax.get_legend()
    patches = {t.get_text(): to_hex(p.get_facecolor()) for t, p in zip(legend.get_texts(), legend.get_patches())}
    drawn = {to_hex(ln.get_color()) for ln in ax.get_lines() if ln.get_linewidth() == 5}  # collapsed halves
    drawn |= {to_hex(c.get_facecolor()[0]) for c in ax.collections}
    return patches, drawn


def scatter_colors(catalog, colors) -> dict[str, str]:
    options = scatter.Options(colors=colors)
    fig = scatter.build(scatter.load(catalog, [RUN], options), options)
    return {trace.name: trace.marker.color for trace in fig.data}


def convergence_colors(catalog, colors) -> dict[str, str]:
    options = convergence.Options(colors=colors)
    fig = convergence.build(convergence.load(catalog, [RUN], options), options)
    means = fig.axes[0]
    return {ln.get_label(): to_hex(ln.get_color()) for ln in means.get_lines() if ln.get_label() in ("he", "she")}


def test_one_colour_per_class_in_every_view(catalog):
    violins, drawn = violin_colors(catalog, COLORS)
    points = scatter_colors(catalog, COLORS)
    curves = convergence_colors(catalog, COLORS)
    for name, color in COLORS.items():
        assert violins[name] == color, name  # legend patch
        assert color in drawn, name  # and the half itself
        assert points[name] == color, name
        assert curves[name] == color, name


@pytest.mark.parametrize("colors", [{"1.0": "#123456"}, {"HE": "#123456"}])
def test_by_label_value_or_display_name(catalog, colors):
    """A label value colours the class in the scatter and the curves; a display name colours it where it is shown."""
    mapping = {"he": "HE"} if "HE" in colors else None
    options = convergence.Options(colors=colors, label_name_mapping={"1.0": "HE"} if mapping else None)
    fig = convergence.build(convergence.load(catalog, [RUN], options), options)
    shown = "HE" if mapping else "he"
    assert {to_hex(ln.get_color()) for ln in fig.axes[0].get_lines() if ln.get_label() == shown} == {"#123456"}
    scatter_options = scatter.Options(colors=colors, label_name_mapping={"1.0": "HE"} if mapping else None)
    traces = scatter.build(scatter.load(catalog, [RUN], scatter_options), scatter_options).data
    assert [t.marker.color for t in traces if t.name == shown] == ["#123456"]
    if mapping:
        dist = distributions.Options(colors=colors, legend_name_mapping=mapping)
        legend = distributions.build(distributions.load(catalog, [RUN], dist), dist).axes[0].get_legend()
        by_name = {t.get_text(): to_hex(p.get_facecolor()) for t, p in zip(legend.get_texts(), legend.get_patches())}
        assert by_name["HE"] == "#123456"


def test_facet_colours_classes_and_overlay_colours_runs(catalog):
    runs = ["he_she", "she_they"]
    facet = convergence.Options(mode="facet", colors={"she": "#a1b2c3"}, run_colors={"he_she": "#0000ff"})
    fig = convergence.build(convergence.load(catalog, runs, facet), facet)
    she = {to_hex(ln.get_color()) for ax in fig.axes for ln in ax.get_lines() if ln.get_label() == "she"}
    assert she == {"#a1b2c3"}  # in both columns
    overlay = convergence.Options(mode="overlay", colors={"she": "#a1b2c3"}, run_colors={"he_she": "#0000ff"})
    fig = convergence.build(convergence.load(catalog, runs, overlay), overlay)
    corr = {ln.get_label(): to_hex(ln.get_color()) for ln in fig.axes[-1].get_lines()}
    assert corr["he_she"] == "#0000ff" and corr["she_they"] != "#0000ff"
