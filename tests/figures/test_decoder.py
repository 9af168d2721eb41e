"""The decoder figures as drawn: the star, outlines, greyed cells, ΔP colours and run points sit where the numbers
say, names carry the † marker, and legends and labels stay off the data."""

from __future__ import annotations

import json

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection, QuadMesh
from matplotlib.legend import Legend
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from gradiend_st.analysis.decoder_runs import read_run_decoder
from gradiend_st.figures.export import figure_bytes
from gradiend_st.io.discover import discover
from gradiend_st.views import decoder as view
from tests.io.test_decoder_grid import GRID_RUNS, copy_run


def drawn(catalog, run_ids, **options):
    opts = view.Options(**options)
    data = view.load(catalog, list(run_ids), opts)
    fig = view.build(data, opts)
    FigureCanvasAgg(fig).draw()  # a laid-out figure: positions and text boxes as exported
    return fig, data


def texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")) if t.get_text()]


def panels(fig) -> list:
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]


def assert_legends_off_the_data(fig) -> None:
    renderer = fig.canvas.get_renderer()
    plots = panels(fig)
    for legend in fig.findobj(Legend):
        box = legend.get_window_extent(renderer)
        for ax in plots:
            assert not box.overlaps(ax.get_window_extent(renderer)), "a legend covers a panel"


def star_points(fig) -> list[tuple[int, tuple[float, float]]]:
    """(axes index, (x, y)) of every star marker."""
    found = []
    for i, ax in enumerate(fig.axes):
        for collection in ax.collections:
            if isinstance(collection, PathCollection) and len(collection.get_offsets()) == 1 and \
                    collection.get_sizes()[0] >= 250:
                found.append((i, tuple(collection.get_offsets()[0])))
    return found


def test_probability_shifts_star_the_selected_cell_on_the_selection_curve(catalog):
    fig, data = drawn(catalog, ["he_she"], target_class="he", colors={"he": "#112233", "she": "#aa5500"})
    he = data.decoders["he_she"].selections()["he"]
    assert [ax.get_title() for ax in fig.axes] == ["LMS (Language Modeling Score)", "Dataset: he — P(class)",
                                                   "Dataset: she — P(class); selection metric: P(he) (thick line)"]
    assert star_points(fig) == [(2, (0.1, pytest.approx(he.value)))]
    thick = [line for line in fig.axes[2].lines if line.get_linewidth() > 2]
    assert len(thick) == 1 and thick[0].get_color() == "#112233"
    assert {line.get_color() for ax in fig.axes[1:] for line in ax.lines if line.get_linestyle() == "-"} == \
        {"#112233", "#aa5500"}
    labels = [t.get_text() for t in fig.axes[-1].get_xticklabels()]
    assert labels == ["base", "0.001", "0.01", "0.1", "1", "10", "100"]
    shown = texts(fig)
    assert "he_she: probability shifts, strengthen he (feature factor +1)" in shown
    assert "selected by LMSThresholdPolicy(ratio=0.99):\nlr 0.1, P(he) = 0.159, LMS 0.176" in shown
    assert "LMS threshold: 0.99 × base LMS" in shown
    assert_legends_off_the_data(fig)


def test_missing_probabilities_are_gaps_and_the_title_marks_non_convergence(tmp_path, runs_root):
    folder = copy_run(runs_root, "he_she", tmp_path / "he_she")
    training = folder / "model" / "training.json"
    data = json.loads(training.read_text())
    data["convergence_info"]["converged"] = False
    training.write_text(json.dumps(data))
    grid = folder / "decoder_grid_cache.json"
    raw = json.loads(grid.read_text())
    cell = next(e for e in raw["results"] if e["id"] != "base" and e["id"]["feature_factor"] == 1.0
                and e["id"]["learning_rate"] == 1)
    del cell["probs_by_dataset"]["she"]["he"]
    grid.write_text(json.dumps(raw))
    fig, _ = drawn(discover(tmp_path), ["he_she"])
    assert "he_she †: probability shifts, strengthen he (feature factor +1)" in texts(fig)
    curve = next(line for line in fig.axes[2].lines if line.get_linewidth() > 2)
    xs, ys = curve.get_data()
    assert np.isnan(ys[list(xs).index(1)]) and np.isfinite(np.delete(ys, list(xs).index(1))).all()
    fig, _ = drawn(discover(tmp_path), ["he_she"], highlight_non_convergence=False, title=True)
    assert "he_she: probability shifts, strengthen he (feature factor +1)" in texts(fig)


