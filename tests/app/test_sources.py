"""Folder rules (GRADIEND_ST_ALLOWED_ROOTS, --root) and the cache keys that follow file changes."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from gradiend_st.demo import DEMO_ROOT
from gradiend_st.io.discover import discover
from gradiend_st.ui import caching
from gradiend_st.ui.sources import DEMO, SourceError, allowed_roots, check_folder, initial_source


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    allowed = tmp_path / "allowed"
    shutil.copytree(DEMO_ROOT / "he_she", allowed / "runs" / "he_she")
    secret = tmp_path / "secret_place"
    secret.mkdir()
    (allowed / "escape").symlink_to(secret)
    return tmp_path


def test_folders_inside_the_roots_open(tree):
    roots = allowed_roots({"GRADIEND_ST_ALLOWED_ROOTS": str(tree / "allowed")})
    assert check_folder(str(tree / "allowed" / "runs"), roots) == (tree / "allowed" / "runs").resolve()
    assert check_folder(str(tree / "allowed" / "runs" / ".." / "runs"), roots).name == "runs"


@pytest.mark.parametrize("relative", ["secret_place", "allowed/../secret_place", "allowed/escape", "/etc"])
def test_folders_outside_the_roots_are_refused_without_naming_them(tree, relative):
    roots = [(tree / "allowed").resolve()]
    text = relative if relative.startswith("/") else str(tree / relative)
    with pytest.raises(SourceError) as exc:
        check_folder(text, roots)
    message = str(exc.value)
    assert "only opens folders under" in message
    assert "secret_place" not in message and "/etc" not in message and "escape" not in message


def test_missing_and_non_folders_inside_the_roots(tree):
    roots = [(tree / "allowed").resolve()]
    with pytest.raises(SourceError, match="Folder not found"):
        check_folder(str(tree / "allowed" / "nope"), roots)
    with pytest.raises(SourceError, match="Not a folder"):
        check_folder(str(tree / "allowed" / "runs" / "he_she" / "encoded_values_split_test.csv"), roots)
    with pytest.raises(SourceError, match="Type the path"):
        check_folder("  ", roots)


def test_no_roots_means_any_folder(tree):
    assert allowed_roots({}) is None
    assert check_folder(str(tree / "secret_place"), None) == (tree / "secret_place").resolve()


def test_initial_source_from_argv_or_environment(tree):
    source, problem = initial_source(["--root", str(tree / "allowed" / "runs")], {})
    assert source.kind == "folder" and problem is None
    source, problem = initial_source([], {"GRADIEND_ST_ROOT": str(tree / "allowed" / "runs")})
    assert source.kind == "folder"
    source, problem = initial_source([], {"GRADIEND_ST_ROOT": str(tree / "secret_place"),
                                          "GRADIEND_ST_ALLOWED_ROOTS": str(tree / "allowed")})
    assert source == DEMO and "only opens folders under" in problem and "secret_place" not in problem
    assert initial_source([], {}) == (DEMO, None)


def test_cache_keys_change_when_a_run_file_changes(tree):
    root = tree / "allowed" / "runs"
    catalog = discover(root)
    before_tree, before_run = caching.tree_key(root), caching.run_files_key(catalog, ["he_she"])
    training = root / "he_she" / "model" / "training.json"
    data = json.loads(training.read_text())
    data["training_stats"]["global_step"] = 41
    training.write_text(json.dumps(data))  # a run that is still training rewrites this file
    stamp = time.time() + 5
    os.utime(training, (stamp, stamp))
    assert caching.tree_key(root) != before_tree
    assert caching.run_files_key(catalog, ["he_she"]) != before_run


def test_recent_tree_key_walks_again_after_a_second(tree, monkeypatch):
    root = tree / "allowed" / "runs"
    clock = [1000.0]
    monkeypatch.setattr(caching.time, "monotonic", lambda: clock[0])
    first = caching.recent_tree_key(root)
    assert first == caching.tree_key(root)
    extra = root / "he_she" / "model" / "notes.txt"
    extra.write_text("a file added while the app runs")
    clock[0] += 0.5
    assert caching.recent_tree_key(root) == first  # the same rerun: not walked again
    clock[0] += 0.6
    assert caching.recent_tree_key(root) == caching.tree_key(root) != first  # a second later: noticed


def test_load_keys_keep_the_topk_type():
    from gradiend_st.views import registry

    heatmap, convergence = registry.get("heatmap"), registry.get("convergence")
    options = heatmap.Options
    assert caching.load_key(heatmap, options(topk=1)) != caching.load_key(heatmap, options(topk=1.0))
    assert caching.load_key(heatmap, options(cmap="magma")) == caching.load_key(heatmap, options())
    assert caching.load_key(convergence, convergence.Options(title="x")) == "{}"


def test_first_load_reports_progress_and_later_loads_hit_the_cache(tree):
    from dataclasses import dataclass

    from gradiend_st.views.base import View

    @dataclass
    class Options:
        part: str = "decoder-weight"
        topk: int = 10

    calls = []

    def load(catalog, run_ids, options, progress=None):
        calls.append(list(run_ids))
        for done, rid in enumerate(run_ids):
            if progress:
                progress(done, len(run_ids), rid)
        return {"runs": run_ids, "topk": options.topk}

    view = View(name="fake-heatmap", title="", nav_title="", icon="", blurb="", Options=Options, load=load,
                build=None, table=None, load_options=("part", "topk"))
    catalog = discover(tree / "allowed" / "runs")
    seen = []
    first = caching.load_view(view, catalog, ["he_she"], Options(), lambda *a: seen.append(a))
    again = caching.load_view(view, catalog, ["he_she"], Options(), lambda *a: seen.append(a))
    assert first == again == {"runs": ["he_she"], "topk": 10}
    assert calls == [["he_she"]], "the second call is a cache hit"
    assert seen == [(0, 1, "he_she")], "progress names the run being read"
    caching.load_view(view, catalog, ["he_she"], Options(topk=20))
    assert len(calls) == 2, "options that change loading are part of the key"
