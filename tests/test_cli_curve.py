"""`gradiend-st curve`: the library's numbers in ../shared/fixtures/reference_plots/expected_curves.json, from the run
folders and from a light bundle (and what an old bundle without signs still gives)."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from gradiend_st import bundle
from gradiend_st.cli import main
from tests.conftest import REFERENCE, RUNS

EXPECTED = json.loads((REFERENCE / "expected_curves.json").read_text())
SEEDS = list(EXPECTED["models"].values())
CROSS_RUNS = sorted({rid for entry in EXPECTED["cross"] for rid in entry["runs"]})


def curve(capsys, root, runs, part, ks) -> dict:
    assert main(["curve", str(root), "--runs", *runs, "--part", part, "--k", *map(str, ks), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _topk(text: str) -> int | float:
    return int(text) if text.isdigit() else float(text)


@pytest.fixture(scope="module")
def packed(tmp_path_factory, catalog):
    """A bundle of every run of the cross pairs and the multi-seed run (its seeds come along)."""
    path = tmp_path_factory.mktemp("curve-bundle") / "runs.zip"
    bundle.pack(catalog, sorted(set(CROSS_RUNS) | {EXPECTED["run"]}), path)
    return path


@pytest.mark.parametrize("source", ["folder", "bundle"])
@pytest.mark.parametrize("part", ["encoder-weight", "decoder-weight", "decoder-bias", "decoder-sum"])
def test_seed_pairs_chance_and_all_seeds_match_the_library(capsys, packed, source, part):
    root = RUNS if source == "folder" else packed
    got = curve(capsys, root, SEEDS, part, [100, 0.01])
    assert got["part"] == part and got["k"] == [100, 0.01] and isinstance(got["k"][0], int)
    assert got["runs"] == SEEDS and set(got) == {"part", "k", "runs", "pairs", "all"}
    for i, key in enumerate((f"{part}|100", f"{part}|0.01")):
        expected = EXPECTED["keys"][key]
        assert got["all"][i] == expected["all"]
        for pair in expected["pairs"]:
            found = next(p for p in got["pairs"] if p["runs"] == pair["runs"])
            assert found["shared"][i] == pair["count"]
            assert found["chance"][i] == pytest.approx(pair["chance"], rel=1e-12)
            assert found["shared_class"] == "he", "seeds of one run share both classes: the +1 class is named"
            if "same_sign" in pair:  # the library gives the share; the CLI the count
                assert found["same_sign"][i] == round(pair["same_sign"] * pair["count"])


@pytest.mark.parametrize("source", ["folder", "bundle"])
def test_cross_pairs_shared_and_same_sign_match_the_library(capsys, packed, source):
    root = RUNS if source == "folder" else packed
    got = curve(capsys, root, CROSS_RUNS, "decoder-weight", [100, 0.01])
    for entry in EXPECTED["cross"]:
        found = next(p for p in got["pairs"] if p["runs"] == entry["runs"])
        i = got["k"].index(_topk(entry["topk"]))
        assert (found["shared"][i], found["same_sign"][i], found["shared_class"]) == \
            (entry["shared"], entry["same_sign"], entry["shared_class"]), entry
    example = next(p for p in got["pairs"] if p["runs"] == ["he_it", "he_she"])
    assert example["shared"][1] == 16 and example["same_sign"][1] == 13


def test_runs_sharing_no_class_have_no_agreement_never_zero(capsys):
    got = curve(capsys, RUNS, ["he_it", "she_they", "1SG_1PL"], "decoder-weight", [10, 0.01, 1000])
    for pair in got["pairs"]:
        assert pair["shared_class"] is None and pair["same_sign"] == [None, None, None]
    assert any(s > 0 for p in got["pairs"] for s in p["shared"]), "they do share weights"
    assert got["k"] == [10, 0.01, 1000]


def test_an_old_bundle_without_signs_still_gives_the_overlaps(capsys, packed, tmp_path):
    old = tmp_path / "old.zip"
    with zipfile.ZipFile(packed) as source, zipfile.ZipFile(old, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.endswith(bundle.TOPK_FILE):  # format 1: no decoder-weight.sign
                scratch = tmp_path / "topk.safetensors"
                scratch.write_bytes(data)
                tensors = {k: v for k, v in load_file(scratch).items() if not k.endswith(".sign")}
                save_file(tensors, scratch)
                data = scratch.read_bytes()
            elif item.filename == bundle.MANIFEST:
                manifest = json.loads(data)
                manifest.pop("format")
                data = json.dumps(manifest).encode()
            target.writestr(item.filename, data)
    got = curve(capsys, old, ["he_it", "he_she"], "decoder-weight", [0.01])
    assert got["pairs"][0]["shared"] == [16] and got["pairs"][0]["same_sign"] == [None]
    with zipfile.ZipFile(old) as archive:
        archive.extractall(tmp_path / "old")
    from gradiend_st.io.discover import discover
    from gradiend_st.views import curves

    data = curves.load(discover(tmp_path / "old"), ["he_it", "he_she"], curves.Options(seeds=False))
    assert data.pairs[0].shared[-1] == 16 and data.pairs[0].same_sign[-1] is None
    assert any("he_it" in w and "pack it again" in w for w in data.warnings), data.warnings


def test_bundle_signs_are_the_weights_signs(catalog, packed, tmp_path):
    with zipfile.ZipFile(packed) as archive:
        archive.extractall(tmp_path)
    from gradiend_st.io.decoder_weights import decoder_signs_at
    from gradiend_st.io.discover import discover

    unpacked = discover(tmp_path)
    assert json.loads((tmp_path / bundle.MANIFEST).read_text())["format"] == bundle.FORMAT == 2
    run = unpacked.get("he_she")
    packed_indices = load_file(run.checkpoint_dir / bundle.TOPK_FILE)["decoder-weight.indices"]
    some = packed_indices[::7]
    assert np.array_equal(bundle.bundle_signs(run, some), decoder_signs_at(catalog.get("he_she").checkpoint, some))
    outside = np.setdiff1d(np.arange(run.config.base_dim), packed_indices)[:3]
    assert np.isnan(bundle.bundle_signs(run, outside)).all(), "an index that was not packed has no sign"


@pytest.mark.parametrize("argv, message", [
    (["--runs", "he_she", "--k", "10"], "at least 2 different runs"),
    (["--runs", "he_she", "nope", "--k", "10"], "no run 'nope'"),
    (["--runs", "he_she", "he_it", "--k", *map(str, range(1, 17))], "at most 15 values of k"),
])
def test_bad_requests_are_one_line(capsys, argv, message):
    assert main(["curve", str(RUNS), *argv]) == 1
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_text_output_names_pairs_and_classes(capsys):
    assert main(["curve", str(RUNS), "--runs", "he_it", "he_she", "--k", "0.01"]) == 0
    out = capsys.readouterr().out
    assert "he_it & he_she (shared class he)" in out and "N = 36,896" in out
