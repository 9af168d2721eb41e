import shutil

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_hex

from gradiend_st.figures.export import figure_bytes
from gradiend_st.io.discover import discover
from gradiend_st.views import distributions as ds
from tests.builders import write_run

DAGGER = "\u2020"
SUITE = "suite_pronouns/he__they"


def load(catalog, run_id, **options):
    return ds.load(catalog, [run_id], ds.Options(**options))


def build(catalog, run_id, **options):
    opts = ds.Options(**options)
    return ds.build(ds.load(catalog, [run_id], opts), opts)


def legend_of(fig):
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    assert len(legends) == 1
    return legends[0]


def legend_texts(fig):
    return [t.get_text() for t in legend_of(fig).get_texts()]


def tick_labels(ax):
    return [t.get_text() for t in ax.get_xticklabels()]


def halves(ax):
    """{(violin centre, side): facecolor hex} of the drawn (KDE) halves."""
    out = {}
    for poly in ax.collections:
        if isinstance(poly, PolyCollection):
            xs = poly.get_paths()[0].vertices[:, 0]
            centre = round(float(np.median(xs[np.isclose(xs, np.round(xs))])))  # the straight inner edge
            side = "left" if xs.min() < centre - 1e-9 else "right"
            out[(centre, side)] = to_hex(poly.get_facecolor()[0])
    return out


def assert_legend_outside_axes(fig):
    FigureCanvasAgg(fig)
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    box = legend_of(fig).get_window_extent(renderer)
    for ax in fig.axes:
        assert not box.overlaps(ax.get_window_extent(renderer))


def csv_counts(runs_root, run_id):
    frame = pd.read_csv(runs_root / run_id / "encoded_values_split_test.csv")
    return frame


def test_default_he_she(catalog):
    fig = build(catalog, "he_she")
    ax = fig.axes[0]
    assert legend_texts(fig) == ["he", "she", "Neutral: Training masked", "Neutral: Neutral dataset"]
    weights = [t.get_fontweight() for t in legend_of(fig).get_texts()]
    assert weights[:2] == ["bold", "bold"] and weights[2:] == ["normal", "normal"]  # target pair highlighted
    assert tick_labels(ax) == ["he | she\nn = 12 | 12", "Neutral\nn = 24 | 16"]
    assert ax.get_ylabel() == "Encoded value"
    assert fig._suptitle.get_text() == "he_she \u2014 encoded values (test split)"
    assert ds.load(catalog, ["he_she"]).split == "split_test"


def test_suite_run_marker_extra_class_and_highlight(catalog):
    fig = build(catalog, SUITE)
    assert fig._suptitle.get_text().startswith(f"{SUITE} {DAGGER}")
    assert legend_texts(fig) == ["he", "they", "she", "Neutral: Training masked", "Neutral: Neutral dataset"]
    bold = {t.get_text() for t in legend_of(fig).get_texts() if t.get_fontweight() == "bold"}
    assert bold == {"he", "they"}
    patches = legend_of(fig).get_patches()
    assert patches[0].get_linewidth() > patches[2].get_linewidth()
    assert tick_labels(fig.axes[0]) == ["he | they\nn = 24 | 24", "she\nn = 24", "Neutral\nn = 72 | 16"]
    assert not build(catalog, SUITE, highlight_non_convergence=False)._suptitle.get_text().count(DAGGER)
    assert build(catalog, SUITE, title=False)._suptitle is None
    assert build(catalog, SUITE, title=None)._suptitle is None


def test_colors_recolour_violin_and_legend(catalog):
    colors = {"Neutral: Training masked": "#123456", "they": "#abcdef"}
    fig = build(catalog, SUITE, colors=colors)
    drawn = halves(fig.axes[0])
    assert drawn[(2, "left")] == "#123456" and drawn[(0, "right")] == "#abcdef"
    legend = dict(zip(legend_texts(fig), (to_hex(p.get_facecolor()) for p in legend_of(fig).get_patches())))
    assert legend["Neutral: Training masked"] == "#123456" and legend["they"] == "#abcdef"
    assert legend["he"] == drawn[(0, "left")]  # palette colours agree as well
    assert len(set(legend.values())) == 5


def test_cmap_samples_continuous_maps_evenly(catalog):
    fig = build(catalog, SUITE, cmap="viridis")
    colors = [to_hex(p.get_facecolor()) for p in legend_of(fig).get_patches()]
    assert len(set(colors)) == 5 and colors[0] != colors[1]


