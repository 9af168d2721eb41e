import json
import math

import numpy as np
import pytest
from safetensors.numpy import save_file

from gradiend_st.io.checkpoint import Checkpoint
from gradiend_st.io.context import read_context
from gradiend_st.io.decoder import read_decoder_grid
from gradiend_st.io.encoded import describe_key, read_encoded
from gradiend_st.io.errors import RunReadError
from gradiend_st.io.safetensors_file import SafetensorsFile, to_float
from gradiend_st.io.seeds import read_seed_report
from gradiend_st.io.training import read_training
from tests.builders import BASE_DIM, write_checkpoint


def test_training_log_of_fixture(runs_root):
    log = read_training(runs_root / "he_she" / "model" / "training.json")
    raw = json.loads((runs_root / "he_she" / "model" / "training.json").read_text())
    assert log.steps == sorted(int(s) for s in raw["training_stats"]["scores"])
    assert log.best_step == raw["best_score_checkpoint"]["global_step"]
    assert log.best_correlation == raw["best_score_checkpoint"]["correlation"]
    assert log.by_class["1.0"]["mean"][10] == raw["training_stats"]["mean_by_class"]["10"]["1.0"]
    assert log.by_class["-1.0"]["q3"][20] == raw["training_stats"]["q3_by_class"]["20"]["-1.0"]
    assert log.by_feature_class["she"]["mean"][40] == raw["training_stats"]["mean_by_feature_class"]["40"]["she"]
    assert log.label_value_to_class_name == {"-1.0": "she", "1.0": "he"}
    assert log.convergence_info["converged"] is True
    assert log.source == "alternative"


