"""Decoder view timings, and gradiend 0.2.3 doing the same from the same cached grids, measured in one run.

    python bench/decoder_bench.py [--root ../shared/fixtures/gradiend_runs_en] [--gradiend-python /opt/gvenv/bin/python]
                                  [--gradiend-path DIR]   (DIR on gradiend's PYTHONPATH: e.g. matplotlib, if its venv lacks it)

Prints a Markdown table (median of --repeat runs; fresh processes include their imports):
- `gradiend-st decoder ROOT --json` (every run with a grid) vs gradiend's `compute_metric_summaries` +
  `LMSThresholdPolicy(0.99)` on the same grids (reading them with gradiend's `convert_results_to_dict`);
- one probability-shift figure (he_she, class he) as a 150-dpi PNG: the studio's load + build + export vs gradiend's
  `plot_probability_shifts` from the cached grid (no trainer, no model: the figure only);
- in one process: each decoder figure's load, build and PNG export, and the Runs page's decoder columns per run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GRADIEND_SCRIPT = r"""
import json, sys, time
started = time.perf_counter()
import matplotlib
matplotlib.use("Agg")
from gradiend.evaluator.decoder import compute_metric_summaries, LMSThresholdPolicy
from gradiend.evaluator.decoder_eval_utils import convert_results_to_dict
from gradiend.visualizer.probability_shifts import plot_probability_shifts
root, runs, what, out = sys.argv[1], sys.argv[2].split(","), sys.argv[3], sys.argv[4]
for run in runs:
    grid = json.load(open(f"{root}/{run}/decoder_grid_cache.json"))
    context = json.load(open(f"{root}/{run}/model/gradiend_context.json"))
    class_to_ff = {c: float(d) for c, d in context["feature_class_encoding_direction"].items()}
    results = convert_results_to_dict(grid["results"])
    summary = compute_metric_summaries(results, grid["selection_context"]["metrics_for_summary"],
                                       selector=LMSThresholdPolicy(ratio=0.99), class_to_ff=class_to_ff)
    if what == "plot":
        plot_probability_shifts(decoder_results={**summary, "grid": results}, plotting_data={"grid": results},
                                target_class="he", output=out, show=False, dpi=150)
print(time.perf_counter() - started)
"""


def median_seconds(command: list[str], repeat: int, env: dict | None = None) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=REPO, env=env)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def in_process(root: Path, repeat: int) -> list[tuple[str, float]]:
    from gradiend_st.analysis.decoder_runs import overview_columns
    from gradiend_st.figures.export import figure_bytes
    from gradiend_st.io.discover import discover
    from gradiend_st.views import decoder as view

    catalog = discover(root)
    with_grid = [rid for rid, run in catalog.runs.items() if run.decoder_grid_path.is_file()]
    rows = []
    for plot in view.PLOTS:
        runs = with_grid if plot == "runs" else ["he_she"]
        options = view.Options(plot=plot)
        timings = {"load": [], "build": [], "png": []}
        for _ in range(repeat):
            started = time.perf_counter()
            data = view.load(catalog, runs, options)
            loaded = time.perf_counter()
            fig = view.build(data, options)
            built = time.perf_counter()
            figure_bytes(fig, "png", dpi=150)
            timings["load"].append(loaded - started)
            timings["build"].append(built - loaded)
            timings["png"].append(time.perf_counter() - built)
        rows += [(f"{plot} ({len(runs)} run{'s' if len(runs) > 1 else ''}): {step}", statistics.median(values))
                 for step, values in timings.items()]
    per_run = []
    for _ in range(repeat):
        started = time.perf_counter()
        for rid in with_grid:
            overview_columns(catalog.runs[rid])
        per_run.append((time.perf_counter() - started) / len(with_grid))
    rows.append(("Runs page decoder columns, per run with a grid", statistics.median(per_run)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, default=REPO.parent / "shared" / "fixtures" / "gradiend_runs_en")
    parser.add_argument("--gradiend-python", default="/opt/gvenv/bin/python")
    parser.add_argument("--gradiend-path", help="put on gradiend's PYTHONPATH (e.g. a --target install of matplotlib)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    root = args.root.resolve()
    runs = ["1SG_1PL", "3SG_3PL", "he_it", "he_she", "she_they"]
    with tempfile.TemporaryDirectory() as tmp:
        preset = Path(tmp) / "preset.json"
        preset.write_text(json.dumps({"gradiend_studio_preset": 1, "views": {"decoder": {"target_class": "he"}}}))
        studio_cli = median_seconds([sys.executable, "-m", "gradiend_st.cli", "decoder", str(root), "--json"],
                                    args.repeat)
        studio_plot = median_seconds([sys.executable, "-m", "gradiend_st.cli", "render", str(root), "--view",
                                      "decoder", "--runs", "he_she", "--preset", str(preset), "--dpi", "150",
                                      "-o", f"{tmp}/studio.png"], args.repeat)
        gradiend = [args.gradiend_python, "-c", GRADIEND_SCRIPT, str(root)]
        env = {**os.environ, "PYTHONPATH": args.gradiend_path} if args.gradiend_path else None
        gradiend_select = median_seconds([*gradiend, ",".join(runs), "select", f"{tmp}/g.png"], args.repeat, env)
        gradiend_plot = median_seconds([*gradiend, "he_she", "plot", f"{tmp}/g.png"], args.repeat, env)
    print(f"Median of {args.repeat}, fresh processes (imports included), {root.name}:\n")
    print("| task | studio | gradiend 0.2.3 |\n|---|---|---|")
    print(f"| selection of 5 runs x 2 classes (`gradiend-st decoder --json`) | {studio_cli:.2f} s | "
          f"{gradiend_select:.2f} s |")
    print(f"| probability-shift figure he_she / he, PNG 150 dpi (`render --view decoder`) | {studio_plot:.2f} s | "
          f"{gradiend_plot:.2f} s |")
    print("\nIn one process (what the app pays after its imports):\n\n| step | time |\n|---|---|")
    for name, seconds in in_process(root, args.repeat):
        print(f"| {name} | {seconds * 1000:.1f} ms |")


if __name__ == "__main__":
    main()
