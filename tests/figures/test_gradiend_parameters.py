"""gradiend 0.2.3's parameters the five views gained (issue 16), each on the real fixtures.

Heatmap: annot_fmt/fmt, axis_label_fontsize, group label rotations, cbar_*, row/column label mappings, the row
metric strip, seed groups (aggregate, dispersion, pairing, display), percentages rescaling vmin/vmax. Venn:
seed_group_policy. Distributions: class_label_mapping, ignore_missing_legend_group_labels, split_plot_mode, rows
without a data split. Every legend location; the app's form for list and mapping options.
"""

from __future__ import annotations

import json
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.text import Text

from gradiend_st.figures.stamped_text import StampedText
from gradiend_st.io.discover import discover
from gradiend_st.views import distributions, heatmap, scatter, venn
from tests.builders import write_run

KEY = "decoder-weight|100"
HE_THEY = "suite_pronouns/he__they"
PAIRS = ["he_she", "she_they", HE_THEY]
SEEDS = ["he_she_seeds/seeds/seed_1", "he_she_seeds/seeds/seed_0", "he_she_seeds/seeds/seed_2"]  # best seed first


@pytest.fixture(scope="module")
def pairs(catalog):
    return heatmap.load(catalog, PAIRS, heatmap.Options(topk=100))


@pytest.fixture(scope="module")
def grouped(catalog):
    return heatmap.load(catalog, ["he_she_seeds", "she_they", HE_THEY],
                        heatmap.Options(topk=100, seed_groups=True))


def all_axes(fig: Figure) -> list:
    """The figure's axes and their inset axes (strips, colour bar)."""
    return [a for ax in fig.axes for a in (ax, *ax.child_axes)]


def stamped(fig: Figure, gid: str) -> StampedText:
    [found] = [a for ax in all_axes(fig) for a in ax.get_children() if isinstance(a, StampedText) and a.get_gid() == gid]
    return found


def texts(fig: Figure, gid: str) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_gid() == gid]


# ----------------------------------------------------------------------------------------------- heatmap


def test_annot_fmt_and_its_deprecated_alias(pairs, expected_topk):
    counts = np.array(expected_topk["heatmap"][KEY]["intersection_counts"])
    index = [expected_topk["heatmap"][KEY]["model_ids"].index(r) for r in PAIRS]
    want = counts[np.ix_(index, index)]
    fig = heatmap.build(pairs, heatmap.Options(topk=100, annot_fmt=".1f"))
    assert stamped(fig, "heatmap-cell").texts == [f"{v:.1f}" for v in want.ravel()]
    alias = heatmap.build(pairs, heatmap.Options(topk=100, fmt=".2f"))
    assert stamped(alias, "heatmap-cell").texts[0] == f"{want[0, 0]:.2f}"
    both = heatmap.build(pairs, heatmap.Options(topk=100, fmt=".2f", annot_fmt=".0f"))
    assert stamped(both, "heatmap-cell").texts[0] == f"{want[0, 0]:.0f}"  # annot_fmt wins, as in gradiend


def test_axis_label_fontsize_is_accepted_and_draws_nothing_new(pairs):
    """gradiend sizes x/y axis titles with it; its top-k heatmap has none, nor has the studio's."""
    from gradiend_st.figures.export import figure_bytes

    plain = figure_bytes(heatmap.build(pairs, heatmap.Options(topk=100)), "svg")
    sized = figure_bytes(heatmap.build(pairs, heatmap.Options(topk=100, axis_label_fontsize=20)), "svg")
    assert plain == sized


def test_group_label_rotations(pairs):
    groups = {"he pairs": ["he_she"], "rest": ["she_they", HE_THEY]}
    fig = heatmap.build(pairs, heatmap.Options(topk=100, pretty_groups=groups, group_label_rotation_top=90,
                                               group_label_rotation_right=30))
    assert {t.get_rotation() for t in texts(fig, "group-top")} == {90.0}
    assert {t.get_rotation() for t in texts(fig, "group-right")} == {30.0}
    flat = heatmap.build(pairs, heatmap.Options(topk=100, pretty_groups=groups))
    assert {t.get_rotation() for t in texts(flat, "group-top") + texts(flat, "group-right")} == {0.0}


