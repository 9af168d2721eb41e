"""The app's own overhead, measured as a browser sees it (websocket round trips to a real `streamlit run`).

    python bench/app_overhead.py [--runs 200]

1. Discovery of a folder of N small runs (hard links to the demo runs' files), in process.
2. With that folder opened (GRADIEND_ST_ROOT): every page switch, first visit and again; a label edit in the
   runs grid, on the Runs page and on the Convergence page; then each view's first visit from new sessions that
   each select 10 other runs (a new figure each time, in a server that has drawn one of its kind before).
3. On the bundled demo: a label edit on every view page (the re-draw after a mapping change), and on the
   Convergence page in interactive mode (the Altair chart).
Times are median round trips from sending the rerun to Streamlit's `script_finished`, over --repeat tries.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import load_sessions as client  # noqa: E402  (the websocket client shared with the load test)

from gradiend_st.views.registry import VIEW_NAMES  # noqa: E402

VIEWS = VIEW_NAMES  # every view page, from the registry


def many_runs(target: Path, count: int) -> Path:
    """`count` run folders, each hard links to the files of one of the demo's top-level runs."""
    from gradiend_st.demo import DEMO_ROOT

    sources = sorted(p.parent for p in DEMO_ROOT.glob("*/model") if p.is_dir())
    for i in range(count):
        source = sources[i % len(sources)]
        for file in source.rglob("*"):
            if file.is_file() and "seeds" not in file.relative_to(source).parts:
                dest = target / f"run_{i:03d}" / file.relative_to(source)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.link(file, dest)
    return target


def time_discovery(root: Path, repeat: int) -> float:
    from gradiend_st.io.discover import discover

    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        discover(root)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def timed(session: client.Session, page: str | None = None) -> float:
    started = time.perf_counter()
    await session.rerun(page)
    return time.perf_counter() - started


async def measure_app(port: int, pages: tuple[str, ...], edit_pages: tuple[str, ...], run_id: str, repeat: int,
                      query: str = "") -> dict:
    results: dict[str, float] = {}
    async with client.connect(port) as ws:
        session = client.Session(ws, 0)
        session.query = query
        results["first page"] = await timed(session, "")
        await session.use_plain_tables()
        for page in pages:
            results[f"open {page or 'runs'} (first visit)"] = await timed(session, page)
            results[f"open {page or 'runs'} (again)"] = statistics.median([await timed(session, page)
                                                                          for _ in range(repeat)])
        for page in edit_pages:
            await session.rerun(page)
            await session.edit_run_label(run_id, "warm-up label")
            results[f"label edit on {page or 'runs'}"] = statistics.median(
                [await timed_edit(session, run_id, f"label {i}") for i in range(repeat)])
    return results


async def first_visits_in_new_sessions(port: int, pages: tuple[str, ...], repeat: int) -> dict:
    """Each view opened for the first time by `repeat` new sessions, each with 10 runs no session selected before:
    a new figure every time, in a server that has drawn that kind of figure already."""
    results = {}
    for page in pages:  # each kind of figure drawn once (runs 0-9), as in a server that has been in use
        async with client.connect(port) as ws:
            session = client.Session(ws, 0)
            session.query = "&".join(f"runs=run_{j:03d}" for j in range(10))
            await session.rerun("")
            await session.rerun(page)
    for p, page in enumerate(pages):
        times = []
        for i in range(repeat):
            first = 10 * (1 + p * repeat + i)
            async with client.connect(port) as ws:
                session = client.Session(ws, 0)
                session.query = "&".join(f"runs=run_{j:03d}" for j in range(first, first + 10))
                await session.rerun("")
                times.append(await timed(session, page))
        results[f"open {page} (first visit, new session and runs, median of {repeat})"] = statistics.median(times)
    return results


async def timed_edit(session: client.Session, run_id: str, label: str) -> float:
    started = time.perf_counter()
    await session.edit_run_label(run_id, label)
    return time.perf_counter() - started


def with_server(root: Path | None, work) -> dict:
    with client.streamlit_server({"GRADIEND_ST_ROOT": str(root)} if root else None) as (port, _):
        return asyncio.run(work(port))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = many_runs(Path(tmp) / "runs", args.runs)
        rows.append((f"discover {args.runs} runs", time_discovery(root, args.repeat)))
        # Ten runs selected: what a user compares; the top-k views of all 200 are a separate, cached computation.
        query = "&".join(f"runs=run_{i:03d}" for i in range(10))
        many = with_server(root, lambda port: measure_app(port, ("", *VIEWS), ("", "convergence"), "run_000",
                                                          args.repeat, query))
        rows += [(f"{args.runs} runs: {name}", seconds) for name, seconds in many.items()]
        # Every new session selects 10 runs no session selected before: a folder with enough of them.
        needed = 10 * (1 + len(VIEWS) * args.repeat)
        fresh = many_runs(Path(tmp) / "fresh", max(needed, args.runs))
        visits = with_server(fresh, lambda port: first_visits_in_new_sessions(port, VIEWS, args.repeat))
        rows += [(f"{max(needed, args.runs)} runs: {name}", seconds) for name, seconds in visits.items()]
    demo = with_server(None, lambda port: measure_app(port, (), VIEWS, "he_she", args.repeat,
                                                      "runs=he_she&runs=she_they&runs=he_it"))
    rows += [(f"demo: {name}", seconds) for name, seconds in demo.items() if name.startswith("label edit")]
    interactive = with_server(None, lambda port: measure_app(
        port, (), ("convergence",), "he_she", args.repeat,
        "view=convergence&mode=interactive&runs=he_she&runs=she_they&runs=he_it"))
    rows += [(f"demo: {name} (interactive mode, 3 runs)", seconds) for name, seconds in interactive.items()
             if name.startswith("label edit")]
    print("| step | seconds |\n|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
