"""One pipeline: a preset saved the way the app saves it, rendered by `gradiend-st render`, is byte for byte the
file the app's download button gives, for every view of the registry (PNG and SVG)."""

from __future__ import annotations

import pytest

from gradiend_st.cli import main
from gradiend_st.demo import DEMO_ROOT
from gradiend_st.mapping import ClassLabel, Mapping, RunLabel
from gradiend_st.presets import preset_of
from gradiend_st.views.registry import VIEW_NAMES
from tests.app.test_pages import open_page, problems, start

SELECTION = ["he_she", "she_they", "he_it"]


@pytest.mark.parametrize("view", VIEW_NAMES)
def test_cli_render_of_the_saved_preset_is_the_apps_download(view, tmp_path):
    mapping = Mapping(runs=[RunLabel("he_she", "Masc vs fem", color="#aa3377")],
                      classes=[ClassLabel("he", "masculine", color="#228833"), ClassLabel("she", "feminine")])
    at = start(**{"studio.mapping": mapping, "studio.live": False, "studio.selection": SELECTION,
                  "studio.run": "he_she", "studio.options": {view: {"title": "Drawn in the app"}}})
    at = open_page(at, view)
    assert not problems(at), problems(at)
    state = at.session_state
    preset = preset_of(state["studio.mapping"], state["studio.options"], state["studio.selection"], state["studio.run"])
    preset_file = tmp_path / "preset.json"
    preset_file.write_text(preset.to_json())
    app_file = state["studio.last_figure"][view]["file"]  # what the page's download buttons call
    for fmt in ("png", "svg"):
        out = tmp_path / f"{view}.{fmt}"
        assert main(["render", str(DEMO_ROOT), "--view", view, "--preset", str(preset_file), "-o", str(out)]) == 0
        rendered = out.read_bytes()
        assert b"Drawn in the app" in rendered or fmt == "png", "the preset's options reached the CLI"
        assert rendered == app_file(fmt, 200), f"{view} {fmt}: the CLI's file differs from the app's download"
