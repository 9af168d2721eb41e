"""`gradiend-st decoder`: gradiend's own selections from the fixtures' grids, from folders and from `pack` bundles;
broken grids under "errors" while the other runs are reported; `render --view decoder`."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from gradiend_st.cli import main
from gradiend_st.presets import Preset
from tests.conftest import REFERENCE
from tests.io.test_decoder_grid import BAD_GRIDS, GRID_RUNS, bad_run, copy_run


@pytest.fixture(scope="module")
def expected() -> dict:
    return json.loads((REFERENCE / "expected_decoder.json").read_text())["runs"]


def decoder_json(capsys, *args) -> tuple[int, dict]:
    code = main(["decoder", *map(str, args), "--json"])
    out, err = capsys.readouterr()
    assert err == ""
    return code, json.loads(out)


def assert_report_matches(report: dict, expected: dict) -> None:
    """The issue's shape, with gradiend's selections: ff and lr exactly, value and lms to 1e-9."""
    assert set(report) == {"id", "base_lms", "selections"}
    reference = expected[report["id"]]
    assert report["base_lms"] == pytest.approx(reference["base_lms"], abs=1e-9)
    assert set(report["selections"]) == set(reference["selections"]) == set(reference["classes_to_eval"])
    for metric, got in report["selections"].items():
        ref = reference["selections"][metric]
        assert set(got) == {"value", "feature_factor", "learning_rate", "lms", "candidates", "passing_lms_threshold"}
        for key in ("feature_factor", "learning_rate", "candidates", "passing_lms_threshold"):
            assert got[key] == ref[key], (report["id"], metric, key)
        for key in ("value", "lms"):
            assert got[key] == pytest.approx(ref[key], abs=1e-9), (report["id"], metric, key)


def test_decoder_json_matches_gradiends_selections(capsys, runs_root, expected):
    code, data = decoder_json(capsys, runs_root)
    assert code == 0 and data["errors"] == []
    assert [r["id"] for r in data["runs"]] == list(GRID_RUNS)  # every run with a grid, in the folder's order
    for report in data["runs"]:
        assert_report_matches(report, expected)


@pytest.fixture(scope="module")
def packed(tmp_path_factory, runs_root):
    folder = tmp_path_factory.mktemp("decoder-bundle")
    assert main(["pack", str(runs_root), "--runs", *GRID_RUNS, "--parts", "decoder-weight", "--topk-max", "10",
                 "-o", str(folder / "grids.zip")]) == 0
    shutil.unpack_archive(folder / "grids.zip", folder / "unpacked")
    return folder


@pytest.mark.parametrize("where", ["grids.zip", "unpacked"])
def test_a_pack_bundle_gives_the_same_selections(capsys, packed, expected, where):
    capsys.readouterr()
    code, data = decoder_json(capsys, packed / where)
    assert code == 0 and data["errors"] == [] and len(data["runs"]) == len(GRID_RUNS)
    for report in data["runs"]:
        assert_report_matches(report, expected)


def test_policy_and_ratio_options(capsys, runs_root):
    _, product = decoder_json(capsys, runs_root, "--runs", "he_she", "--policy", "product")
    he = product["runs"][0]["selections"]["he"]
    assert (he["learning_rate"], round(he["value"], 4), round(he["lms"], 4)) == (1.0, 0.9909, 0.1176)
    _, loose = decoder_json(capsys, runs_root, "--runs", "he_she", "--ratio", "0.5")
    he = loose["runs"][0]["selections"]["he"]
    assert he["passing_lms_threshold"] == 11  # LMS 0.118 >= 0.5 x 0.176 passes too: lr 0.2 ... 2 join
    assert (he["learning_rate"], round(he["value"], 4)) == (1.0, 0.9909)


@pytest.mark.parametrize("case", BAD_GRIDS, ids=[c.name for c in BAD_GRIDS])
def test_a_broken_grid_is_an_error_line_and_the_other_runs_are_reported(capsys, tmp_path, runs_root, expected, case):
    root = tmp_path / "lab"
    copy_run(runs_root, "he_she", root / "he_she")
    bad_run(runs_root, root, case)
    code, data = decoder_json(capsys, root)
    assert code == 0
    assert [r["id"] for r in data["runs"]] == ["he_she"]
    assert_report_matches(data["runs"][0], expected)
    [error] = data["errors"]
    assert error["id"] == "bad" and error["error"].startswith("bad/decoder_grid_cache.json: ")
    assert re.search(case.problem, error["error"]) and "\n" not in error["error"]


def test_runs_without_a_grid_and_unknown_runs(capsys, runs_root):
    code, data = decoder_json(capsys, runs_root, "--runs", "he_she_seeds", "no_such_run", "he_it")
    assert code == 0 and [r["id"] for r in data["runs"]] == ["he_it"]
    assert [e["id"] for e in data["errors"]] == ["he_she_seeds", "no_such_run"]
    assert data["errors"][0]["error"].startswith("he_she_seeds/decoder_grid_cache.json: file not found")
    code, data = decoder_json(capsys, runs_root, "--runs", "he_she_seeds")
    assert code == 1 and data["runs"] == []


def test_text_output_and_one_line_errors(capsys, tmp_path, runs_root):
    assert main(["decoder", str(runs_root), "--runs", "he_she"]) == 0
    out, _ = capsys.readouterr()
    assert "he_she  (base LMS 0.1765)" in out
    assert re.search(r"he\s+feature factor \+1\s+lr 0.1\s+value 0.1589\s+LMS 0.1765\s+\(7 of 16 pass", out)
    bad_run(runs_root, tmp_path / "lab", BAD_GRIDS[0])
    assert main(["decoder", str(tmp_path / "lab")]) == 1
    _, err = capsys.readouterr()
    lines = err.splitlines()
    assert len(lines) == 2 and re.fullmatch(r"gradiend-st: left out bad: bad/decoder_grid_cache\.json: truncated JSON "
                                            r"\(file ends early; still being written\?\) at line \d+ column \d+", lines[0])
    assert lines[1] == f"gradiend-st: no decoder grid under {tmp_path / 'lab'} could be used"


@pytest.mark.parametrize("plot", ["probability_shifts", "grid", "rewrite", "runs"])
def test_render_draws_every_decoder_figure(capsys, tmp_path, runs_root, plot):
    preset = tmp_path / "preset.json"
    preset.write_text(Preset(views={"decoder": {"plot": plot, "title": f"decoder {plot}"}}).to_json())
    runs = GRID_RUNS if plot == "runs" else ("he_she",)
    out = tmp_path / "fig.svg"
    assert main(["render", str(runs_root), "--view", "decoder", "--runs", *runs, "--preset", str(preset),
                 "-o", str(out)]) == 0
    assert f"decoder {plot}".encode() in out.read_bytes()
