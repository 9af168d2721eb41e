"""One studio heatmap or Venn end to end, as a user would get it: discover, top-k, counts, figure -> PNG.

    python bench/studio_view.py ROOT --view heatmap --runs A B --part decoder-weight --topk 1000 --counts OUT.json
"""

import argparse
import json
import statistics
import time
from pathlib import Path

from gradiend_st.analysis.comparison import compare_topk
from gradiend_st.analysis.topk import parse_topk
from gradiend_st.figures import export
from gradiend_st.io.discover import discover
from gradiend_st.views import registry

RELABELS = 5  # label changes timed; the median is reported (one draw varies by ~0.1 s on a shared machine)

parser = argparse.ArgumentParser()
parser.add_argument("root")
parser.add_argument("--view", choices=("heatmap", "venn"), default="heatmap")
parser.add_argument("--runs", nargs="+", required=True)
parser.add_argument("--part", default="decoder-weight")
parser.add_argument("--topk", default="1000", type=parse_topk)
parser.add_argument("--counts", type=Path, required=True)
parser.add_argument("--png", type=Path)
parser.add_argument("--no-figure", action="store_true", help="numbers only")
parser.add_argument("--relabel", action="store_true", help="also time a re-draw after a label change")
args = parser.parse_args()

catalog = discover(args.root)
if args.no_figure:
    result = compare_topk(catalog, args.runs, args.part, args.topk)
    payload = {"runs": result.runs, "intersection_counts": result.counts.tolist()}
    if args.view == "venn":
        payload["regions"] = result.regions()
else:  # the app's path: load the view's data once, draw it, export it
    view = registry.get(args.view)
    options = registry.options_from_dict(view, {"topk": args.topk, "part": args.part})
    data = view.load(catalog, args.runs, options)
    payload = {"runs": data.runs}
    if args.view == "venn":
        payload["regions"] = data.regions
    else:
        payload["intersection_counts"] = data.counts.tolist()
    figure = view.build(data, options)
    png = export.screen_png(figure)
    if args.png:
        args.png.write_bytes(png)
    if args.relabel:  # a label change re-draws from the loaded data: time exactly that (build + the app's PNG)
        def redraw_seconds(labels_for) -> float:
            seconds = []
            for attempt in range(RELABELS):
                relabel = registry.options_from_dict(
                    view, {"topk": args.topk, "part": args.part, "run_labels": labels_for(attempt)})
                start = time.perf_counter()
                export.screen_png(view.build(data, relabel))
                seconds.append(time.perf_counter() - start)
            return statistics.median(seconds)

        # Every run renamed at once (a mapping file loaded), and one run renamed (an edit in the grid).
        payload["relabel_seconds"] = redraw_seconds(lambda i: {r: f"{r} (renamed {i})" for r in args.runs})
        payload["rename_one_seconds"] = redraw_seconds(lambda i: {args.runs[0]: f"first run, version {i}"})
args.counts.write_text(json.dumps(payload))