def colorbar_axes(fig: Figure):
    [bar] = [ax for ax in all_axes(fig) if ax.get_ylabel() == "% of the smaller top-k set shared"
             or ax.get_ylabel() == "shared top-k indices"]
    return bar


def test_colorbar_pad_shift_length_and_font(pairs):
    def box(**kw):
        fig = heatmap.build(pairs, heatmap.Options(topk=100, **kw))
        matrix, bar = fig.axes[0].get_position(), colorbar_axes(fig)
        return matrix, bar.get_position(), bar

    matrix, default, _ = box()
    assert default.height == pytest.approx(0.75 * matrix.height)  # gradiend's shrink
    _, short, _ = box(cbar_shrink=0.5)
    assert short.height == pytest.approx(0.5 * matrix.height)
    _, up, _ = box(cbar_y_pad=0.1)
    assert up.y0 - default.y0 == pytest.approx(0.1 * matrix.height)
    _, far, _ = box(cbar_pad=0.3)
    assert far.x0 - default.x0 == pytest.approx((0.3 - 0.04) * matrix.width)
    _, _, bar = box(cbar_fontsize=13)
    assert {t.get_fontsize() for t in bar.get_yticklabels()} == {13} and bar.yaxis.label.get_fontsize() == 13


def test_row_and_column_labels_differ(pairs):
    fig = heatmap.build(pairs, heatmap.Options(topk=100, row_label_mapping={"he_she": "row he/she"},
                                               column_label_mapping={"he_she": "column he/she"}))
    assert stamped(fig, "heatmap-ytick").texts[0] == "row he/she"
    assert stamped(fig, "heatmap-xtick").texts[0] == "column he/she"
    frame = heatmap.table(pairs, heatmap.Options(topk=100, row_label_mapping={"he_she": "R"},
                                                 column_label_mapping={"he_she": "C"}))
    assert frame.index[0] == "R" and frame.columns[0] == "C"


def test_row_metric_strip_shows_best_correlations(catalog, pairs):
    from gradiend_st.io.training import read_training

    options = heatmap.Options(topk=100, row_metric="correlation", row_metric_label="best corr",
                              row_metric_cmap="viridis", row_metric_vmin=0.0, row_metric_vmax=1.0)
    fig = heatmap.build(pairs, options)
    correlations = [read_training(catalog.get(r).training_path).best_correlation for r in PAIRS]
    assert stamped(fig, "heatmap-row-metric-value").texts == [f"{c:.2f}" for c in correlations]
    assert correlations[2] < 0.6  # the non-converged suite child
    [mesh] = [c for ax in all_axes(fig) for c in ax.collections if c.get_gid() == "heatmap-row-metric"]
    assert (mesh.norm.vmin, mesh.norm.vmax, mesh.cmap.name) == (0.0, 1.0, "viridis")
    assert [t.get_text() for t in texts(fig, "heatmap-row-metric-label")] == ["best corr"]
    # The run names sit left of the strip, never over it
    names, strip = stamped(fig, "heatmap-ytick"), mesh.axes
    assert names.axes is strip
    explicit = heatmap.build(pairs, heatmap.Options(topk=100, row_metric={"he_she": 0.5}))
    assert stamped(explicit, "heatmap-row-metric-value").texts == ["0.50", "–", "–"]
    assert not texts(heatmap.build(pairs, heatmap.Options(topk=100)), "heatmap-row-metric-label")


def seed_counts(expected_topk) -> dict[tuple[str, str], int]:
    entry = expected_topk["seeds"]["heatmap"][KEY]
    ids = [f"he_she_seeds/seeds/{m}" for m in entry["model_ids"]]
    return {(a, b): int(entry["intersection_counts"][i][j]) for i, a in enumerate(ids) for j, b in enumerate(ids)}