def test_truncated_training_json(tmp_path, runs_root):
    text = (runs_root / "he_she" / "model" / "training.json").read_text()
    path = tmp_path / "training.json"
    path.write_text(text[: len(text) // 2])
    with pytest.raises(RunReadError, match="truncated JSON"):
        read_training(path)


def test_training_json_wrong_types(tmp_path):
    path = tmp_path / "training.json"
    path.write_text(json.dumps({"training_stats": {"scores": {"ten": 0.5}}}))
    with pytest.raises(RunReadError, match="step key 'ten'"):
        read_training(path)
    path.write_text(json.dumps([1, 2]))
    with pytest.raises(RunReadError, match="expected a JSON object"):
        read_training(path)


def test_context_seed_report_and_decoder_grid(runs_root):
    ctx = read_context(runs_root / "she_they" / "model" / "gradiend_context.json")
    assert ctx.pair == ("she", "they") and ctx.source == "alternative"
    assert read_context(runs_root / "he_she_preprune" / "model" / "gradiend_context.json").pair is None
    report = read_seed_report(runs_root / "he_she_seeds" / "seeds" / "seed_report.json")
    raw = json.loads((runs_root / "he_she_seeds" / "seeds" / "seed_report.json").read_text())
    assert report.best_seed == raw["best_seed"] == 1
    assert report.seeds_tried == raw["seeds_tried"] and report.converged
    grid = read_decoder_grid(runs_root / "he_she" / "decoder_grid_cache.json")
    raw = json.loads((runs_root / "he_she" / "decoder_grid_cache.json").read_text())
    assert len(grid.points) == len(raw["results"]) - 1 and grid.base is not None
    assert {p.feature_factor for p in grid.points} == set(raw["feature_factors"])
    assert grid.points[0].lms == raw["results"][1]["lms"]["lms"]


def test_encoded_csv_of_fixture(runs_root):
    frame = read_encoded(runs_root / "suite_pronouns" / "he__they" / "encoded_values_split_test.csv")
    assert frame["encoded"].dtype == float
    assert set(frame.loc[~frame["is_neutral"], "source_id"]) == {"he", "she", "they"}
    assert (frame.loc[frame["is_neutral"], "label"] == 0).all()
    assert describe_key("split_test") == "test split"
    assert describe_key("max_size_500_split_train_test") == "train + test split, max 500"


def test_encoded_csv_problems(tmp_path):
    path = tmp_path / "encoded_values_split_test.csv"
    path.write_text("text,label\nhi,1.0\n")
    with pytest.raises(RunReadError, match="missing column encoded"):
        read_encoded(path)
    path.write_text("text,encoded,label\nhi,abc,1.0\n")
    with pytest.raises(RunReadError, match="non-numeric value 'abc' in data row 1"):
        read_encoded(path)
    # BOM and list-valued encodings (latent_dim > 1) are read
    path.write_bytes("\ufefftext,encoded,label\nhi,\"[0.5, 0.1]\",1.0\n".encode())
    frame = read_encoded(path)
    assert frame["encoded"].tolist() == [0.5]


def test_pruned_mapping_matches_builder(tmp_path):
    selection = {0: np.array([1, 5, 7]), 1: np.array([0, 2]), 2: np.arange(30)}
    made = write_checkpoint(tmp_path / "m", selection=selection)
    ckpt = Checkpoint(tmp_path / "m")
    assert ckpt.config.pruned and ckpt.config.input_dim == 35 and ckpt.config.base_dim == BASE_DIM
    assert np.array_equal(ckpt.local_to_base, made["base"])


def test_pruned_fixtures_map_inside_base_space(catalog):
    for rid in ("he_she_preprune", "she_they_postprune"):
        table = catalog.get(rid).checkpoint.local_to_base
        assert len(table) == catalog.get(rid).config.input_dim
        assert np.all(np.diff(table) > 0) and table.max() < 36896


def test_mapping_with_out_of_range_indices(tmp_path):
    write_checkpoint(tmp_path / "m", selection={0: np.array([1, 5, 7])})
    save_file({"L0": np.array([1, 5, 99], np.int32)}, str(tmp_path / "m" / "mapping_indices.safetensors"))
    with pytest.raises(RunReadError, match="outside 0..23"):
        _ = Checkpoint(tmp_path / "m").local_to_base


@pytest.mark.parametrize("dtype,name", [(np.float16, "F16"), (np.float64, "F64"), (np.float32, "F32")])
def test_safetensors_dtypes(tmp_path, dtype, name):
    values = np.linspace(-2, 2, 50).astype(dtype)
    save_file({"x": values}, str(tmp_path / "t.safetensors"))
    st = SafetensorsFile(tmp_path / "t.safetensors")
    assert st.info("x").dtype == name
    got = to_float(st.read_flat("x", 10, 20), name)
    assert np.array_equal(got, values[10:20].astype(got.dtype))


def test_bfloat16_widening(tmp_path):
    values = np.array([1.5, -2.25, 3.0e38, 0.0], np.float32)
    raw = (values.view(np.uint32) >> 16).astype(np.uint16)
    header = json.dumps({"x": {"dtype": "BF16", "shape": [4], "data_offsets": [0, 8]}}).encode()
    (tmp_path / "b.safetensors").write_bytes(len(header).to_bytes(8, "little") + header + raw.tobytes())
    st = SafetensorsFile(tmp_path / "b.safetensors")
    got = to_float(st.read("x"), "BF16")
    assert got.dtype == np.float32 and got[:2].tolist() == [1.5, -2.25] and math.isclose(got[2], 3.0e38, rel_tol=1e-2)


@pytest.mark.parametrize("mutate,message", [
    (lambda b: b[:5], "too short"),
    (lambda b: (10**6).to_bytes(8, "little") + b[8:], "runs past the end"),
    (lambda b: b[:8] + b"x" * (int.from_bytes(b[:8], "little")) + b[8 + int.from_bytes(b[:8], "little"):], "not valid JSON"),
    (lambda b: b[:-4], "outside"),
])
def test_corrupt_safetensors(tmp_path, mutate, message):
    write_checkpoint(tmp_path / "m")
    path = tmp_path / "m" / "model.safetensors"
    path.write_bytes(mutate(path.read_bytes()))
    with pytest.raises(RunReadError, match=message) as info:
        Checkpoint(tmp_path / "m").open_weights()
    assert "model.safetensors" in str(info.value)


def test_shape_disagreeing_with_config(tmp_path):
    write_checkpoint(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    config["architecture"]["input_dim"] = 59
    config["mapping"] = None
    (tmp_path / "m" / "config.json").write_text(json.dumps(config))
    with pytest.raises(RunReadError, match=r"has shape \[1, 60\], config.json input_dim/latent_dim say \[1, 59\]"):
        Checkpoint(tmp_path / "m").open_weights()


def test_mapping_count_disagreeing_with_input_dim(tmp_path):
    write_checkpoint(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    config["architecture"]["input_dim"] = 59
    (tmp_path / "m" / "config.json").write_text(json.dumps(config))
    with pytest.raises(RunReadError, match="mapping selects 60 scalars but input_dim is 59"):
        Checkpoint(tmp_path / "m")
