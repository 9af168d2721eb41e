"""The "copy as code" text (gradiend_st.code): gradiend's names and defaults, what is only named, CLI = app.

Whether the scripts run on gradiend 0.2.3: tests/test_code_runs.py.
"""

from __future__ import annotations

import ast

import pytest

from gradiend_st.cli import main
from gradiend_st.code import script
from gradiend_st.mapping import Mapping, RunLabel
from gradiend_st.pipeline import prepared
from gradiend_st.presets import Preset
from gradiend_st.views import registry

HE_THEY = "suite_pronouns/he__they"


def written(catalog, view: str, runs: list[str], preset: Preset | None = None, **kwargs) -> str:
    _, spec, data, options, _ = prepared(catalog, view, preset=preset or Preset(), run_ids=runs)
    return script(spec, options, data, catalog, **kwargs)


def call_keywords(text: str, function: str) -> dict:
    """The keyword arguments of the (last) call of `function` in a script, as source text."""
    found = {}
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == function:
            found = {k.arg: ast.unparse(k.value) for k in node.keywords}
    return found


def test_only_values_differing_from_gradiends_defaults_are_written(catalog):
    heat = call_keywords(written(catalog, "heatmap", ["he_she", "she_they"]), "plot_topk_overlap_heatmap")
    # percentages: the studio's default (False) differs from gradiend's (True); topk/part define the figure
    assert heat["percentages"] == "False" and heat["topk"] == "1000" and heat["part"] == "'decoder-weight'"
    assert "value" not in heat and "cmap" not in heat and "annot" not in heat and "seed_groups" not in heat
    assert heat["title"] == "'Top-1000 overlap (decoder-weight)'"  # gradiend draws no title by default
    preset = Preset(views={"heatmap": {"topk": 0.01, "cmap": "magma", "annot_fmt": ".1f", "cbar_y_pad": -0.1}})
    custom = call_keywords(written(catalog, "heatmap", ["he_she", "she_they"], preset), "plot_topk_overlap_heatmap")
    assert (custom["topk"], custom["cmap"], custom["annot_fmt"], custom["cbar_y_pad"]) == \
        ("0.01", "'magma'", "'.1f'", "-0.1")


def test_runs_are_keys_labels_and_marks_are_gradiend_parameters(catalog):
    mapping = Mapping(runs=[RunLabel(HE_THEY, "he/they"), RunLabel("he_she", "He/She")])
    preset = Preset(mapping=mapping, views={"heatmap": {"order": [HE_THEY]}, "venn": {}})
    text = written(catalog, "heatmap", ["he_she", "she_they", HE_THEY], preset)
    keys = call_keywords(text, "plot_topk_overlap_heatmap")
    assert ast.literal_eval(keys["order"]) == [HE_THEY, "he_she", "she_they"]  # every run, the listed ones first
    assert ast.literal_eval(keys["converged_by_id"])[HE_THEY] is False  # so gradiend draws the †
    assert ast.literal_eval(keys["row_label_mapping"]) == {"he_she": "He/She", HE_THEY: "he/they"}
    assert f"{HE_THEY!r}: ParamMappedGradiendModel.from_pretrained(str(ROOT / '{HE_THEY}/model'))" in text
    venn = call_keywords(written(catalog, "venn", ["he_she", HE_THEY], preset), "plot_topk_overlap_venn")
    assert ast.literal_eval(venn["label_mapping"]) == {"he_she": "He/She", HE_THEY: "he/they"}
    assert ast.literal_eval(venn["converged_by_id"]) == {"he_she": True, HE_THEY: False}


