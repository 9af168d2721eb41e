"""What differs between runs: training_args compared key by key, on the real fixtures and on runs written here."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from gradiend_st.analysis import run_diff as rd
from gradiend_st.io.discover import discover
from tests.builders import training_json, write_run

ISSUE_KEYS = {"max_seeds", "min_convergent_seeds", "post_prune_config", "pre_prune_config", "saved_seed_runs",
              "seed_stability_topk"}


def stored_args(catalog, run_ids) -> dict[str, dict]:
    """training_args straight from each run's training.json (no studio code)."""
    return {rid: json.loads(catalog.runs[rid].training_path.read_text())["training_args"] for rid in run_ids}


def expected_keys(args: dict[str, dict], leave_out=("experiment_dir", "output_dir")) -> set[str]:
    keys = set().union(*args.values())
    return {k for k in keys - set(leave_out)
            if len({json.dumps(a.get(k), sort_keys=True) for a in args.values()}) > 1}


def test_the_fixture_runs_differ_in_exactly_the_keys_their_files_differ_in(catalog):
    runs = rd.listed_runs(catalog)
    assert len(runs) == 11 and all(catalog.runs[r].kind == "run" for r in runs)
    args = stored_args(catalog, runs)
    diff = rd.run_diff(catalog, runs)
    assert set(diff.keys) == expected_keys(args) == ISSUE_KEYS
    assert diff.runs == runs and not diff.left_out
    for rid in runs:
        assert diff.values(rid) == {k: args[rid].get(k) for k in diff.keys}  # values as stored
    assert "experiment_dir" in expected_keys(args, leave_out=("output_dir",)), "the machine path does differ"


def test_seed_checkpoints_are_compared_only_when_asked(catalog):
    with_seeds = rd.listed_runs(catalog, seeds=True)
    assert {r for r in with_seeds if catalog.runs[r].kind == "seed"} == {
        f"he_she_seeds/seeds/seed_{i}" for i in range(3)}
    diff = rd.run_diff(catalog, with_seeds)
    assert set(diff.keys) == expected_keys(stored_args(catalog, with_seeds))


def test_facts_hold_the_numbers_of_training_json_config_and_decoder(catalog):
    assert not any(name.startswith("decoder_dp") for name in rd.run_facts(catalog, catalog.runs["he_she"]).metrics)
    facts = rd.run_facts(catalog, catalog.runs["he_she"], decoder=True)
    raw = json.loads(catalog.runs["he_she"].training_path.read_text())
    assert facts.metrics["best_correlation"] == raw["best_score_checkpoint"]["correlation"]
    assert facts.metrics["training_time"] == raw["time"]["total"]
    assert facts.metrics["time.eval"] == raw["time"]["eval"]
    assert facts.metrics["steps"] == raw["training_stats"]["global_step"]
    assert facts.metrics["input_dim"] == catalog.runs["he_she"].config.input_dim
    assert facts.metrics["converged"] == 1.0 and facts.converged is True
    assert {"decoder_dp.he", "decoder_dp.she", "lms_ratio.he", "decoder_dp.mean"} <= set(facts.metrics)
    assert facts.metrics["decoder_dp.mean"] == pytest.approx(
        (facts.metrics["decoder_dp.he"] + facts.metrics["decoder_dp.she"]) / 2)
    not_converged = rd.run_facts(catalog, catalog.runs["suite_pronouns/he__they"])
    assert not_converged.converged is False and not_converged.metrics["converged"] == 0.0
    assert rd.run_facts(catalog, catalog.runs["he_she_preprune"]).metrics["input_dim"] == 1845


def test_absent_and_null_are_the_same_stored_value_one_and_one_point_zero_are_not():
    assert rd.differing_keys([{"a": None, "b": 1}, {"b": 1}]) == []
    assert rd.differing_keys([{"b": 1}, {"b": 1.0}]) == ["b"]
    assert rd.differing_keys([{"cfg": {"x": 1, "y": 2}}, {"cfg": {"y": 2, "x": 1}}]) == []
    assert rd.differing_keys([{"output_dir": "a", "lr": 1e-3}, {"output_dir": "b", "lr": 1e-4}]) == ["lr"]


