"""Concurrent sessions on a real server (bench/load_sessions.py, small): no errors, no state seen across sessions."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "load_sessions.py"


def test_three_concurrent_sessions_keep_their_own_labels_and_options():
    spec = importlib.util.spec_from_file_location("load_sessions", BENCH)
    load = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(load)
    report = load.run(sessions=3, rounds=2, settle=0.5)
    assert report["errors"] == [] and report["leaks"] == []
    assert report["page_switches"] == 3 * 2 * len(load.PAGES)
