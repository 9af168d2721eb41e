"""Top-k heatmap/Venn benchmark at bert-base scale, the studio side by side with gradiend 0.2.3 in the same run.

    python bench/run_bench.py --root /tmp/gradiend-bench [--gradiend-python /path/to/venv/bin/python] [--quick]

Builds the checkpoints if missing (bench/make_checkpoints.py, ~1.3 GB each), then measures every scenario in a
fresh process (wall time incl. interpreter start, peak RSS): the studio cold (empty top-k cache), the studio again
(disk cache warm, as a second session would be), the re-draw after a label change (in memory, median of 5, timed
inside a third process), and gradiend's own plot call where it fits in memory. Checks both give identical
intersection counts / regions. Writes a Markdown table to bench/results.md and into README.md between the
benchmark markers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from publish import publish  # bench/ is the script's folder, so on sys.path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SCENARIOS = [("heatmap", 2, "1000"), ("heatmap", 8, "1000"), ("heatmap", 8, "0.01"), ("heatmap", 24, "1000"),
             ("heatmap", 24, "0.01"), ("venn", 3, "1000"), ("venn", 6, "1000"), ("venn", 6, "0.01"), ("heatmap", 100, "1000")]
FIGURES = True
GRADIEND_MAX_RUNS = 8  # gradiend 0.2.3 needs ~53 GiB for 24 bert-base runs: more than this 24 GiB machine


def measure(cmd: list[str], env: dict | None = None) -> dict:
    out = subprocess.run([sys.executable, str(HERE / "measure.py"), *cmd], capture_output=True, text=True,
                         env={**os.environ, **(env or {})}, check=True)
    result = json.loads(out.stdout)
    if result["returncode"] != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])}... failed: {result['stderr']}")
    return result


def ensure_runs(root: Path, n_real: int, n_total: int) -> list[str]:
    """n_real generated checkpoints; more run ids are hard links to them (no disk, same bytes, distinct paths)."""
    missing = [i for i in range(n_real) if not (root / f"run_{i:03d}" / "model" / "model.safetensors").is_file()]
    if missing:
        subprocess.run([sys.executable, str(HERE / "make_checkpoints.py"), str(root), "--runs", str(n_real)], check=True)
    linked = root.parent / f"{root.name}_linked"
    for i in range(n_total):
        target = linked / f"run_{i:03d}" / "model"
        if not target.is_dir():
            target.mkdir(parents=True)
            for f in (root / f"run_{i % n_real:03d}" / "model").iterdir():
                os.link(f, target / f.name)
    return [f"run_{i:03d}" for i in range(n_total)]


def studio(root: Path, view: str, runs: list[str], topk: str, cache: Path, work: Path, png: bool,
           relabel: bool = False) -> tuple[dict, dict]:
    counts = work / f"studio_{view}_{len(runs)}_{topk}.json"
    cmd = [sys.executable, str(HERE / "studio_view.py"), str(root), "--view", view, "--runs", *runs, "--topk", topk,
           "--counts", str(counts)]
    if not FIGURES:
        cmd.append("--no-figure")
    else:
        cmd += ["--relabel"] if relabel else []
        cmd += ["--png", str(REPO / "docs" / "figures" / f"bench_{view}_{len(runs)}.png")] if png else []
    timing = measure(cmd, {"GRADIEND_ST_CACHE_DIR": str(cache)})
    return timing, json.loads(counts.read_text())


def gradiend(python: str, root: Path, view: str, runs: list[str], topk: str, work: Path) -> tuple[dict, dict]:
    counts = work / f"gradiend_{view}_{len(runs)}_{topk}.json"
    timing = measure([python, str(HERE / "gradiend_view.py"), str(root), "--view", view, "--runs", *runs, "--topk", topk,
                      "--counts", str(counts)])
    return timing, json.loads(counts.read_text())


def fmt(timing: dict | None) -> str:
    return "—" if timing is None else f"{timing['seconds']:.2f} s / {timing['peak_rss_mib']:.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(tempfile.gettempdir()) / "gradiend-bench")
    parser.add_argument("--real-runs", type=int, default=24)
    parser.add_argument("--gradiend-python", help="a Python with gradiend==0.2.3 installed (see README)")
    parser.add_argument("--quick", action="store_true", help="only N <= 8, no gradiend")
    parser.add_argument("--no-figure", action="store_true", help="top-k numbers only, no figure rendering")
    args = parser.parse_args()
    global FIGURES
    FIGURES = not args.no_figure
    scenarios = [s for s in SCENARIOS if not args.quick or s[1] <= 8]
    all_ids = ensure_runs(args.root, args.real_runs, max(n for _, n, _ in scenarios))
    linked = args.root.parent / f"{args.root.name}_linked"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for view, n, topk in scenarios:
            runs = all_ids[:n]
            root = args.root if n <= args.real_runs else linked
            cache = work / f"cache_{view}_{n}_{topk}"
            measure([sys.executable, str(HERE / "studio_view.py"), str(root), "--view", view, "--runs", *runs, "--topk", topk,
                     "--counts", str(work / "warmup.json"), "--no-figure"], {"GRADIEND_ST_CACHE_DIR": "off"})  # page cache warm-up
            cold, ours = studio(root, view, runs, topk, cache, work, png=(n in (8, 6) and topk == "1000"))
            warm, _ = studio(root, view, runs, topk, cache, work, png=False)
            # The re-draws are timed in a process of their own, so they stay out of the second-call column.
            _, redraw = studio(root, view, runs, topk, cache, work, png=False, relabel=True)
            shutil.rmtree(cache, ignore_errors=True)
            ref, same = None, ""
            if args.gradiend_python and not args.quick and n <= GRADIEND_MAX_RUNS:
                ref, theirs = gradiend(args.gradiend_python, root, view, runs, topk, work)
                key = "regions" if view == "venn" else "intersection_counts"
                same = "yes" if theirs[key] == ours[key] else "NO"
            speedup = f"{ref['seconds'] / cold['seconds']:.0f}×" if ref else "—"
            relabel = (f"{1000 * redraw['relabel_seconds']:.0f} / {1000 * redraw['rename_one_seconds']:.0f} ms"
                       if "relabel_seconds" in redraw else "—")
            label = f"{view} N={n} top-{'1 %' if topk == '0.01' else topk}"
            rows.append(f"| {label} | {fmt(cold)} | {fmt(warm)} | {relabel} | {fmt(ref)} | {speedup} | {same or '—'} |")
            print(rows[-1], flush=True)
    table = "\n".join([
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; warm page cache; "
        f"each cell one fresh process (wall time incl. interpreter start / peak RSS). N > {args.real_runs} uses hard "
        f"links to the {args.real_runs} generated checkpoints (distinct run folders, no extra disk).",
        "",
        "| scenario | studio, first call | studio, second call (disk cache) | re-draw after a label change, median of 5 (every run renamed / one run renamed) | gradiend 0.2.3 | speed-up | same counts |",
        "|---|---|---|---|---|---|---|",
        *rows,
    ])
    publish(table, "results.md", "topk")


if __name__ == "__main__":
    main()
