"""The Sweep view on the real fixture runs: the grid's cells, the parallel coordinates on screen and in the files."""

from __future__ import annotations

from dataclasses import replace

import pytest
from matplotlib.collections import LineCollection
from matplotlib.text import Text

from gradiend_st import pipeline
from gradiend_st.figures.sweep import BACKGROUND_LINE
from gradiend_st.mapping import Mapping
from gradiend_st.views import registry, sweep

VIEW = registry.get("sweep")
SELECTED = ["he_she", "he_she_preprune", "she_they_postprune", "suite_pronouns/he__they"]


def full(catalog, data, options):
    return pipeline.labelled(VIEW, data, options, Mapping(), catalog)[1]


def texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


@pytest.fixture(scope="module")
def grid(catalog):
    options = sweep.Options(x_arg="pre_prune_config", y_arg="post_prune_config")
    data = sweep.load(catalog, catalog.ids("run"), options)
    return data, full(catalog, data, options)


def test_grid_cells_are_the_mean_best_correlation_of_their_runs(grid, catalog):
    data, options = grid
    frame = VIEW.table(data, options)
    assert frame["runs"].sum() == len(catalog.ids("run")) == 11, "every run in exactly one cell"
    plain = frame[(frame["pre_prune_config"] == "none") & (frame["post_prune_config"] == "none")].iloc[0]
    members = plain["run ids"].split()
    assert len(members) == plain["runs"] == 9
    expected = sum(data.metrics[r]["best_correlation"] for r in members) / 9
    assert plain["best_correlation (mean)"] == pytest.approx(expected)
    assert len(frame) == 3, "pre- and post-pruned together: no such run, no cell"


def test_grid_figure_shows_values_counts_and_leaves_the_missing_cell_blank(grid):
    data, options = grid
    fig = VIEW.build(data, options)
    frame = VIEW.table(data, options)
    expected = [f"{v:.3f}" + (f"\nn={n}" if n > 1 else "") for v, n in zip(frame["best_correlation (mean)"],
                                                                        frame["runs"])]
    assert sorted(t.get_text() for t in fig.axes[0].texts) == sorted(expected), "three cells with runs, one blank"
    assert expected[0].endswith("\nn=9")
    shown = texts(fig)
    assert {"pre_prune_config", "post_prune_config", "n_samples=16,\ntopk=0.05, source=diff", "topk=0.1"} <= set(shown)
    assert "best correlation, mean per cell, by pre_prune_config × post_prune_config" in shown


def test_grid_of_min_and_a_single_axis(catalog):
    options = sweep.Options(x_arg="max_seeds", y_arg="(none)", cell="training_time", aggregate="min")
    data = sweep.load(catalog, catalog.ids("run"), options)
    frame = VIEW.table(data, full(catalog, data, options))
    assert list(frame.columns)[:2] == ["max_seeds", "runs"]
    one = frame[frame["max_seeds"] == "1"].iloc[0]
    assert one["training_time (min)"] == min(data.metrics[r]["training_time"] for r in one["run ids"].split())


def test_topk_overlap_with_a_reference_run_is_gradiends_overlap(catalog, expected_topk):
    options = sweep.Options(x_arg="post_prune_config", y_arg="(none)", cell="topk_overlap", reference="she_they",
                            topk=100, aggregate="max")
    data = sweep.load(catalog, ["she_they", "she_they_postprune", "he_she"], options)
    sets = {rid: set(ids) for rid, ids in expected_topk["topk_indices"]["decoder-weight|100"].items()}
    for rid in data.runs:
        expected = len(sets[rid] & sets["she_they"]) / min(len(sets[rid]), len(sets["she_they"]))
        assert data.metrics[rid]["topk_overlap"] == pytest.approx(expected)
    assert data.metrics["she_they_postprune"]["topk_overlap"] == 1.0, "its top-k lies inside she_they's (§2.3)"
    fig = VIEW.build(data, full(catalog, data, options))
    assert any(t.startswith("Top-100 overlap with she_they (decoder-weight), max") for t in texts(fig))


@pytest.fixture(scope="module")
def parallel(catalog):
    options = sweep.Options(mode="parallel", axes_metrics=["best_correlation", "converged", "input_dim"])
    data = sweep.load(catalog, SELECTED, options)
    return data, full(catalog, data, options)