def test_violin_order_is_honoured(catalog):
    fig = build(catalog, SUITE, violin_order=["Neutral", "she"])
    assert [t.split("\n")[0] for t in tick_labels(fig.axes[0])] == ["Neutral", "she", "he | they"]
    assert legend_texts(fig)[:2] == ["Neutral: Training masked", "Neutral: Neutral dataset"]
    assert halves(fig.axes[0])[(0, "left")] == to_hex(legend_of(fig).get_patches()[0].get_facecolor())
    table = ds.table(load(catalog, SUITE), ds.Options(violin_order=["she"]))
    assert table.violin.tolist()[0] == "she"


def test_paired_legend_labels(catalog):
    order = ["he", "Neutral: Training masked", "unknown label", "they", "she"]
    fig = build(catalog, SUITE, paired_legend_labels=order)
    # Labels not listed ("Neutral: Neutral dataset") are not plotted, as in gradiend
    assert [t.split("\n")[0] for t in tick_labels(fig.axes[0])] == ["he | Neutral: Training masked", "they | she"]
    assert [t.get_text() for t in legend_of(fig).get_texts()] == ["he", "Neutral: Training masked", "they", "she"]
    # A run with none of the listed labels keeps its default pairs (the grid's order is shared by all runs)
    other = build(catalog, SUITE, paired_legend_labels=["3SG", "3PL"])
    assert len(tick_labels(other.axes[0])) == 3


def test_group_mapping_downsamples_to_the_smallest_member(catalog, runs_root):
    groups = {"she or neutral": ["she", "Neutral: Neutral dataset", "not in this run"]}
    data = load(catalog, SUITE)
    table = ds.table(data, ds.Options(legend_group_mapping=groups))
    row = table.set_index("legend_label").loc["she or neutral"]
    assert row.n == 32  # she has 24 rows, the neutral dataset 16: both down-sampled to 16
    raw = csv_counts(runs_root, SUITE)
    she = raw[raw.source_id == "she"].sample(n=16, random_state=42)
    neutral = raw[raw.type == "neutral_dataset"]
    expected = pd.concat([she, neutral]).encoded
    assert row["median"] == pytest.approx(float(np.median(expected)))
    fig = ds.build(data, ds.Options(legend_group_mapping=groups))
    assert "she or neutral" in legend_texts(fig)
    assert "she: 16 of 24 rows" in fig._supxlabel.get_text()


def test_name_mapping_renames_and_merges(catalog):
    fig = build(catalog, SUITE, legend_name_mapping={"he": "$x_1$"})
    assert "$x_1$" in legend_texts(fig)
    merged = ds.table(load(catalog, SUITE), ds.Options(legend_name_mapping={"he": "A", "they": "A"}))
    row = merged.set_index("legend_label").loc["A"]
    assert row.n == 48 and row.highlighted and row.members == "they, he"


def test_legend_labels_lists_raw_labels_in_order(catalog):
    assert ds.legend_labels(load(catalog, SUITE)) == [
        "they", "he", "she", "Neutral: Training masked", "Neutral: Neutral dataset"]
    assert ds.legend_labels(load(catalog, "he_she_seeds", split="split_validation")) == [
        "she", "he", "Neutral: Neutral dataset"]


def test_table_counts_and_quartiles(catalog, runs_root):
    raw = csv_counts(runs_root, "he_she")
    table = ds.table(load(catalog, "he_she"))
    assert table.legend_label.tolist() == ["he", "she", "Neutral: Training masked", "Neutral: Neutral dataset"]
    assert table.n.tolist() == [12, 12, 24, 16]
    masked = raw[raw.type == "neutral_training_masked"].encoded
    row = table.set_index("legend_label").loc["Neutral: Training masked"]
    assert row.q1 == pytest.approx(masked.quantile(0.25)) and row.q3 == pytest.approx(masked.quantile(0.75))
    assert (row.violin, row.side) == ("Neutral", "left")


def test_quartile_lines(catalog, runs_root):
    raw = csv_counts(runs_root, "he_she")
    values = raw[raw.type == "neutral_dataset"].encoded.to_numpy()
    ax = build(catalog, "he_she").axes[0]
    dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert any(np.allclose(ln.get_ydata(), np.median(values)) and ln.get_xdata()[1] > 1 for ln in dashed)