def test_studio_only_options_are_named_never_passed(catalog):
    preset = Preset(views={"venn": {"equal_circles": True, "max_intersections": 10},
                           "distributions": {"legend_loc": "outside lower center"},
                           "convergence": {"mode": "overlay", "legend_loc": "below"}})
    venn = written(catalog, "venn", ["he_she", "she_they"], preset)
    assert "equal_circles" not in call_keywords(venn, "plot_topk_overlap_venn")
    assert "# Studio-only options, not gradiend parameters (not passed): " in venn and "equal_circles=True" in venn
    dist = written(catalog, "distributions", ["he_she"], preset)
    assert "legend_loc" not in call_keywords(dist, "plot_encoder_distributions")  # matplotlib would refuse it
    assert "legend_loc=outside lower center" in dist
    conv = written(catalog, "convergence", ["he_she", "she_they"], preset)
    assert conv.count("plot_training_convergence(") == 2 and "mode=overlay" in conv  # one call per run
    assert "legend_loc=outside lower center" in conv  # an old preset's "below", as the studio draws it


@pytest.mark.parametrize("loc", ["best", "upper right", "center left", "lower center"])
def test_matplotlib_legend_locations_are_passed(catalog, loc):
    preset = Preset(views={"distributions": {"legend_loc": loc}, "convergence": {"legend_loc": loc}})
    assert call_keywords(written(catalog, "distributions", ["he_she"], preset),
                         "plot_encoder_distributions")["legend_loc"] == repr(loc)
    assert call_keywords(written(catalog, "convergence", ["he_she"], preset),
                         "plot_training_convergence")["legend_loc"] == repr(loc)


def test_output_goes_through_gradiends_own_parameters(catalog):
    conv = call_keywords(written(catalog, "convergence", ["he_she"], output="fig.svg", dpi=300),
                         "plot_training_convergence")
    assert (conv["output"], conv["img_format"], conv["dpi"], conv["show"]) == ("OUTPUT", "'svg'", "300", "False")
    shown = call_keywords(written(catalog, "scatter", ["he_she"]), "plot_encoder_scatter")
    assert shown["show"] == "True" and "output_path" not in shown
    html = call_keywords(written(catalog, "scatter", ["he_she"], output="s.html"), "plot_encoder_scatter")
    assert html["output_path"] == "OUTPUT"
    assert "fig.write_image(OUTPUT)" in written(catalog, "scatter", ["he_she"], output="s.png")


def test_cli_prints_what_the_app_shows(catalog, runs_root, tmp_path, capsys):
    preset = Preset(mapping=Mapping(runs=[RunLabel("he_she", "He/She")]), views={"heatmap": {"topk": 100}}, dpi=150)
    path = tmp_path / "preset.json"
    path.write_text(preset.to_json())
    assert main(["code", str(runs_root), "--view", "heatmap", "--runs", "he_she", "she_they", "--preset", str(path),
                 "--output", "h.png"]) == 0
    printed = capsys.readouterr().out
    assert printed == written(catalog, "heatmap", ["he_she", "she_they"], preset, root=str(runs_root.resolve()),
                              output="h.png", dpi=150)
    compile(printed, "script", "exec")
    assert main(["code", str(runs_root), "--view", "venn", "--runs", "he_she", "no_such_run"]) == 1
    assert "no_such_run" in capsys.readouterr().err


def doc_sections() -> dict[str, str]:
    """docs/gradiend_parameters.md by gradiend function: {function: its section's text}."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "gradiend_parameters.md").read_text()
    parts = text.split("\n## `")[1:]
    return {part.split("`", 1)[0]: part for part in parts}


def test_every_option_is_in_the_parameter_table():
    """Each option of the five views is a row (or named in one) of its function's table; no cell says "missing".
    That every gradiend parameter has a row: tests/test_code_runs.py (it reads gradiend's signatures)."""
    sections = doc_sections()
    for name in ("convergence", "distributions", "scatter", "heatmap", "venn"):
        view = registry.get(name)
        section = sections[view.gradiend.function]
        for option in view.Options.__dataclass_fields__:
            assert f"`{option}`" in section, (name, option)
        cells = [c.strip().lower() for line in section.splitlines() if line.startswith("|") for c in line.split("|")]
        assert "missing" not in cells
