"""Caching at the edge: discovery and each view's `load()`, keyed on strings that change when files change.

`st.cache_data` hashes only a sample of big objects, so every key here is a string: run ids, the options that
affect loading, and each file's (path, size, mtime). Big objects (the catalog, options, callbacks) are passed as
`_`-prefixed arguments, which Streamlit does not hash.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict
from pathlib import Path

import streamlit as st

from gradiend_st.io.discover import Catalog, discover
from gradiend_st.views.base import View


def tree_key(root: str | Path) -> str:
    """(path, size, mtime) of every file under `root`, hashed: changes when any run file changes."""
    digest = hashlib.sha1()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            digest.update(_stat_text(os.path.join(dirpath, name)).encode())
    return digest.hexdigest()


TREE_RECHECK_SECONDS = 1.0
_walked: dict[str, tuple[float, str]] = {}  # root -> (when walked, its tree key); shared by sessions, like the catalog


def recent_tree_key(root: str | Path) -> str:
    """`tree_key(root)`, walked again only when the last walk is over a second old. One rerun asks up to three times
    (sidebar, page, runs table): 12 ms each for 200 runs, growing with the folder. A file changed on disk is still
    noticed by the next rerun a second later."""
    now = time.monotonic()
    walked = _walked.get(str(root))
    if walked is None or now - walked[0] > TREE_RECHECK_SECONDS:
        walked = _walked[str(root)] = (now, tree_key(root))
    return walked[1]


def run_files_key(catalog: Catalog, run_ids: list[str]) -> str:
    """(path, size, mtime) of the files the views read for these runs (checkpoint, run folder, seeds)."""
    parts = []
    for rid in run_ids:
        run = catalog.runs.get(rid)
        if run is None:
            parts.append(f"{rid}:missing")
            continue
        folders = {Path(run.checkpoint_dir), Path(run.folder)}
        seeds = Path(run.folder) / "seeds"
        if run.kind == "run" and seeds.is_dir():
            folders.add(seeds)
            folders.update(p for p in seeds.iterdir() if p.is_dir())
        for folder in sorted(folders):
            try:
                names = sorted(os.listdir(folder))
            except OSError:
                continue
            parts.extend(_stat_text(os.path.join(folder, n)) for n in names)
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()


def _stat_text(path: str) -> str:
    try:
        info = os.stat(path)
    except OSError:
        return f"{path}:gone"
    return f"{path}:{info.st_size}:{info.st_mtime_ns}"


@st.cache_resource(max_entries=8, show_spinner="Finding runs…")
def _discover(root: str, tree: str) -> Catalog:  # noqa: ARG001 - `tree` is the cache key for file changes
    return discover(Path(root))


def catalog_for(root: str) -> Catalog:
    """The catalog of `root`, rediscovered when any file under it changes. Shared read-only between sessions."""
    return _discover(root, recent_tree_key(root))


def load_key(view: View, options) -> str:
    """The options `view.load` reads (its `load_options`; all of them when it does not say), as a string."""
    values = asdict(options)
    names = view.load_options
    picked = values if names is None else {n: values.get(n) for n in names}
    # Type names are kept: topk 100 (k) and 100.0 are different requests.
    return json.dumps({k: [type(v).__name__, v] for k, v in picked.items()}, sort_keys=True, default=str)


@st.cache_data(max_entries=64, show_spinner=False)
def _load(view: str, run_ids: tuple[str, ...], options_key: str, files_key: str,  # noqa: ARG001 - cache keys
          _view: View, _catalog: Catalog, _options, _computed: list):
    # No Streamlit calls in here: a cached function may not touch elements created outside it (the progress bar),
    # so a first load is computed by the caller, with progress, and handed in through `_computed`.
    return _computed[0] if _computed else _view.load(_catalog, list(run_ids), _options)


_seen_keys: dict[tuple, None] = {}  # keys already handed to the cache (insertion-ordered, bounded)


def data_key(view: View, catalog: Catalog, run_ids: list[str], options) -> tuple:
    """What a view's loaded data depends on: the view, the runs, the loading options, the files' identities."""
    return view.name, tuple(run_ids), load_key(view, options), run_files_key(catalog, run_ids) + str(catalog.root)


def load_view(view: View, catalog: Catalog, run_ids: list[str], options, progress=None, keys: tuple | None = None):
    """`view.load(...)`, cached on `keys` (default: `data_key(...)`: view, run ids, loading options, files).

    A key not seen before is loaded here with `progress` and stored in the cache; later calls are cache hits.
    (If the cache evicted an entry meanwhile, it is reloaded without a progress bar.)
    """
    keys = keys or data_key(view, catalog, run_ids, options)
    computed = []
    if keys not in _seen_keys:
        computed.append(view.load(catalog, list(run_ids), options, progress=progress))
        _seen_keys[keys] = None
        while len(_seen_keys) > 256:
            _seen_keys.pop(next(iter(_seen_keys)))
    return _load(*keys, view, catalog, options, computed)
