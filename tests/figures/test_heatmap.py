"""Top-k overlap heatmap: the drawn numbers are gradiend's numbers; order, groups, markers and layout hold."""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from gradiend_st.analysis.convergence import Convergence
from gradiend_st.analysis.ordering import ordered_groups
from gradiend_st.figures.export import PAD_INCHES, figure_bytes
from gradiend_st.figures.stamped_text import StampedText
from gradiend_st.figures.style import studio_style
from gradiend_st.views import heatmap

KEY = "decoder-weight|100"
HE_THEY = "suite_pronouns/he__they"


@pytest.fixture(scope="module")
def entry(expected_topk):
    return expected_topk["heatmap"][KEY]


@pytest.fixture(scope="module")
def data(catalog, entry):
    return heatmap.load(catalog, entry["model_ids"], heatmap.Options(topk=100))


def stamped(fig, gid: str) -> StampedText | None:
    found = [a for a in fig.axes[0].get_children() if isinstance(a, StampedText) and a.get_gid() == gid]
    assert len(found) <= 1
    return found[0] if found else None


def cell_labels(fig) -> StampedText | None:
    return stamped(fig, "heatmap-cell")


def cell_texts(fig) -> list[str]:
    labels = cell_labels(fig)
    return labels.texts if labels else []


def tick_labels(fig) -> list[str]:
    """The run names down the left side (top to bottom); the ones along the bottom must be the same."""
    left, bottom = stamped(fig, "heatmap-ytick").texts, stamped(fig, "heatmap-xtick").texts
    assert left == bottom
    return left


def test_cells_show_library_counts(data, entry):
    fig = heatmap.build(data, heatmap.Options(topk=100))
    expected = [f"{v:.0f}" for row in entry["intersection_counts"] for v in row]
    assert cell_texts(fig) == expected
    assert heatmap.table(data, heatmap.Options(topk=100)).to_numpy().tolist() == \
        np.array(entry["intersection_counts"], dtype=int).tolist()


def test_fractions_and_percentages(data, entry):
    options = heatmap.Options(topk=100, value="intersection_frac")
    assert cell_texts(heatmap.build(data, options)) == [f"{v:.2f}" for row in entry["intersection_frac"] for v in row]
    assert np.allclose(heatmap.table(data, options).to_numpy(), entry["intersection_frac"], atol=1e-9)
    percent = heatmap.Options(topk=100, percentages=True)
    assert np.allclose(heatmap.table(data, percent).to_numpy(), entry["matrix"], atol=1e-9)
    assert cell_texts(heatmap.build(data, percent)) == [f"{v:.0f}" for row in entry["matrix"] for v in row]


def test_marker_on_non_converged_run_only(data):
    labels = tick_labels(heatmap.build(data, heatmap.Options(topk=100)))
    marked = [label for label in labels if label.endswith(" \u2020")]
    assert marked == [f"{HE_THEY} \u2020"]
    renamed = heatmap.build(data, heatmap.Options(topk=100, row_label_mapping={HE_THEY: "he <-> they $x_1$"}, column_label_mapping={HE_THEY: "he <-> they $x_1$"}))
    assert "he <-> they $x_1$ \u2020" in tick_labels(renamed)
    plain = heatmap.build(data, heatmap.Options(topk=100, highlight_non_convergence=False))
    assert not any("\u2020" in label for label in tick_labels(plain))


def test_order_name_and_explicit_list(data):
    by_name = heatmap.build(data, heatmap.Options(topk=100, order="name"))
    assert tick_labels(by_name) == sorted(tick_labels(by_name), key=lambda s: s.replace(" \u2020", ""))
    listed = heatmap.build(data, heatmap.Options(topk=100, order=["he_it", "he_she"], highlight_non_convergence=False))
    assert tick_labels(listed)[:3] == ["he_it", "he_she", data.runs[0]]


