"""`gradiend-st where`: the library's top-k lists placed in the base model (expected_atlas.json) for all 11 runs, four
parts and both topk values, from the weights and from a bundle; bad input is one line naming the file."""

from __future__ import annotations

import json
import shutil
import zipfile

import numpy as np
import pytest
from safetensors.numpy import save_file

from gradiend_st.cli import main
from gradiend_st.io.safetensors_file import SafetensorsFile
from tests.conftest import REFERENCE

PARTS = ("encoder-weight", "decoder-weight", "decoder-bias", "decoder-sum")
KEYS = [(part, topk) for part in PARTS for topk in ("100", "0.01")]


@pytest.fixture(scope="module")
def atlas() -> dict:
    return json.loads((REFERENCE / "expected_atlas.json").read_text())["runs"]


@pytest.fixture(scope="module")
def bundle(runs_root, tmp_path_factory):
    """Every run of the fixtures packed by `gradiend-st pack` (top 10,000 of all four parts)."""
    out = tmp_path_factory.mktemp("bundle") / "all.zip"
    assert main(["pack", str(runs_root), "-o", str(out)]) == 0
    return out


def where(capsys, root, *args) -> tuple[int, dict | None, str]:
    code = main(["where", str(root), *args, "--json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


@pytest.mark.parametrize(("part", "topk"), KEYS)
@pytest.mark.parametrize("source", ["weights", "bundle"])
def test_where_equals_the_expected_atlas(capsys, runs_root, bundle, atlas, part, topk, source):
    root = runs_root if source == "weights" else bundle
    for by in ("parameter", "layer"):
        code, data, err = where(capsys, root, "--runs", *atlas, "--part", part, "--topk", topk, "--by", by)
        assert code == 0 and err == "", err
        assert data["part"] == part and data["by"] == by and data["runs"] == list(atlas)
        assert data["topk"] == (int(topk) if topk.isdigit() else float(topk))  # 100 stays an int, 0.01 a float
        assert set(data) == {"part", "topk", "by", "runs", "counts", "sizes"}
        for rid, entry in atlas.items():
            expected = entry["keys"][f"{part}|{topk}"]
            assert data["counts"][rid] == expected[f"by_{by}"], (rid, by)
            assert sum(data["counts"][rid].values()) == expected["k"]
            assert data["sizes"] == entry["parameter_sizes" if by == "parameter" else "layer_sizes"]
            assert sum(data["sizes"].values()) == entry["base_total"]


def test_the_issue_example(capsys, runs_root):
    _, data, _ = where(capsys, runs_root, "--runs", "he_she", "--topk", "100", "--by", "layer")
    assert data["counts"]["he_she"] == {"embeddings": 14, "layer.0": 37, "layer.1": 49}


def test_by_component_and_head_add_up_to_the_layers(capsys, runs_root):
    runs = ["he_she", "she_they_postprune"]
    _, layers, _ = where(capsys, runs_root, "--runs", *runs, "--topk", "0.01", "--by", "parameter")
    _, components, _ = where(capsys, runs_root, "--runs", *runs, "--topk", "0.01", "--by", "component")
    _, heads, _ = where(capsys, runs_root, "--runs", *runs, "--topk", "0.01", "--by", "head", "--num-heads", "2")
    for rid in runs:
        by_param = layers["counts"][rid]
        assert sum(components["counts"][rid].values()) == sum(by_param.values())
        for component in ("query", "key", "value"):
            in_params = sum(c for name, c in by_param.items() if f".self.{component}." in name)
            assert components["counts"][rid].get(component, 0) == in_params
            in_heads = sum(c for name, c in heads["counts"][rid].items() if f".{component}.head." in name)
            assert in_heads == in_params
    # a head of the tiny BERT: 16 of the 32 rows of a 32 x 32 weight and of its bias
    assert heads["sizes"]["layer.0.query.head.1"] == 16 * 32 + 16
    assert len(heads["sizes"]) == 2 * 3 * 2


def test_heads_of_an_unknown_shape_ask_for_num_heads(capsys, runs_root):
    code = main(["where", str(runs_root), "--runs", "he_she", "--by", "head"])
    _, err = capsys.readouterr()
    assert code == 1 and err.count("\n") == 1 and "--num-heads" in err and "32 output rows" in err


def test_text_output_names_groups_and_shares(capsys, runs_root):
    assert main(["where", str(runs_root), "--runs", "he_she", "he_it", "--topk", "100", "--by", "layer"]) == 0
    out = capsys.readouterr().out
    assert "layer.1" in out and "49 (49.0%)" in out and "he_it" in out


# ------------------------------------------------------------------------------------------------ bad input


def _copy_runs(runs_root, tmp_path, *names):
    for name in names:
        shutil.copytree(runs_root / name, tmp_path / name, ignore=shutil.ignore_patterns("*.png", "decoder"))
    return tmp_path


def _edit_config(path, edit) -> None:
    config = json.loads(path.read_text())
    edit(config)
    path.write_text(json.dumps(config))


def test_param_map_sizes_that_do_not_add_up_are_one_line(capsys, runs_root, tmp_path):
    root = _copy_runs(runs_root, tmp_path, "he_she", "she_they")

    def shrink(config):  # one parameter claims fewer scalars than input_dim needs (FORMAT.md §2.1's invariant)
        config["mapping"]["param_map"][3]["shape"] = [16]
        config["mapping"]["param_map"][3]["num_selected"] = 16

    _edit_config(root / "he_she" / "model" / "config.json", shrink)
    code, data, err = where(capsys, root, "--runs", "he_she", "she_they", "--topk", "100")
    assert code == 0 and data["runs"] == ["she_they"]
    assert err.count("\n") == 1
    assert err.startswith("gradiend-st: left out he_she: he_she/model/config.json: mapping selects 36,880 scalars")
    assert data["errors"]["he_she"] in err
    assert str(tmp_path) not in err


def test_unknown_name_patterns_are_reported_and_still_counted(capsys, runs_root, tmp_path):
    root = _copy_runs(runs_root, tmp_path, "he_she", "he_it")

    def rename(config):  # GPT-2-like names the studio does not know
        for entry in config["mapping"]["param_map"]:
            entry["name"] = entry["name"].replace("bert.encoder.layer.", "gpt.h.").replace("attention.self.", "attn.x")
    for run in ("he_she", "he_it"):
        _edit_config(root / run / "model" / "config.json", rename)
    code, data, err = where(capsys, root, "--topk", "100", "--by", "component")
    assert code == 0 and err == "" and data["runs"] == ["he_it", "he_she"]
    assert {"attn.xquery", "attn.xkey", "attn.xvalue"} <= set(data["sizes"])  # their last two name parts
    _, layers, _ = where(capsys, root, "--topk", "100", "--by", "layer")
    assert layers["counts"]["he_she"] == {"embeddings": 14, "layer.0": 37, "layer.1": 49}  # .h.<i>. is a layer

    from gradiend_st.io.discover import discover
    from gradiend_st.views import registry

    view = registry.get("weightmap")
    data = view.load(discover(root), ["he_it", "he_she"], view.Options(topk=100))
    assert len(data.warnings) == 1
    assert data.warnings[0].startswith("he_it/model/config.json: 12 of 37 parameter names match no known pattern")


def test_runs_with_different_param_maps_are_refused(capsys, runs_root, tmp_path):
    root = _copy_runs(runs_root, tmp_path, "he_she", "he_it")
    _edit_config(root / "he_it" / "model" / "config.json",
                 lambda c: c["mapping"]["param_map"][0].update(name="roberta.embeddings.word_embeddings.weight"))
    code = main(["where", str(root), "--topk", "100"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert "he_she/model/config.json: base parameters differ from he_it's" in err


def test_an_index_beyond_the_map_is_one_line(capsys, runs_root, tmp_path):
    packed = tmp_path / "two.zip"
    assert main(["pack", str(runs_root), "--runs", "he_she", "she_they", "--parts", "decoder-weight",
                 "--topk-max", "500", "-o", str(packed)]) == 0
    root = tmp_path / "unpacked"
    with zipfile.ZipFile(packed) as archive:
        archive.extractall(root)
    lists = root / "he_she" / "model" / "gradiend_topk.safetensors"
    source = SafetensorsFile(lists)
    indices = source.read("decoder-weight.indices").copy()
    indices[3] = 36896  # one past the last base scalar of the tiny BERT
    save_file({"decoder-weight.indices": indices, "decoder-weight.importance": source.read("decoder-weight.importance")},
              str(lists))
    capsys.readouterr()
    code, data, err = where(capsys, root, "--topk", "100")
    assert code == 0 and data["runs"] == ["she_they"]
    assert err.count("\n") == 1 and "he_she/model/gradiend_topk.safetensors: " in err and "outside" in err


def test_an_unknown_root_is_one_line(capsys, tmp_path):
    code = main(["where", str(tmp_path / "nope")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "folder not found" in err


def test_counts_are_the_top_k_lists_of_the_topk_command(capsys, runs_root):
    """The same lists as `gradiend-st topk`: every index of it lands in exactly one parameter."""
    main(["topk", str(runs_root), "--runs", "he_she_preprune", "--topk", "0.01", "--json"])
    indices = np.array(json.loads(capsys.readouterr().out)["indices"]["he_she_preprune"])
    _, data, _ = where(capsys, runs_root, "--runs", "he_she_preprune", "--topk", "0.01", "--by", "parameter")
    offsets = np.cumsum([0, *data["sizes"].values()])
    names = list(data["sizes"])
    expected = {}
    for i in indices:
        name = names[int(np.searchsorted(offsets, i, side="right")) - 1]
        expected[name] = expected.get(name, 0) + 1
    assert data["counts"]["he_she_preprune"] == expected


def test_a_bundle_maps_like_the_weights_but_has_no_signs(bundle, runs_root, tmp_path):
    from gradiend_st.io.discover import discover
    from gradiend_st.views import registry

    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(tmp_path / "unpacked")
    view = registry.get("weightmap")
    options = view.Options(topk=0.01, color_by_sign=True)
    packed = view.load(discover(tmp_path / "unpacked"), ["he_she", "she_they_postprune"], options)
    full = view.load(discover(runs_root), ["he_she", "she_they_postprune"], options)
    for rid in packed.runs:
        assert packed.maps[rid].counts.tolist() == full.maps[rid].counts.tolist()
        assert packed.maps[rid].space.tolist() == full.maps[rid].space.tolist()  # mapping files come along
        assert packed.maps[rid].positive is None and full.maps[rid].positive is not None
    assert len(packed.warnings) == 2 and all("decoder signs are unknown" in w for w in packed.warnings)
    assert not full.warnings
    from gradiend_st.figures.weightmap_flow import NEGATIVE, POSITIVE, ZERO
    from gradiend_st.views.weightmap import flow

    grey, _ = flow(packed, view.Options(plot="flow", color_by_sign=True, score_threshold=0.0))
    signed, _ = flow(full, view.Options(plot="flow", color_by_sign=True, score_threshold=0.0))
    assert set(grey.colors) == {ZERO} and {POSITIVE, NEGATIVE} <= set(signed.colors)
    assert sum(grey.values) == sum(signed.values)
