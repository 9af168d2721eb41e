"""Redraw the README's figures (docs/figures/) from the gradiend 0.2.3 fixture runs, through the same pipeline as
`gradiend-st render`, so they show exactly what the app downloads (colours from one shared mapping).

    python docs/make_figures.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from gradiend_st.figures import profiles
from gradiend_st.io.discover import discover
from gradiend_st.mapping import default_mapping
from gradiend_st.pipeline import render
from gradiend_st.presets import Preset

HERE = Path(__file__).resolve().parent
PAIRS = ["he_she", "she_they", "3SG_3PL", "he_it", "1SG_1PL"]
SPECIAL = ["he_she_seeds", "he_she_preprune", "she_they_postprune", "it_they_bin"]
SUITE = ["suite_pronouns/he__they", "suite_pronouns/she__they"]

# file name -> (view, {option: value}, selection or run)
FIGURES = {
    "convergence_he_she.png": ("convergence", {}, "he_she"),
    "convergence_overlay.png": ("convergence", {"mode": "overlay"}, ["he_she", "she_they", "he_it", SUITE[0]]),
    "distributions_he_she.png": ("distributions", {}, "he_she"),
    "distributions_suite_he__they.png": ("distributions", {}, SUITE[0]),
    "scatter_suite_pronouns__he__they.png": ("scatter", {}, SUITE[0]),
    "heatmap_decoder-weight_top100.png": ("heatmap", {"topk": 100}, PAIRS + SPECIAL + SUITE),
    "heatmap_groups_cluster_top100.png": ("heatmap", {"topk": 100, "cluster": True}, PAIRS + SPECIAL + SUITE),
    "venn3_decoder-weight_top100.png": ("venn", {"topk": 100}, PAIRS[:3]),
    "venn4_decoder-weight_top100.png": ("venn", {"topk": 100}, PAIRS[:4]),
    "venn5_decoder-weight_top100.png": ("venn", {"topk": 100}, PAIRS),
    "venn6_decoder-weight_top0p01.png": ("venn", {"topk": 0.01}, PAIRS + [SUITE[0]]),
    "venn_upset11_decoder-weight_top0p01.png": ("venn", {"topk": 0.01}, PAIRS + SPECIAL + SUITE),
    "curves_decoder-weight_top0p01.png": ("curves", {}, ["he_she", "he_it", "she_they", "he_she_seeds", SUITE[0]]),
    "curves_times_chance_top1000.png": ("curves", {"topk": 1000, "value": "times_chance", "pair_groups": "shared class"},
                                        PAIRS + SPECIAL + SUITE),
    "crossencoding_suite_overlap.png": ("crossencoding", {"overlap": True, "topk": 0.01},
                                        SUITE + ["he_she", "she_they", "he_it", "3SG_3PL"]),
}
# The same figure at two venue profiles (README, "Paper-ready figures"): file name -> (view, options, runs, profile)
PROFILE_FIGURES = {f"profile_heatmap_{name}.png": ("heatmap", {"topk": 100}, PAIRS, name)
                   for name in ("acl-column", "neurips")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=HERE.parent.parent / "shared")
    args = parser.parse_args()
    catalog = discover(args.shared / "fixtures" / "gradiend_runs_en")
    mapping = default_mapping(catalog)
    groups = {rid: "pronoun pairs" for rid in PAIRS} | {rid: "special cases" for rid in SPECIAL}
    for row in mapping.runs:
        row.group = groups.get(row.run, "")
    drawn = {name: (*figure, None) for name, figure in FIGURES.items()} | PROFILE_FIGURES
    for name, (view, options, runs, profile) in drawn.items():
        grouped = view == "heatmap" and "groups" in name
        preset = Preset(mapping=mapping if grouped else _without_groups(mapping), views={view: options},
                        selection=runs if isinstance(runs, list) else None, run=runs if isinstance(runs, str) else None)
        data, _ = render(catalog, view, preset=preset, fmt="png", dpi=150, profile=profiles.get(profile))
        (HERE / "figures" / name).write_bytes(data)
        print(f"docs/figures/{name}")


def _without_groups(mapping):
    copy = type(mapping).from_dict(mapping.to_dict())
    for row in copy.runs:
        row.group = ""
    return copy


if __name__ == "__main__":
    main()
