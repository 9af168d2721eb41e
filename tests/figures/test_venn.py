"""Top-k Venn / UpSet: every region count drawn is gradiend's exact exclusive count, readable and uncovered."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from gradiend_st.analysis.comparison import TopKComparison, compare_topk
from gradiend_st.analysis.convergence import run_statuses
from gradiend_st.analysis.regions import largest_regions
from gradiend_st.figures.export import figure_bytes
from gradiend_st.figures.stamped_text import StampedText
from gradiend_st.figures.venn import SMALLEST_INSIDE_FONT
from gradiend_st.figures.venn_shapes import region_spots, shape_patches
from gradiend_st.views import venn

HE_THEY = "suite_pronouns/he__they"
DAGGER = " \u2020"


@pytest.fixture(scope="module")
def all_runs(catalog):
    """Top-k of every fixture run, computed once; subsets give the Venn data of any selection."""
    return {key: compare_topk(catalog, catalog.ids(), "decoder-weight", topk)
            for key, topk in (("decoder-weight|100", 100), ("decoder-weight|0.01", 0.01))}


@pytest.fixture(scope="module")
def statuses(catalog):
    return run_statuses(catalog, catalog.ids())


def venn_data(all_runs, statuses, key: str, ids: list[str]) -> venn.VennData:
    full = all_runs[key]
    sub = TopKComparison(full.part, full.topk, list(ids), {r: full.sets[r] for r in ids})
    return venn.VennData(part=sub.part, topk=sub.topk, runs=list(ids), sizes=dict(zip(ids, sub.sizes, strict=True)),
                         regions=sub.regions(), statuses={r: statuses[r] for r in ids})


def drawn_counts(fig) -> dict[int, str]:
    """{region bit mask: text} of every region count in the figure."""
    return {int(t.get_gid().split("-")[1]): t.get_text() for ax in fig.axes for t in ax.texts
            if (t.get_gid() or "").startswith("region-")}


def expected_counts(entry) -> dict[int, int]:
    ids = entry["model_ids"]
    return {sum(1 << ids.index(m) for m in r["members"]): r["count"] for r in entry["regions"]}


def test_load_matches_library_regions(catalog, expected_topk):
    entry = expected_topk["venn"]["decoder-weight|100"]["3"]
    data = venn.load(catalog, entry["model_ids"], venn.Options(topk=100))
    assert data.regions == entry["regions"]
    assert data.sizes == entry["set_sizes"]
    frame = venn.table(data, venn.Options())
    assert frame["count"].tolist() == [r["count"] for r in entry["regions"]]
    assert frame["members"].tolist() == [" & ".join(r["members"]) for r in entry["regions"]]
    with pytest.raises(ValueError, match="at least 2"):
        venn.load(catalog, ["he_she", "he_she"], venn.Options())


@pytest.mark.parametrize("key", ["decoder-weight|100", "decoder-weight|0.01"])
@pytest.mark.parametrize("n", ["2", "3"])
def test_two_and_three_sets_show_every_region(all_runs, statuses, expected_topk, key, n):
    entry = expected_topk["venn"][key][n]
    data = venn_data(all_runs, statuses, key, entry["model_ids"])
    expected = expected_counts(entry)
    assert len(expected) == 2 ** int(n) - 1
    equal = venn.build(data, venn.Options(equal_circles=True))
    assert drawn_counts(equal) == {mask: f"{count:,}" for mask, count in expected.items()}
    # Areas to scale (the default, as gradiend): an empty region has no area; the figure names it instead.
    scaled = venn.build(data, venn.Options())
    assert drawn_counts(scaled) == {mask: f"{count:,}" for mask, count in expected.items() if count}
    note = scaled._supxlabel.get_text()
    assert note.startswith("areas proportional to the counts")
    for mask, count in expected.items():
        if not count:
            assert " & ".join(rid for i, rid in enumerate(data.runs) if mask >> i & 1) in note


def test_areas_follow_the_counts(all_runs, statuses, expected_topk):
    """Two sets of equal size: the lens shared by the circles holds the shared count's share of a circle's area."""
    entry = expected_topk["venn"]["decoder-weight|0.01"]["2"]
    data = venn_data(all_runs, statuses, "decoder-weight|0.01", entry["model_ids"])
    shared = next(r["count"] for r in data.regions if len(r["members"]) == 2) / data.sizes[data.runs[0]]
    assert shared_share(venn.build(data, venn.Options())) == pytest.approx(shared, rel=0.02)
    assert shared_share(venn.build(data, venn.Options(equal_circles=True))) == pytest.approx(1 / 2, rel=0.02)  # 1 of 1 + 1


def shared_share(fig) -> float:
    """The lens of the two outline circles as a share of one circle's area (equal radii)."""
    from matplotlib.patches import Circle

    a, b = [p for p in fig.axes[0].patches if isinstance(p, Circle)]
    r, d = a.radius, float(np.hypot(*(np.subtract(a.center, b.center))))
    assert b.radius == pytest.approx(r)
    lens = 2 * r * r * np.arccos(d / (2 * r)) - d / 2 * np.sqrt(4 * r * r - d * d)
    return float(lens / (np.pi * r * r))