def test_seed_groups_aggregate_seed_pairs(catalog, grouped, expected_topk):
    assert grouped.members["he_she_seeds"] == SEEDS and grouped.members["she_they"] == ["she_they"]
    within = [seed_counts(expected_topk)[pair] for pair in combinations(SEEDS, 2)]  # distinct seeds only
    indices = {m: set(expected_topk["seeds"]["topk_indices"][KEY][m.rsplit("/", 1)[1]]) for m in SEEDS}
    she_they = set(expected_topk["topk_indices"][KEY]["she_they"])
    across = [len(indices[m] & she_they) for m in SEEDS]
    for aggregate, combine in (("mean", np.mean), ("median", np.median), ("min", min), ("max", max)):
        cells = heatmap.cells(grouped, heatmap.Options(topk=100, seed_groups=True, seed_aggregate=aggregate,
                                                       seed_pairing_mode="all_pairs"))
        assert cells.values[0, 0] == pytest.approx(combine(within)), aggregate
        assert cells.values[0, 1] == pytest.approx(combine(across)), aggregate
        assert cells.pairs[0, 0] == 3 and cells.pairs[0, 1] == 3 and cells.pairs[1, 1] == 1
    with pytest.raises(ValueError, match="seed_pairing_mode='matched' requires equal"):
        heatmap.build(grouped, heatmap.Options(topk=100, seed_groups=True))  # 3 seeds against 1 run
    with pytest.raises(ValueError, match="dispersion='range' does not make sense"):
        heatmap.cells(grouped, heatmap.Options(seed_aggregate="min", dispersion="range", seed_pairing_mode="all_pairs"))


def test_matched_pairs_seeds_by_position(catalog, expected_topk):
    both = heatmap.load(catalog, ["he_she_seeds", "he_she_seeds/seeds/seed_0"], heatmap.Options(topk=100))
    assert both.member_counts is None  # without seed_groups every run is itself
    data = heatmap.load(catalog, ["he_she_seeds", "he_she"], heatmap.Options(topk=100, seed_groups=True))
    with pytest.raises(ValueError, match="matched"):
        heatmap.cells(data, heatmap.Options(seed_groups=True))
    counts = seed_counts(expected_topk)
    # A group against itself, matched: the k-th seed with the k-th (off the diagonal this needs two groups; the
    # pairs of distinct seeds on the diagonal do not depend on the mode)
    cells = heatmap.cells(data, heatmap.Options(seed_groups=True, seed_pairing_mode="all_pairs"))
    assert cells.values[0, 0] == pytest.approx(np.mean([counts[p] for p in combinations(SEEDS, 2)]))


def test_dispersion_and_its_display(grouped):
    std = heatmap.Options(topk=100, seed_groups=True, seed_pairing_mode="all_pairs", dispersion="std",
                          dispersion_display="stacked")
    cells = heatmap.cells(grouped, std)
    fig = heatmap.build(grouped, std)
    spreads = stamped(fig, "heatmap-cell-spread").texts
    assert spreads[1] == f"\u00b1{cells.spread[0, 1]:.0f}" and spreads[4] == ""  # a single run's cell has none
    half = heatmap.cells(grouped, heatmap.Options(seed_groups=True, seed_pairing_mode="all_pairs", dispersion="range"))
    assert half.spread[0, 1] == pytest.approx((cells.high[0, 1] - cells.low[0, 1]) / 2)
    minmax = heatmap.build(grouped, heatmap.Options(topk=100, seed_groups=True, seed_pairing_mode="all_pairs",
                                                    dispersion="minmax", dispersion_display="stacked"))
    assert stamped(minmax, "heatmap-cell-spread").texts[1] == f"[{cells.low[0, 1]:.0f}, {cells.high[0, 1]:.0f}]"
    glyphs = heatmap.build(grouped, heatmap.Options(topk=100, seed_groups=True, seed_pairing_mode="all_pairs",
                                                    dispersion="std", dispersion_display="corner_glyph"))
    [circles] = [c for c in glyphs.axes[0].collections if isinstance(c, PatchCollection)]
    assert len(circles.get_paths()) == int((cells.spread > 0).sum())
    assert "diagonal cells compare distinct seeds" in " ".join(t.get_text() for t in glyphs.findobj(Text))


