import json
import subprocess
import sys

import pytest

from gradiend_st.cli import main
from tests.builders import write_run


def run_cli(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_runs_json(capsys, runs_root, expected_topk):
    code, out, err = run_cli(capsys, "runs", str(runs_root), "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    by_id = {r["id"]: r for r in data["runs"]}
    assert set(by_id) == set(expected_topk["models"]) | {f"he_she_seeds/seeds/seed_{i}" for i in range(3)}
    assert by_id["he_she_seeds"]["seeds"] == [f"he_she_seeds/seeds/seed_{i}" for i in range(3)]
    assert by_id["he_she_seeds/seeds/seed_0"]["kind"] == "seed"
    assert by_id["it_they_bin"]["format"] == "bin"
    assert by_id["he_she_preprune"]["pruned"] is True and by_id["he_she_preprune"]["input_dim"] == 1845
    assert by_id["he_she"]["classes"] == ["he", "she"] and by_id["he_she"]["input_dim"] == 36896
    assert data["errors"] == []


def test_topk_json_matches_expected(capsys, runs_root, expected_topk):
    code, out, _ = run_cli(capsys, "topk", str(runs_root), "--part", "decoder-sum", "--topk", "0.01", "--json")
    data = json.loads(out)
    entry = expected_topk["heatmap"]["decoder-sum|0.01"]
    assert code == 0 and data["topk"] == 0.01 and data["part"] == "decoder-sum"
    assert sorted(data["runs"]) == sorted(entry["model_ids"])  # default: all non-seed runs
    order = [data["runs"].index(r) for r in entry["model_ids"]]
    counts = [[data["intersection_counts"][i][j] for j in order] for i in order]
    assert counts == entry["intersection_counts"]
    assert data["indices"]["he_she_preprune"] == expected_topk["topk_indices"]["decoder-sum|0.01"]["he_she_preprune"]
    assert data["k"] == entry["resolved_topk"]


def test_venn_json(capsys, runs_root, expected_topk):
    entry = expected_topk["venn"]["encoder-weight|100"]["4"]
    code, out, _ = run_cli(capsys, "venn", str(runs_root), "--runs", *entry["model_ids"], "--part", "encoder-weight", "--topk", "100", "--json")
    assert code == 0 and json.loads(out)["regions"] == entry["regions"]


def test_errors_are_one_line(capsys, tmp_path, runs_root):
    code, _, err = run_cli(capsys, "topk", str(runs_root), "--runs", "he_she", "missing_run")
    assert code == 1 and err.count("\n") == 1 and "missing_run" in err
    write_run(tmp_path, "a")
    write_run(tmp_path, "b")
    weights = tmp_path / "b" / "model" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    code, _, err = run_cli(capsys, "topk", str(tmp_path), "--json")
    assert code == 1 and err.startswith("gradiend-st: b/model/model.safetensors: ") and err.count("\n") == 1
    assert "Traceback" not in err
    code, _, err = run_cli(capsys, "runs", str(tmp_path / "nope"))
    assert code == 1 and "folder not found" in err


def test_usage_errors_exit_2(capsys, runs_root):
    with pytest.raises(SystemExit) as info:
        main(["topk", str(runs_root), "--topk", "0"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["venn", str(runs_root)])
    assert info.value.code == 2


def test_console_script_installed(runs_root):
    proc = subprocess.run([sys.executable, "-m", "gradiend_st.cli", "venn", str(runs_root), "--runs", "he_she", "he_it", "--topk", "100", "--json"],
                          capture_output=True, text=True, check=True)
    assert [r["members"] for r in json.loads(proc.stdout)["regions"]] == [["he_she"], ["he_it"], ["he_she", "he_it"]]


def test_render_refuses_a_selection_with_unreadable_weights(tmp_path, capsys):
    write_run(tmp_path / "runs", "good", seed=1)
    write_run(tmp_path / "runs", "bad", seed=2)
    (tmp_path / "runs" / "bad" / "model" / "model.safetensors").write_bytes(b"\0" * 7)
    assert main(["render", str(tmp_path / "runs"), "--view", "heatmap", "--runs", "good", "bad",
                 "-o", str(tmp_path / "h.png")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad/model/model.safetensors" in err and str(tmp_path) not in err
    assert not (tmp_path / "h.png").exists()
    assert main(["render", str(tmp_path / "runs"), "--view", "heatmap", "--runs", "good", "bad", "--allow-missing",
                 "-o", str(tmp_path / "h.svg")]) == 0, "with --allow-missing the readable run is drawn"
    err = capsys.readouterr().err
    assert "left out bad: bad/model/model.safetensors" in err
    svg = (tmp_path / "h.svg").read_text()
    assert "good" in svg and ">bad<" not in svg
