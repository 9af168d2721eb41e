"""Which rewrite gradiend selects from a decoder grid: `compute_metric_summaries` with `LMSThresholdPolicy` or
`LMSTimesMetricPolicy` (gradiend 0.2.3, `evaluator/decoder.py`), as plain functions on a `DecoderGrid`.

- Metrics per cell, named as `default_extract_candidates` names them: `<class>` = probs[class] (P(class) on the other
  class's rows), `<class>_factual`, `<class>_weaken` = 1 - probs_factual[class], and every other numeric top-level
  field (custom metrics such as BPI/FPI/MPI).
- Only the cells of the feature factor that strengthens a class compete for its metric (`<class>_weaken`: the other
  classes' feature factors); without a class -> feature factor map every cell competes.
- "threshold": keep cells with lms >= ratio * base lms, take the largest metric; none passes: the smallest non-zero
  |learning rate|. "product": the largest metric * lms. Ties go to the first cell in the file's `results` order
  (Python's max/min, as in gradiend).
"""

from __future__ import annotations

from dataclasses import dataclass

from gradiend_st.io.decoder import DecoderGrid, GridEntry

POLICIES = ("threshold", "product")
POLICY_CLASSES = {"threshold": "LMSThresholdPolicy", "product": "LMSTimesMetricPolicy"}
DEFAULT_RATIO = 0.99
WEAKEN = "_weaken"
SOURCES = ("factual", "alternative", "diff")


def candidate_metrics(entry: GridEntry) -> dict[str, float]:
    """The metrics of one cell, in gradiend's order (later names overwrite earlier ones, as there)."""
    metrics = dict(entry.probs)
    for cls, p in entry.probs_factual.items():
        metrics[f"{cls}_factual"] = p
        metrics[f"{cls}{WEAKEN}"] = 1.0 - p
    metrics.update(entry.extra)
    return metrics


def metric_names(grid: DecoderGrid) -> list[str]:
    """Every metric some cell offers, in first-seen order."""
    return list(dict.fromkeys(name for point in grid.points for name in candidate_metrics(point)))


def metric_value(entry: GridEntry, metric: str) -> float:
    """A cell's value of `metric`, -inf when it has none (gradiend's `metrics.get(metric, -inf)`)."""
    return candidate_metrics(entry).get(metric, float("-inf"))


# --------------------------------------------------------------------------------------- feature factor per class


def decoder_source(context_source: str | None, training_source: str | None) -> str:
    """`model.source` of a loaded checkpoint (gradiend's `resolve_source_from_checkpoint_dir`): the context's source,
    overridden by a valid training.json `training_args.source`; "factual" when the context has no valid one."""
    if context_source not in SOURCES:
        return "factual"
    return training_source if training_source in SOURCES else context_source


def class_feature_factors(direction: dict[str, float], source: str) -> dict[str, float]:
    """The feature factor that strengthens each target class (FORMAT.md §2.4): +direction for source
    "alternative", else -direction. Classes encoded 0 are not target classes and get none."""
    sign = 1.0 if source == "alternative" else -1.0
    return {cls: sign * float(d) for cls, d in direction.items() if d}


# ---------------------------------------------------------------------------------------------------- selection


@dataclass(frozen=True)
class Selection:
    metric: str
    entry: GridEntry | None  # None: nothing could be chosen (gradiend then reports the base model)
    value: float
    feature_factor: float
    learning_rate: float
    lms: float
    base_lms: float
    base_value: float  # the metric on the base model (NaN when the base entry lacks it)
    candidates: int  # cells of the metric's feature factor
    passing_lms_threshold: int  # of those, cells with lms >= ratio * base lms
    fallback: bool  # the threshold policy found no passing cell and took the smallest non-zero learning rate

    @property
    def strengthen(self) -> bool:
        return not self.metric.endswith(WEAKEN)

    @property
    def delta(self) -> float:
        """The metric's change from the base model (ΔP for probability metrics)."""
        return self.value - self.base_value

    @property
    def lms_ratio(self) -> float:
        return self.lms / self.base_lms if self.base_lms else float("nan")

    def summary(self) -> dict:
        """The CLI's fields (`gradiend-st decoder --json`)."""
        return {"value": self.value, "feature_factor": self.feature_factor, "learning_rate": self.learning_rate,
                "lms": self.lms, "candidates": self.candidates, "passing_lms_threshold": self.passing_lms_threshold}


