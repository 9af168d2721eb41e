"""The decoder grid reader on gradiend's real grids, and every broken grid of issue 17 as one line naming the file.

`BAD_GRIDS` is also used by the CLI, view and page tests (tests/test_decoder_cli.py, tests/app/test_decoder_page.py).
"""

from __future__ import annotations

import json
import math
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from gradiend_st.analysis.decoder_runs import read_run_decoder
from gradiend_st.io.decoder import read_decoder_grid
from gradiend_st.io.discover import discover
from gradiend_st.io.errors import RunReadError

GRID_RUNS = ("1SG_1PL", "3SG_3PL", "he_it", "he_she", "she_they")


def copy_run(runs_root: Path, run_id: str, dest: Path) -> Path:
    """A fixture run folder copied for editing (without the stale decoder/*.json and the upstream PNGs)."""
    return Path(shutil.copytree(runs_root / run_id, dest, ignore=shutil.ignore_patterns("decoder", "*.png", run_id)))


def edit_grid(folder: Path, change: Callable[[dict], object]) -> None:
    path = folder / "decoder_grid_cache.json"
    data = json.loads(path.read_text())
    data = change(data) or data
    path.write_text(json.dumps(data))  # NaN/Infinity written as gradiend's json.dump writes them


def _set(path: list, value) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


def _delete(path: list) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return change


def _scale_feature_factors(data: dict) -> None:
    for entry in data["results"]:
        if isinstance(entry["id"], dict):
            entry["id"]["feature_factor"] *= 2


@dataclass(frozen=True)
class BadGrid:
    name: str
    breaks: Callable[[Path], None]  # edits the run folder
    problem: str  # regex the one-line message must match after "<run>/decoder_grid_cache.json: "


def _raw(text: Callable[[str], str]) -> Callable[[Path], None]:
    def breaks(folder: Path) -> None:
        path = folder / "decoder_grid_cache.json"
        path.write_text(text(path.read_text()))
    return breaks


def _json(change) -> Callable[[Path], None]:
    return lambda folder: edit_grid(folder, change)


