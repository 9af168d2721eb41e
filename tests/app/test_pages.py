"""Every page of the app under AppTest, on the bundled demo runs.

AppTest cannot drive AG Grid, so the grids fall back to st.data_editor here; mapping edits are seeded through
session state (the canonical mapping the grids write to) and checked in the figure's text, which the app records
for each drawn figure (it is also the image's alt text).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gradiend_st.demo import DEMO_ROOT
from gradiend_st.mapping import ClassLabel, Mapping, RunLabel
from gradiend_st.presets import Preset
from gradiend_st.views import registry
from gradiend_st.views.registry import VIEW_NAMES

APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"
PAGES = VIEW_NAMES


def start(**state) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=90)
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def open_page(at: AppTest, page: str) -> AppTest:
    return at.switch_page(f"pages/{page}.py").run()


def problems(at: AppTest) -> list[str]:
    return [e.value for e in at.exception] + [e.value for e in at.error]


def figure_texts(at: AppTest, view: str) -> list[str]:
    return at.session_state["studio.last_figure"][view]["texts"]


def main_labels(at: AppTest) -> list[str]:
    return [b.proto.label for b in at.main.get("download_button")]


@pytest.fixture(scope="module")
def app() -> AppTest:
    return start()


def test_startup_objects_are_frozen_out_of_garbage_collection(app):
    """Streamlit collects garbage after every run; the libraries imported at startup must not be walked each time."""
    import gc

    from gradiend_st.figures import scatter

    assert gc.get_freeze_count() > 50_000
    assert not any(obj is scatter for obj in gc.get_objects())  # a view's module is among the frozen objects


def test_runs_page_opens_on_the_demo(app):
    assert not problems(app)
    assert app.title[0].value == "Runs"
    assert app.session_state["studio.selection"] == [rid for rid in app.session_state["studio.selection"]]
    assert len(app.session_state["studio.selection"]) == 10, "every run (not seed) is selected at first"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_draws_a_figure_with_downloads(app, page):
    at = open_page(app, page)
    assert not problems(at), problems(at)
    assert figure_texts(at, page), "a figure was drawn"
    shown = at.main.get("image") or at.main.get("plotly_chart")
    assert shown, "the figure is on the page"
    view = registry.get(page)
    assert main_labels(at) == [*(f.upper() for f in view.export_formats(view.Options())), "CSV"]
    assert any("gradiend" in c.value for c in at.main.get("code")), "copy as code"


def test_heatmap_option_change_redraws(app):
    at = open_page(app, "heatmap")
    assert "Top-1000 overlap (decoder-weight)" in figure_texts(at, "heatmap")
    at.text_input(key="heatmap.opt.topk.0").set_value("100").run()
    at.selectbox(key="heatmap.opt.part.0").select_index(3).run()  # decoder-sum
    assert not problems(at)
    assert "Top-100 overlap (decoder-sum)" in figure_texts(at, "heatmap")
    assert at.session_state["studio.options"]["heatmap"] == {"topk": 100, "part": "decoder-sum"}
    assert at.query_params["topk"] == "100" and at.query_params["part"] == "decoder-sum"


def test_convergence_option_change_redraws():
    at = open_page(start(**{"studio.live": False}), "convergence")
    assert any(t.startswith("best step") for t in figure_texts(at, "convergence"))
    at.toggle(key="convergence.opt.best_step.0").set_value(False).run()
    assert not problems(at)
    assert not any(t.startswith("best step") for t in figure_texts(at, "convergence"))


def test_interactive_convergence_is_an_altair_chart_with_an_html_download():
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.query_params.update({"view": "convergence", "runs": ["he_she", "she_they"], "mode": "interactive"})
    at.session_state["studio.live"] = False
    at = open_page(at.run(), "convergence")
    assert not problems(at), problems(at)
    charts = at.main.get("vega_lite_chart")
    assert len(charts) == 1 and not at.main.get("image"), "the browser draws the chart"
    assert '"run_pick"' in charts[0].proto.spec
    texts = figure_texts(at, "convergence")
    assert {"Training convergence of 2 runs", "he_she", "she_they", "Correlation"} <= set(texts)
    assert main_labels(at) == ["PNG", "PDF", "SVG", "HTML", "CSV"]


def test_invalid_option_text_keeps_the_last_value(app):
    at = open_page(app, "venn")
    at.text_input(key="venn.opt.topk.0").set_value("-3").run()
    assert not problems(at)
    assert any("kept" in c.value for c in at.main.caption)


def test_mapping_edits_change_labels_in_every_view():
    mapping = Mapping(runs=[RunLabel("he_she", "Masculine vs feminine"), RunLabel("1SG_1PL", "First person")],
                      classes=[ClassLabel("1SG", "singular"), ClassLabel("1PL", "plural")])
    at = start(**{"studio.mapping": mapping, "studio.live": False})
    for page, expected in (("heatmap", "Masculine vs feminine"), ("venn", "Masculine vs feminine"),
                           ("convergence", "singular"), ("distributions", "singular")):
        at = open_page(at, page)
        assert not problems(at), problems(at)
        assert any(expected in t for t in figure_texts(at, page)), (page, figure_texts(at, page))
    at = open_page(at, "scatter")
    assert "singular" in figure_texts(at, "scatter")


def test_selection_from_the_sidebar_drives_the_comparison_views(app):
    at = open_page(app, "heatmap")
    at.multiselect(key="sidebar.selection").set_value(["he_she", "she_they"]).run()
    assert at.session_state["studio.selection"] == ["he_she", "she_they"]
    texts = figure_texts(at, "heatmap")
    assert "he_she" in texts and "he_it" not in texts
    at.multiselect(key="sidebar.selection").set_value(["he_she"]).run()
    at = open_page(at, "venn")
    assert any("at least 2 runs" in i.value for i in at.main.info)


def test_a_shared_link_opens_the_same_view():
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.query_params.update({"view": "heatmap", "runs": ["he_she", "she_they"], "topk": "0.01", "part": "encoder-weight"})
    at.run()
    assert at.multiselect(key="sidebar.selection").value == ["he_she", "she_they"], "the sidebar shows the link's runs"
    at = open_page(at, "heatmap")
    assert at.session_state["studio.selection"] == ["he_she", "she_they"]
    assert at.session_state["studio.options"]["heatmap"]["topk"] == 0.01
    assert "Top 1% overlap (encoder-weight)" in figure_texts(at, "heatmap")


def test_preset_loads_mapping_options_and_selection():
    preset = Preset(mapping=Mapping(runs=[RunLabel("she_they", "From the preset")]),
                    views={"heatmap": {"topk": 50}}, selection=["she_they", "he_it", "not_here"])
    at = start()
    at.sidebar.get("file_uploader")[-1].upload("p.json", preset.to_json().encode(), "application/json").run()
    assert not problems(at)
    assert at.session_state["studio.selection"] == ["she_they", "he_it"]
    at = open_page(at, "heatmap")
    texts = figure_texts(at, "heatmap")
    assert "From the preset" in texts and "Top-50 overlap (decoder-weight)" in texts


def test_broken_preset_is_a_message_not_a_crash():
    at = start()
    at.sidebar.get("file_uploader")[-1].upload("p.json", b"{oops", "application/json").run()
    assert not at.exception
    assert any("Preset not loaded" in e.value for e in at.sidebar.error)


def zip_of(*runs: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for run in runs:
            for path in sorted((DEMO_ROOT / run).rglob("*")):
                if path.is_file():
                    archive.write(path, f"upload/{run}/{path.relative_to(DEMO_ROOT / run).as_posix()}")
    return buffer.getvalue()


def test_zip_upload_opens_the_uploaded_runs_and_the_demo_stays_one_click_away():
    at = start()
    at.sidebar.get("file_uploader")[0].upload("runs.zip", zip_of("he_she", "she_they"), "application/zip").run()
    assert not problems(at)
    source = at.session_state["studio.source"]
    assert source.kind == "upload" and source.label == "runs.zip"
    assert at.session_state["studio.selection"] == ["he_she", "she_they"]
    space = at.session_state["studio.uploads"].path
    assert Path(source.root).is_relative_to(space)
    at.sidebar.button(key="source.demo").click().run()
    assert at.session_state["studio.source"].kind == "demo"


def test_hostile_zip_upload_is_refused_with_one_line():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../escape.txt", b"evil")
    at = start()
    at.sidebar.get("file_uploader")[0].upload("evil.zip", buffer.getvalue(), "application/zip").run()
    assert not at.exception
    assert at.session_state["studio.source"].kind == "demo"
    messages = [e.value for e in at.sidebar.error]
    assert messages == ["Upload refused: ../escape.txt: path leaves the upload folder ('..')"]


def test_folder_path_outside_allowed_roots_is_refused_without_revealing_it(monkeypatch, tmp_path):
    monkeypatch.setenv("GRADIEND_ST_ALLOWED_ROOTS", str(tmp_path))
    at = start()
    at.sidebar.text_input(key="source.folder").set_value(str(DEMO_ROOT / ".."))
    next(b for b in at.sidebar.button if b.label == "Open folder").click().run()
    assert not at.exception
    text = " ".join(e.value for e in at.sidebar.error)
    assert "only opens folders under" in text and str(DEMO_ROOT) not in text and "gradiend_st" not in text


def test_root_from_the_environment(monkeypatch):
    monkeypatch.setenv("GRADIEND_ST_ROOT", str(DEMO_ROOT / "suite_pronouns"))
    at = start()
    assert not problems(at)
    source = at.session_state["studio.source"]
    assert source.kind == "folder"
    assert sorted(at.session_state["studio.selection"]) == ["he__they", "she__they"]


def test_convergence_rereads_training_json_when_it_changes(monkeypatch, tmp_path):
    """The live panel reruns on a timer; what it draws follows training.json's size and mtime."""
    import json
    import os
    import shutil
    import time

    shutil.copytree(DEMO_ROOT / "he_she", tmp_path / "he_she")
    os.chmod(tmp_path / "he_she" / "model", 0o755)
    monkeypatch.setenv("GRADIEND_ST_ROOT", str(tmp_path))
    at = open_page(start(), "convergence")
    assert "best step (40)" in figure_texts(at, "convergence")
    training = tmp_path / "he_she" / "model" / "training.json"
    os.chmod(training, 0o644)
    data = json.loads(training.read_text())
    data["best_score_checkpoint"]["global_step"] = 30
    training.write_text(json.dumps(data))
    os.utime(training, (time.time() + 5, time.time() + 5))
    at.run()
    assert "best step (30)" in figure_texts(at, "convergence")


