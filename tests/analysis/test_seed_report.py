"""Seed report tables: gradiend's seed_report.json and seed checkpoints, beside the studio's seed-pair overlaps."""

from __future__ import annotations

import json
import shutil

import pytest

from gradiend_st.analysis.seed_report import NOT_RECORDED, seed_report_tables
from gradiend_st.io.discover import discover
from gradiend_st.io.training import read_training
from gradiend_st.views import curves
from tests.conftest import REFERENCE, RUNS

EXPECTED = json.loads((REFERENCE / "expected_curves.json").read_text())


def test_seed_rows_come_from_the_report_and_the_checkpoints(catalog):
    tables = seed_report_tables(catalog, "he_she_seeds")
    assert [row["seed"] for row in tables.seeds] == [0, 1, 2]
    assert [row["best"] for row in tables.seeds] == [False, True, False]
    assert all(row["converged"] is True for row in tables.seeds)
    for row in tables.seeds:
        checkpoint = catalog.get(row["checkpoint"])
        assert row["best correlation"] == read_training(checkpoint.training_path).best_correlation
    assert tables.summary.startswith("3 of 3 seeds converged (need 1); best seed 1")
    assert tables.stability is None and tables.note == NOT_RECORDED
    assert seed_report_tables(catalog, "he_she") is None, "not a multi-seed run"


def test_the_curves_view_adds_the_studios_seed_pair_overlaps(catalog):
    data = curves.load(catalog, ["he_she", "he_she_seeds"], curves.Options(topk=100, k_points=3))
    rows = data.seed_reports["he_she_seeds"].studio_pairs
    expected = {tuple(r.rsplit("/", 1)[-1] for r in p["runs"]): p["count"]
                for p in EXPECTED["keys"]["decoder-weight|100"]["pairs"]}
    assert {(r["seed a"], r["seed b"]): r["shared"] for r in rows if r["seed a"] != "all"} == expected
    assert rows[-1]["shared"] == EXPECTED["keys"]["decoder-weight|100"]["all"]
    assert all(r["same sign"] == 1.0 for r in rows if r["seed a"] != "all" and r["shared"])


def test_recorded_stability_and_seeds_not_kept(tmp_path):
    shutil.copytree(RUNS / "he_she_seeds", tmp_path / "he_she_seeds")
    report_path = tmp_path / "he_she_seeds" / "seeds" / "seed_report.json"
    report = json.loads(report_path.read_text())
    report["topk_stability"] = {"computed": True, "part": "decoder-weight", "topk": 1000, "num_runs": 3,
                                "union_size": 1500, "intersection_size": 700, "mean_pairwise_overlap_fraction": 0.8,
                                "pairwise_overlap_rows": [{"seed_a": 0, "seed_b": 1, "overlap_count": 800,
                                                           "overlap_fraction": 0.8, "jaccard": 0.67}]}
    report_path.write_text(json.dumps(report))
    shutil.rmtree(tmp_path / "he_she_seeds" / "seeds" / "seed_2")  # gradiend deletes seeds it does not keep
    tables = seed_report_tables(discover(tmp_path), "he_she_seeds")
    assert tables.stability["intersection_size"] == 700 and tables.note is None
    assert tables.stability_pairs == [{"seed_a": 0, "seed_b": 1, "overlap_count": 800, "overlap_fraction": 0.8,
                                       "jaccard": 0.67}]
    seed_2 = tables.seeds[2]
    assert seed_2["checkpoint"] == "not kept"
    assert seed_2["best correlation"] == pytest.approx(report["runs"][2]["training_score"])
