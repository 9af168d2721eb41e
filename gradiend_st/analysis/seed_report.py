"""The seed report of a multi-seed run (FORMAT.md §1.4, §6.3): per seed its best correlation, convergence and
whether it was chosen, gradiend's recorded top-k stability, and the studio's own pairwise seed overlaps."""

from __future__ import annotations

from dataclasses import dataclass, field

from gradiend_st.analysis.convergence import seed_report_of
from gradiend_st.analysis.curve_series import SeedBand
from gradiend_st.io.errors import RunReadError
from gradiend_st.io.jsonfile import read_json_object
from gradiend_st.io.training import read_training

STABILITY_FIELDS = ("part", "topk", "num_runs", "mean_topk_size", "union_size", "intersection_size",
                    "mean_pairwise_overlap_fraction", "min_pairwise_overlap_fraction",
                    "max_pairwise_overlap_fraction", "mean_pairwise_jaccard")
NOT_RECORDED = ("gradiend records top-k stability only when at least 2 seeds converged, min_convergent_seeds > 1 "
                "and seed_stability_topk is set (FORMAT.md §6.3)")


@dataclass
class SeedReportTables:
    run: str
    summary: str  # "3 of 3 seeds converged (need 1); best seed 1 (best_convergent_selection_score)"
    seeds: list[dict] = field(default_factory=list)  # one row per seed tried
    stability: dict | None = None  # gradiend's recorded summary (STABILITY_FIELDS), None when not recorded
    stability_pairs: list[dict] = field(default_factory=list)  # gradiend's pairwise_overlap_rows
    studio_pairs: list[dict] = field(default_factory=list)  # the studio's seed-pair overlaps at the largest k
    note: str | None = None


def seed_report_tables(catalog, run_id: str) -> SeedReportTables | None:
    """The tables of one multi-seed run from seeds/seed_report.json and its seed checkpoints (None: not one)."""
    run = catalog.get(run_id)
    report = seed_report_of(run)
    if report is None:
        return None
    need = max(1, report.min_convergent_seeds or 1)
    summary = f"{report.convergent_count} of {len(report.seeds_tried)} seeds converged (need {need})"
    raw = _raw(report.path)
    if report.best_seed is not None:
        summary += f"; best seed {report.best_seed}"
        strategy = raw.get("best_seed_selection_strategy")
        summary += f" ({strategy})" if isinstance(strategy, str) else ""
    tables = SeedReportTables(run_id, summary)
    kept = {catalog.get(rid).folder.name: rid for rid in run.seeds}
    by_seed = {entry.get("seed"): entry for entry in report.runs}
    for seed in report.seeds_tried:
        entry = by_seed.get(seed, {})
        checkpoint = kept.get(f"seed_{seed}")
        tables.seeds.append({
            "seed": seed,
            "best": seed == report.best_seed,
            "converged": entry.get("converged") if isinstance(entry.get("converged"), bool) else None,
            "best correlation": _best_correlation(catalog, checkpoint, entry),
            "best step": _number(entry.get("best_checkpoint_global_step")),
            "selection score": _number(entry.get("selection_score")),
            "eval correlation": _number(entry.get("eval_correlation")),
            "checkpoint": checkpoint or "not kept",
        })
    stability = raw.get("topk_stability")
    if isinstance(stability, dict) and stability.get("computed", True):
        tables.stability = {name: stability.get(name) for name in STABILITY_FIELDS}
        rows = stability.get("pairwise_overlap_rows")
        tables.stability_pairs = [{k: row.get(k) for k in ("seed_a", "seed_b", "overlap_count", "overlap_fraction",
                                                           "jaccard")} for row in rows or [] if isinstance(row, dict)]
    else:
        tables.note = NOT_RECORDED
    return tables


def studio_seed_pairs(band: SeedBand, ks: dict[str, list[int]], grid: list) -> list[dict]:
    """The studio's pairwise seed overlaps at the largest k of the grid, with gradiend's fraction and Jaccard."""
    rows = []
    for pair in band.pairs:
        a, b = pair.runs
        k_a, k_b = ks[a][-1], ks[b][-1]
        shared = pair.shared[-1]
        share = pair.same_sign_share()[-1]
        rows.append({"seed a": a.rsplit("/", 1)[-1], "seed b": b.rsplit("/", 1)[-1], "topk": grid[-1], "k": max(k_a, k_b),
                     "shared": shared, "fraction": shared / max(1, min(k_a, k_b)),
                     "jaccard": shared / max(1, k_a + k_b - shared), "× chance": shared / pair.chance[-1],
                     "same sign": None if share != share else share})
    if band.all is not None:
        rows.append({"seed a": "all", "seed b": f"{len(band.all.runs)} seeds", "topk": grid[-1],
                     "k": max(ks[r][-1] for r in band.all.runs), "shared": band.all.all[-1],
                     "fraction": band.all.all[-1] / max(1, min(ks[r][-1] for r in band.all.runs)),
                     "jaccard": None, "× chance": band.all.all[-1] / band.all.chance[-1], "same sign": None})
    return rows


def _raw(path) -> dict:
    try:
        return read_json_object(path)
    except RunReadError:
        return {}


def _best_correlation(catalog, checkpoint: str | None, entry: dict) -> float | None:
    """The seed checkpoint's best_score_checkpoint.correlation, else the report's training_score."""
    if checkpoint is not None:
        run = catalog.get(checkpoint)
        if run.training_path.is_file():
            try:
                value = read_training(run.training_path).best_correlation
            except RunReadError:
                value = None
            if value is not None:
                return value
    return _number(entry.get("training_score"))


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
