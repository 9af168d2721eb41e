"""Hostile and broken run files: one clear line naming the file, the other runs keep working, nothing written.

Every case builds a folder with a good run and a broken one. The message is checked as the engine reports it and
as `gradiend-st` prints it; file contents under the root are hashed before and after to prove nothing was written.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import struct
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from gradiend_st.analysis.comparison import compare_topk
from gradiend_st.cli import main
from gradiend_st.io.context import read_context
from gradiend_st.io.decoder import read_decoder_grid
from gradiend_st.io.discover import discover
from gradiend_st.io.encoded import read_encoded
from gradiend_st.io.errors import RunReadError
from gradiend_st.io.seeds import read_seed_report
from gradiend_st.io.training import read_training
from tests.builders import write_run

WEIGHTS = "bad/model/model.safetensors"
CONFIG = "bad/model/config.json"
TRAINING = "bad/model/training.json"
CSV = "bad/encoded_values_split_test.csv"


@dataclass
class Case:
    name: str
    breaks: Callable[[Path], None]  # gets the root; mutates root/"bad"
    file: str  # the file the message must name, relative to the root
    problem: str  # regex the problem part must match
    reader: str = "topk"  # topk | training | encoded | context | seeds | grid


def _edit_bytes(rel: str, change: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / rel
        path.write_bytes(change(path.read_bytes()))
    return apply


def _edit_json(rel: str, change: Callable[[dict], object]) -> Callable[[Path], None]:
    """`change` edits the parsed object in place (its return value is ignored)."""
    def apply(root: Path) -> None:
        path = root / rel
        data = json.loads(path.read_text())
        change(data)
        path.write_text(json.dumps(data))
    return apply


def _header_len(raw: bytes) -> int:
    return struct.unpack("<Q", raw[:8])[0]


def _with_header(raw: bytes, edit: Callable[[dict], None]) -> bytes:
    n = _header_len(raw)
    header = json.loads(raw[8:8 + n])
    edit(header)
    new = json.dumps(header).encode()
    return struct.pack("<Q", len(new)) + new + raw[8 + n:]


def _set_tensors(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / WEIGHTS
        tensors = load_file(str(path))
        change(tensors)
        save_file(tensors, str(path))
    return apply


def _write(rel: str, content: bytes | str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return apply


def _bin_weights(make: Callable[[Path], None]) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        (root / WEIGHTS).unlink()
        make(root / "bad" / "model" / "pytorch_model.bin")
    return apply


class Payload:
    """Unpickling this would create a marker file: it must never happen."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _torch_payload(path: Path) -> None:
    import torch

    torch.save({"decoder.0.linear.weight": Payload(path.parent / "PWNED")}, path)


def _plain_pickle_payload(path: Path) -> None:
    path.write_bytes(pickle.dumps(Payload(path.parent / "PWNED")))


def _zip_with_payload(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps(Payload(path.parent / "PWNED")))
        archive.writestr("archive/version", "3\n")


def _mapping_pruned(root: Path) -> None:
    write_run(root, "bad", selection={0: np.array([1, 5, 7])})


