"""The websocket client of bench/load_sessions.py, for tests that talk to a real `streamlit run`."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH_CLIENT = Path(__file__).resolve().parents[2] / "bench" / "load_sessions.py"


def in_own_thread(function, *args, **kwargs):
    """`function(...)` in a fresh thread: its asyncio.run() needs a thread without a running event loop, and a
    worker that ran the browser tests keeps Playwright's loop running in its main thread."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()


@pytest.fixture(scope="session")
def ws_client():
    spec = importlib.util.spec_from_file_location("load_sessions", BENCH_CLIENT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