def test_percentages_rescale_vmin_vmax(pairs, catalog):
    def norm(data, **kw):
        fig = heatmap.build(data, heatmap.Options(topk=100, percentages=True, **kw))
        return fig.axes[0].collections[0].norm

    counts = norm(pairs, vmin=10, vmax=50)  # counts of k = 100: 10 % .. 50 %
    assert (counts.vmin, counts.vmax) == (10.0, 50.0)
    fractions = norm(pairs, value="intersection_frac", vmin=0.2, vmax=0.8)
    assert (fractions.vmin, fractions.vmax) == pytest.approx((20.0, 80.0))
    uneven = heatmap.load(catalog, ["he_she", "he_she_preprune"], heatmap.Options(topk=0.01))
    with pytest.raises(ValueError, match="uniform resolved top-k sizes"):
        heatmap.build(uneven, heatmap.Options(topk=0.01, percentages=True, vmax=10))


# ----------------------------------------------------------------------------------------------- Venn


@pytest.mark.parametrize("policy, combine", [("primary", None), ("union", set.union),
                                             ("intersection", set.intersection)])
def test_seed_group_policy(catalog, expected_topk, policy, combine):
    seeds = {m: set(expected_topk["seeds"]["topk_indices"][KEY][m.rsplit("/", 1)[1]]) for m in SEEDS}
    options = venn.Options(topk=100, seed_groups=True, seed_group_policy=policy)
    data = venn.load(catalog, ["he_she_seeds", "she_they"], options)
    want = seeds[SEEDS[0]] if combine is None else combine(*seeds.values())
    she_they = set(expected_topk["topk_indices"][KEY]["she_they"])
    assert data.sizes["he_she_seeds"] == len(want)
    shared = next(r["count"] for r in data.regions if len(r["members"]) == 2)
    assert shared == len(want & she_they)
    with pytest.raises(ValueError, match="seed_group_policy"):
        venn.load(catalog, ["he_she_seeds", "she_they"], venn.Options(topk=100, seed_groups=True,
                                                                      seed_group_policy="all"))


# ----------------------------------------------------------------------------------------------- distributions


def draw(catalog, run_id, **options):
    opts = distributions.Options(**options)
    return distributions.build(distributions.load(catalog, [run_id], opts), opts), opts


def legend_texts(fig: Figure) -> list[str]:
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    return [t.get_text() for legend in legends for t in legend.get_texts()]


def test_class_label_mapping_names_classes_before_labels(catalog):
    fig, _ = draw(catalog, HE_THEY, class_label_mapping={"he": "He", "they": "They"},
                  legend_group_mapping={"He or They": ["He", "They"]})
    labels = legend_texts(fig)
    assert "He or They" in labels and "she" in labels and "he" not in labels
    data = distributions.load(catalog, [HE_THEY], distributions.Options(class_label_mapping={"he": "He"}))
    assert "He" in distributions.legend_labels(data)  # the label grid lists the renamed labels


def test_missing_group_members_raise_unless_ignored(catalog):
    groups = {"masc": ["he", "not in this run"]}
    fig, _ = draw(catalog, "he_she", legend_group_mapping=groups)
    assert "masc" in legend_texts(fig)
    with pytest.raises(ValueError, match=r"legend_group_mapping labels not present in data: \['not in this run'\]"):
        draw(catalog, "he_she", legend_group_mapping=groups, ignore_missing_legend_group_labels=False)


def test_split_plot_mode_accepts_gradiends_modes_only(catalog):
    for mode in ("facet", "overlay", "dodge"):
        draw(catalog, "he_she", split_plot_mode=mode)
    with pytest.raises(ValueError, match="split_plot_mode"):
        draw(catalog, "he_she", split_plot_mode="stacked")


@pytest.fixture
def unsplit_rows(tmp_path, runs_root):
    """he__they's table with the class outside the pair ('she') written without a data split, as gradiend 0.2.3
    writes such rows; a second copy where the pair's rows are split into train and test."""
    frame = pd.read_csv(runs_root / HE_THEY / "encoded_values_split_test.csv")
    frame.loc[frame["source_id"] == "she", "data_split"] = np.nan
    for name in ("one", "multi"):
        write_run(tmp_path, name, pair=("he", "they"))
    frame.to_csv(tmp_path / "one" / "encoded_values_split_test.csv", index=False)
    multi = frame.copy()
    pair_rows = multi.index[multi["source_id"].isin(["he", "they"])]
    multi.loc[pair_rows[::2], "data_split"] = "train"
    multi.to_csv(tmp_path / "multi" / "encoded_values_split_test.csv", index=False)
    return discover(tmp_path)