@pytest.mark.parametrize("key", ["decoder-weight|100", "decoder-weight|0.01"])
@pytest.mark.parametrize("n", ["4", "5", "6"])
def test_drawn_shapes_show_exact_counts_in_their_regions(all_runs, statuses, expected_topk, key, n):
    entry = expected_topk["venn"][key][n]
    fig = venn.build(venn_data(all_runs, statuses, key, entry["model_ids"]), venn.Options())
    expected = expected_counts(entry)
    drawn = drawn_counts(fig)
    for mask, count in expected.items():
        if count or int(n) < 6:  # 6 sets leave empty slivers blank, and say so
            assert drawn.get(mask) == f"{count:,}", (mask, count)
    assert all(text == f"{expected[mask]:,}" for mask, text in drawn.items())
    # A count written inside the diagram lies in exactly the shapes of its region.
    patches = shape_patches(int(n))
    outlines = [p.get_path().transformed(p.get_patch_transform()) for p in patches]
    for text in fig.axes[0].texts:
        gid = text.get_gid() or ""
        x, y = text.get_position()
        if gid.startswith("region-") and 0 <= x <= 1:
            inside = sum(1 << i for i, o in enumerate(outlines) if o.contains_point((x, y)))
            assert inside == int(gid.split("-")[1])


@pytest.mark.parametrize("n", ["4", "5", "6"])
def test_counts_and_legend_never_overlap(all_runs, statuses, expected_topk, n):
    entry = expected_topk["venn"]["decoder-weight|0.01"][n]
    fig = venn.build(venn_data(all_runs, statuses, "decoder-weight|0.01", entry["model_ids"]), venn.Options())
    counts, boxes, legend, renderer = count_boxes(fig)
    shapes = [p.get_window_extent(renderer) for p in fig.axes[0].patches]
    assert all(legend.y1 <= box.y0 + 1 for box in shapes)  # below every shape
    assert all(t.get_fontsize() >= SMALLEST_INSIDE_FONT for t in counts)


def count_boxes(fig):
    """Draw the figure; (count texts, their boxes, the legend's box, renderer), after checking that no count box
    overlaps another count or the legend."""
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    counts = [t for t in ax.texts if (t.get_gid() or "").startswith("region-")]
    boxes = [t.get_window_extent(renderer) for t in counts]
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b), (a, b)
    legend = ax.get_legend().get_window_extent(renderer)
    assert all(not legend.overlaps(box) for box in boxes)
    return counts, boxes, legend, renderer


def test_marker_kept_on_mapped_labels(all_runs, statuses, expected_topk):
    entry = expected_topk["venn"]["decoder-weight|100"]["6"]
    data = venn_data(all_runs, statuses, "decoder-weight|100", entry["model_ids"])
    fig = venn.build(data, venn.Options(label_mapping={HE_THEY: "he/they suite"}))
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "he/they suite" + DAGGER in legend
    assert [label for label in legend if DAGGER in label] == ["he/they suite" + DAGGER]
    plain = venn.build(data, venn.Options(highlight_non_convergence=False))
    assert not any(DAGGER in t.get_text() for t in plain.axes[0].get_legend().get_texts())


def test_three_set_names_carry_marker_and_sizes(all_runs, statuses):
    ids = ["he_she", HE_THEY, "he_she_preprune"]
    fig = venn.build(venn_data(all_runs, statuses, "decoder-weight|0.01", ids), venn.Options())
    names = [t.get_text().replace("\n", "") for t in fig.axes[0].texts if t.get_gid() is None and t.get_text()]
    assert f"{HE_THEY}{DAGGER} (k=369)" in names
    assert "he_she_preprune (k=19)" in names


def test_region_spots_cover_every_region():
    for n in (4, 5, 6):
        spots = region_spots(n)
        assert sorted(spots) == list(range(1, 2 ** n))
        assert all(spot.depth > 0 for spot in spots.values())


