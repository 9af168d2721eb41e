"""Light run bundles: every small file a view needs, plus top-k lists instead of the weights (`gradiend-st pack`).

A bundle is a zip with the same run folders as ROOT. Each checkpoint folder keeps `config.json`,
`gradiend_context.json` and `training.json`, and gets `gradiend_topk.safetensors` in place of the weights:
per part, `<part>.indices` (base-parameter indices, most important first) and `<part>.importance`; format 2 adds
`decoder-weight.sign` (int8: the sign of the decoder weight at each packed decoder-weight index, for sign agreement).
Bundles of format 1 (no `format` key, no signs) still open: everything but sign agreement works from them.
`gradiend_bundle.json` at the top records the tool version, parts and K per run, and the identity of each
source weight file (size, mtime, sha256 of the first MiB). Work is run by run: memory does not grow with runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from gradiend_st import __version__
from gradiend_st.analysis.topk import PARTS, TopK, normalize_part, resolve_k
from gradiend_st.analysis.topk_cache import cached_topk
from gradiend_st.io.bundle_files import MANIFEST, TOPK_FILE, read_bundle_manifest
from gradiend_st.io.discover import Catalog, Run
from gradiend_st.io.errors import RunReadError
from gradiend_st.io.safetensors_file import SafetensorsFile
from gradiend_st.io.uploads import Limits, UploadError, unpack_zip

CHECKPOINT_FILES = ("config.json", "gradiend_context.json", "training.json", "mapping_indices.safetensors",
                    "mapping_masks.safetensors")
DEFAULT_TOPK_MAX = 10000
FORMAT = 2  # 2: decoder-weight.sign per packed decoder-weight index
SIGNED_PART = "decoder-weight"


def run_files(run: Run) -> list[Path]:
    """The small files of a run that the views read (never weights, plots or stale decoder/*.json)."""
    files = [run.checkpoint_dir / name for name in CHECKPOINT_FILES]
    if run.kind == "run":
        files += [run.seed_report_path, run.decoder_grid_path]
        files += sorted(run.folder.glob("encoded_values_*.csv")) + sorted(run.folder.glob("encoded_values_*.json"))
    return [f for f in files if f.is_file()]


def weights_identity(path: Path) -> dict:
    stat = path.stat()
    with open(path, "rb") as handle:
        head = handle.read(1 << 20)
    return {"file": path.name, "size": stat.st_size, "mtime": stat.st_mtime, "sha256_first_mib": hashlib.sha256(head).hexdigest()}


def pack(catalog: Catalog, run_ids: list[str], out: Path, *, parts: list[str] | None = None,
         topk_max: int | float = DEFAULT_TOPK_MAX, force: bool = False,
         progress: Callable[[int, int, str], None] | None = None) -> dict:
    """Write a bundle of `run_ids` (and their seed checkpoints) to `out`; returns the manifest."""
    out = Path(out)
    if out.exists() and not force:
        raise FileExistsError(f"{out} exists: pass --force to overwrite it")
    parts = [normalize_part(p) for p in (parts or PARTS)]
    runs = _with_seeds(catalog, run_ids)
    manifest = {"tool": "gradiend-studio", "version": __version__, "format": FORMAT,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S"), "topk_max": topk_max, "runs": {}}
    handle, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(handle)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for done, run in enumerate(runs):
                if progress:
                    progress(done, len(runs), run.id)
                manifest["runs"][run.id] = _pack_run(catalog, run, archive, parts, topk_max)
            archive.writestr(MANIFEST, json.dumps(manifest, indent=1))
        os.replace(tmp, out)  # never a half-written bundle under the final name
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    if progress:
        progress(len(runs), len(runs), "")
    return manifest


def _with_seeds(catalog: Catalog, run_ids: list[str]) -> list[Run]:
    ordered: dict[str, Run] = {}
    for rid in run_ids:
        run = catalog.get(rid)
        ordered[rid] = run
        for seed in run.seeds:
            ordered.setdefault(seed, catalog.get(seed))
    return list(ordered.values())


def _pack_run(catalog: Catalog, run: Run, archive: zipfile.ZipFile, parts: list[str], topk_max) -> dict:
    for path in run_files(run):
        archive.write(path, _arcname(catalog, path))
    entry = {"kind": run.kind, "parts": {}}
    if run.bundle is not None:  # re-packing a bundle: keep its lists, at most the K it has
        tensors = _bundle_tensors(run, parts, topk_max)
        entry["weights"] = run.bundle.get("weights")
    elif run.has_weights:
        tensors = {}
        for part in parts:
            result = cached_topk(run.checkpoint, part, topk_max)
            tensors[f"{part}.indices"] = result.indices.astype(np.int64)
            tensors[f"{part}.importance"] = result.importance.astype(np.float32)
            if part == SIGNED_PART:
                from gradiend_st.io.decoder_weights import decoder_signs_at

                tensors[f"{part}.sign"] = decoder_signs_at(run.checkpoint, result.indices)
        entry["weights"] = weights_identity(run.checkpoint.weights_path)
    else:
        return entry  # no weights: the views that need no top-k still work from the bundle
    from safetensors.numpy import save

    archive.writestr(_arcname(catalog, run.checkpoint_dir / TOPK_FILE), save(tensors))
    entry["parts"] = {name[: -len(".indices")]: int(len(t)) for name, t in tensors.items() if name.endswith(".indices")}
    return entry


def _bundle_tensors(run: Run, parts: list[str], topk_max) -> dict[str, np.ndarray]:
    source = SafetensorsFile(run.checkpoint_dir / TOPK_FILE)
    k = resolve_k(topk_max, run.config.input_dim)
    tensors = {}
    for part in parts:
        if f"{part}.indices" in source.tensors:
            tensors[f"{part}.indices"] = source.read(f"{part}.indices")[:k]
            tensors[f"{part}.importance"] = source.read(f"{part}.importance")[:k]
            if f"{part}.sign" in source.tensors:
                tensors[f"{part}.sign"] = source.read(f"{part}.sign")[:k]
    return tensors


def _arcname(catalog: Catalog, path: Path) -> str:
    return path.relative_to(catalog.root).as_posix()


def bundle_topk(run: Run, part: str, topk: int | float, should_stop=None) -> TopK:
    """Top-k of a bundled run: a prefix of the packed list, or a clear error when more was asked than packed."""
    part = normalize_part(part)
    k = resolve_k(topk, run.config.input_dim)
    packed = int(run.bundle.get("parts", {}).get(part, 0))
    path = run.checkpoint_dir / TOPK_FILE
    if packed == 0:
        raise RunReadError(path, f"part {part} was not packed for {run.id}: gradiend-st pack ROOT --runs {run.id} --parts {part}")
    if k > packed:
        raise RunReadError(path, f"{run.id} was packed with top {packed:,} for {part}, {k:,} asked: "
                                 f"gradiend-st pack ROOT --runs {run.id} --topk-max {k}")
    source = SafetensorsFile(path)
    indices = source.read(f"{part}.indices")
    if len(indices) != packed:
        raise RunReadError(path, f"'{part}.indices' holds {len(indices):,} entries, the manifest says {packed:,}")
    if len(indices) and (indices.min() < 0 or indices.max() >= run.config.base_dim):
        raise RunReadError(path, f"'{part}.indices' has indices outside the base space 0..{run.config.base_dim - 1}")
    importance = source.read(f"{part}.importance")
    return TopK(part, topk, k, indices[:k].astype(np.int64), importance[:k], 0)


def bundle_signs(run: Run, base_indices: np.ndarray) -> np.ndarray | None:
    """Decoder-weight signs of a bundled run at base indices (+1/-1/0; NaN where the index was not packed), or None
    when the bundle has no signs (format 1)."""
    path = run.checkpoint_dir / TOPK_FILE
    source = SafetensorsFile(path)
    if f"{SIGNED_PART}.sign" not in source.tensors:
        return None
    indices = source.read(f"{SIGNED_PART}.indices").astype(np.int64)
    packed = source.read(f"{SIGNED_PART}.sign")
    if len(packed) != len(indices):
        raise RunReadError(path, f"'{SIGNED_PART}.sign' holds {len(packed):,} entries for {len(indices):,} indices")
    order = np.argsort(indices, kind="stable")
    wanted = np.asarray(base_indices, dtype=np.int64)
    at = np.minimum(np.searchsorted(indices[order], wanted), max(len(indices) - 1, 0))
    found = np.full(len(wanted), np.nan)
    if len(indices):
        hit = indices[order][at] == wanted
        found[hit] = packed[order][at[hit]]
    return found


# Merging unpacks each bundle with the upload safety checks (no path leaves its folder, no bombs), with room for
# top-1 % bundles of many bert-base runs (4 parts x 1.09M x 12 bytes = 52 MB per run).
MERGE_LIMITS = Limits(max_total_bytes=32 * 1024**3, max_members=200_000)


def merge(bundles: list[Path], out: Path, *, force: bool = False) -> dict:
    """One bundle from several; a run id in two bundles must come from the same weights."""
    out = Path(out)
    if out.exists() and not force:
        raise FileExistsError(f"{out} exists: pass --force to overwrite it")
    manifest = {"tool": "gradiend-studio", "version": __version__, "format": FORMAT,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S"), "runs": {}}
    handle, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(handle)
    try:
        written: set[str] = set()
        with tempfile.TemporaryDirectory(prefix="gradiend-merge-") as work, \
                zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as target:
            for n, bundle in enumerate(map(Path, bundles)):
                unpacked = Path(work) / str(n)
                root = _unpack_bundle(bundle, unpacked)
                for rid, entry in read_bundle_manifest(root)["runs"].items():
                    known = manifest["runs"].get(rid)
                    if known is not None and known.get("weights") != entry.get("weights"):
                        raise RunReadError(bundle, f"run {rid} is also in an earlier bundle, from other weights")
                    manifest["runs"][rid] = entry
                for path in sorted(root.rglob("*")):
                    name = path.relative_to(root).as_posix()
                    if path.is_file() and name != MANIFEST and name not in written:
                        target.write(path, name)
                        written.add(name)
                shutil.rmtree(unpacked)  # disk use: one unpacked bundle at a time
            target.writestr(MANIFEST, json.dumps(manifest, indent=1))
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return manifest


def _unpack_bundle(bundle: Path, dest: Path) -> Path:
    try:
        root = unpack_zip(bundle, dest, MERGE_LIMITS, name=bundle.name)
    except UploadError as exc:
        raise RunReadError(bundle, str(exc)) from None
    if not (root / MANIFEST).is_file():
        raise RunReadError(bundle, f"not a gradiend-st bundle (no {MANIFEST} at the top)")
    return root
