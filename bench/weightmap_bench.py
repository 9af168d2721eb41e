"""Weight map benchmark: the map of 8 bert-base-size runs against the top-k heatmap of the same runs, in the same run.

    python bench/weightmap_bench.py --root /tmp/gradiend-bench [--runs 8] [--repeat 3]

Builds the checkpoints if missing (bench/make_checkpoints.py). For top-1000 and top-1 %, the top-k lists are
computed once into a fresh disk cache (the issue's premise: "the top-k lists are already cached"); then the heatmap
and the weight map are each drawn end to end in fresh processes, as a user gets them: discover, load (top-k from
the cache; the heatmap's overlaps, the map's placement), build, the screen PNG. Reports the median wall time
(interpreter start included) and peak RSS of `--repeat` processes, the in-process split, and whether the map
stays within the heatmap + 0.5 s. Writes a Markdown table into README.md between the weightmap bench markers.
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
TARGET_SECONDS = 0.5


def one(args) -> None:
    """One view end to end in this process; the split goes to --out as JSON."""
    started = time.perf_counter()
    from gradiend_st.analysis.topk import parse_topk
    from gradiend_st.figures import export
    from gradiend_st.io.discover import discover
    from gradiend_st.views import registry

    imported = time.perf_counter()
    catalog = discover(args.root)
    view = registry.get(args.one)
    options = registry.options_from_dict(view, {"topk": parse_topk(args.topk), "plot": args.plot,
                                                "annot": {"on": True, "auto": "auto"}[args.annot]})
    discovered = time.perf_counter()
    data = view.load(catalog, args.runs, options)
    loaded = time.perf_counter()
    figure = view.build(data, options)
    png = None if args.plot == "flow" else export.screen_png(figure)  # the app sends a plotly figure as it is
    drawn = time.perf_counter()
    if args.png and png is not None:
        args.png.write_bytes(png)
    Path(args.out).write_text(json.dumps({"imports": imported - started, "discover": discovered - imported,
                                          "load": loaded - discovered, "draw": drawn - loaded,
                                          "runs": data.runs, "left_out": data.left_out}))


def measure(cmd: list[str], env: dict) -> dict:
    out = subprocess.run([sys.executable, str(HERE / "measure.py"), *cmd], capture_output=True, text=True,
                         env={**os.environ, **env}, check=True)
    result = json.loads(out.stdout)
    if result["returncode"] != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])}... failed: {result['stderr']}")
    return result


def run_once(view: str, root: Path, runs: list[str], topk: str, cache: Path, out: Path, plot: str = "map",
             annot: str = "auto", png: Path | None = None) -> dict:
    """One fresh process: wall seconds and peak RSS, plus the in-process split it wrote."""
    cmd = [str(Path(__file__).resolve()), "--one", view, "--root", str(root), "--runs", *runs, "--topk", topk,
           "--plot", plot, "--annot", annot, "--out", str(out)] + (["--png", str(png)] if png is not None else [])
    result = measure([sys.executable, *cmd], {"GRADIEND_ST_CACHE_DIR": str(cache)})
    split = json.loads(out.read_text())
    assert not split["left_out"], split["left_out"]
    return {"seconds": result["seconds"], "rss": result["peak_rss_mib"], **split}


def _cell(result: dict) -> str:
    return (f"{result['seconds']:.2f} s / {result['rss']:.0f} MiB "
            f"(load {result['load']:.2f}, draw {result['draw']:.2f})")


def medians(results: list[dict]) -> dict:
    keys = ("seconds", "rss", "imports", "discover", "load", "draw")
    return {key: statistics.median(r[key] for r in results) for key in keys}


VARIANTS = {  # name -> (view, plot, annot); measured alternately, so a busy moment of the machine hits all alike
    "heatmap": ("heatmap", "map", "auto"),
    "map": ("weightmap", "map", "auto"),
    "map, numbers in every cell": ("weightmap", "map", "on"),
    "heads (12 x 12 per component)": ("weightmap", "heads", "auto"),
    "flow (Sankey)": ("weightmap", "flow", "auto"),
}


def side_by_side(root: Path, runs: list[str], topk: str, cache: Path, work: Path, repeat: int,
                 png: Path | None) -> dict[str, dict]:
    """Every variant once per round, `repeat` rounds; the medians."""
    results: dict[str, list[dict]] = {name: [] for name in VARIANTS}
    for attempt in range(repeat):
        for i, (name, (view, plot, annot)) in enumerate(VARIANTS.items()):
            shot = png if attempt == 0 and name == "map" else None
            results[name].append(run_once(view, root, runs, topk, cache, work / f"{i}_{attempt}.json", plot, annot,
                                          shot))
    return {name: medians(found) for name, found in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(tempfile.gettempdir()) / "gradiend-bench")
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from run_bench import ensure_runs

    runs = ensure_runs(args.root, args.runs, args.runs)
    rows, load_before = [], os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for topk in ("1000", "0.01"):
            cache = work / f"cache_{topk}"
            # The top-k lists into the cache (and the weights into the page cache), as a first visit leaves them.
            subprocess.run([sys.executable, str(HERE / "studio_view.py"), str(args.root), "--runs", *runs, "--topk", topk,
                            "--counts", str(work / "warmup.json"), "--no-figure"],
                           env={**os.environ, "GRADIEND_ST_CACHE_DIR": str(cache)}, check=True)
            label = "top-1 %" if topk == "0.01" else f"top-{topk}"
            png = REPO / "docs" / "figures" / "bench_weightmap_8.png" if topk == "1000" else None
            found = side_by_side(args.root, runs, topk, cache, work, args.repeat, png)
            heat = found.pop("heatmap")
            rows.append(f"| N={len(runs)} {label}: heatmap (reference) | {_cell(heat)} | | |")
            for name, mapped in found.items():
                extra = mapped["seconds"] - heat["seconds"]
                within = ("yes" if extra <= TARGET_SECONDS else "NO") if name == "map" else ""
                rows.append(f"| N={len(runs)} {label}: weight map, {name} | {_cell(mapped)} | {extra:+.2f} s | {within} |")
            print("\n".join(rows[-len(VARIANTS):]), flush=True)
    table = "\n".join([
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, load average "
        f"{load_before:.1f} before and {os.getloadavg()[0]:.1f} after (other jobs share the cores); top-k lists already "
        f"in the disk cache; each cell the median of {args.repeat} fresh processes (wall time incl. interpreter start "
        "/ peak RSS; in brackets the in-process seconds of `load` and of build + screen PNG).",
        "",
        "| scenario | seconds / peak RSS (in-process load, draw) | − heatmap | within +0.5 s |",
        "|---|---|---|---|",
        *rows,
    ])
    publish(table, "weightmap_results.md", "weightmap")


if __name__ == "__main__":
    if "--one" in sys.argv:
        one_parser = argparse.ArgumentParser()
        one_parser.add_argument("--one", required=True)
        one_parser.add_argument("--root", required=True)
        one_parser.add_argument("--runs", nargs="+", required=True)
        one_parser.add_argument("--topk", required=True)
        one_parser.add_argument("--plot", default="map")
        one_parser.add_argument("--annot", default="auto", choices=("auto", "on"))
        one_parser.add_argument("--out", required=True)
        one_parser.add_argument("--png", type=Path)
        one(one_parser.parse_args())
    else:
        main()
