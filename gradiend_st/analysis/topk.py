"""Top-k most important GRADIEND input dimensions, streamed over the one tensor a part needs.

Importance per part (FORMAT.md §4.1), k from an int or a fraction of the checkpoint's own input_dim (§4.2),
order = descending importance with the lower local index first among equals (the stable rule that reproduces
gradiend's lists exactly). Memory: one chunk of the tensor plus ~2k candidates, whatever the model size.

Non-finite weights: NaN importance ranks below every number (it is never selected ahead of a real value);
+Inf ranks above. The count of non-finite importances is reported so views can say so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from gradiend_st.io.checkpoint import DECODER_BIAS, DECODER_WEIGHT, ENCODER_WEIGHT, Checkpoint
from gradiend_st.io.safetensors_file import to_float

PARTS = ("decoder-weight", "encoder-weight", "decoder-bias", "decoder-sum")
CHUNK_ELEMENTS = 1 << 22  # 4 Mi values per read: 16 MiB of float32


@dataclass(frozen=True)
class TopK:
    part: str
    topk: int | float  # as asked
    k: int  # resolved
    indices: np.ndarray  # base-global indices, most important first (int64)
    importance: np.ndarray  # matching importance values
    nonfinite: int  # NaN/Inf importances seen in the whole tensor


def normalize_part(part: str) -> str:
    name = str(part).strip().lower()
    if name not in PARTS:
        raise ValueError(f"unknown part '{part}': choose one of {', '.join(PARTS)}")
    return name


def parse_topk(text: str | int | float) -> int | float:
    """'100' -> 100 (int), '0.01' -> 0.01 (float), as gradiend distinguishes 1 from 1.0."""
    if isinstance(text, bool):
        raise ValueError("topk must be a positive integer or a fraction in (0, 1]")
    if isinstance(text, (int, float)):
        value = text
    else:
        stripped = str(text).strip()
        try:
            value = int(stripped)
        except ValueError:
            try:
                value = float(stripped)
            except ValueError:
                raise ValueError(f"topk '{text}' is neither an integer nor a fraction") from None
    if isinstance(value, int) and value <= 0:
        raise ValueError(f"topk {value} must be positive")
    if isinstance(value, float) and not 0 < value <= 1:
        raise ValueError(f"topk {value} as a fraction must lie in (0, 1]")
    return value


def resolve_k(topk: int | float, input_dim: int) -> int:
    topk = parse_topk(topk)
    k = math.ceil(topk * input_dim) if isinstance(topk, float) else topk
    return min(max(k, 1), input_dim)


def compute_topk(checkpoint: Checkpoint, part: str, topk: int | float,
                 should_stop: Callable[[], bool] | None = None) -> TopK:
    """Top-k of one checkpoint in base-global index space."""
    part = normalize_part(part)
    k = resolve_k(topk, checkpoint.config.input_dim)
    source = checkpoint.open_weights()
    selector = StreamingTopK(k)
    for offset, values in importance_chunks(source, part, checkpoint.config):
        selector.add(values, offset)
        if should_stop is not None and should_stop():
            raise InterruptedError("top-k computation abandoned")
    local, importance = selector.result()
    return TopK(part, topk, k, checkpoint.to_base(local), importance, selector.nonfinite)


def importance_chunks(source, part: str, config) -> Iterator[tuple[int, np.ndarray]]:
    """(first local index, importance values) for consecutive slices of the input dimension."""
    dim, latent = config.input_dim, config.latent_dim
    rows = max(1, CHUNK_ELEMENTS // max(1, latent))
    has_bias = DECODER_BIAS in source.tensors
    for start in range(0, dim, rows):
        stop = min(dim, start + rows)
        if part == "decoder-bias":
            values = np.abs(_floats(source, DECODER_BIAS, start, stop)) if has_bias else np.zeros(stop - start, np.float32)
        elif part == "encoder-weight":
            # W_enc is [latent, dim]: column L1 norms, one contiguous row segment at a time.
            values = np.abs(_floats(source, ENCODER_WEIGHT, start, stop))
            for row in range(1, latent):
                values += np.abs(_floats(source, ENCODER_WEIGHT, row * dim + start, row * dim + stop))
        else:
            # W_dec is [dim, latent]: rows start..stop are contiguous.
            block = _floats(source, DECODER_WEIGHT, start * latent, stop * latent).reshape(stop - start, latent)
            if part == "decoder-weight":
                values = np.abs(block).sum(axis=1, dtype=block.dtype) if latent > 1 else np.abs(block[:, 0])
            else:  # decoder-sum: |row sum + bias|
                row_sum = block.sum(axis=1, dtype=block.dtype) if latent > 1 else block[:, 0].copy()
                if has_bias:
                    row_sum += _floats(source, DECODER_BIAS, start, stop)
                values = np.abs(row_sum)
        yield start, values


def _floats(source, name: str, begin: int, end: int) -> np.ndarray:
    info = source.info(name)
    return to_float(source.read_flat(name, begin, end), info.dtype)


class StreamingTopK:
    """Exact top-k under the order (value descending, index ascending), fed chunk by chunk."""

    def __init__(self, k: int):
        self.k = k
        self.nonfinite = 0
        self._values: list[np.ndarray] = []
        self._indices: list[np.ndarray] = []
        self._buffered = 0
        self._threshold = -np.inf  # k-th best value so far: anything strictly below can never enter

    def add(self, values: np.ndarray, offset: int) -> None:
        finite = np.isfinite(values)
        if not finite.all():
            self.nonfinite += int((~finite).sum())
            values = np.where(np.isnan(values), -np.inf, values)
        keep = np.flatnonzero(values >= self._threshold) if self._buffered >= self.k else None
        if keep is None:
            local_values, local_idx = values, np.arange(offset, offset + len(values), dtype=np.int64)
        else:
            local_values, local_idx = values[keep], keep.astype(np.int64) + offset
        if len(local_values) > self.k:
            local_values, local_idx = _select(local_values, local_idx, self.k)
        self._values.append(np.asarray(local_values))
        self._indices.append(local_idx)
        self._buffered += len(local_values)
        if self._buffered > 2 * self.k:
            self._compact()

    def _compact(self) -> None:
        values, idx = _select(np.concatenate(self._values), np.concatenate(self._indices), self.k)
        self._values, self._indices, self._buffered = [values], [idx], len(values)
        self._threshold = values.min() if len(values) >= self.k else -np.inf

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """(indices, values) of the top k, best first."""
        if not self._values:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        values, idx = np.concatenate(self._values), np.concatenate(self._indices)
        order = np.lexsort((idx, -values.astype(np.float64)))[: self.k]
        return idx[order], values[order]


def _select(values: np.ndarray, idx: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best (value desc, index asc) entries, unordered; exact also when ties straddle the cut."""
    if len(values) <= k:
        return values, idx
    kth = np.partition(values, len(values) - k)[len(values) - k]
    above = np.flatnonzero(values > kth)
    ties = np.flatnonzero(values == kth)
    if len(ties) > k - len(above):
        ties = ties[np.argsort(idx[ties], kind="stable")[: k - len(above)]]
    chosen = np.concatenate([above, ties])
    return values[chosen], idx[chosen]
