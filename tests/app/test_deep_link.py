"""A link to a view opened on a fresh server shows the router's sidebar and the view (pages/ guard)."""

from __future__ import annotations

import asyncio
import importlib.util
import subprocess
import sys
from pathlib import Path

import websockets

REPO = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("load_sessions", REPO / "bench" / "load_sessions.py")
load = importlib.util.module_from_spec(spec)
spec.loader.exec_module(load)


def test_first_visit_of_a_deep_link_goes_through_the_router():
    port = load.free_port()
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
                               "--server.address", "127.0.0.1", "--server.headless", "true"],
                              cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        load._wait_for(port)

        async def first_visit():
            async with websockets.connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
                                          max_size=None) as ws:
                session = load.Session(ws, 0)
                session.query = "runs=he_she&runs=he_it&topk=77"
                blob = await session.rerun("heatmap")
                return session, blob

        session, blob = asyncio.run(first_visit())
    finally:
        server.terminate()
        server.wait(timeout=30)
    session.widget("checkbox", "Plain tables instead of AG Grid")  # the router's sidebar is there
    assert b"Top-77 overlap" in blob  # and the heatmap the link asked for
    assert sorted(session.pages) == ["", "convergence", "distributions", "heatmap", "scatter", "venn"]
    assert not [e for e in session.elements if e.WhichOneof("type") == "exception"]