def test_picking_another_run_sticks_and_is_shared_by_single_run_views(app):
    at = open_page(app, "distributions")
    at.selectbox(key="distributions.run").set_value("he_she").run()
    assert at.selectbox(key="distributions.run").value == "he_she", "the choice is not reset to the shared state"
    assert any("he_she" in t for t in figure_texts(at, "distributions"))
    at = open_page(at, "scatter")
    assert at.selectbox(key="scatter.run").value == "he_she"


def test_colour_preview_and_close_colours():
    at = open_page(start(**{"studio.run": "1SG_1PL"}), "distributions")
    assert at.session_state["studio.close_colors"] == [], "the default colours of a figure are told apart"
    at.selectbox(key="distributions.cvd_preview").set_value("greyscale").run()
    assert at.main.get("image")[0].proto.imgs[0].caption.startswith("Preview: as seen with greyscale")
    mapping = at.session_state["studio.mapping"]
    for row in mapping.classes:
        if row.label in ("1SG", "1PL"):
            row.color = {"1SG": "#ff7f0e", "1PL": "#2ca02c"}[row.label]
    at.session_state["studio.mapping"] = mapping
    at.run()
    pairs = [(a, b, d) for a, b, d, _ in at.session_state["studio.close_colors"]]
    assert ("1SG", "1PL", "protanopia") in pairs
    assert any("1SG" in w.value and "1PL" in w.value for w in at.main.warning)