def test_nested_configs_show_what_differs_from_each_other_and_from_gradiend_defaults():
    pre = {"n_samples": 16, "topk": 0.05, "threshold": None, "source": "diff", "batch_size": 8}
    assert rd.compact_texts("pre_prune_config", [None, pre]) == ["none", "n_samples=16, topk=0.05, source=diff"]
    post = [{"topk": 0.1, "part": "decoder-weight"}, {"topk": 0.01, "part": "decoder-weight"}]
    assert rd.compact_texts("post_prune_config", post) == ["topk=0.1", "topk=0.01"]
    assert rd.compact_texts("post_prune_config", [post[1], None]) == ["defaults", "none"]
    assert rd.compact_texts("my_config", [{"a": 1, "b": None}, None]) == ["a=1", "none"]
    assert rd.compact_texts("lr", [1e-3, "tune", True]) == ["0.001", "tune", "true"]


@pytest.fixture()
def lab(tmp_path):
    """Four runs of a small sweep (learning_rate x pre-pruning) written here, one of them unreadable."""
    root = tmp_path / "lab"
    for i, (lr, topk) in enumerate([(1e-3, None), (1e-4, None), (1e-3, 0.05), (1e-4, 0.05)]):
        training = training_json()
        training["training_args"].update({"learning_rate": lr, "seed": 0, "time_note": None,
                                          "pre_prune_config": {"topk": topk, "n_samples": 8} if topk else None})
        training["time"] = {"total": 10.0 * (i + 1)}
        write_run(root, f"run_{i}", seed=i, training=training)
    write_run(root, "broken", seed=9)
    (root / "broken" / "model" / "training.json").write_text('{"training_stats": {}, "training_args": [1]}')
    return root


def test_an_unreadable_training_json_is_one_line_and_the_other_runs_are_compared(lab):
    catalog = discover(lab)
    diff = rd.run_diff(catalog, rd.listed_runs(catalog))
    assert diff.keys == ["learning_rate", "pre_prune_config"]
    assert diff.runs == ["run_0", "run_1", "run_2", "run_3"]
    assert diff.left_out == {"broken": "broken/model/training.json: 'training_args' should be an object"}
    payload = diff.to_json()
    assert payload["errors"] == [{"path": "broken", "error": diff.left_out["broken"]}]
    assert [r["values"]["learning_rate"] for r in payload["runs"]] == [1e-3, 1e-4, 1e-3, 1e-4]
    assert payload["runs"][0]["metrics"]["training_time"] == 10.0


def test_facts_are_read_again_when_training_json_changes(lab):
    catalog = discover(lab)
    run = catalog.runs["run_0"]
    first = rd.run_facts(catalog, run)
    assert rd.run_facts(catalog, run) is first, "unchanged files: the cached facts"
    data = json.loads(run.training_path.read_text())
    data["training_args"]["learning_rate"] = 0.5
    run.training_path.write_text(json.dumps(data))
    os.utime(run.training_path, ns=(1, 1))
    assert rd.run_facts(catalog, run).args["learning_rate"] == 0.5


def test_a_run_without_training_json_is_left_out_naming_the_file(lab, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(lab, copy)
    (copy / "run_1" / "model" / "training.json").unlink()
    catalog = discover(copy)
    diff = rd.run_diff(catalog, ["run_0", "run_1", "run_2"])
    assert diff.left_out == {"run_1": "run_1/model/training.json: file not found"}
    assert diff.keys == ["pre_prune_config"]


def test_metric_names_and_labels():
    facts = [rd.RunFacts("a", "run", {}, {"time.eval": 1.0, "best_correlation": 0.9}),
             rd.RunFacts("b", "run", {}, {"decoder_dp.he": 0.1, "converged": 1.0})]
    assert rd.metric_names(facts) == ["best_correlation", "converged", "time.eval", "decoder_dp.he"]
    assert rd.metric_label("decoder_dp.he") == "ΔP he (decoder)"
    assert rd.metric_label("lms_ratio.mean") == "LMS ratio, mean over classes (decoder)"
    assert rd.metric_label("training_time") == "training time (s)"