def test_collapsed_halves_are_coloured_bars(catalog):
    fig = build(catalog, "he_she")
    ax = fig.axes[0]
    colours = [to_hex(p.get_facecolor()) for p in legend_of(fig).get_patches()]
    bars = [ln for ln in ax.get_lines() if ln.get_linewidth() == 5]
    assert sorted(to_hex(b.get_color()) for b in bars) == sorted(colours[:2])  # he and she match their legend
    assert len(halves(ax)) == 2  # only the neutral halves have a visible shape


@pytest.mark.parametrize("options", [{}, {"legend_loc": "below"}, {"legend_loc": "outside upper center"},
                                     {"legend_loc": "outside left upper"}])
def test_legend_is_outside_the_data(catalog, options):
    assert_legend_outside_axes(build(catalog, SUITE, **options))


def test_a_matplotlib_loc_puts_the_legend_inside_the_axes_as_gradiend(catalog):
    """legend_loc means the same in every view (style.place_legend): a matplotlib loc is inside the axes."""
    fig = build(catalog, SUITE, legend_loc="upper right")
    legend = fig.axes[-1].get_legend()
    assert legend is not None and not fig.legends and legend._loc == 1  # matplotlib's code of "upper right"
    FigureCanvasAgg(fig)
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    box, axes_box = legend.get_window_extent(renderer), fig.axes[-1].get_window_extent(renderer)
    assert axes_box.x0 <= box.x0 and box.x1 <= axes_box.x1 and axes_box.y0 <= box.y0 and box.y1 <= axes_box.y1


def test_many_entries_go_below(tmp_path):
    write_run(tmp_path, "many")
    rows = ["text,encoded,label,source_id,target_id,type,data_split"]
    rng = np.random.default_rng(1)
    for c in range(10):
        rows += [f"t,{rng.normal(c / 10, 0.1)},0.0,class{c},class{c},training,test" for _ in range(6)]
    (tmp_path / "many" / "encoded_values_split_test.csv").write_text("\n".join(rows) + "\n")
    fig = build(discover(tmp_path), "many")
    assert len(legend_texts(fig)) == 10 and legend_of(fig)._ncols == 3  # gradiend's min(5, ceil(n / 4))
    FigureCanvasAgg(fig)
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    axes_box = fig.axes[0].get_tightbbox(renderer)  # tick labels included
    assert legend_of(fig).get_window_extent(renderer).y1 <= axes_box.y0
    assert len(fig.axes[0].get_xticks()) == 5  # ten labels, two by two
    assert legend_of(build(discover(tmp_path), "many", legend_ncol=2))._ncols == 2


def test_factual_source_transitions_and_target_filter(tmp_path):
    write_run(tmp_path, "fact", pair=("he", "she"))
    rows = ["text,encoded,label,source_id,target_id,type,data_split"]
    for i in range(6):
        rows += [f"a,{0.9 + i / 100},1.0,he,she,training,test", f"b,{-0.9 - i / 100},-1.0,she,he,training,test",
                 f"c,{i / 100},0.0,he,he,training,test", f"d,{i / 50},0.0,neutral,neutral,neutral_dataset,test"]
    (tmp_path / "fact" / "encoded_values_split_test.csv").write_text("\n".join(rows) + "\n")
    catalog = discover(tmp_path)
    fig = build(catalog, "fact")
    assert legend_texts(fig) == ["he \u2192 she", "she \u2192 he", "Neutral: Neutral dataset"]  # identity dropped
    assert all(t.get_fontweight() == "bold" for t in legend_of(fig).get_texts()[:2])
    everything = build(catalog, "fact", target_and_neutral_only=False)
    assert "he" in legend_texts(everything)
    assert ds.legend_labels(ds.load(catalog, ["fact"])) == ["he -> she", "she -> he", "he",
                                                             "Neutral: Neutral dataset"]