def test_cluster_draws_the_greedy_chain(data):
    """The chain itself: tests/analysis/test_ordering.py."""
    options = heatmap.Options(topk=100, cluster=True)
    [(_, order)] = heatmap.groups_in_order(data, options)
    assert order == ordered_groups(data.runs, data.counts, cluster=True)[0][1]
    index = {rid: i for i, rid in enumerate(data.runs)}
    assert order[0] == data.runs[0] and sorted(order) == sorted(data.runs)
    # The drawn matrix follows the chain: its first row is the first run's counts in chain order.
    fig = heatmap.build(data, options)
    assert cell_texts(fig)[:len(order)] == [f"{data.counts[0, index[rid]]:.0f}" for rid in order]


def test_clustered_pretty_groups_are_drawn_in_their_order(data):
    """Which runs each group holds: tests/analysis/test_ordering.py."""
    groups = {"pairs": ["he_she", "she_they", "he_it", "1SG_1PL", "3SG_3PL"],
              "special": ["he_she_preprune", "it_they_bin", "she_they_postprune", "he_she_seeds"]}
    options = heatmap.Options(topk=100, cluster=True, pretty_groups=groups, highlight_non_convergence=False)
    ordered = heatmap.groups_in_order(data, options)
    assert ordered == ordered_groups(data.runs, data.counts, "input", groups, cluster=True)
    assert [name for name, _ in ordered] == ["pairs", "special", "Other"]
    assert sorted(ordered[2][1]) == sorted([HE_THEY, "suite_pronouns/she__they"])
    fig = heatmap.build(data, options)
    assert tick_labels(fig) == [rid for _, ids in ordered for rid in ids]
    strip_names = [t.get_text() for a in fig.axes[0].child_axes for t in a.texts if t.get_gid() == "group-top"]
    assert strip_names == ["pairs", "special", "Other"]


def test_annotation_colour_contrasts_with_cell(data):
    fig = heatmap.build(data, heatmap.Options(topk=100))
    labels = cell_labels(fig)
    n = len(data.runs)
    assert labels.colors[0] == "black"  # 100 on the diagonal: bright yellow
    zero_cell = labels.texts.index("0")
    assert labels.colors[zero_cell] == "white" and zero_cell % (n + 1) != 0  # dark purple


def test_figure_sized_by_run_count(catalog, data):
    small = heatmap.build(heatmap.HeatmapData(part="decoder-weight", topk=100, runs=data.runs[:3], sizes=data.sizes,
                                              counts=data.counts[:3, :3], statuses=data.statuses), heatmap.Options())
    large = heatmap.build(data, heatmap.Options())
    assert small.get_figwidth() < large.get_figwidth() < 14
    assert heatmap.build(data, heatmap.Options(figsize=[5, 4])).get_size_inches().tolist() == [5, 4]


def test_auto_annotation_up_to_1600_cells():
    """gradiend 0.2.3 annotates up to 1600 cells (40 runs), not 25 runs."""
    runs = [f"r{i}" for i in range(41)]
    counts = np.eye(41, dtype=np.int64) * 10
    many = heatmap.HeatmapData(part="decoder-weight", topk=10, runs=runs, sizes=dict.fromkeys(runs, 10), counts=counts,
                               statuses=dict.fromkeys(runs, Convergence(True, "")))
    assert cell_texts(heatmap.build(many, heatmap.Options())) == []
    assert len(cell_texts(heatmap.build(many, heatmap.Options(annot=True)))) == 41 * 41
    forty = replace(many, runs=runs[:40], counts=counts[:40, :40])
    assert len(cell_texts(heatmap.build(forty, heatmap.Options()))) == 1600


def test_colour_scales(data):
    for scale, extra in (("log", {}), ("sqrt", {}), ("power", {"scale_gamma": 0.3})):
        fig = heatmap.build(data, heatmap.Options(topk=100, scale=scale, **extra))
        assert fig.axes[0].collections[0].norm.__class__.__name__ in {"LogNorm", "PowerNorm"}
    with pytest.raises(ValueError, match="scale_gamma"):
        heatmap.build(data, heatmap.Options(scale="power"))
    with pytest.raises(ValueError, match="unknown value"):
        heatmap.build(data, heatmap.Options(value="cosine"))


