"""On-disk cache of top-k results, keyed by the identity (path, size, mtime) of every file they depend on.

A changed weight, config or mapping file changes the key, so stale entries are never read. Under the strict
order (importance descending, index ascending) top-k is a prefix of top-K for k <= K: one entry per
(checkpoint, part) keeps the largest list computed and answers every smaller k.

Location: $GRADIEND_ST_CACHE_DIR, else $XDG_CACHE_HOME/gradiend-studio, else ~/.cache/gradiend-studio;
GRADIEND_ST_CACHE_DIR=off disables it. Never inside a run folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from gradiend_st.analysis.topk import TopK, compute_topk, normalize_part, resolve_k
from gradiend_st.io.checkpoint import Checkpoint

FORMAT_VERSION = 1


def cache_dir() -> Path | None:
    configured = os.environ.get("GRADIEND_ST_CACHE_DIR")
    if configured and configured.lower() in ("off", "0", "none", "false"):
        return None
    if configured:
        return Path(configured)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "gradiend-studio" / "topk"


def file_identity(path: Path) -> list:
    stat = path.stat()
    return [str(path.resolve()), stat.st_size, stat.st_mtime_ns]


def cache_key(checkpoint: Checkpoint, part: str) -> str:
    files = [checkpoint.folder / "config.json", checkpoint.weights_path]
    files += sorted(checkpoint.folder.glob("mapping_*"))
    identity = [FORMAT_VERSION, part] + [file_identity(p) for p in files if p is not None and p.is_file()]
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:32]


def cached_topk(checkpoint: Checkpoint, part: str, topk: int | float, should_stop=None) -> TopK:
    """`compute_topk`, answered from the disk cache when a large enough list for these exact files exists."""
    part = normalize_part(part)
    k = resolve_k(topk, checkpoint.config.input_dim)
    folder = cache_dir()
    entry = folder / f"{cache_key(checkpoint, part)}.npz" if folder else None
    if entry is not None and entry.is_file():
        hit = _read(entry, part, topk, k)
        if hit is not None:
            return hit
    result = compute_topk(checkpoint, part, topk, should_stop=should_stop)
    if entry is not None:
        _write(entry, result)
    return result


def _read(entry: Path, part: str, topk, k: int) -> TopK | None:
    try:
        with np.load(entry) as data:
            if int(data["k"]) < k:
                return None
            return TopK(part, topk, k, data["indices"][:k].copy(), data["importance"][:k].copy(), int(data["nonfinite"]))
    except Exception:  # a damaged cache file is only a miss
        return None


def _write(entry: Path, result: TopK) -> None:
    if _stored_k(entry) >= result.k:
        return  # keep the longer list: it answers this k too
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=entry.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            np.savez(out, k=result.k, indices=result.indices, importance=result.importance, nonfinite=result.nonfinite)
        os.replace(tmp, entry)  # atomic: a concurrent reader sees the old entry or the new one
    except OSError:
        pass  # a read-only or full cache folder only costs speed


def _stored_k(entry: Path) -> int:
    try:
        with np.load(entry) as data:
            return int(data["k"])
    except Exception:
        return 0
