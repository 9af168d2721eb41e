"""Decoder weights at chosen base-parameter indices, reading only those values (FORMAT.md §2.3, §3).

Sign agreement and bundles need `decoder.0.linear.weight[i, 0]` (latent 0: the feature dimension) at some indices
of a model with ~10^8 inputs. A safetensors file is memory-mapped and only the pages holding those values are
touched (bert-base, 70,000 indices: ~0.05 s from the page cache, against ~0.7 s to stream the whole tensor); a
legacy `.bin` is loaded by torch (mmap), as everywhere else.
"""

from __future__ import annotations

import numpy as np

from gradiend_st.io.checkpoint import DECODER_WEIGHT, Checkpoint
from gradiend_st.io.errors import RunReadError
from gradiend_st.io.safetensors_file import DTYPES, SafetensorsFile, to_float

WINDOW = 1 << 24  # elements mapped at once: 64 MiB of float32


def local_indices(checkpoint: Checkpoint, base_indices: np.ndarray) -> np.ndarray:
    """The checkpoint's local input index of each base-global index (each must be an input of this checkpoint)."""
    base_indices = np.asarray(base_indices, dtype=np.int64)
    table = checkpoint.local_to_base  # ascending: selections in param_map order, offsets increasing (§2.3)
    if table is None:
        if len(base_indices) and (base_indices.min() < 0 or base_indices.max() >= checkpoint.config.input_dim):
            raise RunReadError(checkpoint.folder / "config.json", "a base index lies outside the checkpoint's inputs")
        return base_indices
    local = np.minimum(np.searchsorted(table, base_indices), max(len(table) - 1, 0))
    if len(local) and not np.array_equal(table[local], base_indices):
        raise RunReadError(checkpoint.folder / "config.json", "a base index is not an input of this pruned checkpoint")
    return local


def decoder_weights_at(checkpoint: Checkpoint, base_indices: np.ndarray) -> np.ndarray:
    """`W_dec[local(i), 0]` for each base index i, as floats (float64 stays float64)."""
    positions = local_indices(checkpoint, base_indices) * checkpoint.config.latent_dim  # row-major [dim, latent]
    source = checkpoint.open_weights()  # validates shapes and dtypes
    info = source.info(DECODER_WEIGHT)
    if isinstance(source, SafetensorsFile):
        order = None if len(positions) < 2 or (positions[1:] >= positions[:-1]).all() else \
            np.argsort(positions, kind="stable")  # ascending reads: each page is touched once
        ascending = positions if order is None else positions[order]
        values = _mapped_values(source.path, DTYPES[info.dtype], info.start, info.numel, ascending)
        raw = values if order is None else np.empty_like(values)
        if order is not None:
            raw[order] = values
    else:
        raw = np.asarray(source.read(DECODER_WEIGHT)).reshape(-1)[positions]
    return to_float(raw, info.dtype)


def _mapped_values(path, dtype: np.dtype, start: int, numel: int, ascending: np.ndarray) -> np.ndarray:
    """Values at ascending element positions, one memory-mapped window at a time (the pages a window maps count
    as the process's memory until it is unmapped: windows keep that at WINDOW elements)."""
    out = np.empty(len(ascending), dtype)
    bounds = np.searchsorted(ascending, np.arange(0, numel + WINDOW, WINDOW))
    for window, (first, stop) in enumerate(zip(bounds[:-1], bounds[1:], strict=False)):
        if stop > first:
            begin = window * WINDOW
            mapped = np.memmap(path, dtype=dtype, mode="r", offset=start + begin * dtype.itemsize,
                               shape=(min(WINDOW, numel - begin),))
            out[first:stop] = mapped[ascending[first:stop] - begin]
            del mapped
    return out


def decoder_signs_at(checkpoint: Checkpoint, base_indices: np.ndarray) -> np.ndarray:
    """+1 / -1 / 0 (int8) of `W_dec[local(i), 0]` for each base index (NaN counts as 0: it moves nothing)."""
    return np.sign(np.nan_to_num(decoder_weights_at(checkpoint, base_indices), nan=0.0)).astype(np.int8)
