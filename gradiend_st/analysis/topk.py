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
from gradiend_st.io.safetensors_file import DTYPES, to_float

PARTS = ("decoder-weight", "encoder-weight", "decoder-bias", "decoder-sum")
CHUNK_ELEMENTS = 1 << 22  # 4 Mi values per read: 16 MiB of float32
# A sample of the importance (64 blocks spread over the tensor) gives a provisional floor that skips most
# values at once; when fewer than k values turn out to reach it, a second, unfloored pass keeps the result exact.
SAMPLE_BLOCKS = 64
SAMPLE_BLOCK_ELEMENTS = 1 << 14
SAMPLE_MIN_DIM = 4 * CHUNK_ELEMENTS  # smaller tensors are a few chunks: no sample needed
SAMPLE_MARGIN = 2.0  # the floor sits where the sample expects this many times k values ...
SAMPLE_MIN_RANK = 50  # ... and at least this far down the sample (small k: the estimate is noisy)


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


def topk_text(topk: int | float) -> str:
    """'Top-100' for an int, 'Top 1%' for a fraction (gradiend distinguishes them, FORMAT.md §4.2)."""
    return f"Top-{topk}" if isinstance(topk, int) else f"Top {topk * 100:g}%"


def resolve_k(topk: int | float, input_dim: int) -> int:
    topk = parse_topk(topk)
    k = math.ceil(topk * input_dim) if isinstance(topk, float) else topk
    return min(max(k, 1), input_dim)


def compute_topk(checkpoint: Checkpoint, part: str, topk: int | float,
                 should_stop: Callable[[], bool] | None = None) -> TopK:
    """Top-k of one checkpoint in base-global index space."""
    part = normalize_part(part)
    config = checkpoint.config
    k = resolve_k(topk, config.input_dim)
    source = checkpoint.open_weights()
    selector = _stream(source, part, config, StreamingTopK(k, floor=_sampled_floor(source, part, config, k)), should_stop)
    if selector.short:  # the sample overestimated the floor (rare): one exact pass without it
        selector = _stream(source, part, config, StreamingTopK(k), should_stop)
    local, importance = selector.result()
    return TopK(part, topk, k, checkpoint.to_base(local), importance, selector.nonfinite)


def _stream(source, part: str, config, selector: StreamingTopK, should_stop) -> StreamingTopK:
    for offset, values in importance_chunks(source, part, config):
        selector.add(values, offset)
        if should_stop is not None and should_stop():
            raise InterruptedError("top-k computation abandoned")
    return selector


def _sampled_floor(source, part: str, config, k: int) -> float:
    """A value about SAMPLE_MARGIN * k importances reach, from blocks spread over the tensor (-inf: no floor)."""
    dim = config.input_dim
    if dim < SAMPLE_MIN_DIM or k >= dim:
        return -np.inf
    starts = np.linspace(0, dim - SAMPLE_BLOCK_ELEMENTS, SAMPLE_BLOCKS).astype(np.int64)
    ranges = [(int(a), int(a) + SAMPLE_BLOCK_ELEMENTS) for a in starts]
    sample = np.concatenate([values.copy() for _, values in importance_chunks(source, part, config, ranges)])
    sample[np.isnan(sample)] = -np.inf
    rank = int(max(SAMPLE_MARGIN * k * len(sample) / dim, SAMPLE_MIN_RANK))
    if rank >= len(sample):
        return -np.inf
    return float(np.partition(sample, len(sample) - rank)[len(sample) - rank])