def competing(points: list[GridEntry], metric: str, class_to_ff: dict[str, float] | None) -> list[GridEntry]:
    """The cells that compete for `metric` (gradiend's `_candidates_for_metric`)."""
    if not class_to_ff:
        return list(points)
    if metric.endswith(WEAKEN):
        base = metric[: -len(WEAKEN)]
        if class_to_ff.get(base) is None:
            return list(points)
        others = {float(ff) for cls, ff in class_to_ff.items() if cls != base}
        return [p for p in points if p.feature_factor in others] if others else list(points)
    if class_to_ff.get(metric) is None:
        return list(points)
    return [p for p in points if p.feature_factor == float(class_to_ff[metric])]


def passes(entry: GridEntry, base_lms: float, ratio: float) -> bool:
    return entry.lms >= ratio * base_lms


def select(grid: DecoderGrid, metric: str, class_to_ff: dict[str, float] | None = None, *,
           policy: str = "threshold", ratio: float = DEFAULT_RATIO) -> Selection:
    """The cell gradiend selects for `metric`. Raises ValueError when no cell has the metric, or when no cell has
    the feature factor of the class (gradiend raises the same)."""
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {', '.join(POLICIES)}, not {policy!r}")
    available = metric_names(grid)
    if metric not in available:
        raise ValueError(f"no cell has the metric '{metric}' (the grid has: {', '.join(available)})")
    cells = competing(grid.points, metric, class_to_ff)
    base_lms = grid.base.lms
    chosen, fallback = _choose(cells, metric, base_lms, policy, ratio)
    if chosen is None:
        chosen = _smallest_nonzero_lr(cells)  # compute_metric_summaries' own fallback when the policy finds none
    base_value = candidate_metrics(grid.base).get(metric, float("nan"))
    passing = sum(passes(c, base_lms, ratio) for c in cells)
    if chosen is None:
        if not metric.endswith(WEAKEN) and class_to_ff and metric in class_to_ff:
            found = ", ".join(f"{ff:+g}" for ff in dict.fromkeys(p.feature_factor for p in grid.points))
            raise ValueError(f"no cell has feature factor {class_to_ff[metric]:+g}, which strengthens '{metric}' "
                             f"(the grid has {found})")
        return Selection(metric, None, 0.0, 0.0, 0.0, base_lms, base_lms, base_value, len(cells), passing, False)
    value = candidate_metrics(chosen).get(metric, 0.0)  # gradiend reports 0.0 for a chosen cell without the metric
    return Selection(metric, chosen, value, chosen.feature_factor, chosen.learning_rate,
                     chosen.lms, base_lms, base_value, len(cells), passing, fallback)


def _choose(cells: list[GridEntry], metric: str, base_lms: float, policy: str,
            ratio: float) -> tuple[GridEntry | None, bool]:
    if policy == "product":  # LMSTimesMetricPolicy
        return max(cells, key=lambda c: metric_value(c, metric) * c.lms, default=None), False
    passing = [c for c in cells if passes(c, base_lms, ratio)]  # LMSThresholdPolicy
    if passing:
        return max(passing, key=lambda c: metric_value(c, metric)), False
    return _smallest_nonzero_lr(cells), True


def _smallest_nonzero_lr(cells: list[GridEntry]) -> GridEntry | None:
    return min((c for c in cells if c.learning_rate != 0), key=lambda c: abs(c.learning_rate), default=None)


def select_all(grid: DecoderGrid, metrics: list[str], class_to_ff: dict[str, float] | None = None, *,
               policy: str = "threshold", ratio: float = DEFAULT_RATIO) -> dict[str, Selection]:
    return {metric: select(grid, metric, class_to_ff, policy=policy, ratio=ratio) for metric in metrics}


def summary_metrics(grid: DecoderGrid, classes: tuple[str, ...] | list[str] = ()) -> list[str]:
    """The metrics the grid was evaluated for: `selection_context.metrics_for_summary`, else its `classes_to_eval`,
    else the run's target classes, else the classes in the base entry's `probs`."""
    context = grid.context
    return list(context.metrics_for_summary or context.classes_to_eval or classes or grid.base.probs)
