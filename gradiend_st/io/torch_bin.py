"""Legacy `pytorch_model.bin` / `.pth` weights (torch zip pickles, FORMAT.md §3.2).

torch is imported here, and only when such a file is opened. `weights_only=True` restricts unpickling to
tensors and plain containers, so a pickle carrying a code payload is refused, never executed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gradiend_st.io.errors import RunReadError
from gradiend_st.io.safetensors_file import TensorInfo

_TORCH_TO_SAFETENSORS = {
    "torch.float64": "F64", "torch.float32": "F32", "torch.float16": "F16", "torch.bfloat16": "BF16",
    "torch.int64": "I64", "torch.int32": "I32", "torch.int16": "I16", "torch.int8": "I8",
    "torch.uint8": "U8", "torch.bool": "BOOL",
}


class TorchBinFile:
    """Same reading interface as `SafetensorsFile`, over a state dict loaded with `weights_only=True`."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._arrays: dict[str, np.ndarray] = {}
        self.tensors: dict[str, TensorInfo] = {}
        for name, tensor in _load_state_dict(self.path).items():
            dtype = _TORCH_TO_SAFETENSORS.get(str(tensor.dtype))
            if dtype is None:
                raise RunReadError(self.path, f"tensor '{name}': unsupported dtype {tensor.dtype}")
            tensor = tensor.detach().contiguous()
            # numpy has no bfloat16: keep the raw bits, as the safetensors reader does.
            array = tensor.view(_int_view(tensor)).numpy() if dtype == "BF16" else tensor.numpy()
            if dtype == "BF16":
                array = array.view(np.uint16)
            self._arrays[name] = array
            self.tensors[name] = TensorInfo(name, dtype, tuple(array.shape), 0, array.nbytes)

    def info(self, name: str) -> TensorInfo:
        if name not in self.tensors:
            raise RunReadError(self.path, f"missing tensor '{name}'")
        return self.tensors[name]

    def read(self, name: str) -> np.ndarray:
        self.info(name)
        return self._arrays[name]

    def read_flat(self, name: str, begin: int, end: int, out: np.ndarray | None = None) -> np.ndarray:
        self.info(name)
        part = self._arrays[name].reshape(-1)[begin:end]
        if out is None:
            return part.copy()
        out = out[: end - begin]
        out[:] = part  # a copy the caller may modify; the loaded state dict stays untouched
        return out


def _int_view(tensor):
    import torch

    return torch.int16 if tensor.element_size() == 2 else torch.int32


def _load_state_dict(path: Path) -> dict:
    try:
        import torch
    except ImportError:
        raise RunReadError(path, "legacy .bin weights need torch: pip install 'gradiend-studio[torch]'") from None
    import pickle
    import zipfile

    if not zipfile.is_zipfile(path):
        # Legacy (pre-1.6) torch pickles are not zip archives; gradiend never wrote them.
        raise RunReadError(path, "not a torch zip archive (corrupt, or not written by torch.save)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except pickle.UnpicklingError as exc:
        first = str(exc).strip().splitlines()
        detail = next((line for line in first if "global" in line.lower()), first[0] if first else "")
        raise RunReadError(path, f"refused to unpickle: the file holds more than tensors ({detail.strip()[:160]})") from None
    except Exception as exc:  # torch raises many types for corrupt archives
        raise RunReadError(path, f"cannot read torch archive ({type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''})") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise RunReadError(path, "expected a state dict of tensors")
    return state
