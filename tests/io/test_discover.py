import json
import shutil

import numpy as np
import pytest

from gradiend_st.io.discover import discover
from gradiend_st.io.errors import RunReadError
from tests.builders import write_checkpoint, write_run


def test_fixture_runs_and_kinds(catalog, expected_topk):
    runs = catalog.ids("run")
    assert sorted(runs) == sorted(expected_topk["models"])
    assert catalog.ids("seed") == [f"he_she_seeds/seeds/seed_{i}" for i in range(3)]
    assert catalog.errors == []
    for rid, dim in expected_topk["input_dims"].items():
        assert catalog.get(rid).config.input_dim == dim


def test_fixture_details(catalog):
    seeds = catalog.get("he_she_seeds")
    assert seeds.seeds == [f"he_she_seeds/seeds/seed_{i}" for i in range(3)]
    assert catalog.get("he_she_seeds/seeds/seed_1").parent == "he_she_seeds"
    assert catalog.get("it_they_bin").format == "bin"
    assert catalog.get("he_she_preprune").config.pruned
    assert not catalog.get("he_she").config.pruned
    # pre-pruned checkpoints have no direction in gradiend_context.json: the pair comes from training.json
    assert catalog.get("he_she_preprune").classes == ("he", "she")
    assert catalog.get("3SG_3PL").classes == ("3SG", "3PL")
    assert set(catalog.get("he_she").encoded) == {"split_test"}
    assert set(catalog.get("he_she_seeds").encoded) == {"split_test", "split_validation"}
    assert catalog.get("he_she_seeds/seeds/seed_0").encoded == {}


def test_suite_intermediate_checkpoints_and_transient_folders(tmp_path):
    write_run(tmp_path, "suite/a__b", pair=("a", "b"))
    write_run(tmp_path, "suite/a__c", pair=("a", "c"))
    write_run(tmp_path, "single")
    write_checkpoint(tmp_path / "single" / "model_step_10")
    write_checkpoint(tmp_path / "single" / "model_best")  # transient: ignored
    write_checkpoint(tmp_path / "single" / "model_temp")
    write_checkpoint(tmp_path / "explicit_output")  # a checkpoint saved to an explicit output_dir
    cat = discover(tmp_path)
    assert cat.ids("run") == ["explicit_output", "single", "suite/a__b", "suite/a__c"]
    assert cat.ids("checkpoint") == ["single/model_step_10"]
    assert cat.get("single").checkpoints == ["single/model_step_10"]
    assert cat.get("suite/a__c").classes == ("a", "c")


def test_root_itself_is_a_run(tmp_path):
    write_run(tmp_path, "my_run")
    cat = discover(tmp_path / "my_run")
    assert cat.ids() == ["my_run"]


def test_seed_runs_built_from_scratch(tmp_path):
    write_run(tmp_path, "r")
    for s in range(2):
        write_checkpoint(tmp_path / "r" / "seeds" / f"seed_{s}", seed=s)
    # a seed whose weights were deleted (not kept) carries no checkpoint
    (tmp_path / "r" / "seeds" / "seed_2").mkdir()
    (tmp_path / "r" / "seeds" / "seed_report.json").write_text(json.dumps({"seeds_tried": [0, 1, 2], "convergent_count": 1}))
    cat = discover(tmp_path)
    assert cat.get("r").seeds == ["r/seeds/seed_0", "r/seeds/seed_1"]
    assert cat.get("r/seeds/seed_1").kind == "seed"


def test_hugging_face_config_is_not_a_run_and_broken_config_is_an_error(tmp_path):
    write_run(tmp_path, "good")
    hf = tmp_path / "good" / "he"  # a rewritten base model folder
    hf.mkdir()
    (hf / "config.json").write_text(json.dumps({"model_type": "bert"}))
    bad = tmp_path / "bad" / "model"
    bad.mkdir(parents=True)
    (bad / "config.json").write_text('{"architecture": {"input_dim": 5')
    cat = discover(tmp_path)
    assert cat.ids() == ["good"]
    assert [(e.path, e.error.split(" at ")[0]) for e in cat.errors] == [
        ("bad/model/config.json", "truncated JSON (file ends early; still being written?)")]


def test_orphan_run_folder_is_listed_with_reason(tmp_path, runs_root):
    write_run(tmp_path, "good")
    orphan = tmp_path / "orphan"
    orphan.mkdir()
    shutil.copy(runs_root / "he_she" / "encoded_values_split_test.csv", orphan)
    cat = discover(tmp_path)
    assert [e.path for e in cat.errors] == ["orphan"]
    assert "no readable GRADIEND checkpoint" in cat.errors[0].error


def test_corrupt_weights_keep_the_run_and_report_the_file(tmp_path):
    write_run(tmp_path, "ok")
    write_run(tmp_path, "cut")
    weights = tmp_path / "cut" / "model" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-40])
    cat = discover(tmp_path)
    assert cat.ids() == ["cut", "ok"]
    assert not cat.get("cut").has_weights and cat.get("ok").has_weights
    assert cat.errors[0].path == "cut/model/model.safetensors"
    assert "outside" in cat.errors[0].error


def test_wrong_root():
    with pytest.raises(RunReadError, match="folder not found"):
        discover("/nonexistent/folder/for/test")


def test_recorded_paths_are_never_used(tmp_path):
    # training.json and config.json point to /cluster and /elsewhere; reading must not care
    made = write_run(tmp_path, "r")
    cat = discover(tmp_path)
    run = cat.get("r")
    assert run.checkpoint_dir == tmp_path / "r" / "model"
    assert np.array_equal(run.checkpoint.to_base(np.arange(3)), made["base"][:3])
