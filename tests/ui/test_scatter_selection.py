"""Linked selection in the encoder scatter: the selected points of the figure are the table's rows."""

from __future__ import annotations

from gradiend_st.analysis.scatter_points import row_text
from gradiend_st.ui.scatter_selection import selected_rows
from gradiend_st.views import scatter


def event_points(fig, picks: list[tuple[int, int]]) -> list[dict]:
    """What Streamlit reports for points selected in `fig`: curve, index and the point's x and y."""
    return [{"curve_number": c, "point_index": i, "point_number": i, "x": fig.data[c].x[i], "y": fig.data[c].y[i]}
            for c, i in picks]


def test_selected_points_are_the_rows_of_the_encoder_table(catalog):
    data = scatter.load(catalog, ["he_she"])
    options = scatter.Options()
    fig = scatter.build(data, options)
    picks = [(0, 0), (0, 3), (1, 2), (len(fig.data) - 1, 0)]
    table = selected_rows(data, options, event_points(fig, picks))
    assert len(table) == 4
    for (curve, index), (_, row) in zip(picks, table.iterrows(), strict=True):
        assert row["encoded"] == fig.data[curve].y[index], "the row behind the point"
        source = data.frame.loc[row["row"]]
        assert row["label"] == source["label"] and row["source_id"] == source["source_id"]
        assert row["target_id"] == source["target_id"]
        assert row["text"] == row_text(source.to_dict()) and "[MASK]" in row["text"]
    assert list(table.columns[:6]) == ["row", "text", "label", "encoded", "source_id", "target_id"]


def test_a_whole_category_selected_gives_every_row_of_it(catalog):
    data = scatter.load(catalog, ["he_she"])
    options = scatter.Options()
    fig = scatter.build(data, options)
    picks = [(c, i) for c, trace in enumerate(fig.data) for i in range(len(trace.x))]
    table = selected_rows(data, options, event_points(fig, picks))
    assert len(table) == int(data.frame["encoded"].notna().sum())
    assert table["row"].is_unique


def test_stale_or_empty_selections_give_no_rows(catalog):
    data = scatter.load(catalog, ["he_she"])
    options = scatter.Options()
    assert selected_rows(data, options, []).empty
    stale = [{"curve_number": 0, "point_index": 10_000, "y": 0.5}, {"curve_number": 99, "point_index": 0},
             {"curve_number": 0, "point_index": 0, "y": 123.0}]
    assert selected_rows(data, options, stale).empty, "points of an earlier figure are not this figure's rows"
