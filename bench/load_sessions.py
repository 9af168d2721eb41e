"""Load test: concurrent sessions on a real `streamlit run` server, over its websocket (loopback, no browser).

    python bench/load_sessions.py [--sessions 10] [--rounds 3]

Each session opens the Heatmap through a link with its own top-k (`?topk=10N`), switches to plain tables,
gives run she_they its own display label every round (a data_editor edit, as a browser sends it) and visits
every page. After each Heatmap/Venn draw it checks that the figure shows its own label and top-k and nothing of
another session. Prints errors, leaks, page-switch times and the server's RSS: before (after one warm-up
session), at the peak, and after the sessions have closed. tests/app/test_load.py runs a small version.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from gradiend_st.views.registry import VIEW_NAMES

REPO = Path(__file__).resolve().parent.parent
PAGES = (*VIEW_NAMES, "")  # every view page (from the registry) and the Runs page
MARK = re.compile(rb"Session (\d+) r\d+")


class Session:
    """One browser-less client: keeps its widget values and sends them with every rerun, as the frontend does."""

    def __init__(self, ws, number: int):
        self.ws, self.number = ws, number
        self.query = f"runs=he_she&runs=she_they&runs=he_it&topk={100 + number}"
        self.widgets: dict[str, object] = {}  # widget id -> WidgetState
        self.pages: dict[str, str] = {}
        self.page_hash = ""
        self.elements: list = []
        self.fragments: list[str] = []

    async def rerun(self, page: str | None = None, fragment_id: str = ""):
        """One run, as the browser asks for it (`fragment_id`: a widget inside that fragment changed)."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.query
        if page is not None and page in self.pages:
            self.page_hash = self.pages[page]
        state.page_script_hash = self.page_hash
        state.page_name = page or ""
        state.fragment_id = fragment_id
        state.widget_states.widgets.extend(self.widgets.values())
        await self.ws.send(message.SerializeToString())
        self.elements, self.fragments, blob = [], [], b""
        while True:
            forward = ForwardMsg()
            forward.ParseFromString(await asyncio.wait_for(self.ws.recv(), 300))
            kind = forward.WhichOneof("type")
            if kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in forward.navigation.app_pages}
                self.page_hash = forward.navigation.page_script_hash  # the page this run shows
            elif kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                self.elements.append(forward.delta.new_element)
                self.fragments.append(forward.delta.fragment_id)  # the fragment each element was drawn in
                blob += forward.SerializeToString()
            elif kind == "script_finished":
                if forward.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:  # st.rerun(): a new run follows
                    self.elements, self.fragments, blob = [], [], b""
                    continue
                return blob

    def widget(self, kind: str, label_or_key: str):
        for element in self.elements:
            if element.WhichOneof("type") == kind:
                inner = getattr(element, kind)
                if getattr(inner, "label", "") == label_or_key or label_or_key in inner.id:
                    return inner
        raise LookupError(f"no {kind} '{label_or_key}' on the page")

    def set_widget(self, widget_id: str, **value) -> None:
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        state = WidgetState(id=widget_id)
        for field, content in value.items():
            setattr(state, field, content)
        self.widgets[widget_id] = state

    async def use_plain_tables(self) -> None:
        """Switch the sidebar toggle: the grids become st.data_editor, whose edits a client can send."""
        self.set_widget(self.widget("checkbox", "Plain tables instead of AG Grid").id, bool_value=True)
        await self.rerun()

    async def edit_run_label(self, run_id: str, label: str) -> bytes:
        """Type `label` as the display name of `run_id` in the runs grid, as the browser sends such an edit."""
        import pyarrow as pa

        grid = self.widget("dataframe", ".runs.")
        table = pa.ipc.open_stream(grid.arrow_data.data).read_all().to_pandas()
        column = next(c for c in table.columns if str(c).lower() in ("run", "id", "run id", "run_id"))
        row = list(table[column]).index(run_id)
        edit = {"edited_rows": {str(row): {"display": label}}, "added_rows": [], "deleted_rows": []}
        self.set_widget(grid.id, string_value=json.dumps(edit))
        return await self.rerun()


