"""The Decoder page under AppTest on the demo and beside broken grids, and the Runs page's decoder columns."""

from __future__ import annotations

import pytest

from gradiend_st.analysis.decoder_runs import read_run_decoder
from gradiend_st.demo import DEMO_ROOT
from gradiend_st.io.discover import discover
from gradiend_st.ui.overview import run_rows
from tests.app.test_pages import figure_texts, open_page, problems, start
from tests.io.test_decoder_grid import BAD_GRIDS, bad_run, copy_run


def warnings_shown(at) -> list[str]:
    return [w.value for w in at.main.warning]


def test_decoder_page_draws_each_figure_of_the_demo():
    at = open_page(start(**{"studio.run": "he_she"}), "decoder")
    assert not problems(at), problems(at)
    assert "he_she: probability shifts, strengthen he (feature factor +1)" in figure_texts(at, "decoder")
    at.selectbox(key="decoder.opt.plot.0").set_value(1).run()  # grid
    assert not problems(at)
    assert "selected for P(she): lr 0.2" in figure_texts(at, "decoder")
    at.selectbox(key="decoder.opt.plot.0").set_value(3).run()  # runs: the selection (every demo run)
    assert not problems(at)
    texts = figure_texts(at, "decoder")
    with_grids = [rid for rid, run in discover(DEMO_ROOT).runs.items() if run.decoder_grid_path.is_file()]
    assert f"Selected rewrites of {len(with_grids)} runs (LMSThresholdPolicy(ratio=0.99))" in texts
    assert set(with_grids) <= set(texts)
    assert [w for w in warnings_shown(at) if "decoder_grid_cache.json" in w] == [
        "No decoder evaluation (decoder_grid_cache.json) in he_she_preprune, he_she_seeds, she_they_postprune, "
        "suite_pronouns/he__they, suite_pronouns/she__they: not drawn"]


@pytest.fixture(scope="module")
def broken_lab(tmp_path_factory, runs_root):
    root = tmp_path_factory.mktemp("decoder-lab") / "lab"
    copy_run(runs_root, "he_she", root / "good")
    for number, case in enumerate(BAD_GRIDS):
        bad_run(runs_root, root, case, run_id=f"bad{number:02d}")
    return root


def test_broken_grids_are_one_line_each_beside_the_drawn_runs(monkeypatch, broken_lab):
    monkeypatch.setenv("GRADIEND_ST_ROOT", str(broken_lab))
    ids = ["good", *(f"bad{n:02d}" for n in range(len(BAD_GRIDS)))]
    at = start(**{"studio.selection": ids, "studio.options": {"decoder": {"plot": "runs"}}})
    at = open_page(at, "decoder")
    assert not problems(at), problems(at)
    assert "good" in figure_texts(at, "decoder")
    shown = warnings_shown(at)
    for number, case in enumerate(BAD_GRIDS):
        [line] = [w for w in shown if w.startswith(f"Left out bad{number:02d}: ")]
        assert line.startswith(f"Left out bad{number:02d}: bad{number:02d}/decoder_grid_cache.json: "), case.name
        assert "\n" not in line and str(broken_lab) not in line
    at = start(**{"studio.run": "bad13"})  # feature factors that match no class, shown alone
    at = open_page(at, "decoder")
    assert not problems(at)
    assert any(w.startswith("Left out bad13: bad13/decoder_grid_cache.json: no cell has feature factor +1")
               for w in warnings_shown(at))


def test_runs_page_shows_the_selected_decoder_numbers():
    catalog = discover(DEMO_ROOT)
    rows = run_rows(catalog).set_index("id")
    he_she = read_run_decoder(catalog.get("he_she")).selections()
    assert rows.loc["he_she", "decoder_dp"] == f"he {he_she['he'].delta:+.3f} · she {he_she['she'].delta:+.3f}"
    assert rows.loc["he_she", "lms_ratio"] == "he 1.00 · she 1.33"
    assert rows.loc["he_she_seeds", "decoder_dp"] == "" and rows.loc["he_she_seeds", "lms_ratio"] == ""
    at = start()
    frame = at.main.get("dataframe")[0].value  # the overview grid
    assert frame.set_index("id").loc["3SG_3PL", "decoder_dp"].startswith("3SG +0.262")


def test_runs_page_names_an_unusable_grid(monkeypatch, broken_lab):
    rows = run_rows(discover(broken_lab)).set_index("id")
    assert rows.loc["bad00", "decoder_dp"].startswith("unreadable: truncated JSON")
    assert rows.loc["good", "decoder_dp"].startswith("he +0.139")
