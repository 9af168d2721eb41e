"""The Weight map page under AppTest: the panel under the figure lists exactly the picked cell's weights, and the
flow plot is a plotly Sankey with an HTML download."""

from __future__ import annotations

from gradiend_st.analysis import weightmap as wm
from gradiend_st.analysis.weightmap_runs import map_selection
from gradiend_st.demo import DEMO_ROOT
from gradiend_st.io.discover import discover
from tests.app.test_pages import figure_texts, main_labels, open_page, problems, start

RUNS = ["he_she", "she_they"]


def test_the_picked_cell_lists_its_weights():
    at = open_page(start(**{"studio.selection": RUNS}), "weightmap")
    assert not problems(at), problems(at)
    maps = map_selection(discover(DEMO_ROOT), RUNS, "decoder-weight", 1000)
    for run, layer, component in (("she_they", "layer.0", "value"), ("he_she", "embeddings", "embeddings")):
        at.selectbox(key="weightmap.cell.run").set_value(run).run()
        at.selectbox(key="weightmap.cell.layer").set_value(layer).run()
        at.selectbox(key="weightmap.cell.component").set_value(component).run()
        assert not problems(at), problems(at)
        table = next(d.value for d in at.dataframe if "param_name" in d.value.columns)
        count = wm.cell_count(maps.layout, maps.maps[run], layer=layer, component=component)
        assert len(table) == count > 0
        assert set(table["layer"]) == {layer} and set(table["component"]) == {component}
        assert table["rank"].is_monotonic_increasing and table["rank"].max() <= 1000
        assert any(c.value.startswith(f"{count:,} of {run}'s 1,000 top-k weights") for c in at.caption)


def test_the_flow_plot_is_a_sankey_with_html():
    at = start(**{"studio.selection": RUNS, "studio.options": {"weightmap": {"plot": "flow"}}})
    at = open_page(at, "weightmap")
    assert not problems(at), problems(at)
    assert at.main.get("plotly_chart") and not at.main.get("image")
    assert "Top-1000 weights (decoder-weight) from run to layer to component" in figure_texts(at, "weightmap")[0]
    assert main_labels(at) == ["HTML", "PNG", "PDF", "SVG", "CSV"]
