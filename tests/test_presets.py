"""Presets: JSON round trip, the PNG resolution, and `gradiend-st render` drawing what the app draws."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from gradiend_st.cli import main
from gradiend_st.demo import DEMO_ROOT
from gradiend_st.io.discover import discover
from gradiend_st.mapping import ClassLabel, Mapping, RunLabel
from gradiend_st.pipeline import MissingRuns, choose_runs, explicit_runs, render
from gradiend_st.presets import Preset, PresetError, options_to_dict
from gradiend_st.views import registry

MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF", "svg": b"<?xml"}


@pytest.fixture(scope="module")
def demo():
    return discover(DEMO_ROOT)


def render_figure(catalog, view: str, **kwargs) -> bytes:
    return render(catalog, view, **kwargs)[0]


def sample_preset() -> Preset:
    return Preset(
        mapping=Mapping(runs=[RunLabel("he_she", "Masc vs fem"), RunLabel("she_they", "Fem vs plural")],
                        classes=[ClassLabel("he", "HE-renamed", "", "#123456", 1), ClassLabel("she", "SHE-renamed")]),
        views={"heatmap": {"topk": 100, "part": "decoder-sum", "percentages": True},
               "venn": {"topk": 0.01, "part": "encoder-weight"},
               "convergence": {"class_spread": "minmax", "figsize": [6.0, 4.0]}},
        selection=["he_she", "she_they", "he_it"],
        run="he_she",
    )


def test_round_trip_keeps_types():
    preset = sample_preset()
    text = preset.to_json()
    back = Preset.from_json(text)
    assert back == preset
    assert isinstance(back.views["heatmap"]["topk"], int) and isinstance(back.views["venn"]["topk"], float)
    assert Preset.from_json(text.encode("utf-8")) == preset


def test_full_options_survive_json():
    heatmap = registry.get("heatmap")
    options = heatmap.Options(topk=1.0, figsize=(4.0, 3.0))
    values = json.loads(json.dumps(options_to_dict(options)))
    restored = registry.options_from_dict(heatmap, values)
    assert restored.topk == 1.0 and isinstance(restored.topk, float), "1.0 (all dims) must not become 1 (one dim)"
    assert list(restored.figsize) == [4.0, 3.0]


@pytest.mark.parametrize("text, words", [
    ("{not json", "not JSON"),
    ("[]", "not a GRADIEND Studio preset"),
    ('{"gradiend_studio_preset": 99}', "version 99"),
    ('{"gradiend_studio_preset": 1, "views": {"heatmap": 3}}', "'views'"),
    ('{"gradiend_studio_preset": 1, "selection": "he_she"}', "'selection'"),
])
def test_bad_presets_are_one_line_errors(text, words):
    with pytest.raises(PresetError) as exc:
        Preset.from_json(text)
    assert words in str(exc.value) and "\n" not in str(exc.value)


def test_unknown_option_names_are_ignored_so_old_presets_load():
    options = registry.options_from_dict(registry.get("heatmap"), {"topk": 10, "retired_option": 1})
    assert options.topk == 10


def test_dpi_is_saved_and_used_by_render(demo, tmp_path):
    preset = Preset(views={"venn": {"topk": 10}}, dpi=100)
    assert Preset.from_json(preset.to_json()).dpi == 100
    assert "dpi" not in json.loads(Preset().to_json())  # not chosen: not written
    with pytest.raises(PresetError, match="dpi"):
        Preset.from_json(json.dumps({"gradiend_studio_preset": 1, "dpi": "high"}))
    import io

    from PIL import Image

    small = render_figure(demo, "venn", run_ids=["he_she", "she_they"], preset=preset, fmt="png")
    large = render_figure(demo, "venn", run_ids=["he_she", "she_they"], preset=Preset(views=preset.views, dpi=200),
                          fmt="png")
    assert Image.open(io.BytesIO(large)).width > 1.8 * Image.open(io.BytesIO(small)).width
    path = tmp_path / "p.json"
    path.write_text(preset.to_json())
    out = tmp_path / "v.png"
    assert main(["render", str(DEMO_ROOT), "--view", "venn", "--runs", "he_she", "she_they", "--preset", str(path),
                 "-o", str(out)]) == 0
    assert out.read_bytes() == small  # the preset's resolution, as the app's download


def test_settable_list_and_mapping_options_are_kept_in_presets():
    """violin_order, hover_cols, class_label_mapping are set in the app's form and saved, not dropped."""
    from gradiend_st.presets import preset_of

    views = {"distributions": {"violin_order": ["Neutral"], "class_label_mapping": {"he": "He"}},
             "scatter": {"hover_cols": ["label"]}}
    saved = Preset.from_json(preset_of(Mapping(), views, None, None, dpi=300).to_json())
    assert saved.views["distributions"]["violin_order"] == ["Neutral"]
    assert saved.views["distributions"]["class_label_mapping"] == {"he": "He"}
    assert saved.views["scatter"]["hover_cols"] == ["label"] and saved.dpi == 300


# ----------------------------------------------------------------------------------------------- render


def chosen(demo, view: str, preset: Preset) -> list[str]:
    spec = registry.get(view)
    options = registry.options_from_dict(spec, preset.views.get(view))
    return choose_runs(spec, demo, options, selection=preset.selection, run=preset.run).ids


