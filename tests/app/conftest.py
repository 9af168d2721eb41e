"""The websocket client of bench/load_sessions.py, for tests that talk to a real `streamlit run`."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH_CLIENT = Path(__file__).resolve().parents[2] / "bench" / "load_sessions.py"


@pytest.fixture(scope="session")
def ws_client():
    spec = importlib.util.spec_from_file_location("load_sessions", BENCH_CLIENT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
