"""The sign of the decoder weight behind each top-k index (for colouring the flow view by sign).

The decoder row of input i is W_dec[i, :] (FORMAT.md §3); its sign is that of W_dec[i, 0] for latent_dim 1 and of
the row sum otherwise (the direction the decoder moves weight i for a positive latent). A few indices are read one
row each; many are streamed chunk by chunk over the rows that hold them, so memory stays one chunk.
"""

from __future__ import annotations

import numpy as np

from gradiend_st.analysis.topk import CHUNK_ELEMENTS
from gradiend_st.io.checkpoint import DECODER_WEIGHT
from gradiend_st.io.safetensors_file import to_float

ROW_BY_ROW = 20_000  # up to this many indices, reading each row costs less than streaming the tensor


def decoder_signs(checkpoint, base_indices: np.ndarray, should_stop=None) -> np.ndarray:
    """+1 / -1 / 0 for each base-global index (in the given order), from the checkpoint's decoder weight."""
    local = _local_indices(checkpoint, np.asarray(base_indices, dtype=np.int64))
    source = checkpoint.open_weights()
    latent = checkpoint.config.latent_dim
    dtype = source.info(DECODER_WEIGHT).dtype
    order = np.argsort(local, kind="stable")
    wanted = local[order]
    sums = np.empty(len(wanted), dtype=np.float64)
    if len(wanted) <= ROW_BY_ROW:
        for i, row in enumerate(wanted.tolist()):
            sums[i] = to_float(source.read_flat(DECODER_WEIGHT, row * latent, (row + 1) * latent), dtype).sum()
    else:
        rows_per_chunk = max(1, CHUNK_ELEMENTS // latent)
        done = 0
        while done < len(wanted):
            first = int(wanted[done])
            stop = first + rows_per_chunk
            upto = int(np.searchsorted(wanted, stop, side="left"))
            last = int(wanted[upto - 1]) + 1
            block = to_float(source.read_flat(DECODER_WEIGHT, first * latent, last * latent), dtype)
            block = block.reshape(last - first, latent).sum(axis=1, dtype=np.float64)
            sums[done:upto] = block[wanted[done:upto] - first]
            done = upto
            if should_stop is not None and should_stop():
                raise InterruptedError("reading decoder signs abandoned")
    signs = np.empty(len(wanted), dtype=np.int8)
    signs[order] = np.sign(np.nan_to_num(sums)).astype(np.int8)
    return signs


def _local_indices(checkpoint, base: np.ndarray) -> np.ndarray:
    """Local input index of each base-global index (the inverse of FORMAT.md §2.3's map)."""
    table = checkpoint.local_to_base
    if table is None:
        return base
    order = np.argsort(table, kind="stable")  # ascending as written by gradiend; sorted anyway, to be safe
    return order[np.minimum(np.searchsorted(table[order], base), len(table) - 1)]
