"""Light bundles: the same numbers as the full folders, merging, single-run packs, hostile contents."""

import json
import zipfile

import numpy as np
import pytest
from safetensors.numpy import save_file

from gradiend_st import bundle
from gradiend_st.analysis.comparison import compare_topk
from gradiend_st.cli import main
from gradiend_st.io.discover import discover
from gradiend_st.io.errors import RunReadError
from tests.builders import write_run


def _unzip(path, dest):
    with zipfile.ZipFile(path) as archive:
        archive.extractall(dest)
    return dest


@pytest.fixture(scope="module")
def fixture_bundle(tmp_path_factory, catalog):
    folder = tmp_path_factory.mktemp("bundle")
    manifest = bundle.pack(catalog, catalog.ids("run"), folder / "all.zip")
    return manifest, discover(_unzip(folder / "all.zip", folder / "unpacked"))


def test_bundle_reproduces_library_numbers(fixture_bundle, expected_topk):
    _, packed = fixture_bundle
    for key, entry in expected_topk["heatmap"].items():
        part, topk = key.split("|")
        topk = int(topk) if topk.isdigit() else float(topk)
        result = compare_topk(packed, entry["model_ids"], part, topk)
        assert np.array_equal(result.counts, np.array(entry["intersection_counts"])), key
        for rid in entry["model_ids"]:
            assert result.sets[rid].indices.tolist() == expected_topk["topk_indices"][key][rid]
        for n, venn in expected_topk["venn"][key].items():
            assert compare_topk(packed, venn["model_ids"], part, topk).regions() == venn["regions"], (key, n)
        seeds = [f"he_she_seeds/seeds/{s}" for s in expected_topk["seeds"]["models"]]
        assert compare_topk(packed, seeds, part, topk).counts.tolist() == expected_topk["seeds"]["heatmap"][key]["intersection_counts"]


def test_bundle_contents_and_manifest(fixture_bundle, runs_root, catalog):
    manifest, packed = fixture_bundle
    assert set(manifest["runs"]) == set(catalog.runs)  # runs and their seed checkpoints
    he_she = manifest["runs"]["he_she"]
    assert he_she["parts"] == {p: 10000 for p in bundle.PARTS}
    weights = runs_root / "he_she" / "model" / "model.safetensors"
    assert he_she["weights"]["size"] == weights.stat().st_size
    assert manifest["runs"]["he_she_preprune"]["parts"]["decoder-weight"] == 1845  # k capped at input_dim
    run = packed.get("he_she")
    assert run.format == "bundle" and run.has_topk and not run.has_weights
    assert set(run.encoded) == {"split_test"} and run.training_path.is_file() and run.decoder_grid_path.is_file()
    assert not any(p.suffix in (".png", ".bin") or p.name == "model.safetensors" for p in packed.root.rglob("*"))


def test_asking_more_than_packed_names_the_command(fixture_bundle):
    _, packed = fixture_bundle
    with pytest.raises(RunReadError, match=r"packed with top 10,000 for decoder-weight, 20,000 asked: gradiend-st pack ROOT --runs he_she --topk-max 20000"):
        compare_topk(packed, ["he_she", "he_it"], "decoder-weight", 20000)


def test_single_run_packs_merge(tmp_path, capsys):
    for i in range(3):
        write_run(tmp_path / "runs", f"r{i}", seed=i)
    for i in range(3):
        assert main(["pack", str(tmp_path / "runs"), "--runs", f"r{i}", "--parts", "encoder-weight", "--topk-max", "0.5",
                     "-o", str(tmp_path / f"r{i}.zip")]) == 0
    assert main(["pack", "--merge", *[str(tmp_path / f"r{i}.zip") for i in range(3)], "-o", str(tmp_path / "all.zip")]) == 0
    merged = discover(_unzip(tmp_path / "all.zip", tmp_path / "merged"))
    full = discover(tmp_path / "runs")
    ids = ["r0", "r1", "r2"]
    assert compare_topk(merged, ids, "encoder-weight", 10).counts.tolist() == compare_topk(full, ids, "encoder-weight", 10).counts.tolist()
    with pytest.raises(RunReadError, match="part decoder-weight was not packed for r[0-2]: gradiend-st pack ROOT --runs r[0-2] --parts decoder-weight"):
        compare_topk(merged, ids, "decoder-weight", 10)
    # never overwritten without --force
    assert main(["pack", str(tmp_path / "runs"), "-o", str(tmp_path / "all.zip")]) == 1
    assert "exists: pass --force" in capsys.readouterr().err
    assert main(["pack", str(tmp_path / "runs"), "-o", str(tmp_path / "all.zip"), "--force"]) == 0