def test_layout_keeps_colorbar_and_strips_off_the_matrix(data):
    groups = {"pairs": ["he_she", "she_they"], "rest of the runs": ["he_it"]}
    fig = heatmap.build(data, heatmap.Options(topk=100, pretty_groups=groups))
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    matrix = fig.axes[0].get_window_extent(renderer)
    others = [a.get_window_extent(renderer) for a in fig.axes[0].child_axes]
    assert len(others) == 3  # top strip, right strip, colour bar
    for box in others:
        assert box.x0 >= matrix.x1 - 1 or box.y0 >= matrix.y1 - 1
    names = [t.get_window_extent(renderer) for a in fig.axes[0].child_axes for t in a.texts
             if t.get_gid() == "group-right"]
    colorbar = others[-1]
    assert all(box.x1 <= colorbar.x0 for box in names)
    # run names: left of the matrix and below it, clear of it
    assert stamped(fig, "heatmap-ytick").get_window_extent(renderer).x1 < matrix.x0
    assert stamped(fig, "heatmap-xtick").get_window_extent(renderer).y1 < matrix.y0


def test_run_names_sit_on_their_rows_and_columns(data):
    fig = heatmap.build(data, heatmap.Options(topk=100))
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    matrix = fig.axes[0].get_window_extent(renderer)
    n = len(data.runs)
    cell = matrix.height / n
    rows = [label.get_window_extent(renderer) for label in stamped(fig, "heatmap-ytick").as_text_objects()]
    for i, box in enumerate(rows):  # row i's name is centred on row i (first run on top)
        assert abs((box.y0 + box.y1) / 2 - (matrix.y1 - (i + 0.5) * cell)) < 0.2 * cell
    columns = [label.get_window_extent(renderer) for label in stamped(fig, "heatmap-xtick").as_text_objects()]
    for i, box in enumerate(columns):  # rotated 45°, anchored at its right end under column i
        assert abs(box.x1 - (matrix.x0 + (i + 0.5) * cell)) < 0.5 * cell


def test_svg_has_text(data):
    options = heatmap.Options(topk=100, row_label_mapping={"he_she": "renamed"}, column_label_mapping={"he_she": "renamed"})
    svg = figure_bytes(heatmap.build(data, options), "svg").decode()
    assert "<text" in svg and "renamed" in svg


def png_pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)))


def test_own_layout_crops_like_matplotlib_tight(data):
    # The heatmap has no layout engine, so the export measures the crop itself (one drawing pass fewer);
    # the pixels must be exactly those of matplotlib's own bbox_inches="tight".
    groups = {"pairs": ["he_she", "she_they"], "rest of the runs": ["he_it"]}
    fig = heatmap.build(data, heatmap.Options(topk=100, pretty_groups=groups, scale="log"))
    assert fig.get_layout_engine() is None
    ours = png_pixels(figure_bytes(fig, "png", dpi=120))
    buffer = io.BytesIO()
    with studio_style():
        fig.savefig(buffer, format="png", dpi=120, bbox_inches="tight", pad_inches=PAD_INCHES,
                    metadata={"Software": None})
    assert np.array_equal(ours, png_pixels(buffer.getvalue()))


def test_requested_figure_size_is_filled(data):
    long_names = {rid: f"{rid} (a long display label)" for rid in data.runs[:2]}
    for size in ([6, 5], [12, 9], [5, 8]):
        options = heatmap.Options(topk=100, figsize=size, row_label_mapping=long_names, column_label_mapping=long_names)
        height, width = png_pixels(figure_bytes(heatmap.build(data, options), "png", dpi=100)).shape[:2]
        fill = max(width / (100 * size[0]), height / (100 * size[1]))  # the limiting side fills the request
        assert 0.95 < fill < 1.1, (size, width, height)


def test_cells_are_separated_by_white_borders(data):
    fig = heatmap.build(data, heatmap.Options(topk=100))
    [borders] = [c for c in fig.axes[0].collections if c.get_gid() == "heatmap-borders"]
    n = len(data.runs)
    vertical = sorted(s[0, 0] for s in borders.get_segments() if s[0, 0] == s[1, 0])
    horizontal = sorted(s[0, 1] for s in borders.get_segments() if s[0, 1] == s[1, 1])
    assert vertical == horizontal == list(range(n + 1))  # every cell edge, the outer ones too
    assert all(tuple(c) == (1.0, 1.0, 1.0, 1.0) for c in borders.get_colors())


