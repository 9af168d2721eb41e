"""Runs as experiments, timed as a browser sees them (websocket round trips to a real `streamlit run`).

    python bench/experiments_overhead.py [--runs 200] [--repeat 5]

On a folder of N runs made like bench/app_overhead.py makes them (hard links to the demo runs' files):
1. the Runs page: switching "only what differs" on (the first time: every run's training.json read), off, and on
   again; the plain overview's rerun as the reference;
2. the Sweep page's parallel coordinates of all N runs: a brush sent as the browser's listener sends it (the
   component's trigger, a rerun of the figure's fragment, then the app rerun that shows the new selection), ten
   brushes that each select other runs, then five that repeat earlier selections; switching to the grid mode.
Times are from sending the message to Streamlit's `script_finished` of the last run it causes (median of --repeat).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import load_sessions as client  # noqa: E402  (the websocket client shared with the load test)
from app_overhead import many_runs, with_server  # noqa: E402

# Training-time ranges that each select other runs (the demo runs took 1.5 to 144 s): every brush a new selection
BRUSHES = [{"training time (s)": [low, high]} for low, high in ((0, 5), (0, 20), (0, 50), (0, 100), (0, 140),
                                                                 (5, 150), (20, 150), (50, 150), (100, 150), (5, 50))]


async def timed(session: client.Session, page: str | None = None, fragment_id: str = "") -> float:
    started = time.perf_counter()
    await session.rerun(page, fragment_id=fragment_id)
    return time.perf_counter() - started


async def runs_page(port: int, repeat: int) -> dict[str, float]:
    async with client.connect(port) as ws:
        session = client.Session(ws, 0)
        session.query = ""
        await session.rerun("")
        switch = session.widget("checkbox", "Only what differs").id
        results = {"Runs page rerun, switch off (reference)": statistics.median(
            [await timed(session, "") for _ in range(repeat)])}
        session.set_widget(switch, bool_value=True)
        results["switch on, first time (reads every training.json)"] = await timed(session, "")
        on, off = [], []
        for _ in range(repeat):
            session.set_widget(switch, bool_value=False)
            off.append(await timed(session, ""))
            session.set_widget(switch, bool_value=True)
            on.append(await timed(session, ""))
        results["switch on"] = statistics.median(on)
        results["switch off"] = statistics.median(off)
        shown = [c for c in _overview_columns(session) if c.startswith("arg.")]
        print(f"with the switch on, the overview shows {len(shown)} differing arguments: {', '.join(shown)}")
    return results


def _overview_columns(session: client.Session) -> list[str]:
    import pyarrow as pa

    table = session.widget("dataframe", "runs.overview.diff")
    return list(pa.ipc.open_stream(table.arrow_data.data).read_all().schema.names)


async def sweep_page(port: int, repeat: int) -> dict[str, float]:
    async with client.connect(port) as ws:
        session = client.Session(ws, 0)
        session.query = "view=sweep&mode=parallel"
        await session.rerun("")
        results = {"open Sweep, parallel coordinates of every run (first visit)": await timed(session, "sweep")}
        results["open Sweep again"] = statistics.median([await timed(session, "sweep") for _ in range(repeat)])
        times, titles = [], []
        for ranges in BRUSHES:
            times.append(await _brush(session, ranges))
            titles.append(_parallel_title(session).split("<sup>")[-1].removesuffix("</sup>"))
        print("brushed in turn:", " / ".join(titles))
        results["brush an axis, the first time"] = times[0]
        results[f"brush an axis: a new selection each time (median of {len(times) - 1})"] = statistics.median(
            times[1:])
        results["brush an axis: the slowest of those"] = max(times[1:])
        again = [await _brush(session, ranges) for ranges in BRUSHES[:repeat]]
        results["brush an axis: a selection made before"] = statistics.median(again)
        mode = next(e.selectbox for e in session.elements if e.WhichOneof("type") == "selectbox"
                    and e.selectbox.label == "mode")
        grid = list(mode.options).index("grid")
        session.set_widget(mode.id, int_value=grid)
        results["switch to the grid"] = await timed(session, "sweep", _fragment_of(session, mode.id))
    return results


async def _brush(session: client.Session, ranges: dict) -> float:
    """The listener's message: the component's trigger `brush`, sent from inside the figure's fragment."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    index, component = next((i, e.bidi_component) for i, e in enumerate(session.elements)
                            if e.WhichOneof("type") == "bidi_component")
    trigger = f"$$STREAMLIT_INTERNAL_KEY_{component.id}__events"
    session.widgets[trigger] = WidgetState(id=trigger, json_trigger_value=json.dumps([{"event": "brush",
                                                                                      "value": ranges}]))
    try:
        seconds = await timed(session, "sweep", session.fragments[index])
    finally:
        del session.widgets[trigger]  # a trigger is sent once
    title = _parallel_title(session)
    if "(the brushed ranges)" not in title:
        raise RuntimeError(f"the brush did not select runs: {title}")
    return seconds


def _parallel_title(session: client.Session) -> str:
    chart = next(e.plotly_chart for e in session.elements if e.WhichOneof("type") == "plotly_chart")
    return json.loads(chart.spec)["layout"]["title"]["text"]


def _fragment_of(session: client.Session, widget_id: str) -> str:
    for element, fragment in zip(session.elements, session.fragments):
        inner = getattr(element, element.WhichOneof("type"))
        if getattr(inner, "id", None) == widget_id:
            return fragment
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = many_runs(Path(tmp) / "runs", args.runs)

        async def both(port: int) -> dict:
            return await runs_page(port, args.repeat) | await sweep_page(port, args.repeat)

        measured = with_server(root, both)
    print("| step | seconds |\n|---|---|")
    for name, seconds in measured.items():
        print(f"| {args.runs} runs: {name} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
