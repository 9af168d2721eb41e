"""Runs as experiments in the app: the Runs page's "only what differs" switch, the Sweep view's options in links
and presets (the brushed ranges included), on the bundled demo runs."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from gradiend_st.analysis.run_diff import listed_runs, run_diff
from gradiend_st.demo import DEMO_ROOT
from gradiend_st.io.discover import discover
from gradiend_st.presets import Preset
from tests.app.test_pages import APP, figure_texts, open_page, problems, start


def overview_table(at: AppTest):
    return [e for e in at.main if type(e).__name__ == "Dataframe"][0].value


def test_only_what_differs_adds_the_differing_arguments_and_keeps_the_link():
    at = start()
    before = overview_table(at)
    at.toggle(key="runs.diff.on").set_value(True).run()
    assert not problems(at), problems(at)
    table = overview_table(at)
    catalog = discover(DEMO_ROOT)
    keys = run_diff(catalog, listed_runs(catalog)).keys
    added = [c for c in table.columns if c not in before.columns]
    assert added == [f"arg.{k}" for k in keys] + ["training_time"]
    assert len(keys) == 6 and set(before.columns) <= set(table.columns), "beside the existing columns"
    assert sorted(table["id"]) == sorted(listed_runs(catalog)), "seed checkpoints only when shown"
    row = table[table["id"] == "he_she_preprune"].iloc[0]
    assert row["arg.pre_prune_config"] == "n_samples=16, topk=0.05, source=diff"
    assert at.query_params["diff"] == "1"
    assert any("pre_prune_config" in e.label for e in at.main.get("expander")), "the nested configs in full"
    at.toggle(key="runs.diff.seeds").set_value(True).run()
    assert len(overview_table(at)) == len(catalog.runs) and at.query_params["seeds"] == "1"
    at.toggle(key="runs.diff.on").set_value(False).run()
    assert list(overview_table(at).columns) == list(before.columns) and "diff" not in at.query_params


def test_a_link_opens_the_runs_page_with_the_switch_on():
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.query_params["diff"] = "1"
    at.run()
    assert at.toggle(key="runs.diff.on").value is True
    assert "arg.max_seeds" in overview_table(at).columns


def test_a_sweep_link_with_a_brush_opens_the_brushed_parallel_coordinates():
    brush = {"input_dim": [[0, 5000]]}
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.query_params.update({"view": "sweep", "mode": "parallel", "brush": json.dumps(brush),
                            "axes_metrics": json.dumps(["best_correlation", "input_dim"]),
                            "runs": ["he_she_preprune", "she_they_postprune"]})
    at = open_page(at.run(), "sweep")
    assert not problems(at), problems(at)
    assert at.session_state["studio.options"]["sweep"]["brush"] == brush
    assert at.session_state["studio.options"]["sweep"]["axes_metrics"] == ["best_correlation", "input_dim"]
    texts = figure_texts(at, "sweep")
    assert texts[0].endswith("highlighted: 2 selected runs (the brushed ranges)</sup>")
    assert json.loads(at.query_params["brush"]) == brush, "written back into the link"


def test_a_preset_brings_the_sweep_grid_back():
    preset = Preset(views={"sweep": {"x_arg": "pre_prune_config", "y_arg": "post_prune_config",
                                     "cell": "training_time", "aggregate": "max"}})
    at = start()
    at.sidebar.get("file_uploader")[-1].upload("p.json", preset.to_json().encode(), "application/json").run()
    at = open_page(at, "sweep")
    assert not problems(at), problems(at)
    assert "training time (s), max per cell, by pre_prune_config × post_prune_config" in figure_texts(at, "sweep")
    assert at.query_params["x_arg"] == "pre_prune_config" and at.query_params["cell"] == "training_time"
