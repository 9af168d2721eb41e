"""Bundle size and pack time for bert-base-size runs (checkpoints from bench/make_checkpoints.py).

    python bench/pack_bench.py --root /tmp/gradiend-bench [--runs 8]

Each `gradiend-st pack` runs in a fresh process with an empty top-k cache (wall time, peak RSS); then the
heatmap numbers are computed from the bundle and compared with those from the checkpoints.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from pathlib import Path

from run_bench import measure  # a sibling script: bench/ is on sys.path when these run

CASES = [("default: 4 parts, top 10,000", []), ("4 parts, top 1 %", ["--topk-max", "0.01"]),
         ("decoder-weight only, top 1 %", ["--parts", "decoder-weight", "--topk-max", "0.01"])]


def counts(root: Path, runs: list[str], topk: str) -> list:
    out = subprocess.run(["gradiend-st", "topk", str(root), "--runs", *runs, "--topk", topk, "--json"],
                         capture_output=True, text=True, check=True, env={**os.environ, "GRADIEND_ST_CACHE_DIR": "off"})
    return json.loads(out.stdout)["intersection_counts"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=8)
    args = parser.parse_args()
    runs = [f"run_{i:03d}" for i in range(args.runs)]
    source = sum(f.stat().st_size for r in runs for f in (args.root / r).rglob("*") if f.is_file())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, extra in CASES:
            out = Path(tmp) / "bundle.zip"
            timing = measure(["gradiend-st", "pack", str(args.root), "--runs", *runs, *extra, "-o", str(out), "--force"],
                             {"GRADIEND_ST_CACHE_DIR": tempfile.mkdtemp(dir=tmp)})
            size = out.stat().st_size
            same = counts(out, runs, "1000") == counts(args.root, runs, "1000") if not extra else None
            if extra and "0.01" in extra:
                same = counts(out, runs, "0.01") == counts(args.root, runs, "0.01")
            rows.append(f"| {name} | {size / 2**20:,.1f} MiB ({size / source:.2%} of {source / 2**30:.1f} GiB) | "
                        f"{timing['seconds']:.1f} s / {timing['peak_rss_mib']:.0f} MiB | {'yes' if same else 'NO'} |")
            print(rows[-1], flush=True)
    print(f"\n{args.runs} runs of input_dim 108,891,648:\n")
    print("| bundle | size | `gradiend-st pack` (cold, fresh process) | same heatmap counts as the checkpoints |")
    print("|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