def connect(port: int):
    """A websocket to the app, as the browser opens it."""
    import websockets

    return websockets.connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"], max_size=None)


@contextmanager
def streamlit_server(env: dict | None = None):
    """`streamlit run` of the app on a free loopback port, with an empty top-k cache of its own: (port, pid)."""
    port = free_port()
    with tempfile.TemporaryDirectory() as cache:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(REPO / "streamlit_app.py"), "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=REPO, env={**os.environ, "GRADIEND_ST_CACHE_DIR": cache, **(env or {})}, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        try:
            _wait_for(port)
            yield port, server.pid
        finally:
            server.terminate()
            server.wait(timeout=30)


async def one_session(port: int, number: int, rounds: int) -> dict:
    errors, leaks, seconds = [], [], []
    async with connect(port) as ws:
        session = Session(ws, number)
        await session.rerun("heatmap")
        await session.use_plain_tables()
        for round_ in range(rounds):
            label = f"Session {number} r{round_}"
            await session.edit_run_label("she_they", label)
            for page in PAGES:
                started = time.perf_counter()
                blob = await session.rerun(page)
                seconds.append(time.perf_counter() - started)
                errors += [f"page '{page}': {e.exception.message}" for e in session.elements
                           if e.WhichOneof("type") == "exception"]
                if page not in ("heatmap", "venn"):
                    continue
                if label.encode() not in blob or f"Top-{100 + number} ".encode() not in blob:
                    errors.append(f"session {number} {page}: own label or top-k missing in round {round_}")
                leaks += [f"session {number} {page}: saw session {other.decode()}"
                          for other in set(MARK.findall(blob)) - {str(number).encode()}]
    return {"errors": errors, "leaks": leaks, "seconds": seconds}


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith("VmRSS")) / 1024


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _sessions(port: int, count: int, rounds: int, pid: int) -> tuple[list[dict], float]:
    tasks = [asyncio.create_task(one_session(port, i, rounds)) for i in range(count)]
    peak = 0.0
    while not all(t.done() for t in tasks):
        peak = max(peak, rss_mib(pid))
        await asyncio.sleep(0.2)
    return [t.result() for t in tasks], peak


def run(sessions: int = 10, rounds: int = 3, settle: float = 5.0, batches: int = 1) -> dict:
    with streamlit_server() as (port, pid):
        asyncio.run(_sessions(port, 1, 1, pid))  # warm-up: imports and caches
        time.sleep(settle)
        before = rss_mib(pid)
        results, peak, after = [], 0.0, []
        for _ in range(batches):  # the same load again: caches are full now, a leak would keep growing
            batch, batch_peak = asyncio.run(_sessions(port, sessions, rounds, pid))
            results += batch
            peak = max(peak, batch_peak)
            time.sleep(settle)  # closed sessions are dropped
            after.append(round(rss_mib(pid)))
    seconds = sorted(s for r in results for s in r["seconds"])
    return {
        "sessions": sessions, "rounds": rounds, "batches": batches, "page_switches": len(seconds),
        "errors": [e for r in results for e in r["errors"]], "leaks": [e for r in results for e in r["leaks"]],
        "switch_median_s": round(statistics.median(seconds), 3),
        "switch_p95_s": round(seconds[int(0.95 * (len(seconds) - 1))], 3),
        "server_rss_before_mib": round(before), "server_rss_peak_mib": round(peak),
        "server_rss_after_each_batch_mib": after,
    }


def _wait_for(port: int, timeout: float = 120) -> None:
    """Until the server answers its health check (a busy machine may take a while to import everything)."""
    import urllib.request

    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("streamlit did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batches", type=int, default=2, help="run the sessions this many times, one after another")
    args = parser.parse_args()
    print(json.dumps(run(args.sessions, args.rounds, batches=args.batches), indent=1))


if __name__ == "__main__":
    main()
