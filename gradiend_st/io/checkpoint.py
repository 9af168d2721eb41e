"""GRADIEND checkpoint folders: `config.json`, weights and pruning maps (FORMAT.md §2–3)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from math import prod
from pathlib import Path

import numpy as np

from gradiend_st.io.errors import RunReadError
from gradiend_st.io.jsonfile import read_json_object, require
from gradiend_st.io.safetensors_file import FLOAT_DTYPES, SafetensorsFile

ENCODER_WEIGHT = "encoder.0.linear.weight"
DECODER_WEIGHT = "decoder.0.linear.weight"
DECODER_BIAS = "decoder.0.linear.bias"
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
REPRS = ("all", "indices", "mask")


@dataclass(frozen=True)
class ParamEntry:
    name: str
    shape: tuple[int, ...]
    repr: str
    key: str | None
    num_selected: int

    @property
    def numel(self) -> int:
        return prod(self.shape)


@dataclass(frozen=True)
class GradiendConfig:
    input_dim: int
    latent_dim: int
    bias_decoder: bool
    torch_dtype: str
    mapping_mode: str | None
    param_map: tuple[ParamEntry, ...]
    indices_file: str | None
    masks_file: str | None
    metadata: dict = field(hash=False, compare=False)

    @property
    def pruned(self) -> bool:
        return any(e.repr != "all" for e in self.param_map)

    @property
    def base_dim(self) -> int:
        """Size of the base-parameter index space (all mapped parameters, unpruned)."""
        return sum(e.numel for e in self.param_map) if self.param_map else self.input_dim

    @property
    def param_signature(self) -> str:
        """Identity of the base index space: top-k indices compare only between equal signatures."""
        names = [(e.name, list(e.shape)) for e in self.param_map] or [("input", [self.input_dim])]
        return hashlib.sha1(json.dumps(names).encode()).hexdigest()[:12]


MAX_CONFIG_BYTES = 256 * 1024 * 1024


def read_config(path: Path, data: dict | None = None) -> GradiendConfig:
    """Parse config.json (or validate `data` already parsed from it)."""
    data = read_json_object(path, max_bytes=MAX_CONFIG_BYTES) if data is None else data
    arch = require(data, "architecture", dict, path)
    input_dim = require(arch, "input_dim", int, path, "architecture")
    latent_dim = require(arch, "latent_dim", int, path, "architecture")
    if input_dim < 1 or latent_dim < 1:
        raise RunReadError(path, f"input_dim {input_dim} and latent_dim {latent_dim} must be positive")
    mapping = data.get("mapping")
    entries: tuple[ParamEntry, ...] = ()
    if mapping is not None:
        if not isinstance(mapping, dict):
            raise RunReadError(path, "'mapping' should be an object or null")
        raw_entries = require(mapping, "param_map", list, path, "mapping")
        entries = tuple(_param_entry(path, i, e) for i, e in enumerate(raw_entries))
        selected = sum(e.num_selected for e in entries)
        if entries and selected != input_dim:
            raise RunReadError(path, f"mapping selects {selected:,} scalars but input_dim is {input_dim:,}")
    return GradiendConfig(
        input_dim=input_dim,
        latent_dim=latent_dim,
        bias_decoder=bool(arch.get("bias_decoder", True)),
        torch_dtype=str(arch.get("torch_dtype", "float32")),
        mapping_mode=mapping.get("mode") if isinstance(mapping, dict) else None,
        param_map=entries,
        indices_file=(mapping or {}).get("indices_file") or (mapping or {}).get("input_index_map_file"),
        masks_file=(mapping or {}).get("masks_file"),
        metadata=data.get("metadata") if isinstance(data.get("metadata"), dict) else {},
    )


def _param_entry(path: Path, i: int, raw: object) -> ParamEntry:
    where = f"mapping.param_map[{i}]"
    if not isinstance(raw, dict):
        raise RunReadError(path, f"'{where}' should be an object")
    shape = require(raw, "shape", list, path, where)
    if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise RunReadError(path, f"'{where}.shape' should be a list of non-negative integers")
    rep = raw.get("repr", "all")
    if rep not in REPRS:
        raise RunReadError(path, f"'{where}.repr' is {rep!r}, expected one of {', '.join(REPRS)}")
    numel = prod(shape)
    num = raw.get("num_selected", numel)
    if not isinstance(num, int) or not 0 <= num <= numel:
        raise RunReadError(path, f"'{where}.num_selected' {num!r} is not between 0 and {numel}")
    if rep == "all" and num != numel:
        raise RunReadError(path, f"'{where}' has repr 'all' but selects {num} of {numel}")
    key = raw.get("key", f"L{i}")
    return ParamEntry(str(require(raw, "name", str, path, where)), tuple(shape), rep, key if rep != "all" else None, num)


class Checkpoint:
    """A checkpoint folder: validated config, weight file, and the local → base-global index map."""

    def __init__(self, folder: Path, config_data: dict | None = None):
        self.folder = Path(folder)
        self.config = read_config(self.folder / "config.json", config_data)
        self.weights_path = next((self.folder / f for f in WEIGHT_FILES if (self.folder / f).is_file()), None)

    @property
    def format(self) -> str | None:
        if self.weights_path is None:
            return None
        return "safetensors" if self.weights_path.suffix == ".safetensors" else "bin"

    def open_weights(self):
        """The weight file as a tensor source (`SafetensorsFile` or `TorchBinFile`), shapes checked."""
        if self.weights_path is None:
            raise RunReadError(self.folder, "no weights (model.safetensors or pytorch_model.bin); deleted after training?")
        if self.format == "safetensors":
            source = SafetensorsFile(self.weights_path)
        else:
            from gradiend_st.io.torch_bin import TorchBinFile

            source = TorchBinFile(self.weights_path)
        self._check_shapes(source)
        return source

    def check_weights_header(self) -> None:
        """Cheap validation for discovery: safetensors header only (a .bin would need torch)."""
        if self.weights_path is None:
            raise RunReadError(self.folder, "no weights (model.safetensors or pytorch_model.bin); deleted after training?")
        if self.format == "safetensors":
            self._check_shapes(SafetensorsFile(self.weights_path))

    def _check_shapes(self, source) -> None:
        d, latent = self.config.input_dim, self.config.latent_dim
        expected = {ENCODER_WEIGHT: (latent, d), DECODER_WEIGHT: (d, latent)}
        if self.config.bias_decoder or DECODER_BIAS in source.tensors:
            expected[DECODER_BIAS] = (d,)
        for name, shape in expected.items():
            info = source.info(name)
            if info.shape != shape:
                raise RunReadError(source.path, f"tensor '{name}' has shape {list(info.shape)}, config.json input_dim/latent_dim say {list(shape)}")
            if info.dtype not in FLOAT_DTYPES:
                raise RunReadError(source.path, f"tensor '{name}' has non-float dtype {info.dtype}")

    @cached_property
    def local_to_base(self) -> np.ndarray | None:
        """base[i] = base-global index of local input i (FORMAT.md §2.3); None when the map is the identity."""
        entries = self.config.param_map
        if not self.config.pruned:
            return None
        indices_src = self._mapping_source(self.config.indices_file, "indices") if any(e.repr == "indices" for e in entries) else None
        masks_src = self._mapping_source(self.config.masks_file, "mask") if any(e.repr == "mask" for e in entries) else None
        parts, offset = [], 0
        for entry in entries:
            if entry.repr == "all":
                selected = np.arange(entry.numel, dtype=np.int64)
            elif entry.repr == "indices":
                selected = np.asarray(indices_src.read(entry.key), dtype=np.int64).reshape(-1)
            else:
                selected = np.flatnonzero(np.asarray(masks_src.read(entry.key)).reshape(-1)).astype(np.int64)
            self._check_selection(entry, selected, indices_src if entry.repr == "indices" else masks_src)
            parts.append(selected + offset)
            offset += entry.numel
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def _check_selection(self, entry: ParamEntry, selected: np.ndarray, source) -> None:
        path = source.path if source is not None else self.folder / "config.json"
        if len(selected) != entry.num_selected:
            raise RunReadError(path, f"'{entry.key}' ({entry.name}) selects {len(selected):,} scalars, config.json says {entry.num_selected:,}")
        if len(selected) and (selected.min() < 0 or selected.max() >= entry.numel):
            raise RunReadError(path, f"'{entry.key}' ({entry.name}) has indices outside 0..{entry.numel - 1}")

    def _mapping_source(self, file_name: str | None, kind: str):
        name = file_name or f"mapping_{'indices' if kind == 'indices' else 'masks'}.safetensors"
        path = self.folder / name
        if not path.is_file():
            raise RunReadError(path, f"pruning {kind} file missing (config.json lists {kind} entries)")
        if path.suffix == ".safetensors":
            return SafetensorsFile(path)
        from gradiend_st.io.torch_bin import TorchBinFile

        return TorchBinFile(path)

    def to_base(self, local: np.ndarray) -> np.ndarray:
        """Map local input indices to base-global indices."""
        local = np.asarray(local, dtype=np.int64)
        table = self.local_to_base
        return local if table is None else table[local]