def test_grid_greys_cells_below_the_threshold_and_outlines_each_selection(catalog):
    fig, data = drawn(catalog, ["he_she"], plot="grid", colors={"he": "#112233", "she": "#aa5500"})
    decoder = data.decoders["he_she"]
    ax = fig.axes[0]
    outlines = [p for p in ax.patches if isinstance(p, Rectangle) and not p.get_fill()]
    greyed = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_hatch() == "///"]
    lrs = sorted({p.learning_rate for p in decoder.grid.points})
    selections = decoder.selections()
    assert sorted((p.get_xy(), p.get_edgecolor()[:3]) for p in outlines) == sorted(
        [((lrs.index(0.1), 0), (0x11 / 255, 0x22 / 255, 0x33 / 255)),
         ((lrs.index(0.2), 1), (0xaa / 255, 0x55 / 255, 0.0))])
    assert len(greyed) == sum(s.candidates - s.passing_lms_threshold for s in selections.values())
    mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
    assert mesh.get_array().reshape(2, len(lrs))[0, lrs.index(0.1)] == pytest.approx(selections["he"].value)
    assert "selected for P(he): lr 0.1" in texts(fig) and "LMSThresholdPolicy(ratio=0.99)" in texts(fig)
    assert_legends_off_the_data(fig)


def test_grid_by_another_metric_and_policy(catalog):
    fig, data = drawn(catalog, ["he_she"], plot="grid", metric="lms", policy="product")
    lms = data.decoders["he_she"].grid.points
    mesh = next(c for c in fig.axes[0].collections if isinstance(c, QuadMesh))
    assert sorted(np.asarray(mesh.get_array()).ravel()) == sorted(p.lms for p in lms)
    assert "selected for P(he): lr 1" in texts(fig) and "LMSTimesMetricPolicy()" in texts(fig)
    with pytest.raises(ValueError, match="metric 'bpi' is not in he_she's grid"):
        drawn(catalog, ["he_she"], plot="grid", metric="bpi")


def test_rewrite_colours_are_centred_at_zero(catalog):
    fig, data = drawn(catalog, ["he_she"], plot="rewrite")
    meshes = [c for ax in panels(fig) for c in ax.collections if isinstance(c, QuadMesh)]
    assert len(meshes) == 2 and all(m.norm.vmin == -m.norm.vmax for m in meshes)
    assert meshes[0].cmap.name.startswith("RdBu_r")
    she = data.decoders["he_she"].selections()["she"]
    assert f"{she.entry.probs_by_dataset['he']['she'] - 0.005968562172104915:+.3f}" in texts(fig)
    assert "strengthen she: ff -1, lr 0.2\nLMS 0.235 = 1.33 × base" in texts(fig)
    fig, _ = drawn(catalog, ["he_she"], plot="rewrite", target_class="he")
    assert len([c for ax in panels(fig) for c in ax.collections if isinstance(c, QuadMesh)]) == 1
    fig, data = drawn(catalog, ["he_she"], plot="rewrite", increase_target_probabilities=False)
    weaken = data.decoders["he_she"].selections(metrics=["he_weaken"])["he_weaken"]
    assert f"weaken he: ff {weaken.feature_factor:+g}, lr {weaken.learning_rate:g}" in " ".join(texts(fig))


def test_runs_compared_one_point_per_run_and_class(tmp_path, runs_root):
    for run_id in GRID_RUNS:
        copy_run(runs_root, run_id, tmp_path / run_id)
    training = tmp_path / "he_it" / "model" / "training.json"
    data = json.loads(training.read_text())
    data["convergence_info"]["converged"] = False
    training.write_text(json.dumps(data))
    catalog = discover(tmp_path)
    fig, loaded = drawn(catalog, GRID_RUNS, plot="runs", run_colors={"he_she": "#aa3377"})
    ax = fig.axes[0]
    points = [tuple(o) for c in ax.collections for o in c.get_offsets()]
    expected = [(s.lms_ratio, s.delta) for rid in GRID_RUNS for s in read_run_decoder(catalog.get(rid))
                .selections().values()]
    assert np.allclose(sorted(points), sorted(expected))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["LMS threshold: 0.99 × base LMS", "1SG_1PL", "3SG_3PL", "he_it †", "he_she", "she_they"]
    he_she = [c for c in ax.collections if tuple(c.get_offsets()[0]) in
              [(s.lms_ratio, s.delta) for s in loaded.decoders["he_she"].selections().values()]]
    assert {tuple(np.round(c.get_facecolor()[0][:3], 3)) for c in he_she} == {(0.667, 0.2, 0.467)}
    assert_legends_off_the_data(fig)
    names = [t for t in ax.texts]
    assert len(names) == 10
    boxes = [Text.get_window_extent(t, fig.canvas.get_renderer()) for t in names]  # the words, not leader lines
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:]), "point names overlap"


def test_every_figure_exports(catalog):
    for plot in view.PLOTS:
        runs = GRID_RUNS if plot == "runs" else ("he_she",)
        opts = view.Options(plot=plot)
        png = figure_bytes(view.build(view.load(catalog, list(runs), opts), opts), "png", dpi=60)
        assert png.startswith(b"\x89PNG")
