"""The same heatmap or Venn with gradiend 0.2.3 itself (run with a Python that has gradiend installed).

    <gradiend python> bench/gradiend_view.py ROOT --view heatmap --runs A B --part decoder-weight --topk 1000 --counts OUT.json
"""

import argparse
import json
from itertools import combinations
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("root", type=Path)
parser.add_argument("--view", choices=("heatmap", "venn"), default="heatmap")
parser.add_argument("--runs", nargs="+", required=True)
parser.add_argument("--part", default="decoder-weight")
parser.add_argument("--topk", default="1000")
parser.add_argument("--counts", type=Path, required=True)
args = parser.parse_args()
topk = int(args.topk) if args.topk.isdigit() else float(args.topk)

import matplotlib  # noqa: E402

matplotlib.use("Agg")
from gradiend import ParamMappedGradiendModel, plot_topk_overlap_heatmap, plot_topk_overlap_venn  # noqa: E402

models = {rid: ParamMappedGradiendModel.from_pretrained(str(args.root / rid / "model")) for rid in args.runs}
png = args.counts.with_suffix(".png")
if args.view == "heatmap":
    data = plot_topk_overlap_heatmap(models, topk=topk, part=args.part, show=False, return_data=True, output_path=str(png))
else:
    data = plot_topk_overlap_venn(models, topk=topk, part=args.part, show=False, output_path=str(png))
sets = {rid: set(data["per_model"][rid]) for rid in args.runs}
counts = [[len(sets[a] & sets[b]) for b in args.runs] for a in args.runs]
payload = {"runs": args.runs, "intersection_counts": counts}
if args.view == "venn":
    regions = []
    for size in range(1, len(args.runs) + 1):
        for members in combinations(args.runs, size):
            inside = set.intersection(*(sets[m] for m in members))
            outside = set().union(*(sets[r] for r in args.runs if r not in members))
            regions.append({"members": list(members), "count": len(inside - outside)})
    payload["regions"] = regions
args.counts.write_text(json.dumps(payload))
