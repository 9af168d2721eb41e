"""Reading JSON files with size limits and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gradiend_st.io.errors import RunReadError, os_problem

# training.json of long bert-base runs holds every validation row per eval step; far beyond that is not a run file.
MAX_JSON_BYTES = 512 * 1024 * 1024


def read_json(path: Path, *, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """Parse a JSON file (NaN/Infinity accepted, as gradiend writes them)."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise RunReadError(path, f"file is {size:,} bytes, more than the {max_bytes:,} allowed for JSON")
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise RunReadError(path, os_problem(exc)) from None
    if not raw.strip():
        raise RunReadError(path, "file is empty")
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise RunReadError(path, "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        # Cut short: the error sits at the very end, or a string never closes (a write stopped mid-value).
        truncated = exc.pos >= len(raw.rstrip()) - 1 or exc.msg.startswith("Unterminated string")
        reason = "truncated JSON (file ends early; still being written?)" if truncated else "not valid JSON"
        raise RunReadError(path, f"{reason} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise RunReadError(path, "JSON nested too deeply") from None


def read_json_object(path: Path, *, max_bytes: int = MAX_JSON_BYTES) -> dict:
    """Like `read_json`, but the top level must be an object."""
    data = read_json(path, max_bytes=max_bytes)
    if not isinstance(data, dict):
        raise RunReadError(path, f"expected a JSON object at the top level, found {type(data).__name__}")
    return data


def require(mapping: dict, key: str, kind: type | tuple[type, ...], path: Path, where: str = "") -> Any:
    """`mapping[key]` checked for presence and type, else a RunReadError naming the key."""
    label = f"{where}.{key}" if where else key
    if key not in mapping:
        raise RunReadError(path, f"missing key '{label}'")
    value = mapping[key]
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise RunReadError(path, f"'{label}' should be {_kind_name(kind)}, found bool")
    if not isinstance(value, kind):
        raise RunReadError(path, f"'{label}' should be {_kind_name(kind)}, found {type(value).__name__}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {int: "an integer", float: "a number", str: "text", list: "a list", dict: "an object", bool: "true/false"}
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in kinds))