def test_merge_refuses_same_run_from_other_weights(tmp_path):
    write_run(tmp_path / "a", "r", seed=1)
    write_run(tmp_path / "b", "r", seed=2)
    bundle.pack(discover(tmp_path / "a"), ["r"], tmp_path / "a.zip")
    bundle.pack(discover(tmp_path / "b"), ["r"], tmp_path / "b.zip")
    with pytest.raises(RunReadError, match="run r is also in an earlier bundle, from other weights"):
        bundle.merge([tmp_path / "a.zip", tmp_path / "b.zip"], tmp_path / "m.zip")
    assert not (tmp_path / "m.zip").exists()


def test_hostile_bundle_contents(tmp_path):
    write_run(tmp_path / "runs", "r")
    bundle.pack(discover(tmp_path / "runs"), ["r"], tmp_path / "r.zip", parts=["decoder-weight"], topk_max=20)
    root = _unzip(tmp_path / "r.zip", tmp_path / "u")
    topk_file = root / "r" / "model" / bundle.TOPK_FILE
    save_file({"decoder-weight.indices": np.array([5, 10**9], np.int64), "decoder-weight.importance": np.ones(2, np.float32)}, str(topk_file))
    manifest = json.loads((root / bundle.MANIFEST).read_text())
    manifest["runs"]["r"]["parts"]["decoder-weight"] = 2
    (root / bundle.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(RunReadError, match="outside the base space"):
        compare_topk(discover(root), ["r"], "decoder-weight", 2)
    manifest["runs"]["r"]["parts"]["decoder-weight"] = 7  # manifest disagrees with the file
    (root / bundle.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(RunReadError, match="holds 2 entries, the manifest says 7"):
        compare_topk(discover(root), ["r"], "decoder-weight", 2)
    (root / bundle.MANIFEST).write_text('{"runs": 5}')
    with pytest.raises(RunReadError, match="bundle manifest has no 'runs' object"):
        discover(root)


def test_bundle_zip_is_accepted_as_root(tmp_path, capsys, catalog, expected_topk):
    bundle.pack(catalog, catalog.ids("run"), tmp_path / "all.zip", parts=["encoder-weight"], topk_max=500)
    entry = expected_topk["venn"]["encoder-weight|0.01"]["5"]
    assert main(["venn", str(tmp_path / "all.zip"), "--runs", *entry["model_ids"], "--part", "encoder-weight",
                 "--topk", "0.01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["regions"] == entry["regions"]
    assert main(["runs", str(tmp_path / "all.zip"), "--json"]) == 0
    listed = {r["id"]: r for r in json.loads(capsys.readouterr().out)["runs"]}
    assert listed["he_she"]["format"] == "bundle" and listed["he_she"]["bundle"] == {"encoder-weight": 500}


def test_hostile_zip_root_is_refused_in_one_line(tmp_path, capsys):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../escaped.txt", "x")
    assert main(["runs", str(evil)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "../escaped.txt" in err and "Traceback" not in err
    assert not (tmp_path.parent / "escaped.txt").exists()


@pytest.mark.parametrize("entry, words", [("../outside.json", "path leaves the upload folder"),
                                          ("r/model/config.json", "not a gradiend-st bundle")])
def test_merge_refuses_hostile_or_foreign_zips(tmp_path, entry, words):
    write_run(tmp_path / "runs", "r")
    bundle.pack(discover(tmp_path / "runs"), ["r"], tmp_path / "good.zip", parts=["decoder-weight"], topk_max=5)
    with zipfile.ZipFile(tmp_path / "bad.zip", "w") as archive:
        archive.writestr(entry, "{}")
    with pytest.raises(RunReadError, match=words) as exc:
        bundle.merge([tmp_path / "good.zip", tmp_path / "bad.zip"], tmp_path / "m.zip")
    assert "bad.zip" in str(exc.value) and "\n" not in str(exc.value)
    assert not (tmp_path / "m.zip").exists() and not (tmp_path.parent / "outside.json").exists()


def test_merge_stops_a_zip_bomb(tmp_path):
    write_run(tmp_path / "runs", "r")
    bundle.pack(discover(tmp_path / "runs"), ["r"], tmp_path / "good.zip", parts=["decoder-weight"], topk_max=5)
    with zipfile.ZipFile(tmp_path / "good.zip", "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("r/training.json", b"\0" * (64 * 1024 * 1024))  # compresses ~1000:1
    with pytest.raises(RunReadError, match="r/training.json: compression ratio above 100:1"):
        bundle.merge([tmp_path / "good.zip"], tmp_path / "m.zip")
    assert not (tmp_path / "m.zip").exists()


def test_overview_names_bundle_runs_and_their_packed_k(fixture_bundle):
    from gradiend_st.ui.overview import run_rows

    _, packed = fixture_bundle
    rows = run_rows(packed).set_index("id")
    assert rows.loc["he_she", "files"].startswith("bundle top-k (decoder-weight K=10,000, encoder-weight K=10,000, ")
    assert "decoder-sum K=10,000" in rows.loc["he_she", "files"]
    assert "decoder-weight K=1,845" in rows.loc["he_she_preprune", "files"]
    assert "training" in rows.loc["he_she", "files"] and rows.loc["he_she", "converged"] in ("yes", "no")
