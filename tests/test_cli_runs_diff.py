"""`gradiend-st runs ROOT --diff [--json] [--seeds]`: exactly the training_args that differ, values as stored."""

from __future__ import annotations

import json

from gradiend_st.cli import main
from tests.conftest import RUNS

MACHINE_PATHS = {"experiment_dir", "output_dir"}


def run_json(capsys, *argv) -> dict:
    assert main(["runs", str(RUNS), "--diff", "--json", *argv]) == 0
    return json.loads(capsys.readouterr().out)


def training_args_on_disk(kinds: tuple[str, ...]) -> dict[str, dict]:
    """Every run's training_args read with json alone: model/training.json of each run folder (and the bare seed
    checkpoints seeds/seed_<N>/training.json when asked)."""
    found = {}
    for path in sorted(RUNS.rglob("training.json")):
        folder = path.parent
        if folder.name == "model" and "run" in kinds:
            found[folder.parent.relative_to(RUNS).as_posix()] = json.loads(path.read_text())["training_args"]
        elif folder.parent.name == "seeds" and "seed" in kinds:
            found[folder.relative_to(RUNS).as_posix()] = json.loads(path.read_text())["training_args"]
    return found


def differing(args: dict[str, dict]) -> set[str]:
    keys = set().union(*args.values()) - MACHINE_PATHS
    return {k for k in keys if len({json.dumps(a.get(k), sort_keys=True) for a in args.values()}) > 1}


def test_diff_json_lists_exactly_the_differing_keys_with_the_stored_values(capsys):
    payload = run_json(capsys)
    on_disk = training_args_on_disk(("run",))
    assert len(on_disk) == 11
    assert set(payload["keys"]) == differing(on_disk) == {
        "max_seeds", "min_convergent_seeds", "post_prune_config", "pre_prune_config", "saved_seed_runs",
        "seed_stability_topk"}
    assert sorted(r["id"] for r in payload["runs"]) == sorted(on_disk)
    for run in payload["runs"]:
        assert run["values"] == {key: on_disk[run["id"]].get(key) for key in payload["keys"]}
    preprune = next(r for r in payload["runs"] if r["id"] == "he_she_preprune")
    assert preprune["values"]["pre_prune_config"]["topk"] == 0.05  # nested configs in full, as stored
    assert payload["errors"] == []


def test_diff_with_seed_checkpoints(capsys):
    payload = run_json(capsys, "--seeds")
    on_disk = training_args_on_disk(("run", "seed"))
    assert len(payload["runs"]) == len(on_disk) == 14
    assert set(payload["keys"]) == differing(on_disk)


def test_diff_metrics_beside_the_values(capsys):
    payload = run_json(capsys)
    by_id = {r["id"]: r["metrics"] for r in payload["runs"]}
    raw = json.loads((RUNS / "he_she" / "model" / "training.json").read_text())
    assert by_id["he_she"]["best_correlation"] == raw["best_score_checkpoint"]["correlation"]
    assert by_id["he_she"]["training_time"] == raw["time"]["total"]
    assert by_id["she_they_postprune"]["input_dim"] == 3690
    assert by_id["suite_pronouns/he__they"]["converged"] == 0.0


def test_diff_as_text_is_one_row_per_run(capsys):
    assert main(["runs", str(RUNS), "--diff"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["run", "max_seeds", "min_convergent_seeds"]
    preprune = next(line for line in lines if line.startswith("he_she_preprune "))
    assert "n_samples=16, topk=0.05, source=diff" in preprune
    assert len(lines) == 12


def test_diff_names_a_broken_training_json_and_compares_the_rest(tmp_path, capsys):
    import shutil

    root = tmp_path / "runs"
    for run in ("he_she", "he_she_preprune", "she_they"):
        shutil.copytree(RUNS / run, root / run)
    (root / "she_they" / "model" / "training.json").chmod(0o644)
    (root / "she_they" / "model" / "training.json").write_text('{"training_args": {"lr": ')
    assert main(["runs", str(root), "--diff", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["keys"] == ["pre_prune_config"]
    assert [r["id"] for r in payload["runs"]] == ["he_she", "he_she_preprune"]
    assert payload["errors"] == [{"path": "she_they",
                                  "error": "she_they/model/training.json: truncated JSON (file ends early; still "
                                           "being written?) at line 1 column 26"}]
