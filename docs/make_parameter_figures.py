"""Redraw the README's figures of gradiend parameters (docs/gradiend_parameters.md) from ../shared/fixtures.

python docs/make_parameter_figures.py

- heatmap: the correlation strip (row_metric) and a seed group's dispersion (seed_groups, dispersion, stacked);
- Venn: three runs drawn area-proportional (the default for 2-3 sets);
- distributions: a multi-split table (the validation and test evaluations of he_she_seeds together, as gradiend's
  split="all" writes them) with include_neutral and split_plot_mode="facet".
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gradiend_st.io.discover import discover  # noqa: E402
from gradiend_st.mapping import Mapping, RunLabel  # noqa: E402
from gradiend_st.pipeline import prepared, render  # noqa: E402
from gradiend_st.presets import Preset  # noqa: E402

RUNS = REPO.parent / "shared" / "fixtures" / "gradiend_runs_en"
OUT = REPO / "docs" / "figures"


def heatmap() -> bytes:
    preset = Preset(views={"heatmap": {"topk": 100, "percentages": True, "row_metric": "correlation",
                                       "seed_groups": True, "seed_pairing_mode": "all_pairs", "dispersion": "std",
                                       "dispersion_display": "stacked"}})
    runs = ["he_she", "he_she_seeds", "she_they", "he_it", "suite_pronouns/he__they"]
    return render(discover(RUNS), "heatmap", run_ids=runs, preset=preset, fmt="png", dpi=130)[0]


def venn() -> bytes:
    mapping = Mapping(runs=[RunLabel("suite_pronouns/he__they", "he/they (suite)")])
    preset = Preset(mapping=mapping, views={"venn": {"topk": 0.01}})
    return render(discover(RUNS), "venn", run_ids=["he_she", "she_they", "suite_pronouns/he__they"], preset=preset,
                  fmt="png", dpi=130)[0]


def distributions() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "runs"
        source = RUNS / "he_she_seeds"
        target = root / "he_she_seeds"
        (target / "model").mkdir(parents=True)
        for name in ("config.json", "model.safetensors", "training.json", "gradiend_context.json"):
            (target / "model" / name).write_bytes((source / "model" / name).read_bytes())
        both = pd.concat([pd.read_csv(source / f"encoded_values_split_{s}.csv") for s in ("validation", "test")])
        both.to_csv(target / "encoded_values_split_all.csv", index=False)
        preset = Preset(views={"distributions": {"split": "split_all", "include_neutral": True,
                                                 "split_plot_mode": "facet"}})
        catalog = discover(root)
        prepared(catalog, "distributions", preset=preset, run_ids=["he_she_seeds"])  # fails loudly if unusable
        return render(catalog, "distributions", run_ids=["he_she_seeds"], preset=preset, fmt="png", dpi=130)[0]


if __name__ == "__main__":
    for name, draw in (("param_heatmap_row_metric_seed_dispersion", heatmap), ("param_venn3_area_proportional", venn),
                       ("param_distributions_include_neutral_facet", distributions)):
        (OUT / f"{name}.png").write_bytes(draw())
        print(OUT / f"{name}.png")