@pytest.fixture(scope="module")
def broken_catalog(tmp_path_factory):
    """Two good runs and one whose weights file is cut in half."""
    from gradiend_st.io.discover import discover
    from tests.builders import write_run

    root = tmp_path_factory.mktemp("broken") / "runs"
    for seed, rid in enumerate(("good", "also_good", "bad")):
        write_run(root, rid, seed=seed)
    weights = root / "bad" / "model" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    return discover(root)


def test_unreadable_run_is_left_out_and_named(broken_catalog):
    data = heatmap.load(broken_catalog, ["good", "bad", "also_good"], heatmap.Options(topk=5))
    assert data.runs == ["good", "also_good"]
    assert list(data.left_out) == ["bad"]
    assert data.left_out["bad"].startswith("bad/model/model.safetensors: ")  # one line, relative to the root
    assert "\n" not in data.left_out["bad"] and str(broken_catalog.root) not in data.left_out["bad"]
    assert tick_labels(heatmap.build(data, heatmap.Options(topk=5))) == ["good", "also_good"]
    assert heatmap.table(data, heatmap.Options(topk=5)).index.tolist() == ["good", "also_good"]


def test_nothing_readable_draws_a_message_naming_the_problem(broken_catalog):
    data = heatmap.load(broken_catalog, ["bad"], heatmap.Options(topk=5))
    assert data.runs == [] and list(data.left_out) == ["bad"]
    fig = heatmap.build(data, heatmap.Options(topk=5, figsize=[5, 3]))
    [text] = fig.axes[0].texts
    assert text.get_text().startswith("Nothing to draw: a heatmap needs at least 1 readable run (left out bad: ")
    assert data.left_out["bad"] in text.get_text()
    assert fig.get_size_inches().tolist() == [5, 3]
    assert heatmap.table(data, heatmap.Options()).empty


def test_view_record():
    view = heatmap.VIEW
    assert (view.name, view.runs, view.min_runs, view.needs, view.load_options) == \
        ("heatmap", "selection", 1, ("weights",), ("part", "topk", "seed_groups", "value"))
    assert view.load is heatmap.load and view.build is heatmap.build and view.table is heatmap.table
    assert view.choices({})["scale"] == ("linear", "log", "sqrt", "power")
    assert view.gradiend.function == "plot_topk_overlap_heatmap"
    assert view.gradiend.always == ("topk", "part")
    assert view.gradiend.studio_only == {"seed_groups"}  # every other option is a gradiend parameter
    assert view.gradiend.defaults["percentages"] is True  # gradiend's default, where the studio's differs


def test_sign_agreement_as_heatmap_value(runs_root):
    """he_it and he_she share class he: 13 of their 16 shared top-1 % decoder weights move alike (expected_curves);
    pairs without a shared class are undefined, drawn as "–" in a grey that is not the colour of 0."""
    from gradiend_st.code import script
    from gradiend_st.io.discover import discover
    from gradiend_st.pipeline import prepared
    from gradiend_st.presets import Preset
    from gradiend_st.views import heatmap as view_module

    catalog = discover(runs_root)
    preset = Preset(selection=["he_she", "he_it", "1SG_1PL"], views={"heatmap": {"value": "same_sign", "topk": 0.01}})
    _, view, data, options, _ = prepared(catalog, "heatmap", preset=preset)
    shares = view_module.display_matrix(data, options)
    assert shares[0, 1] == shares[1, 0] == 13 / 16
    assert np.isnan(shares[0, 2]) and np.isnan(shares[1, 2]), "no shared class: undefined, never 0"
    fig = view.build(data, options)
    texts = [t for s in fig.findobj(StampedText) for t in s.texts]
    assert "0.81" in texts and "\u2013" in texts and "0.00" not in texts
    assert "value='same_sign'" not in script(view, options, data, catalog, root="ROOT")
