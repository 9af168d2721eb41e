"""Shared test fixtures: the real gradiend 0.2.3 runs in ../shared/fixtures (required, never skipped)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GRADIEND_ST_SHARED", REPO.parent / "shared"))
RUNS = SHARED / "fixtures" / "gradiend_runs_en"
REFERENCE = SHARED / "fixtures" / "reference_plots"

@pytest.fixture(scope="session", autouse=True)
def isolated_topk_cache(tmp_path_factory):
    """Tests never write into the user's cache folder."""
    folder = tmp_path_factory.mktemp("topk-cache")
    os.environ["GRADIEND_ST_CACHE_DIR"] = str(folder)
    yield folder


if not RUNS.is_dir():
    raise RuntimeError(f"shared fixtures not found at {RUNS}: check out ../shared beside the project")


@pytest.fixture(scope="session")
def runs_root() -> Path:
    return RUNS


@pytest.fixture(scope="session")
def expected_topk() -> dict:
    return json.loads((REFERENCE / "expected_topk.json").read_text())


@pytest.fixture(scope="session")
def catalog():
    from gradiend_st.io.discover import discover

    return discover(RUNS)
