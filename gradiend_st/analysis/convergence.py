"""Convergence status of a run, by the rule of FORMAT.md §6.2, with the criterion that was applied."""

from __future__ import annotations

from dataclasses import dataclass

from gradiend_st.io.errors import RunReadError
from gradiend_st.io.seeds import SeedReport, read_seed_report
from gradiend_st.io.training import TrainingLog, read_training

MARKER = " \u2020"  # " †", gradiend's non-convergence marker


@dataclass(frozen=True)
class Convergence:
    converged: bool | None  # None = unknown (no marker)
    criterion: str

    @property
    def marker(self) -> str:
        return MARKER if self.converged is False else ""


def convergence_status(training: TrainingLog | None, seed_report: SeedReport | None = None) -> Convergence:
    if seed_report is not None:
        need = max(1, seed_report.min_convergent_seeds or 1)
        # gradiend writes converged=true for every multi-seed run without min_convergent_seeds: use the counts.
        return Convergence(
            seed_report.convergent_count >= need,
            f"seed_report.json: {seed_report.convergent_count} of {len(seed_report.seeds_tried)} seeds converged (need {need})",
        )
    if training is None:
        return Convergence(None, "no training.json")
    value = training.convergence_info.get("converged")
    if isinstance(value, bool):
        info = training.convergence_info
        metric = info.get("convergence_metric", "correlation")
        return Convergence(value, f"training.json convergence_info.converged ({metric} ≥ {info.get('threshold', '?')}, "
                                  f"|mean by class| ≥ {info.get('convergent_mean_by_class_threshold', '?')})")
    return Convergence(None, "training.json has no convergence_info")


def seed_report_of(run) -> SeedReport | None:
    """The run's seeds/seed_report.json, or None (not a multi-seed run, or unreadable)."""
    if run.kind != "run" or not run.seed_report_path.is_file():
        return None
    try:
        return read_seed_report(run.seed_report_path)
    except RunReadError:
        return None


def run_convergence(run, training: TrainingLog | None = None) -> Convergence:
    """A discovered run's status from its own files (for any selection, FORMAT.md §10 item 2).

    Pass `training` when the caller has read training.json already; unreadable files make the status unknown.
    """
    if training is None and run.training_path.is_file():
        try:
            training = read_training(run.training_path)
        except RunReadError as exc:
            return Convergence(None, f"unknown: {exc.problem}")
    return convergence_status(training, seed_report_of(run))


def run_statuses(catalog, run_ids: list[str]) -> dict[str, Convergence]:
    """Convergence of each run of a catalog from its own files (unreadable files: unknown)."""
    return {rid: run_convergence(catalog.get(rid)) for rid in run_ids}
