"""`decoder_grid_cache.json` (FORMAT.md §8); the stale `decoder/*.json` files are never read."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gradiend_st.io.errors import RunReadError
from gradiend_st.io.jsonfile import read_json_object


@dataclass
class DecoderGridPoint:
    feature_factor: float | None  # None for the base entry
    learning_rate: float | None
    probs: dict[str, float]
    probs_factual: dict[str, float]
    lms: float | None


@dataclass
class DecoderGrid:
    path: Path
    split: str | None
    feature_factors: list[float]
    lrs: list[float]
    base: DecoderGridPoint | None
    points: list[DecoderGridPoint] = field(repr=False)


def read_decoder_grid(path: Path) -> DecoderGrid:
    data = read_json_object(path)
    results = data.get("results")
    if not isinstance(results, list):
        raise RunReadError(path, "missing key 'results'" if results is None else "'results' should be a list")
    base, points = None, []
    for i, entry in enumerate(results):
        if not isinstance(entry, dict):
            raise RunReadError(path, f"'results[{i}]' should be an object")
        point = _point(entry)
        if entry.get("id") == "base":
            base = point
        else:
            points.append(point)
    return DecoderGrid(
        path=path,
        split=data.get("split") if isinstance(data.get("split"), str) else None,
        feature_factors=[float(x) for x in data.get("feature_factors", []) if isinstance(x, (int, float))],
        lrs=[float(x) for x in data.get("lrs", []) if isinstance(x, (int, float))],
        base=base,
        points=points,
    )


def _point(entry: dict) -> DecoderGridPoint:
    ident = entry.get("id") if isinstance(entry.get("id"), dict) else {}
    lms = entry.get("lms") if isinstance(entry.get("lms"), dict) else {}
    return DecoderGridPoint(
        feature_factor=_num(ident.get("feature_factor")),
        learning_rate=_num(ident.get("learning_rate")),
        probs=_num_dict(entry.get("probs")),
        probs_factual=_num_dict(entry.get("probs_factual")),
        lms=_num(lms.get("lms")),
    )


def _num(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _num_dict(value: object) -> dict[str, float]:
    if not isinstance(value, dict):
        return {}
    return {str(k): float(v) for k, v in value.items() if isinstance(v, (int, float))}