def test_several_splits_become_panels(tmp_path):
    write_run(tmp_path, "multi")
    rows = ["text,encoded,label,source_id,target_id,type,data_split"]
    rng = np.random.default_rng(0)
    for split in ("test", "train"):
        for _ in range(8):
            rows += [f"a,{0.8 + rng.normal(0, .05)},1.0,he,he,training,{split}",
                     f"b,{-0.8 + rng.normal(0, .05)},-1.0,she,she,training,{split}"]
    rows += [f"n,{rng.normal(0, .2)},0.0,neutral,neutral,neutral_training_masked,test" for _ in range(5)]
    (tmp_path / "multi" / "encoded_values_split_train_test.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "multi" / "encoded_values_split_test.csv").unlink()
    fig = build(discover(tmp_path), "multi")
    assert [ax.get_title() for ax in fig.axes] == ["train split", "test split"]
    # gradiend's multi-split plot: neutral rows only with include_neutral, in the neutral_data_split panel
    assert len(fig.axes[0].get_xticks()) == 1 and len(fig.axes[1].get_xticks()) == 1
    assert fig._suptitle.get_text() == "multi \u2014 encoded values (train + test split)"
    with_neutral = build(discover(tmp_path), "multi", include_neutral=True)
    assert len(with_neutral.axes[0].get_xticks()) == 1 and len(with_neutral.axes[1].get_xticks()) == 2
    in_train = build(discover(tmp_path), "multi", include_neutral=True, neutral_data_split="train")
    assert len(in_train.axes[0].get_xticks()) == 2 and len(in_train.axes[1].get_xticks()) == 1
    assert "Neutral" in in_train.axes[0].get_xticklabels()[1].get_text()


def test_empty_neutral_only_and_missing_files_give_a_message(tmp_path, catalog):
    write_run(tmp_path, "neutral_only")
    path = tmp_path / "neutral_only" / "encoded_values_split_test.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0]] + [ln for ln in lines[1:] if "neutral" in ln]) + "\n")
    write_run(tmp_path, "empty")
    empty = tmp_path / "empty" / "encoded_values_split_test.csv"
    empty.write_text(empty.read_text().splitlines()[0] + "\n")
    local = discover(tmp_path)
    for run_id, needle in (("neutral_only", "only neutral rows"), ("empty", "no rows")):
        fig = build(local, run_id)
        assert needle in fig.axes[0].texts[0].get_text()
        assert ds.table(ds.load(local, [run_id])).empty
    missing = build(catalog, "he_she", split="split_train")
    assert "no encoded_values_split_train.csv (available: split_test)" in missing.axes[0].texts[0].get_text()
    assert "no run selected" in ds.build(ds.load(catalog, []), ds.Options()).axes[0].texts[0].get_text()


def test_runs_that_cannot_be_drawn_are_left_out_with_their_reason(tmp_path, catalog):
    drawn = load(catalog, "he_she")
    assert drawn.runs == ["he_she"] and drawn.left_out == {} and drawn.warnings == []
    no_split = load(catalog, "he_she", split="split_train")
    assert no_split.runs == [] and no_split.left_out == {
        "he_she": "no encoded_values_split_train.csv (available: split_test)"}
    unknown = load(catalog, "not_a_run")
    assert unknown.runs == [] and "no run 'not_a_run'" in unknown.left_out["not_a_run"]
    assert not unknown.left_out["not_a_run"].startswith(("'", '"'))
    write_run(tmp_path, "broken")
    (tmp_path / "broken" / "encoded_values_split_test.csv").write_bytes(b"\xff\xfe\x00garbage")
    broken = ds.load(discover(tmp_path), ["broken"])
    assert broken.runs == [] and broken.left_out["broken"].startswith("broken/encoded_values_split_test.csv: ")
    message = ds.build(broken, ds.Options()).axes[0].texts[0].get_text()
    assert message.startswith("Nothing to draw: broken: broken/encoded_values_split_test.csv")
    assert ds.table(broken, ds.Options()).empty and ds.legend_labels(broken) == []


def test_svg_keeps_literal_labels_and_is_deterministic(catalog, tmp_path):
    shutil.copytree(catalog.root / SUITE, tmp_path / "x$_1%")
    local = discover(tmp_path)
    opts = {"legend_name_mapping": {"he": "$x_1$", "they": "\\textbf{a}_b 50%"}, "title": "Fig. $y$"}
    svg = figure_bytes(build(local, "x$_1%", **opts), "svg").decode()
    for text in ("$x_1$", "\\textbf{a}_b 50%", "Fig. $y$", "Neutral: Training masked"):
        assert f">{text}</text>" in svg, text
    assert svg == figure_bytes(build(local, "x$_1%", **opts), "svg").decode()
    default_title = build(local, "x$_1%")._suptitle.get_text()
    assert default_title.startswith("x$_1%")
