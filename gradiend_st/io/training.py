"""`training.json` (FORMAT.md §5–6) as a plain dataclass of per-step series."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from gradiend_st.io.errors import RunReadError
from gradiend_st.io.jsonfile import read_json_object

Series = dict[int, float]  # step -> value
# Spread statistics stored beside each mean (min_by_class, q1_by_feature_class, ...).
SPREAD_STATS = ("min", "max", "q1", "q3", "std", "n")


@dataclass
class TrainingLog:
    path: Path
    scores: Series
    # group key ("-1.0", "he", ...) -> statistic ("mean", "min", ...) -> step -> value
    by_class: dict[str, dict[str, Series]]
    by_feature_class: dict[str, dict[str, Series]]
    label_value_to_class_name: dict[str, str]
    best_step: int | None
    best_correlation: float | None
    best_loss: float | None
    global_step: int | None
    convergence_info: dict
    training_args: dict = field(repr=False)
    losses: list[float] = field(default_factory=list, repr=False)

    @property
    def steps(self) -> list[int]:
        return sorted(self.scores)

    @property
    def source(self) -> str | None:
        return self.training_args.get("source")


def read_training(path: Path) -> TrainingLog:
    data = read_json_object(path)
    stats = data.get("training_stats")
    if not isinstance(stats, dict):
        raise RunReadError(path, "missing key 'training_stats'" if stats is None else "'training_stats' should be an object")
    best = data.get("best_score_checkpoint") if isinstance(data.get("best_score_checkpoint"), dict) else {}
    names = stats.get("label_value_to_class_name")
    return TrainingLog(
        path=path,
        scores=_series(path, stats.get("scores", {}), "training_stats.scores"),
        by_class=_grouped(path, stats, "class"),
        by_feature_class=_grouped(path, stats, "feature_class"),
        label_value_to_class_name={str(k): str(v) for k, v in names.items()} if isinstance(names, dict) else {},
        best_step=_int_or_none(best.get("global_step")),
        best_correlation=_float_or_none(best.get("correlation")),
        best_loss=_float_or_none(best.get("loss")),
        global_step=_int_or_none(stats.get("global_step")),
        convergence_info=data["convergence_info"] if isinstance(data.get("convergence_info"), dict) else {},
        training_args=data["training_args"] if isinstance(data.get("training_args"), dict) else {},
        losses=[float(x) for x in data.get("losses", []) if isinstance(x, (int, float))] if isinstance(data.get("losses"), list) else [],
    )


def _series(path: Path, raw: object, where: str) -> Series:
    if not isinstance(raw, dict):
        raise RunReadError(path, f"'{where}' should be an object of step -> value")
    out = {}
    for step, value in raw.items():
        step_int = _step(path, step, where)
        out[step_int] = _float_or_none(value) if value is not None else math.nan
        if out[step_int] is None:
            raise RunReadError(path, f"'{where}[{step}]' should be a number, found {type(value).__name__}")
    return dict(sorted(out.items()))


def _grouped(path: Path, stats: dict, suffix: str) -> dict[str, dict[str, Series]]:
    """{group: {stat: {step: value}}} from `<stat>_by_<suffix>` = {step: {group: value}}."""
    out: dict[str, dict[str, Series]] = {}
    for stat in ("mean", *SPREAD_STATS):
        key = f"{stat}_by_{suffix}"
        raw = stats.get(key)
        if raw is None:
            continue
        if not isinstance(raw, dict):
            raise RunReadError(path, f"'training_stats.{key}' should be an object")
        for step, groups in raw.items():
            if not isinstance(groups, dict):
                raise RunReadError(path, f"'training_stats.{key}[{step}]' should be an object of group -> value")
            step_int = _step(path, step, f"training_stats.{key}")
            for group, value in groups.items():
                number = _float_or_none(value)
                if number is not None:
                    out.setdefault(str(group), {}).setdefault(stat, {})[step_int] = number
    for group in out.values():
        for stat in group:
            group[stat] = dict(sorted(group[stat].items()))
    return out


def _step(path: Path, raw: object, where: str) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise RunReadError(path, f"'{where}' has step key {raw!r}, expected an integer") from None


def _float_or_none(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
