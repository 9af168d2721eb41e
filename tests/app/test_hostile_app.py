"""The hostile-input cases as the app shows them: one folder holding every broken run beside good ones.

Each case of tests/test_hostile_inputs.py gets its own subfolder (cNN/good, cNN/bad). The app opens the whole
folder; every page must draw without an exception, the broken files appear as one-line messages naming them
(relative to the opened folder, never the server path), the good runs still draw, and nothing is written.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gradiend_st.views import registry
from gradiend_st.views.registry import VIEW_NAMES
from tests.app.test_pages import figure_texts, open_page, start
from tests.builders import write_run
from tests.test_hostile_inputs import CASES, _tree_digest

PAGES = VIEW_NAMES
SINGLE_RUN_READERS = {"training": "convergence", "encoded": "distributions"}


@pytest.fixture(scope="module")
def hostile_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile") / "lab"
    for number, case in enumerate(CASES):
        case_root = root / f"c{number:02d}"
        write_run(case_root, "good", seed=1)
        write_run(case_root, "bad", seed=2)
        case.breaks(case_root)
    return root


def messages(at) -> list[str]:
    return [e.value for e in at.exception] + [e.value for e in at.error] + [w.value for w in at.warning]


def test_every_page_draws_beside_every_broken_run(monkeypatch, hostile_root):
    monkeypatch.setenv("GRADIEND_ST_ROOT", str(hostile_root))
    before = _tree_digest(hostile_root)
    at = start()
    assert not at.exception
    goods = [f"c{n:02d}/good" for n in range(len(CASES))]
    at.session_state["studio.selection"] = goods[:3] + [f"c{n:02d}/bad" for n in range(len(CASES))]
    weight_pages = [v.name for v in registry.all_views() if v.runs == "selection" and "weights" in v.needs]
    for page in PAGES:
        at = open_page(at, page)
        assert not at.exception, (page, [e.value for e in at.exception])
        assert figure_texts(at, page), page
        shown = messages(at)
        assert all(str(hostile_root) not in m and "Traceback" not in m for m in shown), page
        if page in weight_pages:  # every broken weights file of the selection left out, by name
            for number, case in enumerate(CASES):
                if case.reader == "topk" and case.file.startswith("bad/model/model"):
                    name = f"c{number:02d}/{case.file}"
                    assert any(name in m for m in shown), (page, case.name, shown)
    assert _tree_digest(hostile_root) == before, "the app wrote into the run folders"


@pytest.mark.parametrize("number", [n for n, c in enumerate(CASES) if c.reader in SINGLE_RUN_READERS],
                         ids=[c.name for c in CASES if c.reader in SINGLE_RUN_READERS])
def test_single_run_views_name_the_broken_file(monkeypatch, hostile_root, number):
    case = CASES[number]
    monkeypatch.setenv("GRADIEND_ST_ROOT", str(hostile_root))
    at = start()
    at.session_state["studio.run"] = f"c{number:02d}/bad"
    at = open_page(at, SINGLE_RUN_READERS[case.reader])
    assert not at.exception
    shown = messages(at)
    naming = [m for m in shown if f"c{number:02d}/{case.file}: " in m]
    assert naming, shown
    assert all("\n" not in m and str(hostile_root) not in m for m in shown), shown