def test_run_choice_follows_the_app_rules(demo):
    preset = sample_preset()
    assert chosen(demo, "heatmap", preset) == ["he_she", "she_they", "he_it"]
    assert chosen(demo, "heatmap", Preset()) == demo.ids("run"), "no selection stated: every run, as a first visit"
    assert chosen(demo, "scatter", preset) == ["he_she"]
    assert chosen(demo, "convergence", preset) == ["he_she"]  # single mode: the preset's run
    overlay = Preset(views={"convergence": {"mode": "overlay"}}, selection=preset.selection)
    assert chosen(demo, "convergence", overlay) == ["he_she", "she_they", "he_it"]
    venn = registry.get("venn")
    assert "at least 2 runs" in choose_runs(venn, demo, venn.Options(), selection=["he_she"]).problem
    assert choose_runs(venn, demo, venn.Options(), selection=[]).problem, "an empty selection draws nothing"
    distributions = registry.get("distributions")
    assert "draws one run" in explicit_runs(distributions, demo, ["he_she", "she_they"], distributions.Options()).problem


def test_a_missing_run_is_named_never_replaced_silently(demo):
    gone = Preset(selection=["he_she", "gone_run", "she_they"], run="gone_run")
    heatmap, scatter = registry.get("heatmap"), registry.get("scatter")
    choice = choose_runs(heatmap, demo, heatmap.Options(), selection=gone.selection, run=gone.run)
    assert choice.ids == ["he_she", "she_they"] and choice.missing == ["gone_run"]
    choice = choose_runs(scatter, demo, scatter.Options(), selection=gone.selection, run=gone.run)
    assert choice.ids == ["he_she"] and choice.missing == ["gone_run"], "the shown run says what it replaces"
    for view in ("heatmap", "scatter"):
        with pytest.raises(MissingRuns, match="not in runs: gone_run; pass --allow-missing"):
            render(demo, view, preset=gone)
    data, notes = render(demo, "heatmap", preset=gone, fmt="svg", allow_missing=True)
    assert b"<svg" in data[:500] and notes == ["not in runs: gone_run"]


@pytest.mark.parametrize("view, fmt", [("heatmap", "svg"), ("venn", "pdf"), ("convergence", "png"),
                                       ("distributions", "svg"), ("scatter", "html")])
def test_render_each_view(demo, view, fmt):
    data = render_figure(demo, view, preset=sample_preset(), fmt=fmt)
    assert len(data) > 2000
    if fmt in MAGIC:
        assert data.startswith(MAGIC[fmt]) or (fmt == "svg" and b"<svg" in data[:500])
    else:
        assert b"<html" in data[:500].lower()


def test_render_applies_the_preset_labels(demo):
    svg = render_figure(demo, "heatmap", preset=sample_preset(), fmt="svg").decode()
    assert "Masc vs fem" in svg and "Fem vs plural" in svg
    svg = render_figure(demo, "distributions", run_ids=["he_she"], preset=sample_preset(), fmt="svg").decode()
    assert "HE-renamed" in svg and "#123456" in svg


def test_render_refuses_a_format_the_view_lacks(demo):
    with pytest.raises(ValueError, match="exports"):
        render_figure(demo, "heatmap", fmt="html")
    with pytest.raises(ValueError, match="exports png, pdf, svg"):
        render_figure(demo, "convergence", preset=Preset(views={"convergence": {"mode": "overlay"}}), fmt="html")


def test_render_the_interactive_convergence_chart(demo, tmp_path):
    preset = Preset(mapping=Mapping(runs=[RunLabel("she_they", "Fem vs plural")]),
                    views={"convergence": {"mode": "interactive"}}, selection=["he_she", "she_they"])
    html = render_figure(demo, "convergence", preset=preset, fmt="html").decode()
    assert "<html" in html.lower() and '"run_pick"' in html and "Fem vs plural" in html and "he_it" not in html
    preset_file = tmp_path / "preset.json"
    preset_file.write_text(preset.to_json())
    out = tmp_path / "convergence.svg"
    assert main(["render", str(demo.root), "--view", "convergence", "--preset", str(preset_file), "-o", str(out)]) == 0
    svg = out.read_text()
    assert "<svg" in svg and "Fem vs plural" in svg and "Training convergence of 2 runs" in svg


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gradiend_st.cli", *args], capture_output=True, text=True, timeout=120)


def test_cli_render_with_a_preset(tmp_path):
    preset = tmp_path / "preset.json"
    preset.write_text(sample_preset().to_json())
    out = tmp_path / "heatmap.svg"
    result = run_cli("render", str(DEMO_ROOT), "--view", "heatmap", "--preset", str(preset), "--format", "svg",
                     "-o", str(out))
    assert result.returncode == 0, result.stderr
    svg = out.read_text()
    assert "Masc vs fem" in svg and "Top-100" in svg
    png = tmp_path / "venn.png"
    result = run_cli("render", str(DEMO_ROOT), "--view", "venn", "--runs", "he_she", "she_they", "--preset", str(preset),
                     "-o", str(png))
    assert result.returncode == 0, result.stderr
    assert png.read_bytes().startswith(MAGIC["png"])


@pytest.mark.parametrize("args, words", [
    (["--view", "heatmap", "--runs", "nope"], "not in runs: nope"),
    (["--view", "heatmap", "--format", "html"], "exports png, pdf, svg"),
    (["--view", "distributions", "--runs", "he_she", "she_they"], "draws one run"),
    (["--view", "heatmap", "--preset", "MISSING"], "preset"),
])
def test_cli_render_errors_are_one_line(tmp_path, args, words):
    args = [a.replace("MISSING", str(tmp_path / "missing.json")) for a in args]
    result = run_cli("render", str(DEMO_ROOT), *args, "-o", str(tmp_path / "out.png"))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], result.stderr
    assert not (tmp_path / "out.png").exists()