def all_text(fig: Figure) -> str:
    return " ".join(t.get_text() for t in fig.findobj(Text)).lower()


def test_rows_without_a_split_never_show_nan(unsplit_rows):
    one, _ = draw(unsplit_rows, "one")
    assert len(one.axes) == 1 and "nan" not in all_text(one)  # one split (gradiend: nunique(dropna) == 1)
    assert "she" in legend_texts(one)
    multi, _ = draw(unsplit_rows, "multi")  # the pair's classes only, as gradiend's multi-split plot
    assert [ax.get_title() for ax in multi.axes] == ["train split", "test split"] and "nan" not in all_text(multi)
    everything, opts = draw(unsplit_rows, "multi", target_and_neutral_only=False)
    assert [ax.get_title() for ax in everything.axes] == ["train split", "test split", "rows without a data split"]
    assert "nan" not in all_text(everything)
    table = distributions.table(distributions.load(unsplit_rows, ["multi"], opts), opts)
    assert "nan" not in " ".join(table["split"].astype(str))


# ----------------------------------------------------------------------------------------------- legends, form


@pytest.mark.parametrize("loc", ["best", "upper right", "upper left", "lower left", "lower right", "right",
                                 "center left", "center right", "lower center", "upper center", "center"])
def test_every_matplotlib_location_is_gradiends_inside_placement(catalog, loc):
    fig, _ = draw(catalog, "he_she", legend_loc=loc)
    legend = fig.axes[-1].get_legend()
    assert legend is not None and legend._loc == {"best": 0, "upper right": 1, "upper left": 2, "lower left": 3,
                                                  "lower right": 4, "right": 5, "center left": 6, "center right": 7,
                                                  "lower center": 8, "upper center": 9, "center": 10}[loc]


def test_outside_locations_are_the_studios_figure_legends(catalog):
    from gradiend_st.ui.options_form import LEGEND_LOCS, OUTSIDE_LOCS

    assert len(OUTSIDE_LOCS) == 12 and set(OUTSIDE_LOCS) < set(LEGEND_LOCS) and "below" not in LEGEND_LOCS
    for loc in OUTSIDE_LOCS:
        fig, _ = draw(catalog, "he_she", legend_loc=loc)
        if loc != "outside right upper":  # that one is anchored beside the last panel
            assert fig.legends, loc


def test_form_sets_lists_and_mappings():
    from dataclasses import fields

    from gradiend_st.ui import options_form as form

    def widget(view, name):
        [found] = [f for f in fields(view.Options) if f.name == name]
        return form.widget_for(found, {})

    assert widget(distributions, "violin_order").kind == "list" and widget(scatter, "hover_cols").kind == "list"
    assert widget(distributions, "class_label_mapping").kind == "json"
    assert form._parse("list", "Neutral, he | she") == ["Neutral", "he | she"]
    assert form._parse("list", '["a, b", "c"]') == ["a, b", "c"]
    assert form._parse("json", '{"he": "He"}') == {"he": "He"}
    with pytest.raises(ValueError):
        form._parse("json", "[1]")
    assert json.loads(form._to_text({"he": "He"}, "json")) == {"he": "He"}
    assert widget(heatmap, "row_metric_cmap").kind == "choice"
    for view in (distributions, scatter, heatmap, venn):
        assert view.VIEW.help and all(name in view.Options.__dataclass_fields__ for name in view.VIEW.help)


def test_hover_cols_choose_the_hover_columns(catalog):
    data = scatter.load(catalog, ["he_she"], scatter.Options())
    chosen = scatter.points(data, scatter.Options(hover_cols=["source_id"])).table["hover"].iloc[0]
    default = scatter.points(data, scatter.Options()).table["hover"].iloc[0]
    assert "source_id" in chosen and "data_split" not in chosen and "data_split" in default
