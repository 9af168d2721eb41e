"""A minimal safetensors reader that reads one tensor, or one slice of it, without loading the file.

The format (FORMAT.md §3.1): u64 little-endian header length N, N bytes of JSON header, then raw data.
We validate the header before touching data, so a truncated or hostile file fails with one clear line.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from math import prod
from pathlib import Path

import numpy as np

from gradiend_st.io.errors import RunReadError, os_problem

# numpy has no bfloat16: BF16 is read as uint16 and widened (see `to_float`).
DTYPES: dict[str, np.dtype] = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("u1"),
}
FLOAT_DTYPES = {"F64", "F32", "F16", "BF16"}
MAX_HEADER_BYTES = 100 * 1024 * 1024  # the safetensors library's own limit


@dataclass(frozen=True)
class TensorInfo:
    name: str
    dtype: str
    shape: tuple[int, ...]
    start: int  # absolute byte offset in the file
    nbytes: int

    @property
    def numel(self) -> int:
        return prod(self.shape)


class SafetensorsFile:
    """The header of a safetensors file, validated; tensors are read on demand."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.tensors = _read_header(self.path)

    def info(self, name: str) -> TensorInfo:
        if name not in self.tensors:
            raise RunReadError(self.path, f"missing tensor '{name}'")
        return self.tensors[name]

    def read(self, name: str) -> np.ndarray:
        """The whole tensor (for small tensors such as mapping indices and biases)."""
        info = self.info(name)
        return self.read_flat(name, 0, info.numel).reshape(info.shape)

    def read_flat(self, name: str, begin: int, end: int, out: np.ndarray | None = None) -> np.ndarray:
        """Elements [begin, end) of the row-major flattened tensor, in the file's dtype."""
        info = self.info(name)
        dtype = DTYPES[info.dtype]
        count = end - begin
        if out is None:
            out = np.empty(count, dtype=dtype)
        else:
            out = out[:count]
        with open(self.path, "rb") as handle:
            handle.seek(info.start + begin * dtype.itemsize)
            got = handle.readinto(memoryview(out).cast("B"))
        if got != count * dtype.itemsize:
            raise RunReadError(self.path, f"tensor '{name}' is cut short (file truncated?)")
        return out


def to_float(values: np.ndarray, dtype_name: str) -> np.ndarray:
    """Floating values for comparison: float32 for 16/32-bit types, float64 stays float64 (no precision lost)."""
    if dtype_name == "BF16":
        return (values.astype(np.uint32) << 16).view(np.float32)
    if dtype_name in ("F16", "F32"):
        return values.astype(np.float32, copy=False)
    if dtype_name == "F64":
        return values
    return values.astype(np.float64)


def _read_header(path: Path) -> dict[str, TensorInfo]:
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(8)
            if len(head) < 8:
                raise RunReadError(path, f"file is {size} bytes, too short for a safetensors header")
            (header_len,) = struct.unpack("<Q", head)
            if header_len > MAX_HEADER_BYTES:
                raise RunReadError(path, f"header length {header_len:,} is implausibly large (corrupt file?)")
            if 8 + header_len > size:
                raise RunReadError(path, f"header length {header_len:,} runs past the end of the {size:,}-byte file")
            raw = handle.read(header_len)
    except OSError as exc:
        raise RunReadError(path, os_problem(exc)) from None
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise RunReadError(path, "safetensors header is not valid JSON (not a safetensors file?)") from None
    if not isinstance(header, dict):
        raise RunReadError(path, "safetensors header is not a JSON object")
    data_start = 8 + header_len
    data_size = size - data_start
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        tensors[name] = _tensor_info(path, name, entry, data_start, data_size)
    return tensors


def _tensor_info(path: Path, name: str, entry: object, data_start: int, data_size: int) -> TensorInfo:
    if not isinstance(entry, dict):
        raise RunReadError(path, f"tensor '{name}': header entry is not an object")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise RunReadError(path, f"tensor '{name}': unsupported dtype {dtype!r}")
    if not (isinstance(shape, list) and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)):
        raise RunReadError(path, f"tensor '{name}': shape {shape!r} is not a list of non-negative integers")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)):
        raise RunReadError(path, f"tensor '{name}': data_offsets {offsets!r} is not [begin, end]")
    begin, end = offsets
    if not 0 <= begin <= end <= data_size:
        raise RunReadError(path, f"tensor '{name}': data offsets [{begin}, {end}] lie outside the {data_size:,} data bytes (file truncated?)")
    nbytes = prod(shape) * DTYPES[dtype].itemsize
    if end - begin != nbytes:
        raise RunReadError(path, f"tensor '{name}': {end - begin:,} bytes stored but shape {shape} of {dtype} needs {nbytes:,}")
    return TensorInfo(name, dtype, tuple(shape), data_start + begin, nbytes)
