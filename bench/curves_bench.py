"""Overlap curves against the heatmap, at bert-base scale, measured in the same run.

    python bench/curves_bench.py [--root /tmp/gradiend-bench] [--runs 8] [--topk 0.01] [--points 10] [--repeat 3]

Each scenario runs in a fresh process (bench/measure.py: wall time incl. interpreter start, peak RSS) doing what the
app does for a page: load the view's data, build the figure, export the screen PNG. The heatmap is drawn at the
largest k of the curves (top 1 % by default), the curves at `--points` values of k up to it, with sign agreement
(every bench run targets he/she, so every pair's shared weights are read for their signs). "First call": empty
top-k and sign caches for each view; "second call": the caches the first filled (as for a second session). Inside the curves
process the time after the top-k lists (shared-index pass, sign reading, counting) is reported on its own.
Writes a Markdown table to bench/curves_results.md and into README.md between the curves benchmark markers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from publish import publish  # bench/ is the script's folder, so on sys.path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def child(args) -> None:
    """One view end to end (the app's path), with phase timings written to --out."""
    from gradiend_st.analysis import curves as curves_module
    from gradiend_st.analysis.topk import parse_topk
    from gradiend_st.figures import export
    from gradiend_st.io.discover import discover
    from gradiend_st.views import registry

    started = time.perf_counter()
    catalog = discover(args.root)
    view = registry.get(args.view)
    values = {"topk": parse_topk(args.topk), "part": "decoder-weight"}
    if args.view == "curves":
        values |= {"k_points": args.points, "seeds": False}
    options = registry.options_from_dict(view, values)
    phases = {}
    if args.view == "curves":  # time what follows the top-k lists: the curves' own cost
        original = curves_module.compare_topk

        def timed(*a, **kw):
            result = original(*a, **kw)
            phases["after_topk_start"] = time.perf_counter()
            return result

        curves_module.compare_topk = timed
    loaded = time.perf_counter()
    data = view.load(catalog, args.run_ids, options)
    phases["load"] = time.perf_counter() - loaded
    if "after_topk_start" in phases:
        phases["curves_after_topk"] = time.perf_counter() - phases.pop("after_topk_start")
    built = time.perf_counter()
    png = export.screen_png(view.build(data, options))
    phases["build_png"] = time.perf_counter() - built
    phases["total_in_process"] = time.perf_counter() - started
    if args.png:
        args.png.write_bytes(png)
    if args.view == "curves":
        phases["shared_at_largest_k"] = sum(p.shared[-1] for p in data.pairs)
    args.out.write_text(json.dumps(phases))


def measure(cmd: list[str], cache: Path) -> dict:
    out = subprocess.run([sys.executable, str(HERE / "measure.py"), *cmd], capture_output=True, text=True, check=True,
                         env={**os.environ, "GRADIEND_ST_CACHE_DIR": str(cache)})
    result = json.loads(out.stdout)
    if result["returncode"] != 0:
        raise RuntimeError(result["stderr"])
    return result


def scenario(view: str, args, runs: list[str], work: Path, attempt: int, png: Path | None = None) -> tuple:
    """(first call, second call, in-process phases of the second call) for one view, with a fresh top-k cache."""
    cache = work / f"cache_{view}_{attempt}"
    timings, phases = [], []
    for call in range(2):
        out = work / f"{view}_{attempt}_{call}.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--view", view, "--root", str(args.root),
               "--topk", args.topk, "--points", str(args.points), "--out", str(out), "--run-ids", *runs]
        if png is not None and call == 1:
            cmd += ["--png", str(png)]
        timings.append(measure(cmd, cache))
        phases.append(json.loads(out.read_text()))
    return timings[0], timings[1], phases[1]


def median_of(results: list[tuple], index: int, key: str) -> float:
    return statistics.median(result[index][key] for result in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(tempfile.gettempdir()) / "gradiend-bench")
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--topk", default="0.01")
    parser.add_argument("--points", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3, help="rounds (the table shows medians)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--view", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--png", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--run-ids", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    missing = [i for i in range(args.runs) if not (args.root / f"run_{i:03d}" / "model" / "model.safetensors").is_file()]
    if missing:
        subprocess.run([sys.executable, str(HERE / "make_checkpoints.py"), str(args.root), "--runs", str(args.runs)],
                       check=True)
    runs = [f"run_{i:03d}" for i in range(args.runs)]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        # Warm the page cache so neither view pays for disk reads the other already did.
        measure([sys.executable, str(Path(__file__).resolve()), "--child", "--view", "heatmap", "--root",
                 str(args.root), "--topk", args.topk, "--points", str(args.points), "--out", str(work / "w.json"),
                 "--run-ids", *runs], work / "cache_warmup")
        load_before = os.getloadavg()[0]
        results = {"heatmap": [], "curves": []}
        for attempt in range(args.repeat):  # alternately, so both see the same machine load
            results["heatmap"].append(scenario("heatmap", args, runs, work, attempt))
            results["curves"].append(scenario("curves", args, runs, work, attempt,
                                              REPO / "docs" / "figures" / f"bench_curves_{args.runs}.png"))

    def cell(view: str, index: int) -> str:
        return (f"{median_of(results[view], index, 'seconds'):.2f} s / "
                f"{median_of(results[view], index, 'peak_rss_mib'):.0f} MiB")

    def gap(index: int) -> float:
        return median_of(results["curves"], index, "seconds") - median_of(results["heatmap"], index, "seconds")

    load_after = os.getloadavg()[0]
    after = statistics.median(r[2]["curves_after_topk"] for r in results["curves"])
    shared = results["curves"][0][2]["shared_at_largest_k"]
    label = "top 1 %" if args.topk == "0.01" else f"top-{args.topk}"
    table = "\n".join([
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; {args.runs} "
        f"bert-base-shaped runs (input_dim 108,891,648; bench/make_checkpoints.py), decoder-weight, warm page cache; "
        f"each cell one fresh process (wall time incl. interpreter start / peak RSS), median of {args.repeat} rounds "
        f"that alternate the two views; 1-minute load average {load_before:.1f} before, {load_after:.1f} after (the "
        "machine is shared: single rounds vary by seconds).",
        "",
        "| view | first call (empty caches) | second call (top-k and sign caches filled) | "
        "in the second call: after the top-k lists |",
        "|---|---|---|---|",
        f"| heatmap, {label} | {cell('heatmap', 0)} | {cell('heatmap', 1)} | — |",
        f"| overlap curves, {args.points} values of k up to {label}, with sign agreement | {cell('curves', 0)} | "
        f"{cell('curves', 1)} | {after:.2f} s (shared indices, signs of {shared:,} shared pair entries, counts) |",
        f"| curves − heatmap | {gap(0):+.2f} s | {gap(1):+.2f} s | target: ≤ +0.5 s |",
    ])
    publish(table, "curves_results.md", "curves")


if __name__ == "__main__":
    main()