def bar_lengths(ax, gid: str) -> list[float]:
    """The drawn bars' lengths (heights, or widths of horizontal bars), in drawing order: one collection per chart."""
    (bars,) = [c for c in ax.collections if c.get_gid() == gid]
    along = 0 if gid == "upset-sizes" else 1
    return [float(path.vertices[:, along].max()) for path in bars.get_paths()]


def test_upset_for_seven_runs(all_runs, statuses, catalog):
    ids = catalog.ids()[:7]
    data = venn_data(all_runs, statuses, "decoder-weight|100", ids)
    fig = venn.build(data, venn.Options(topk=100))
    bars_ax = next(a for a in fig.axes if a.get_label() == "intersections")
    heights = [int(round(h)) for h in bar_lengths(bars_ax, "upset-bars")]
    regions = compare_topk(catalog, ids, "decoder-weight", 100).regions()
    non_empty = [r for r in regions if r["count"]]
    assert heights == sorted((r["count"] for r in non_empty), reverse=True)
    # each bar's count written on its top
    written = {(x, y): text for label in bars_ax.findobj(StampedText) for (x, y), text in zip(label.xy, label.texts)}
    assert written == {(float(i), float(h)): f"{h:,}" for i, h in enumerate(heights)}
    assert f"all {len(non_empty)} non-empty intersections" in fig.get_suptitle()
    # Each bar's dot column marks exactly its members.
    matrix_ax = next(a for a in fig.axes if a.get_label() == "matrix")
    ranked, _ = largest_regions(data.regions, venn.Options().max_intersections)
    grid, members = matrix_ax.collections[0], matrix_ax.collections[2]  # grey grid, lines, member dots
    (bands,) = [c for c in matrix_ax.collections if c.get_gid() == "upset-bands"]
    assert len(bands.get_paths()) == 4, "every other row banded"
    assert len(grid.get_offsets()) == len(ranked) * 7
    dots = {}
    for x, y in members.get_offsets():
        dots.setdefault(int(x), []).append(int(y))
    lines = matrix_ax.collections[1].get_segments()
    for column, region in enumerate(ranked):
        rows = sorted(ids.index(m) for m in region["members"])
        assert sorted(dots[column]) == rows
        assert lines[column][:, 1].tolist() == [rows[0], rows[-1]]
    sizes_ax = next(a for a in fig.axes if a.get_label() == "set sizes")
    assert bar_lengths(sizes_ax, "upset-sizes") == [100] * 7
    assert sizes_ax.get_xlim()[1] == 0 and bars_ax.get_ylim()[0] == 0, "bars stand on their axis, as with ax.bar"


def test_upset_says_when_it_shows_fewer_bars(all_runs, statuses, catalog):
    data = venn_data(all_runs, statuses, "decoder-weight|0.01", catalog.ids())
    fig = venn.build(data, venn.Options(max_intersections=5))
    bars_ax = next(a for a in fig.axes if a.get_label() == "intersections")
    total = sum(1 for r in data.regions if r["count"])
    assert len(bar_lengths(bars_ax, "upset-bars")) == 5
    assert f"showing the 5 largest of {total} non-empty intersections" in fig.get_suptitle()
    assert np.all(np.diff(bar_lengths(bars_ax, "upset-bars")) <= 0)


@pytest.mark.parametrize("renamed", [False, True])
def test_upset_layout_keeps_names_counts_and_title_apart(all_runs, statuses, catalog, renamed):
    """The UpSet lays itself out: run names fit between the set sizes and the matrix, the title clears the bar
    counts (turned ones stand out of the axes), and the bars' axis label stays above the names."""
    ids = catalog.ids()
    labels = {rid: f"{rid} with a much longer display label" for rid in ids[:2]} if renamed else None
    fig = venn.build(venn_data(all_runs, statuses, "decoder-weight|0.01", ids), venn.Options(label_mapping=labels))
    assert fig.get_layout_engine() is None
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    axes = {ax.get_label(): ax for ax in fig.axes}
    matrix, sizes, bars = (axes[k].get_window_extent(renderer) for k in ("matrix", "set sizes", "intersections"))
    (names,) = [a for a in axes["matrix"].findobj(StampedText) if a.get_gid() == "upset-names"]
    assert all(text.startswith((labels or {}).get(rid, rid)) for text, rid in zip(names.texts, ids, strict=True))
    box = names.get_window_extent(renderer)
    assert sizes.x1 < box.x0 and box.x1 < matrix.x0
    counts = [a.get_window_extent(renderer) for a in axes["intersections"].findobj(StampedText)]
    title = fig._suptitle.get_window_extent(renderer)
    assert all(title.y0 > box.y1 for box in [*counts, bars])
    bar_label = axes["intersections"].yaxis.label.get_window_extent(renderer)
    assert bar_label.y0 > matrix.y1  # beside the bars, above the names


