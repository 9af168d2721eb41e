"""On-disk cache of decoder signs at base indices, beside the top-k cache and keyed the same way (the identity of
the checkpoint's config, weights and mapping files), so a second look at the same runs reads no weights.

An entry holds the indices whose signs were read so far (only ever shared indices: sign agreement never reads more)
and grows as other selections ask for others. A damaged or unwritable entry only costs speed.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np

from gradiend_st.analysis.topk_cache import cache_dir, cache_key
from gradiend_st.io.decoder_weights import decoder_signs_at

KEY = "decoder-weight-sign-latent0"


def cached_signs(checkpoint, base_indices: np.ndarray) -> np.ndarray:
    """`decoder_signs_at(checkpoint, base_indices)`, reading from the weights only the indices not cached yet."""
    wanted = np.asarray(base_indices, dtype=np.int64)
    folder = cache_dir()
    if folder is None or checkpoint.weights_path is None:
        return decoder_signs_at(checkpoint, wanted)
    entry = folder / f"{cache_key(checkpoint, KEY)}.npz"
    known_indices, known_signs = _read(entry)
    at = np.minimum(np.searchsorted(known_indices, wanted), max(len(known_indices) - 1, 0))
    hit = (known_indices[at] == wanted) if len(known_indices) else np.zeros(len(wanted), bool)
    out = np.empty(len(wanted), np.int8)
    out[hit] = known_signs[at[hit]]
    missing = ~hit
    if missing.any():
        out[missing] = decoder_signs_at(checkpoint, wanted[missing])
        merged = np.concatenate([known_indices, wanted[missing]])
        order = np.argsort(merged, kind="stable")
        _write(entry, merged[order], np.concatenate([known_signs, out[missing]])[order])
    return out


def _read(entry) -> tuple[np.ndarray, np.ndarray]:
    try:
        with np.load(entry) as data:
            return data["indices"].astype(np.int64), data["signs"].astype(np.int8)
    except Exception:  # a missing or damaged entry is only a miss
        return np.zeros(0, np.int64), np.zeros(0, np.int8)


def _write(entry, indices: np.ndarray, signs: np.ndarray) -> None:
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=entry.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            np.savez(out, indices=indices, signs=signs)
        os.replace(tmp, entry)  # atomic: a concurrent reader sees the old entry or the new one
    except OSError:
        pass  # a read-only or full cache folder only costs speed