CASES = [
    # model.safetensors
    Case("weights truncated", _edit_bytes(WEIGHTS, lambda b: b[: len(b) // 2]), WEIGHTS, "outside the .* data bytes"),
    Case("weights zero bytes", _write(WEIGHTS, b""), WEIGHTS, "too short for a safetensors header"),
    Case("header length beyond file", _edit_bytes(WEIGHTS, lambda b: struct.pack("<Q", len(b) * 2) + b[8:]), WEIGHTS, "runs past the end"),
    Case("header length absurd", _edit_bytes(WEIGHTS, lambda b: struct.pack("<Q", 2**60) + b[8:]), WEIGHTS, "implausibly large"),
    Case("header not JSON", _edit_bytes(WEIGHTS, lambda b: b[:8] + b"\xff" * _header_len(b) + b[8 + _header_len(b):]), WEIGHTS, "not valid JSON"),
    Case("header a list", _edit_bytes(WEIGHTS, lambda b: struct.pack("<Q", 2) + b"[]" + b[8 + _header_len(b):]), WEIGHTS, "not a JSON object"),
    Case("offsets outside data", _edit_bytes(WEIGHTS, lambda b: _with_header(b, lambda h: h["decoder.0.linear.weight"].update(data_offsets=[0, 10**9]))), WEIGHTS, "outside the"),
    Case("offsets disagree with shape", _edit_bytes(WEIGHTS, lambda b: _with_header(b, lambda h: h["decoder.0.linear.weight"].update(shape=[61, 1]))), WEIGHTS, "bytes stored but shape"),
    Case("unknown dtype", _edit_bytes(WEIGHTS, lambda b: _with_header(b, lambda h: h["decoder.0.linear.weight"].update(dtype="F8_E4M3"))), WEIGHTS, "unsupported dtype 'F8_E4M3'"),
    Case("negative shape", _edit_bytes(WEIGHTS, lambda b: _with_header(b, lambda h: h["decoder.0.linear.weight"].update(shape=[-60, -1]))), WEIGHTS, "not a list of non-negative integers"),
    Case("integer weights", _set_tensors(lambda t: t.update({"decoder.0.linear.weight": np.ones((60, 1), np.int32)})), WEIGHTS, "non-float dtype I32"),
    Case("missing decoder tensor", _set_tensors(lambda t: t.pop("decoder.0.linear.weight")), WEIGHTS, "missing tensor 'decoder.0.linear.weight'"),
    Case("shape differs from config", _set_tensors(lambda t: t.update({"encoder.0.linear.weight": np.ones((1, 59), np.float32)})), WEIGHTS, r"shape \[1, 59\], config.json .* say \[1, 60\]"),
    Case("empty tensors", _set_tensors(lambda t: t.update({k: np.zeros((0,) * v.ndim, np.float32) for k, v in t.items()})), WEIGHTS, "has shape"),
    # pytorch_model.bin
    Case("bin with torch pickle payload", _bin_weights(_torch_payload), "bad/model/pytorch_model.bin", "refused to unpickle"),
    Case("bin that is a plain pickle payload", _bin_weights(_plain_pickle_payload), "bad/model/pytorch_model.bin", "not a torch zip archive"),
    Case("bin zip with payload pickle", _bin_weights(_zip_with_payload), "bad/model/pytorch_model.bin", "cannot read torch archive|refused to unpickle"),
    Case("bin random bytes", _bin_weights(lambda p: p.write_bytes(os.urandom(512))), "bad/model/pytorch_model.bin", "not a torch zip archive"),
    Case("bin empty", _bin_weights(lambda p: p.write_bytes(b"")), "bad/model/pytorch_model.bin", "not a torch zip archive"),
    # config.json
    Case("config truncated", _edit_bytes(CONFIG, lambda b: b[: len(b) // 2]), CONFIG, "truncated JSON"),
    Case("config not JSON", _write(CONFIG, "architecture: yes"), CONFIG, "not valid JSON"),
    Case("config not UTF-8", _write(CONFIG, b"\xff\xfe{}"), CONFIG, "not UTF-8|not valid JSON"),
    Case("config input_dim text", _edit_json(CONFIG, lambda d: d["architecture"].update(input_dim="60")), CONFIG, "'architecture.input_dim' should be an integer, found str"),
    Case("config input_dim bool", _edit_json(CONFIG, lambda d: d["architecture"].update(input_dim=True)), CONFIG, "should be an integer, found bool"),
    Case("config latent_dim missing", _edit_json(CONFIG, lambda d: d["architecture"].pop("latent_dim")), CONFIG, "missing key 'architecture.latent_dim'"),
    Case("config input_dim zero", _edit_json(CONFIG, lambda d: d["architecture"].update(input_dim=0)), CONFIG, "must be positive"),
    Case("config mapping count mismatch", _edit_json(CONFIG, lambda d: d["mapping"]["param_map"][0].update(num_selected=3)), CONFIG, "repr 'all' but selects 3 of 24"),
    Case("config mapping unknown repr", _edit_json(CONFIG, lambda d: d["mapping"]["param_map"][1].update(repr="bits")), CONFIG, "repr' is 'bits'"),
    Case("config mapping not a list", _edit_json(CONFIG, lambda d: d["mapping"].update(param_map={"a": 1})), CONFIG, "'mapping.param_map' should be a list"),
    Case("config is a folder", lambda root: ((root / CONFIG).unlink(), (root / CONFIG).mkdir()), CONFIG, "is a folder"),
    # pruning maps
    Case("mapping indices file missing", lambda root: (_mapping_pruned(root), (root / "bad/model/mapping_indices.safetensors").unlink()), "bad/model/mapping_indices.safetensors", "pruning indices file missing"),
    Case("mapping indices out of range", lambda root: (_mapping_pruned(root), save_file({"L0": np.array([1, 5, 999], np.int32)}, str(root / "bad/model/mapping_indices.safetensors"))), "bad/model/mapping_indices.safetensors", "indices outside 0..23"),
    Case("mapping indices wrong count", lambda root: (_mapping_pruned(root), save_file({"L0": np.array([1, 5], np.int32)}, str(root / "bad/model/mapping_indices.safetensors"))), "bad/model/mapping_indices.safetensors", "selects 2 scalars, config.json says 3"),
    # training.json
    Case("training truncated mid-write", _edit_bytes(TRAINING, lambda b: b[: len(b) * 2 // 3]), TRAINING, "truncated JSON .*still being written", "training"),
    Case("training empty", _write(TRAINING, ""), TRAINING, "file is empty", "training"),
    Case("training a list", _write(TRAINING, "[1, 2, 3]"), TRAINING, "expected a JSON object", "training"),
    Case("training stats missing", _edit_json(TRAINING, lambda d: d.pop("training_stats")), TRAINING, "missing key 'training_stats'", "training"),
    Case("training scores not numbers", _edit_json(TRAINING, lambda d: d["training_stats"].update(scores={"0": "high"})), TRAINING, r"'training_stats.scores\[0\]' should be a number", "training"),
    Case("training step keys not ints", _edit_json(TRAINING, lambda d: d["training_stats"].update(mean_by_class={"first": {}})), TRAINING, "step key 'first'", "training"),
    Case("training deeply nested", _write(TRAINING, "[" * 100000 + "]" * 100000), TRAINING, "nested too deeply|expected a JSON object", "training"),
    # other JSON files
    Case("context not an object", _write("bad/model/gradiend_context.json", '"he"'), "bad/model/gradiend_context.json", "expected a JSON object", "context"),
    Case("context direction text", _write("bad/model/gradiend_context.json", '{"feature_class_encoding_direction": {"he": "up"}}'), "bad/model/gradiend_context.json", "should map class names to numbers", "context"),
    Case("seed report truncated", _write("bad/seeds/seed_report.json", '{"seeds_tried": [0, 1'), "bad/seeds/seed_report.json", "truncated JSON", "seeds"),
    Case("decoder grid results missing", _write("bad/decoder_grid_cache.json", '{"lrs": [1]}'), "bad/decoder_grid_cache.json", "missing key 'results'", "grid"),
    Case("decoder grid entry not object", _write("bad/decoder_grid_cache.json", '{"results": [1]}'), "bad/decoder_grid_cache.json", r"'results\[0\]' should be an object", "grid"),
    # encoded values CSV
    Case("csv missing encoded column", _write(CSV, "text,label\na,1.0\n"), CSV, "missing column encoded", "encoded"),
    Case("csv missing both columns", _write(CSV, "text\na\n"), CSV, "missing columns encoded, label", "encoded"),
    Case("csv non-numeric encoded", _write(CSV, "text,encoded,label\na,0.5,1.0\nb,oops,1.0\n"), CSV, "non-numeric value 'oops' in data row 2", "encoded"),
    Case("csv non-numeric label", _write(CSV, "text,encoded,label\na,0.5,plus\n"), CSV, "column 'label' has non-numeric value 'plus'", "encoded"),
    Case("csv empty", _write(CSV, ""), CSV, "file is empty", "encoded"),
    Case("csv ragged rows", _write(CSV, 'text,encoded,label\n"a,0.5\n'), CSV, "not a readable CSV|missing column", "encoded"),
]


def _tree_digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _engine_message(root: Path, case: Case) -> str:
    bad = root / "bad"
    readers = {
        "training": lambda: read_training(bad / "model" / "training.json"),
        "encoded": lambda: read_encoded(bad / "encoded_values_split_test.csv"),
        "context": lambda: read_context(bad / "model" / "gradiend_context.json"),
        "seeds": lambda: read_seed_report(bad / "seeds" / "seed_report.json"),
        "grid": lambda: read_decoder_grid(bad / "decoder_grid_cache.json"),
    }
    if case.reader in readers:
        with pytest.raises(RunReadError) as info:
            readers[case.reader]()
        return info.value.relative_to(root)
    catalog = discover(root)
    listed = [str(e) for e in catalog.errors if e.path.startswith("bad/")]
    if "bad" not in catalog.runs:
        assert listed, "a broken run must be listed with its reason"
        return listed[0]
    with pytest.raises(RunReadError) as info:
        compare_topk(catalog, ["bad"], "decoder-weight", 5)
    return info.value.relative_to(root)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_file(tmp_path, capsys, case):
    root = tmp_path / "runs"
    write_run(root, "good", seed=1)
    write_run(root, "bad", seed=2)
    case.breaks(root)
    before = _tree_digest(root)

    message = _engine_message(root, case)
    assert "\n" not in message and str(tmp_path) not in message
    assert message.startswith(f"{case.file}: "), message
    assert __import__("re").search(case.problem, message), message

    # the good run still loads and ranks
    catalog = discover(root)
    assert compare_topk(catalog, ["good"], "decoder-weight", 5).sets["good"].k == 5
    read_training(root / "good" / "model" / "training.json")
    read_encoded(root / "good" / "encoded_values_split_test.csv")

    # gradiend-st: one line on stderr, exit 1, when the command reads the broken file
    if case.reader == "topk":
        code = main(["topk", str(root), "--runs", "good", "bad", "--topk", "5"]) if "bad" in catalog.runs else 1
        err = capsys.readouterr().err
        if "bad" in catalog.runs:
            assert code == 1 and err.count("\n") == 1 and case.file in err and "Traceback" not in err
        assert main(["topk", str(root), "--runs", "good", "--topk", "5", "--json"]) == 0
        capsys.readouterr()

    assert _tree_digest(root) == before, "nothing may be written into run folders"
    assert not list(root.rglob("PWNED")), "a pickle payload ran"


def test_suite_size():
    assert len(CASES) >= 50


def test_nan_and_inf_weights_rank_and_are_counted(tmp_path):
    write_run(tmp_path, "r")

    def poison(tensors):
        dec = tensors["decoder.0.linear.weight"]
        dec[:10] = np.nan
        dec[10:12] = np.inf

    path = tmp_path / "r" / "model" / "model.safetensors"
    tensors = load_file(str(path))
    poison(tensors)
    save_file(tensors, str(path))
    result = compare_topk(discover(tmp_path), ["r"], "decoder-weight", 5).sets["r"]
    assert result.nonfinite == 12
    assert result.indices[:2].tolist() == [10, 11]  # +Inf ranks first
    assert not set(result.indices.tolist()) & set(range(10))  # NaN never selected ahead of numbers


def test_bin_without_torch_installed(tmp_path):
    write_run(tmp_path, "r", weights="bin")
    code = ("import sys; sys.modules['torch'] = None\n"
            "from gradiend_st.cli import main\n"
            f"sys.exit(main(['topk', {str(tmp_path)!r}, '--runs', 'r', '--topk', '3']))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "gradiend-st: r/model/pytorch_model.bin: legacy .bin weights need torch: pip install 'gradiend-studio[torch]'"


def test_torch_is_never_imported_for_safetensors_runs(runs_root):
    code = ("import sys\n"
            "from gradiend_st.io.discover import discover\n"
            "from gradiend_st.analysis.comparison import compare_topk\n"
            f"c = discover({str(runs_root)!r})\n"
            "compare_topk(c, ['he_she', 'he_it', 'he_she_preprune'], 'decoder-weight', 10)\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "GRADIEND_ST_CACHE_DIR": "off"})


def test_read_only_run_folders(tmp_path):
    write_run(tmp_path, "r")
    for path in [tmp_path, *tmp_path.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        result = compare_topk(discover(tmp_path), ["r"], "encoder-weight", 4)
        assert result.sets["r"].k == 4
    finally:
        for path in [tmp_path, *tmp_path.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)


def test_unusual_folder_names(tmp_path):
    long_name = "r" * 200
    write_run(tmp_path, long_name)
    odd = os.fsdecode(b"caf\xe9_run")  # not UTF-8: surrogate-escaped by Python
    write_run(tmp_path, odd)
    catalog = discover(tmp_path)
    assert long_name in catalog.runs and odd in catalog.runs
    assert compare_topk(catalog, [long_name, odd], "decoder-weight", 3).counts.shape == (2, 2)


def test_folders_without_read_permission(tmp_path, monkeypatch):
    # Tests run as root here, where chmod does not stop reading: the operating system's refusal is simulated.
    root = tmp_path / "runs"
    write_run(root, "good", seed=1)
    write_run(root, "locked", seed=2)
    real_scandir = os.scandir

    def scandir(path="."):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    catalog = discover(root)
    assert "good" in catalog.runs and "locked" not in catalog.runs
    assert [(e.path, e.error) for e in catalog.errors] == [("locked", "cannot list folder (permission denied?)")]
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != root)
    with pytest.raises(RunReadError, match="permission denied") as info:
        discover(root)
    assert info.value.relative_to(tmp_path) == "runs: permission denied"
