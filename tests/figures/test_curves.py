"""Overlap curves view: the numbers drawn are the curves' own, seeds get a band and an all-seeds line, and the
layout keeps the legend off the data."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from gradiend_st.analysis.curves import compute_curves
from gradiend_st.figures.export import figure_bytes
from gradiend_st.views import curves

SELECTION = ["he_she", "he_it", "she_they", "he_she_seeds", "suite_pronouns/he__they"]
DAGGER = " \u2020"


@pytest.fixture(scope="module")
def data(catalog):
    return curves.load(catalog, SELECTION, curves.Options())


def lines(fig, gid: str) -> list:
    return [line for ax in fig.axes for line in ax.get_lines() if line.get_gid() == gid]


def test_load_counts_every_pair_and_the_seed_band_from_one_list_per_run(catalog, data):
    assert data.runs == SELECTION and not data.left_out
    assert data.grid[-1] == 0.01 and len(data.grid) == 10
    assert len(data.pairs) == 10
    [band] = data.bands
    assert band.run == "he_she_seeds" and len(band.seeds) == 3 and len(band.pairs) == 3
    direct = compute_curves(catalog, band.seeds, "decoder-weight", [data.grid[-1]], groups={"all": band.seeds})
    assert band.all.all[-1] == direct.groups["all"].all[0] == 33  # expected_curves.json: decoder-weight|0.01
    assert [p.shared[-1] for p in band.pairs] == [p.shared[0] for p in direct.pairs]
    frame = curves.table(data, curves.Options())
    assert len(frame) == (10 + 3 + 1) * len(data.grid)
    row = frame[(frame.run_a == "he_she") & (frame.run_b == "he_it") & (frame.topk == 0.01)].iloc[0]
    assert (row.shared, row.same_sign, row.shared_class) == (16, 13, "he")


def test_pairs_drawn_one_by_one_with_chance_seed_band_and_markers(data):
    options = curves.Options(pair_groups="pairs")
    fig = curves.build(data, options)
    texts = [t.get_text() for t in fig.legends[0].get_texts()] if fig.legends else \
        [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    assert "he_she × he_it" in texts
    assert f"he_she × suite_pronouns/he__they{DAGGER}" in texts, "non-converged runs carry the marker"
    assert "he_she_seeds: seed pairs (min–max, 3)" in texts and "he_she_seeds: in all 3 seeds" in texts
    assert any(t.startswith("chance") for t in texts)
    overlap = fig.axes[0]
    assert overlap.get_xscale() == "log"
    [chance] = lines(fig, "curve-chance")  # every pair here has the same k: one chance line
    assert chance.get_ydata()[-1] == pytest.approx(369 * 369 / 36896)
    he_it = next(line for line in lines(fig, "curve-line") if line.get_color() and
                 np.array_equal(line.get_ydata(), next(p for p in data.pairs if p.runs == ("he_she", "he_it")).shared))
    assert he_it is not None
    assert len(lines(fig, "sign-line")) >= 1 and len(fig.axes) == 2


def test_many_pairs_are_grouped_by_shared_class_and_no_class_pairs_have_no_sign_line(data):
    plan = curves.series_plan(data, curves.Options())  # auto: 10 pairs > 8
    labels = [s.label for s in plan.series]
    assert plan.grouping == "shared class"
    sharing_he = sum(p.shared_class == "he" for p in data.pairs)
    assert f"pairs sharing he (mean of {sharing_he})" in labels and "pairs sharing no class (1)" in labels
    no_class = next(s for s in plan.series if s.label.startswith("pairs sharing no class"))
    assert np.isnan(no_class.sign).all(), "undefined, never 0"
    assert len({s.color for s in plan.series if s.run is None}) == len([s for s in plan.series if s.run is None])


def test_units_and_the_sign_panel_switch(data):
    frac = curves.build(data, curves.Options(value="intersection_frac", sign_agreement=False, pair_groups="pairs"))
    assert len(frac.axes) == 1 and frac.axes[0].get_ylim()[1] <= 1.05
    times = curves.series_plan(data, curves.Options(value="times_chance", pair_groups="pairs"))
    pair = next(s for s in times.series if s.label == "he_she × he_it")
    raw = next(p for p in data.pairs if p.runs == ("he_she", "he_it"))
    assert pair.y[-1] == pytest.approx(raw.shared[-1] / raw.chance[-1]) and (pair.chance == 1).all()


def test_legend_sits_outside_every_panel(data):
    fig = curves.build(data, curves.Options(pair_groups="pairs"))
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    legend = (fig.legends or [ax.get_legend() for ax in fig.axes if ax.get_legend()])[0]
    box = legend.get_window_extent(renderer)
    for ax in fig.axes:
        assert not box.overlaps(ax.get_window_extent(renderer)), "the legend covers a panel"
    png = figure_bytes(fig, "png", dpi=80)
    assert png.startswith(b"\x89PNG")


def test_too_few_runs_is_a_message(catalog):
    data = curves.load(catalog, ["he_she"], curves.Options(seeds=False))
    fig = curves.build(data, curves.Options())
    assert "at least 2 readable runs" in " ".join(t.get_text() for ax in fig.axes for t in ax.texts)


def test_a_run_with_broken_weights_is_left_out_with_one_line(tmp_path):
    import shutil

    from gradiend_st.io.discover import discover
    from tests.conftest import RUNS

    for rid in ("he_she", "he_it", "she_they"):
        shutil.copytree(RUNS / rid, tmp_path / rid)
    weights = tmp_path / "she_they" / "model" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    data = curves.load(discover(tmp_path), ["he_she", "he_it", "she_they"], curves.Options())
    assert data.runs == ["he_she", "he_it"]
    reason = data.left_out["she_they"]
    assert "model.safetensors" in reason and "\n" not in reason
    assert [p.runs for p in data.pairs] == [("he_she", "he_it")]
