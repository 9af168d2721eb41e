"""Cross-encoding view: outlined own classes, † on non-converged runs, diverging scale centred at 0, the optional
overlap panel, and one-line reasons for runs it cannot draw."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from matplotlib import colors as mcolors

from gradiend_st.io.discover import discover
from gradiend_st.views import crossencoding as view
from tests.conftest import RUNS

SUITE = ["suite_pronouns/he__they", "suite_pronouns/she__they"]


def mesh_of(ax):
    return next(c for c in ax.collections if hasattr(c, "norm"))


def test_suite_matrix_marks_own_classes_and_the_non_converged_run(catalog):
    options = view.Options()
    data = view.load(catalog, SUITE + ["he_she"], options)
    fig = view.build(data, options)
    matrix = fig.axes[0]
    rows = [t.get_text() for t in matrix.get_yticklabels()]
    assert rows == ["suite_pronouns/he__they \u2020", "suite_pronouns/she__they", "he_she"]
    outlines = [p for p in matrix.patches if p.get_gid() == "own-class"]
    assert len(outlines) == 6, "two target classes per run"
    norm = mesh_of(matrix).norm
    assert isinstance(norm, mcolors.TwoSlopeNorm) and norm.vcenter == 0 and norm.vmin == -norm.vmax
    values, row_ids, columns = view.matrix_values(data, options)
    she_they = dict(zip(columns, values[row_ids.index("suite_pronouns/she__they")], strict=True))
    assert she_they["she"] > 0.9 > abs(she_they["he"]) and she_they["they"] < -0.9
    frame = view.table(data, options)
    assert len(frame) == len(row_ids) * len(columns)


def test_overlap_panel_beside_the_matrix(catalog):
    options = view.Options(overlap=True, topk=0.01)
    data = view.load(catalog, SUITE, options)
    fig = view.build(data, options)
    assert data.overlap[0, 1] == data.overlap[1, 0] == 16  # the he__they / she__they cross pair at 1 %
    assert any("overlap (decoder-weight)" in ax.get_title() for ax in fig.axes)


def test_class_rows_and_counts(catalog):
    options = view.Options(rows="classes", aggregate="raw_count")
    data = view.load(catalog, SUITE, options)
    values, rows, columns = view.matrix_values(data, options)
    assert rows == ["he", "they", "she"] and values[rows.index("they")].tolist() == [48.0, 48.0, 48.0]
    fig = view.build(data, options)
    assert not isinstance(mesh_of(fig.axes[0]).norm, mcolors.TwoSlopeNorm), "counts are not signed"


def test_runs_without_the_file_or_with_a_broken_table_are_left_out(tmp_path):
    for rid in ("he_she", "he_it", "she_they"):
        shutil.copytree(RUNS / rid, tmp_path / rid)
    (tmp_path / "he_it" / "encoded_values_split_test.csv").write_text("text,encoded,label\nx,not-a-number,1\n")
    (tmp_path / "she_they" / "encoded_values_split_test.csv").unlink()
    data = view.load(discover(tmp_path), ["he_she", "he_it", "she_they"], view.Options())
    assert data.runs == ["he_she"]
    assert "encoded_values_split_test.csv" in data.left_out["he_it"] and "not-a-number" in data.left_out["he_it"]
    assert data.left_out["she_they"].startswith("no encoded_values_split_test.csv")
    assert all("\n" not in reason for reason in data.left_out.values())


@pytest.mark.parametrize("alignment", ["factual", "counterfactual", "transition"])
def test_every_alignment_draws(catalog, alignment):
    options = view.Options(alignment=alignment)
    data = view.load(catalog, SUITE, options)
    values, _, _ = view.matrix_values(data, options)
    assert np.isfinite(values).any()
    assert view.XLABELS[alignment] == view.build(data, options).axes[0].get_xlabel()
