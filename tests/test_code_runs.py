"""Every "copy as code" script runs on gradiend 0.2.3 and draws its figure; heatmap and Venn numbers are the studio's.

For every registry view with a gradiend equivalent, the script `gradiend-st code` writes is generated with default
options and with a preset that renames labels, groups legend entries, sets colours, order, legend placement and
fonts, then run under gradiend 0.2.3 on the real fixtures. All scripts run in one subprocess (gradiend's import
alone takes seconds), each as its own `__main__` module.

Skipped only where gradiend cannot be imported AND GRADIEND_ST_REQUIRE_GRADIEND is unset; CI sets it, so there a
missing gradiend fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from itertools import combinations

import numpy as np
import pytest

from gradiend_st.code import WRITERS, script
from gradiend_st.mapping import ClassLabel, Mapping, RunLabel
from gradiend_st.pipeline import prepared
from gradiend_st.presets import Preset
from gradiend_st.views import registry

HE_THEY = "suite_pronouns/he__they"
RUNS = {  # the runs each view draws: several (one not converged) for the comparisons, one for the others
    "heatmap": ["he_she", "he_it", "she_they", HE_THEY],
    "venn": ["he_she", "he_it", "she_they"],
    "convergence": ["he_she"],
    "distributions": [HE_THEY],
    "scatter": ["he_she"],
}
CUSTOM_RUNS = {**RUNS, "heatmap": ["he_she", "he_she_seeds", "she_they", HE_THEY],
               "venn": ["he_she_seeds", "she_they", HE_THEY]}
SUFFIX = {"scatter": ".html"}

CUSTOM = Preset(
    mapping=Mapping(
        runs=[RunLabel("he_she", "He/She", "pairs", "#112233"), RunLabel("she_they", "She ↔ They", "pairs", "#445566"),
              RunLabel(HE_THEY, "he/they suite", "suite", "#778899"), RunLabel("he_she_seeds", "3 seeds", "", "#aa3300")],
        classes=[ClassLabel("she", "SHE", "", "#00aa00", 0), ClassLabel("he", "HE", "", "#dd0000", 1),
                 ClassLabel("they", "THEY", "they group", "#0000cc", 2),
                 ClassLabel("Neutral: Training masked", "masked", "neutral", "#999999", 3),
                 ClassLabel("Neutral: Neutral dataset", "dataset", "neutral", "#555555", 4)]),
    views={
        "heatmap": {"topk": 100, "order": ["she_they", "he_she"], "value": "intersection_frac", "annot_fmt": ".3f",
                    "tick_label_fontsize": 8, "annot_fontsize": 6, "group_label_fontsize": 9, "cbar_fontsize": 7,
                    "cbar_shrink": 0.6, "cbar_y_pad": 0.05, "cmap": "magma", "group_label_rotation_right": 15,
                    "row_metric": "correlation", "row_metric_label": "best corr", "seed_groups": True,
                    "seed_pairing_mode": "all_pairs", "dispersion": "std", "dispersion_display": "stacked"},
        "venn": {"topk": 100, "circle_names_fontsize": 11, "region_counts_fontsize": 12, "patch_linewidth": 2.0,
                 "alpha": 0.4, "title": "Shared top-100 weights", "seed_groups": True, "seed_group_policy": "union"},
        "convergence": {"legend_loc": "lower right", "legend_ncol": 2, "class_spread": "iqr", "figsize": [6, 4],
                        "title": "Training of he/she"},
        "distributions": {"legend_loc": "upper left", "legend_ncol": 2, "legend_fontsize": 7, "title_fontsize": 12,
                          "label_fontsize": 8, "axis_label_fontsize": 9, "cmap": "Set2", "figsize": [7, 4],
                          "target_and_neutral_only": False, "class_label_mapping": None},
        "scatter": {"hover_cols": ["label", "data_split", "source_id"], "height": 420, "max_points": 40,
                    "cmap": "Set2", "title": "Encoded points"},
    },
    dpi=120,
)
CASES = [(name, case) for name in registry.VIEW_NAMES if registry.get(name).gradiend is not None
         and registry.get(name).gradiend.function in WRITERS for case in ("default", "custom")]

RUNNER = textwrap.dedent('''
    import json, runpy, sys, traceback
    try:
        import gradiend.visualizer  # noqa: F401
    except Exception as exc:
        print(json.dumps({"import_error": f"{type(exc).__name__}: {exc}"}))
        sys.exit(0)
    import inspect
    import matplotlib.pyplot as plt
    import gradiend.visualizer as visualizer
    results = {"signatures": {name: [p.name for p in inspect.signature(getattr(visualizer, name)).parameters.values()
                                     if p.kind is not p.VAR_KEYWORD]
                              for name in ("plot_training_convergence", "plot_encoder_distributions",
                                           "plot_encoder_scatter", "plot_topk_overlap_heatmap",
                                           "plot_topk_overlap_venn")}}
    for path in sys.argv[1:]:
        payload = {"ok": True}
        try:
            found = runpy.run_path(path, run_name="__main__").get("result")
        except SystemExit as exc:
            found, payload = None, {"ok": exc.code in (0, None), "error": f"SystemExit({exc.code!r})"}
        except BaseException:
            found, payload = None, {"ok": False, "error": traceback.format_exc()}
        if isinstance(found, dict) and "matrix" in found:
            payload["model_ids"] = list(found["model_ids"])
            payload["matrix"] = [[float(v) for v in row] for row in found["matrix"]]
        if isinstance(found, dict) and "per_model" in found:
            payload["per_model"] = {k: sorted(int(i) for i in v) for k, v in found["per_model"].items()}
        results[path] = payload
        plt.close("all")
    print(json.dumps(results))
''')


@pytest.fixture(scope="module")
def drawn(runs_root, tmp_path_factory):
    """{(view, case): (script text, output file, studio data and options, what the script returned)}."""
    from gradiend_st.io.discover import discover

    catalog = discover(runs_root)
    folder = tmp_path_factory.mktemp("gradiend-code")
    made = {}
    for name, case in CASES:
        preset = CUSTOM if case == "custom" else Preset()
        runs = (CUSTOM_RUNS if case == "custom" else RUNS)[name]
        _, view, data, options, _ = prepared(catalog, name, preset=preset, run_ids=runs)
        output = folder / f"{name}_{case}{SUFFIX.get(name, '.png')}"
        text = script(view, options, data, catalog, output=str(output), dpi=preset.dpi)
        path = folder / f"{name}_{case}.py"
        path.write_text(text)
        made[(name, case)] = (text, output, data, options, path)
    runner = folder / "run_all.py"
    runner.write_text(RUNNER)
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, str(runner), *(str(m[4]) for m in made.values())], capture_output=True,
                          text=True, timeout=600, env=env, cwd=folder)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    if "import_error" in results:
        if os.environ.get("GRADIEND_ST_REQUIRE_GRADIEND"):
            pytest.fail(f"gradiend 0.2.3 is required here but cannot be imported: {results['import_error']}")
        pytest.skip(f"gradiend not importable ({results['import_error']}): pip install -e '.[gradiend]'")
    found = {key: (text, output, data, options, results[str(path)]) for key, (text, output, data, options, path)
             in made.items()}
    found["signatures"] = results["signatures"]
    return found


@pytest.mark.parametrize("name, case", CASES)
def test_script_runs_and_writes_its_figure(drawn, name, case):
    text, output, _, _, result = drawn[(name, case)]
    assert result["ok"], f"{name} ({case}) failed under gradiend 0.2.3:\n{result.get('error')}\n---\n{text}"
    assert output.is_file() and output.stat().st_size > 1000, f"{output.name} was not written"
    head = output.read_bytes()[:200]
    assert head.startswith(b"\x89PNG") if output.suffix == ".png" else b"<html" in head.lower()


def test_custom_scripts_pass_the_preset_as_gradiend_parameters(drawn):
    heat = drawn[("heatmap", "custom")][0]
    assert "'he_she_seeds': [  # seed group" in heat and "row_label_mapping={'he_she': 'He/She'" in heat
    assert "pretty_groups={'pairs': [" in heat and "order=['she_they', 'he_she', 'he_she_seeds', " in heat
    assert "converged_by_id={" in heat and f"'{HE_THEY}': False" in heat
    dist = drawn[("distributions", "custom")][0]
    assert "legend_group_mapping={" in dist and "ignore_missing_legend_group_labels=True" in dist
    assert "legend_loc='upper left'" in dist and "legend_fontsize=7" in dist and "img_format" not in dist
    assert "dpi=120" in dist and "colors={" in dist and "legend_name_mapping={" in dist
    assert "paired_legend_labels=['she', 'he', 'they group', 'neutral']" in dist
    assert "seed_group_policy='union'" in drawn[("venn", "custom")][0]
    assert "hover_cols=['label', 'data_split', 'source_id']" in drawn[("scatter", "custom")][0]


@pytest.mark.parametrize("case", ["default", "custom"])
def test_heatmap_numbers_are_the_studios(drawn, case):
    from gradiend_st.views import heatmap

    _, _, data, options, result = drawn[("heatmap", case)]
    assert result["ok"], result.get("error")
    studio = heatmap.cells(data, options)
    index = [data.runs.index(rid) for rid in result["model_ids"]]
    expected = studio.values[np.ix_(index, index)]
    got = np.array(result["matrix"])
    groups = [rid for rid in result["model_ids"] if len(data.members.get(rid, [rid])) > 1]
    for i, rid in enumerate(result["model_ids"]):
        if rid in groups:  # the studio compares distinct seeds on a group's diagonal (gradiend: with themselves)
            got[i, i] = expected[i, i]
    assert np.allclose(got, expected, atol=1e-9), (result["model_ids"], got, expected)
    if case == "custom":
        assert groups == ["he_she_seeds"] and studio.grouped


@pytest.mark.parametrize("case", ["default", "custom"])
def test_venn_numbers_are_the_studios(drawn, case):
    _, _, data, _, result = drawn[("venn", case)]
    assert result["ok"], result.get("error")
    sets = {rid: set(indices) for rid, indices in result["per_model"].items()}
    assert {rid: len(s) for rid, s in sets.items()} == data.sizes
    ids = list(sets)
    for region in data.regions:
        inside = set.intersection(*(sets[m] for m in region["members"]))
        outside = set().union(*(sets[m] for m in ids if m not in region["members"]))
        assert len(inside - outside) == region["count"], region
    assert len(data.regions) == sum(1 for k in range(1, len(ids) + 1) for _ in combinations(ids, k))


def test_every_gradiend_parameter_has_a_row_in_the_table(drawn):
    """docs/gradiend_parameters.md lists each parameter of gradiend 0.2.3's five functions (read from gradiend)."""
    from tests.test_code import doc_sections

    sections = doc_sections()
    for function, parameters in drawn["signatures"].items():
        rows = [line.split("|")[1] for line in sections[function].splitlines() if line.startswith("| `")]
        for parameter in parameters:
            assert any(f"`{parameter}`" in row for row in rows), (function, parameter)