BAD_GRIDS = [
    BadGrid("truncated", _raw(lambda t: t[: len(t) // 2]), r"truncated JSON \(file ends early"),
    BadGrid("empty file", _raw(lambda t: ""), "file is empty"),
    BadGrid("no base entry", _json(lambda d: d.update(results=d["results"][1:])), r"no base entry \(\"id\": \"base\"\)"),
    BadGrid("entry without lms", _json(_delete(["results", 5, "lms"])), r"'results\[5\]' has no 'lms'"),
    BadGrid("lms without its score", _json(_set(["results", 5, "lms"], {"accuracy": 0.2})),
            r"'results\[5\].lms' should be an object with a number 'lms'"),
    BadGrid("NaN probability", _json(_set(["results", 3, "probs", "he"], math.nan)),
            r"'results\[3\].probs.he' is NaN, not a finite number"),
    BadGrid("Infinity LMS", _json(_set(["results", 2, "lms", "lms"], math.inf)),
            r"'results\[2\].lms.lms' is Infinity, not a finite number"),
    BadGrid("NaN in probs_by_dataset", _json(_set(["results", 4, "probs_by_dataset", "she", "he"], math.nan)),
            r"'results\[4\].probs_by_dataset.she.he' is NaN"),
    BadGrid("results an object", _json(lambda d: d.update(results={"base": d["results"][0]})),
            "'results' should be a list, found dict"),
    BadGrid("results missing", _json(_delete(["results"])), "missing key 'results'"),
    BadGrid("probs a list", _json(_set(["results", 1, "probs"], [0.1, 0.2])),
            r"'results\[1\].probs' should be an object, found list"),
    BadGrid("id neither base nor a cell", _json(_set(["results", 1, "id"], "cell")),
            r"'results\[1\].id' should be \"base\" or \{feature_factor, learning_rate\}, found 'cell'"),
    BadGrid("learning rate as text", _json(_set(["results", 1, "id", "learning_rate"], "0.1")),
            r"'results\[1\].id.learning_rate' should be a number, found str"),
    BadGrid("feature factors that match no class", _json(_scale_feature_factors),
            r"no cell has feature factor \+1, which strengthens 'he' \(the grid has -2, \+2\)"),
    BadGrid("summary metric no cell has", _json(_set(["selection_context", "metrics_for_summary"], ["he", "her"])),
            r"no cell has the metric 'her'"),
]


def bad_run(runs_root: Path, root: Path, case: BadGrid, run_id: str = "bad") -> Path:
    folder = copy_run(runs_root, "he_she", root / run_id)
    case.breaks(folder)
    return folder


# ------------------------------------------------------------------------------------------------ real grids


@pytest.mark.parametrize("run_id", GRID_RUNS)
def test_every_field_of_gradiends_grid_is_read(runs_root, run_id):
    path = runs_root / run_id / "decoder_grid_cache.json"
    raw = json.loads(path.read_text())
    grid = read_decoder_grid(path)
    cells = [e for e in raw["results"] if e["id"] != "base"]
    assert [(p.feature_factor, p.learning_rate) for p in grid.points] == \
        [(e["id"]["feature_factor"], e["id"]["learning_rate"]) for e in cells]
    for point, entry in zip([grid.base, *grid.points], [raw["results"][0], *cells], strict=True):
        assert point.lms == entry["lms"]["lms"] and point.lms_fields == entry["lms"]
        assert point.probs == entry["probs"] and point.probs_factual == entry["probs_factual"]
        assert point.probs_by_dataset == entry["probs_by_dataset"]
        assert point.extra == {}  # gradiend's pronoun grids carry no custom metric
    assert grid.feature_factors == raw["feature_factors"] and grid.lrs == raw["lrs"]
    assert grid.context.metrics_for_summary == raw["selection_context"]["metrics_for_summary"]
    assert grid.context.prob_on_other_class is True and grid.warnings == []


def test_custom_numeric_fields_are_kept_as_metrics(tmp_path, runs_root):
    folder = copy_run(runs_root, "he_she", tmp_path / "he_she")

    def add_bpi(data: dict) -> None:
        for i, entry in enumerate(data["results"]):
            entry["bpi"] = i / 100
            entry["note"] = "text is not a metric"
            entry["flag"] = True
    edit_grid(folder, add_bpi)
    grid = read_decoder_grid(folder / "decoder_grid_cache.json")
    assert [p.extra for p in grid.points[:2]] == [{"bpi": 0.01}, {"bpi": 0.02}]
    assert grid.base.extra == {"bpi": 0.0}


def test_a_repeated_cell_keeps_its_first_place_and_its_last_values(tmp_path, runs_root):
    """gradiend keys the grid by (feature factor, learning rate): a repeat overwrites the values, not the order."""
    folder = copy_run(runs_root, "he_she", tmp_path / "he_she")

    def repeat(data: dict) -> None:
        again = json.loads(json.dumps(data["results"][1]))
        again["lms"]["lms"] = 0.5
        data["results"].append(again)
    edit_grid(folder, repeat)
    grid = read_decoder_grid(folder / "decoder_grid_cache.json")
    assert len(grid.points) == 32 and grid.points[0].lms == 0.5 and grid.points[0].index == 33
    assert grid.warnings == ["decoder_grid_cache.json: results[33] repeats feature factor -1, learning rate 0.001 of "
                             "results[1]; its values are used (as gradiend does)"]


def test_causal_lm_perplexity_may_be_infinite(tmp_path, runs_root):
    folder = copy_run(runs_root, "he_she", tmp_path / "he_she")
    edit_grid(folder, _set(["results", 7, "lms", "perplexity"], math.inf))
    grid = read_decoder_grid(folder / "decoder_grid_cache.json")
    assert grid.points[6].lms_fields["perplexity"] == math.inf


# ------------------------------------------------------------------------------------------------ broken grids


@pytest.mark.parametrize("case", BAD_GRIDS, ids=[c.name for c in BAD_GRIDS])
def test_a_broken_grid_is_one_line_naming_the_file(tmp_path, runs_root, case):
    root = tmp_path / "lab"
    bad_run(runs_root, root, case)
    catalog = discover(root)
    with pytest.raises(RunReadError) as info:
        read_run_decoder(catalog.get("bad")).selections()
    line = catalog.error_text(info.value)
    assert line.startswith("bad/decoder_grid_cache.json: ") and "\n" not in line
    assert str(tmp_path) not in line
    assert re.search(case.problem, line), line
