"""A run's decoder evaluation with what its selection needs: the grid, the feature factor of each target class, the
training source and the convergence marker; and the selected numbers per run (CLI, Runs page, several-runs figure).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from gradiend_st.analysis.convergence import Convergence, convergence_status, seed_report_of
from gradiend_st.analysis.decoder import (
    DEFAULT_RATIO,
    WEAKEN,
    Selection,
    class_feature_factors,
    decoder_source,
    select_all,
    summary_metrics,
)
from gradiend_st.io.context import pair_from_label_names, read_context
from gradiend_st.io.decoder import DecoderGrid, read_decoder_grid
from gradiend_st.io.errors import RunReadError
from gradiend_st.io.training import TrainingLog, read_training


@dataclass
class RunDecoder:
    run_id: str
    grid: DecoderGrid
    classes: tuple[str, ...]  # the target pair (class encoded +1, class encoded -1); () when unknown
    class_to_ff: dict[str, float]  # feature factor strengthening each target class; {}: every cell competes
    ff_origin: str  # where the pair came from, for the figure's notes
    source: str  # model.source as gradiend resolves it for a loaded checkpoint
    convergence: Convergence
    warnings: list[str] = field(default_factory=list)

    @property
    def converged(self) -> bool | None:
        return self.convergence.converged

    def metrics(self) -> list[str]:
        """The grid's summary metrics, the target pair's in pair order first (the file keeps them sorted)."""
        order = {cls: i for i, cls in enumerate(self.classes)}
        return sorted(summary_metrics(self.grid, self.classes),
                      key=lambda m: order.get(m.removesuffix(WEAKEN), len(order)))

    def selections(self, policy: str = "threshold", ratio: float = DEFAULT_RATIO,
                   metrics: list[str] | None = None) -> dict[str, Selection]:
        """gradiend's selection per metric (default: the grid's summary metrics). A grid that cannot give one for its
        own metrics raises RunReadError naming the file; `metrics` asked for that it lacks raise ValueError."""
        if metrics is not None:
            return select_all(self.grid, metrics, self.class_to_ff, policy=policy, ratio=ratio)
        try:
            return select_all(self.grid, self.metrics(), self.class_to_ff, policy=policy, ratio=ratio)
        except ValueError as exc:
            raise RunReadError(self.grid.path, str(exc)) from None


def read_run_decoder(run) -> RunDecoder:
    """The decoder evaluation of a discovered run. Raises RunReadError (one line naming the file) when the grid or
    gradiend_context.json cannot be read; an unreadable training.json only costs the marker and the source check."""
    if not run.decoder_grid_path.is_file():
        raise RunReadError(run.decoder_grid_path, "file not found (no decoder evaluation: gradiend's evaluate_decoder "
                                                  "writes it)")
    grid = read_decoder_grid(run.decoder_grid_path)
    context_path = run.checkpoint_dir / "gradiend_context.json"
    context = read_context(context_path) if context_path.is_file() else None
    training, warnings = None, list(grid.warnings)
    if run.training_path.is_file():
        try:
            training = read_training(run.training_path)
        except RunReadError as exc:
            warnings.append(f"{run.id}: {exc.problem} in training.json: no convergence marker, source from "
                            "gradiend_context.json")
    source = decoder_source(context.source if context else None, training.source if training else None)
    direction, origin = _direction(context, training)
    pair = tuple(cls for cls, d in sorted(direction.items(), key=lambda item: -item[1]) if d)
    return RunDecoder(run.id, grid, pair, class_feature_factors(direction, source), origin, source,
                      convergence_status(training, seed_report_of(run)), warnings)


def _direction(context, training: TrainingLog | None) -> tuple[dict[str, float], str]:
    """feature_class_encoding_direction, else gradiend's fallback from the training pair (FORMAT.md §2.4)."""
    if context is not None and any(context.direction.values()):
        return dict(context.direction), "gradiend_context.json"
    pair = pair_from_label_names(training.label_value_to_class_name) if training else None
    if pair:
        return {pair[0]: 1.0, pair[1]: -1.0}, "training.json label names"
    return {}, ""


# ------------------------------------------------------------------------------------------ numbers per run


@dataclass(frozen=True)
class RunPoint:
    """One run's selected rewrite for one class, as the several-runs figure and the Runs page show it."""

    run_id: str
    metric: str
    delta: float  # the metric's change from the base model (ΔP of the target class)
    lms_ratio: float  # LMS of the selected cell / base LMS
    selection: Selection


def run_points(decoder: RunDecoder, policy: str = "threshold", ratio: float = DEFAULT_RATIO,
               metrics: list[str] | None = None) -> list[RunPoint]:
    return [RunPoint(decoder.run_id, metric, sel.delta, sel.lms_ratio, sel)
            for metric, sel in decoder.selections(policy, ratio, metrics).items()]


def overview_columns(run) -> dict[str, str]:
    """The Runs page's decoder columns for a run with a grid (default policy): {"decoder_dp": "he +0.139 · she
    +0.931", "lms_ratio": "he 1.00 · she 1.33"}; a grid that cannot be used gives its problem in "decoder_dp"."""
    if run.kind != "run" or not run.decoder_grid_path.is_file():
        return {"decoder_dp": "", "lms_ratio": ""}
    try:
        points = run_points(read_run_decoder(run))
    except RunReadError as exc:
        return {"decoder_dp": f"unreadable: {exc.problem}", "lms_ratio": ""}
    return {"decoder_dp": " · ".join(f"{p.metric} {_signed(p.delta)}" for p in points),
            "lms_ratio": " · ".join(f"{p.metric} {p.lms_ratio:.2f}" for p in points)}


def _signed(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:+.3f}"


def decoder_report(catalog, run_ids: list[str], policy: str = "threshold",
                   ratio: float = DEFAULT_RATIO) -> tuple[list[dict], dict[str, str]]:
    """`gradiend-st decoder --json`: per run {"id", "base_lms", "selections": {metric: Selection.summary()}}, and
    {run id: one line naming the file and the problem} for runs whose grid cannot be used."""
    runs, errors = [], {}
    for run_id in run_ids:
        try:
            decoder = read_run_decoder(catalog.get(run_id))
            selections = decoder.selections(policy, ratio)
        except RunReadError as exc:
            errors[run_id] = catalog.error_text(exc)
            continue
        runs.append({"id": run_id, "base_lms": decoder.grid.base.lms,
                     "selections": {metric: s.summary() for metric, s in selections.items()}})
    return runs, errors
