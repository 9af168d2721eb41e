"""File names of light run bundles (see gradiend_st/bundle.py), for discovery to recognise them."""

from __future__ import annotations

from pathlib import Path

from gradiend_st.io.errors import RunReadError
from gradiend_st.io.jsonfile import read_json_object

MANIFEST = "gradiend_bundle.json"
TOPK_FILE = "gradiend_topk.safetensors"


def read_bundle_manifest(root: Path) -> dict | None:
    path = Path(root) / MANIFEST
    if not path.is_file():
        return None
    data = read_json_object(path, max_bytes=64 * 1024 * 1024)
    if not isinstance(data.get("runs"), dict):
        raise RunReadError(path, "bundle manifest has no 'runs' object")
    return data