def test_parallel_draws_every_run_and_highlights_the_selection(parallel, catalog):
    data, options = parallel
    assert data.runs == catalog.ids("run") and data.selected == SELECTED
    fig = VIEW.build(data, options)
    trace = fig.data[0]
    assert trace.type == "parcoords"
    labels = [d.label for d in trace.dimensions]
    assert labels == [*data.keys, "best correlation", "converged", "input_dim"]
    lines = sweep.lines_of(data, options)
    assert lines.runs[-len(SELECTED):] == [r for r in data.runs if r in SELECTED], "highlighted lines on top"
    palette = [stop[1] for stop in trace.line.colorscale]
    drawn = [palette[2 * code] for code in trace.line.color]
    assert [c for c, rid in zip(drawn, lines.runs) if rid not in SELECTED] == [BACKGROUND_LINE] * 7
    assert [drawn[lines.runs.index(r)] for r in SELECTED] == [options.run_colors[r] for r in SELECTED]
    dims = {d.label: d for d in trace.dimensions}
    index = lines.runs.index("he_she_preprune")
    assert dims["input_dim"].values[index] == 1845
    assert dims["pre_prune_config"].ticktext[int(dims["pre_prune_config"].values[index])] == "n_samples…"
    assert dims["input_dim"].tickvals is None, "a number line: its brush must not snap to ticks"


def test_brush_is_drawn_while_it_describes_the_selection(parallel, catalog):
    data, options = parallel
    brush = {"input_dim": [[0, 5000]]}
    inside = sweep.lines_of(data, replace(options, brush=brush))
    assert inside.brush == {}, "the selection is not what the brush selects: not drawn"
    selected = ["he_she_preprune", "she_they_postprune"]
    data_b = sweep.load(catalog, selected, options)
    lines = sweep.lines_of(data_b, replace(options, brush={"input_dim": [0, 5000]}))
    assert lines.brush == {"input_dim": [[0.0, 5000.0]]}
    fig = VIEW.build(data_b, replace(options, brush={"input_dim": [0, 5000]}))
    assert {d.label: d for d in fig.data[0].dimensions}["input_dim"].constraintrange == (0.0, 5000.0)


def test_parallel_static_twin_draws_the_same_lines(parallel):
    data, options = parallel
    fig = sweep.build_static(data, options)
    segments = [c for c in fig.axes[0].collections if isinstance(c, LineCollection)][0]
    assert len(segments.get_segments()) == len(data.runs)
    assert all(len(s) == 3 + len(data.keys) for s in segments.get_segments())
    shown = texts(fig)
    assert {"he_she", "he_she_preprune", "suite_pronouns/he__they †"} <= set(shown), "legend of the highlighted runs"
    assert "n/a" not in shown and "yes" in shown and "no" in shown


def test_exports_and_csv(parallel, catalog):
    data, options = parallel
    assert VIEW.export_formats(options) == ("png", "pdf", "svg", "html")
    assert VIEW.export_formats(sweep.Options()) == ("png", "pdf", "svg")
    assert pipeline.file_bytes(VIEW, data, options, "png").startswith(b"\x89PNG")
    assert b"parcoords" in pipeline.file_bytes(VIEW, data, options, "html")
    svg = pipeline.file_bytes(VIEW, data, options, "svg")
    assert svg == pipeline.file_bytes(VIEW, data, options, "svg"), "the same figure gives the same file"
    frame = VIEW.table(data, options)
    assert list(frame["run"]) == data.runs and frame["selected"].sum() == len(SELECTED)
    assert frame.loc[frame["run"] == "he_she_seeds", "max_seeds"].item() == "3"


def test_unknown_metric_axis_is_an_error_naming_it(parallel):
    data, options = parallel
    with pytest.raises(ValueError, match="unknown metric 'best_corr'"):
        VIEW.build(data, replace(options, axes_metrics=["best_corr"]))


def test_parallel_without_any_axis_says_so(catalog):
    options = sweep.Options(mode="parallel", axes_metrics=[])
    data = sweep.load(catalog, ["he_she", "she_they"], options)
    data.keys = []  # runs that differ in nothing
    assert "no argument differs" in texts(VIEW.build(data, options))[0]


def test_nothing_selected(catalog):
    empty = sweep.load(catalog, [], sweep.Options())
    assert "select runs" in texts(VIEW.build(empty, sweep.Options()))[0]
    assert len(sweep.load(catalog, [], sweep.Options(mode="parallel")).runs) == 11, "parallel: every run, none lit"


def test_an_unreadable_run_is_left_out_by_name_and_the_others_drawn(tmp_path):
    import shutil

    from gradiend_st.io.discover import discover
    from tests.conftest import RUNS

    for run in ("he_she", "he_she_preprune", "she_they_postprune"):
        shutil.copytree(RUNS / run, tmp_path / run)
    broken = tmp_path / "she_they_postprune" / "model" / "training.json"
    broken.chmod(0o644)
    broken.write_text("[1, 2]")
    catalog = discover(tmp_path)
    data = sweep.load(catalog, catalog.ids("run"), sweep.Options())
    assert data.left_out == {"she_they_postprune": "she_they_postprune/model/training.json: expected a JSON object "
                                                   "at the top level, found list"}
    assert data.runs == ["he_she", "he_she_preprune"] and data.keys == ["pre_prune_config"]
    assert "best correlation, mean per cell, by pre_prune_config" in texts(VIEW.build(data, sweep.Options()))
