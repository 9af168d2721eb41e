"""`seeds/seed_report.json` of multi-seed runs (FORMAT.md §1.4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gradiend_st.io.jsonfile import read_json_object


@dataclass
class SeedReport:
    path: Path
    seeds_tried: list[int]
    convergent_seeds: list[int]
    convergent_count: int
    min_convergent_seeds: int | None
    best_seed: int | None
    convergence_metric: str | None
    threshold: float | None
    runs: list[dict] = field(repr=False)

    @property
    def converged(self) -> bool:
        """Enough seeds converged (at least one, or `min_convergent_seeds` when set)."""
        return self.convergent_count >= max(1, self.min_convergent_seeds or 1)


def read_seed_report(path: Path) -> SeedReport:
    data = read_json_object(path, max_bytes=64 * 1024 * 1024)
    runs = [r for r in data.get("runs", []) if isinstance(r, dict)] if isinstance(data.get("runs"), list) else []
    tried = _int_list(data.get("seeds_tried")) or [r["seed"] for r in runs if isinstance(r.get("seed"), int)]
    convergent = _int_list(data.get("convergent_seeds"))
    count = data.get("convergent_count")
    threshold = data.get("threshold")
    return SeedReport(
        path=path,
        seeds_tried=tried,
        convergent_seeds=convergent,
        convergent_count=count if isinstance(count, int) else len(convergent),
        min_convergent_seeds=data.get("min_convergent_seeds") if isinstance(data.get("min_convergent_seeds"), int) else None,
        best_seed=data.get("best_seed") if isinstance(data.get("best_seed"), int) else None,
        convergence_metric=data.get("convergence_metric") if isinstance(data.get("convergence_metric"), str) else None,
        threshold=float(threshold) if isinstance(threshold, (int, float)) else None,
        runs=runs,
    )


def _int_list(value: object) -> list[int]:
    return [v for v in value if isinstance(v, int)] if isinstance(value, list) else []