def importance_chunks(source, part: str, config,
                      ranges: list[tuple[int, int]] | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """(first local index, importance values) for consecutive slices of the input dimension, or for `ranges`.

    Values live in read buffers reused across chunks (fresh 16 MiB allocations cost more than the reads):
    the yielded array is overwritten by the next chunk, so consumers copy what they keep.
    """
    dim, latent = config.input_dim, config.latent_dim
    rows = max(1, CHUNK_ELEMENTS // max(1, latent))
    has_bias = DECODER_BIAS in source.tensors
    buffers: dict[str, np.ndarray] = {}
    for start, stop in ranges or ((start, min(dim, start + rows)) for start in range(0, dim, rows)):
        if part == "decoder-bias":
            values = _floats(source, DECODER_BIAS, start, stop, buffers) if has_bias else np.zeros(stop - start, np.float32)
        elif part == "encoder-weight":
            # W_enc is [latent, dim]: column L1 norms, one contiguous row segment at a time.
            values = _floats(source, ENCODER_WEIGHT, start, stop, buffers)
            if latent > 1:
                values = np.abs(values)  # an accumulator of its own: the read buffer is reused per row
                for row in range(1, latent):
                    values += np.abs(_floats(source, ENCODER_WEIGHT, row * dim + start, row * dim + stop, buffers))
        else:
            # W_dec is [dim, latent]: rows start..stop are contiguous.
            block = _floats(source, DECODER_WEIGHT, start * latent, stop * latent, buffers).reshape(stop - start, latent)
            if latent == 1:
                values = block[:, 0]
            elif part == "decoder-weight":
                values = np.abs(block).sum(axis=1, dtype=block.dtype)
            else:
                values = block.sum(axis=1, dtype=block.dtype)
            if part == "decoder-sum" and has_bias:
                values += _floats(source, DECODER_BIAS, start, stop, buffers)
        yield start, np.abs(values, out=values)


def _floats(source, name: str, begin: int, end: int, buffers: dict) -> np.ndarray:
    """Elements [begin, end) of a tensor as floats, in a buffer this call owns (safe to modify in place)."""
    info = source.info(name)
    have = buffers.get(name)
    if have is None or len(have) < end - begin:
        have = buffers[name] = np.empty(end - begin, DTYPES[info.dtype])
    raw = source.read_flat(name, begin, end, out=have)
    return to_float(raw, info.dtype) if info.dtype != "F32" else raw


class StreamingTopK:
    """Exact top-k under the order (value descending, index ascending), fed chunk by chunk in index order.

    Candidates are kept in ascending index order, so among equal values the earlier position is the lower index.
    """

    def __init__(self, k: int, floor: float = -np.inf):
        self.k = k
        self.nonfinite = 0
        self._values: list[np.ndarray] = []
        self._indices: list[np.ndarray] = []
        self._buffered = 0
        self._seen = 0  # candidates that reached the threshold, over all chunks
        # Anything strictly below the threshold never enters: a value at least k candidates reach, or a
        # provisional floor, which is only right if k values reach it in the end (see `short`).
        self._threshold = self._floor = floor

    @property
    def short(self) -> bool:
        """Fewer than k values reached a provisional floor: the result would miss some, stream again without it."""
        return self._floor > -np.inf and self._seen < self.k

    def add(self, values: np.ndarray, offset: int) -> None:
        if not np.isfinite(values.sum(dtype=np.float64)):  # one cheap pass; the exact count only when needed
            self.nonfinite += int((~np.isfinite(values)).sum())
            values = np.where(np.isnan(values), -np.inf, values)
        if self._threshold > -np.inf:
            positions = np.flatnonzero(values >= self._threshold)
            chunk_values = values[positions]
        else:
            positions, chunk_values = None, values
        if len(chunk_values) > self.k:
            chosen = _select_positions(chunk_values, self.k)
            positions = chosen if positions is None else positions[chosen]
            chunk_values = chunk_values[chosen]
            self._threshold = max(self._threshold, chunk_values.min())
        elif positions is None:
            chunk_values = chunk_values.copy()  # `values` is a reused buffer
        idx = (np.arange(len(chunk_values), dtype=np.int64) if positions is None else positions.astype(np.int64)) + offset
        self._values.append(chunk_values)
        self._indices.append(idx)
        self._buffered += len(chunk_values)
        self._seen += len(chunk_values)
        if self._buffered > 2 * self.k:
            self._compact()

    def _compact(self) -> None:
        values, idx = np.concatenate(self._values), np.concatenate(self._indices)
        chosen = _select_positions(values, self.k)
        self._values, self._indices, self._buffered = [values[chosen]], [idx[chosen]], len(chosen)
        self._threshold = max(self._threshold, self._values[0].min())

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """(indices, values) of the top k, best first."""
        if not self._values:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        values, idx = np.concatenate(self._values), np.concatenate(self._indices)
        if len(values) > self.k:
            chosen = _select_positions(values, self.k)
            values, idx = values[chosen], idx[chosen]
        return _order_best_first(values, idx)


def _order_best_first(values: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort by (value desc, index asc). For non-negative float32 values below 2**32 indices, one uint64 key
    (inverted value bits, then index) sorts exactly and ~3x faster than a stable float argsort."""
    if values.dtype == np.float32 and len(idx) and idx.max() < 2**32 and values.min() >= 0:
        keys = ((~values.view(np.uint32)).astype(np.uint64) << np.uint64(32)) | idx.astype(np.uint64)
        keys.sort()
        idx = (keys & np.uint64(0xFFFFFFFF)).astype(np.int64)
        values = (~(keys >> np.uint64(32)).astype(np.uint32)).view(np.float32)
        return idx, values
    order = np.lexsort((idx, -values.astype(np.float64)))
    return idx[order], values[order]


def _select_positions(values: np.ndarray, k: int) -> np.ndarray:
    """Ascending positions of the k best entries (value desc, position asc); exact when ties straddle the cut."""
    kth = np.partition(values, len(values) - k)[len(values) - k]
    above = np.flatnonzero(values > kth)
    ties = np.flatnonzero(values == kth)[: k - len(above)]
    return np.sort(np.concatenate([above, ties]))