def test_svg_has_text_and_literal_labels(all_runs, statuses):
    data = venn_data(all_runs, statuses, "decoder-weight|100", ["he_she", "he_it"])
    svg = figure_bytes(venn.build(data, venn.Options(label_mapping={"he_she": "50% $he_she$"})), "svg").decode()
    assert "<text" in svg and "50% $he_she$" in svg


def test_many_thin_regions_get_callouts_that_never_overlap():
    """Six runs of 1000 with every one of the 63 regions non-empty: most counts go beside the diagram."""
    runs = [f"run_{i}" for i in range(6)]
    regions = [{"members": [runs[m] for m in range(6) if mask >> m & 1], "count": 900 if mask.bit_count() == 1 else mask % 40 + 1}
               for mask in range(1, 64)]
    data = venn.VennData(part="decoder-weight", topk=1000, runs=runs, sizes={r: 1000 for r in runs}, regions=regions)
    fig = venn.build(data, venn.Options())
    counts, boxes, _, _ = count_boxes(fig)
    assert len(counts) == 63
    figure_box = fig.bbox
    assert all(figure_box.x0 <= b.x0 and b.x1 <= figure_box.x1 for b in boxes), "counts stay inside the figure"


def legend_texts(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def test_given_colours_win_and_the_palette_fills_the_rest(all_runs, statuses, expected_topk):
    entry = expected_topk["venn"]["decoder-weight|100"]["4"]
    ids = entry["model_ids"]
    data = venn_data(all_runs, statuses, "decoder-weight|100", ids)
    palette = venn.run_colors(data, venn.Options())
    assert len(set(palette.values())) == 4
    given = venn.run_colors(data, venn.Options(colors={ids[2]: "red"}))
    in_order = list(palette.values())
    assert given == {ids[0]: in_order[0], ids[1]: in_order[1], ids[2]: "#ff0000", ids[3]: in_order[2]}, \
        "runs without a colour take the palette's colours in order"
    taken = venn.run_colors(data, venn.Options(colors={ids[0]: in_order[1]}))
    assert taken[ids[1]] != in_order[1], "a given colour is not handed to another run"
    fig = venn.build(data, venn.Options(colors={ids[2]: "red"}))
    outlines = [p.get_edgecolor() for p in fig.axes[0].patches]
    assert outlines[2] == (1.0, 0.0, 0.0, 1.0) and outlines[0] != outlines[2]


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
    data = venn.load(broken_catalog, ["good", "bad", "also_good"], venn.Options(topk=5))
    assert data.runs == ["good", "also_good"] and list(data.left_out) == ["bad"]
    assert data.left_out["bad"].startswith("bad/model/model.safetensors: ")
    assert sum(r["count"] for r in data.regions if "good" in r["members"]) == 5
    names = [t.get_text().replace("\n", "") for t in venn.build(data, venn.Options()).axes[0].texts
             if t.get_gid() is None and t.get_text()]
    assert names == ["good", "also_good"]


def test_too_few_readable_runs_draw_a_message_naming_the_problem(broken_catalog):
    data = venn.load(broken_catalog, ["good", "bad"], venn.Options(topk=5))
    assert data.runs == ["good"] and list(data.left_out) == ["bad"]
    [text] = venn.build(data, venn.Options()).axes[0].texts
    assert text.get_text() == ("Nothing to draw: a Venn diagram needs at least 2 readable runs "
                               f"(left out bad: {data.left_out['bad']})")
    assert venn.table(data, venn.Options())["members"].tolist() == ["good"]


def test_view_record():
    view = venn.VIEW
    assert (view.name, view.runs, view.min_runs, view.needs, view.load_options, view.colors_runs) == \
        ("venn", "selection", 2, ("weights",), ("part", "topk", "seed_groups", "seed_group_policy"), True)
    assert view.load is venn.load and view.build is venn.build and view.table is venn.table
    assert view.gradiend.function == "plot_topk_overlap_venn" and view.gradiend.always == ("topk", "part")
    assert view.gradiend.studio_only == {"max_intersections", "colors", "cmap", "seed_groups", "equal_circles"}
