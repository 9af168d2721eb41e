"""`decoder_grid_cache.json` (FORMAT.md §8): gradiend's whole decoder grid, checked field by field.

The stale `decoder/*.json` files and the plots in the doubled `<run>/<run_id>/` folder (§10 item 8) are never read.
Entries are kept the way gradiend's `convert_results_to_dict` keys them: by (feature factor, learning rate), a repeated
id keeping its first position and its last values. Every value the selection reads (`lms.lms`, `probs`,
`probs_factual`, `probs_by_dataset`, other numeric top-level fields) must be a finite number; anything else is a
`RunReadError` naming the file and the field, in one line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from gradiend_st.io.errors import RunReadError
from gradiend_st.io.jsonfile import read_json_object

GRID_FILE = "decoder_grid_cache.json"
KNOWN_FIELDS = frozenset({"id", "lms", "probs", "probs_factual", "probs_by_dataset"})


@dataclass(frozen=True)
class GridEntry:
    """One evaluated model: the base model (feature_factor and learning_rate None) or one grid cell."""

    index: int  # position in the file's `results` (of the values kept, for a repeated id)
    feature_factor: float | None
    learning_rate: float | None
    lms: float  # lms.lms
    lms_fields: dict[str, float]  # every number in `lms` (accuracy, f1, perplexity (may be inf), lms, ...)
    probs: dict[str, float]  # P(class) on the other class's rows (the counterfactual rewrite)
    probs_factual: dict[str, float]  # P(class) on the class's own rows
    probs_by_dataset: dict[str, dict[str, float]]  # factual class of the rows -> class -> mean P
    extra: dict[str, float]  # other numeric top-level fields: custom metrics (e.g. bpi, fpi, mpi)

    @property
    def is_base(self) -> bool:
        return self.feature_factor is None


@dataclass
class SelectionContext:
    """What the grid was summarised for (`selection_context`; older caches have none: all None)."""

    metrics_for_summary: list[str] | None = None
    classes_to_eval: list[str] | None = None
    prob_on_other_class: bool | None = None
    increase_target_probabilities: bool | None = None


@dataclass
class DecoderGrid:
    path: Path
    part: str | None
    split: str | None
    feature_factors: list[float]  # as declared at the top of the file
    lrs: list[float]
    context: SelectionContext
    base: GridEntry
    points: list[GridEntry] = field(repr=False)  # the grid cells, in gradiend's candidate order
    warnings: list[str] = field(default_factory=list)


def read_decoder_grid(path: Path) -> DecoderGrid:
    data = read_json_object(path)
    results = data.get("results")
    if not isinstance(results, list):
        raise RunReadError(path, "missing key 'results'" if results is None
                           else f"'results' should be a list, found {type(results).__name__}")
    kept: dict[object, GridEntry] = {}  # "base" | (ff, lr) -> entry; dict order = first position, as gradiend's
    warnings = []
    for i, raw in enumerate(results):
        if not isinstance(raw, dict):
            raise RunReadError(path, f"'results[{i}]' should be an object")
        entry = _entry(path, i, raw)
        key = "base" if entry.is_base else (entry.feature_factor, entry.learning_rate)
        if key in kept:
            warnings.append(f"{path.name}: results[{i}] repeats {_key_text(key)} of results[{kept[key].index}]; "
                            "its values are used (as gradiend does)")
        kept[key] = entry
    base = kept.pop("base", None)
    if base is None:
        raise RunReadError(path, "no base entry (\"id\": \"base\") in 'results': the rewrites cannot be compared")
    if not kept:
        raise RunReadError(path, "'results' holds the base entry only: no feature factor / learning rate was evaluated")
    return DecoderGrid(
        path=path,
        part=data.get("part") if isinstance(data.get("part"), str) else None,
        split=data.get("split") if isinstance(data.get("split"), str) else None,
        feature_factors=_numbers(data.get("feature_factors")),
        lrs=_numbers(data.get("lrs")),
        context=_selection_context(data.get("selection_context")),
        base=base,
        points=list(kept.values()),
        warnings=warnings,
    )


def _entry(path: Path, i: int, raw: dict) -> GridEntry:
    where = f"results[{i}]"
    ff, lr = _identity(path, where, raw)
    lms = raw.get("lms")
    if lms is None:
        raise RunReadError(path, f"'{where}' has no 'lms' (the language-model score of that model)")
    if not isinstance(lms, dict) or "lms" not in lms:
        raise RunReadError(path, f"'{where}.lms' should be an object with a number 'lms'")
    by_dataset = _object(path, f"{where}.probs_by_dataset", raw.get("probs_by_dataset"))
    return GridEntry(
        index=i,
        feature_factor=ff,
        learning_rate=lr,
        lms=_finite(path, f"{where}.lms.lms", lms["lms"]),
        lms_fields={str(k): float(v) for k, v in lms.items() if _is_number(v)},
        probs=_finite_dict(path, f"{where}.probs", raw.get("probs")),
        probs_factual=_finite_dict(path, f"{where}.probs_factual", raw.get("probs_factual")),
        probs_by_dataset={str(d): _finite_dict(path, f"{where}.probs_by_dataset.{d}", v) for d, v in by_dataset.items()},
        # gradiend takes every int/float top-level field as a metric; JSON true/false are not metrics here.
        extra={str(k): _finite(path, f"{where}.{k}", v) for k, v in raw.items()
               if k not in KNOWN_FIELDS and _is_number(v)},
    )


def _identity(path: Path, where: str, raw: dict) -> tuple[float | None, float | None]:
    ident = raw.get("id")
    if ident == "base":
        return None, None
    if not isinstance(ident, dict):
        found = "nothing" if ident is None else repr(ident) if isinstance(ident, str) else type(ident).__name__
        raise RunReadError(path, f"'{where}.id' should be \"base\" or {{feature_factor, learning_rate}}, found {found}")
    return (_finite(path, f"{where}.id.feature_factor", ident.get("feature_factor")),
            _finite(path, f"{where}.id.learning_rate", ident.get("learning_rate")))


def _finite(path: Path, where: str, value: object) -> float:
    if value is None:
        raise RunReadError(path, f"missing '{where}'")
    if not _is_number(value):
        raise RunReadError(path, f"'{where}' should be a number, found {type(value).__name__}")
    if not math.isfinite(value):
        raise RunReadError(path, f"'{where}' is {_json_text(value)}, not a finite number")
    return float(value)


def _object(path: Path, where: str, value: object) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RunReadError(path, f"'{where}' should be an object, found {type(value).__name__}")
    return value


def _finite_dict(path: Path, where: str, value: object) -> dict[str, float]:
    return {str(k): _finite(path, f"{where}.{k}", v) for k, v in _object(path, where, value).items()}


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _json_text(value: float) -> str:
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def _numbers(value: object) -> list[float]:
    return [float(x) for x in value if _is_number(x)] if isinstance(value, list) else []


def _selection_context(value: object) -> SelectionContext:
    if not isinstance(value, dict):
        return SelectionContext()

    def names(key: str) -> list[str] | None:
        items = value.get(key)
        return [str(x) for x in items] if isinstance(items, list) else None

    def flag(key: str) -> bool | None:
        return value[key] if isinstance(value.get(key), bool) else None

    return SelectionContext(names("metrics_for_summary"), names("classes_to_eval"), flag("prob_on_other_class"),
                            flag("increase_target_probabilities"))


def _key_text(key) -> str:
    return "the base entry" if key == "base" else f"feature factor {key[0]:g}, learning rate {key[1]:g}"
