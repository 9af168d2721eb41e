"""Where runs come from: the bundled demo, a folder on the server, or an upload (zip or whole folder).

Folders are checked against GRADIEND_ST_ALLOWED_ROOTS (os.pathsep-separated) after resolving symlinks and `..`;
messages about refused folders never show a path outside those roots. Uploads are unpacked by
`gradiend_st.io.uploads` into this session's temporary folder.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from gradiend_st.demo import DEMO_ROOT
from gradiend_st.io import uploads
from gradiend_st.ui import state

ALLOWED_ROOTS_ENV = "GRADIEND_ST_ALLOWED_ROOTS"
ROOT_ENV = "GRADIEND_ST_ROOT"
_cleanup_done = threading.Event()


@dataclass(frozen=True)
class Source:
    kind: str  # "demo" | "folder" | "upload"
    root: str  # absolute folder that is discovered
    label: str  # what the user sees: "Demo runs", the folder as typed, "runs.zip"

    @property
    def code_root(self) -> str:
        """The root as shown in "copy as code": the user's own words, never a temporary path."""
        return {"demo": "gradiend_st/demo/runs", "upload": "ROOT"}.get(self.kind, self.label)


class SourceError(Exception):
    """A folder or upload that cannot be opened; the message is safe to show."""


DEMO = Source("demo", str(DEMO_ROOT), "Demo runs")


# ----------------------------------------------------------------------------------------------- folder rules


def allowed_roots(environ=os.environ) -> list[Path] | None:
    """The resolved roots folders must lie under, or None when every folder may be opened."""
    raw = environ.get(ALLOWED_ROOTS_ENV, "")
    roots = [Path(os.path.realpath(os.path.expanduser(p))) for p in raw.split(os.pathsep) if p.strip()]
    return roots or None


def check_folder(text: str, roots: list[Path] | None) -> Path:
    """The resolved folder for `text`, or SourceError with a message that reveals nothing outside `roots`."""
    text = (text or "").strip()
    if not text:
        raise SourceError("Type the path of a folder that holds GRADIEND runs.")
    resolved = Path(os.path.realpath(os.path.expanduser(text)))  # symlinks and '..' resolved before any check
    if roots is not None:
        root = next((r for r in roots if resolved == r or resolved.is_relative_to(r)), None)
        if root is None:
            # Checked before existence, so the answer does not tell whether something exists outside the roots.
            raise SourceError(f"This server only opens folders under {_roots_text(roots)}.")
    shown = str(resolved) if roots is not None else text  # under an allowed root: safe to show
    if not resolved.exists():
        raise SourceError(f"Folder not found: {shown}")
    if not resolved.is_dir():
        raise SourceError(f"Not a folder: {shown}")
    if not os.access(resolved, os.R_OK | os.X_OK):
        raise SourceError(f"Folder not readable (permission denied): {shown}")
    return resolved


def _roots_text(roots: list[Path]) -> str:
    return ", ".join(str(r) for r in roots)


def initial_source(argv: list[str] | None = None, environ=os.environ) -> tuple[Source, str | None]:
    """`--root PATH` (after `streamlit run streamlit_app.py --`) or GRADIEND_ST_ROOT, else the demo."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--root")
    args, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    text = args.root or environ.get(ROOT_ENV)
    if not text:
        return DEMO, None
    try:
        return Source("folder", str(check_folder(text, allowed_roots(environ))), text), None
    except SourceError as exc:
        return DEMO, f"{exc} Showing the demo runs."


# ----------------------------------------------------------------------------------------------- session state


def current() -> Source:
    if state.SOURCE not in st.session_state:
        source, problem = initial_source()
        st.session_state[state.SOURCE] = source
        if problem:
            state.put(state.SOURCE_MESSAGE, ("error", problem))
    return st.session_state[state.SOURCE]


def switch_to(source: Source, message: str | None = None) -> None:
    state.put(state.SOURCE, source)
    st.session_state.pop(state.SELECTION, None)  # a new catalog: the default selection is rebuilt from its runs
    state.put(state.RUN, None)
    state.bump("overview")
    state.bump("runs")
    state.bump("classes")
    if message:
        state.put(state.SOURCE_MESSAGE, ("success", message))


def open_folder(text: str) -> None:
    try:
        folder = check_folder(text, allowed_roots())
    except SourceError as exc:
        state.put(state.SOURCE_MESSAGE, ("error", str(exc)))
        return
    switch_to(Source("folder", str(folder), text.strip()))


def session_space() -> uploads.SessionSpace:
    space = state.get(state.UPLOADS)
    if space is None or space.closed:
        clean_stale_once()
        space = uploads.SessionSpace()
        state.put(state.UPLOADS, space)
    return space


def clean_stale_once() -> None:
    """Remove upload folders of crashed servers, once per process (cheap, and never a live session's)."""
    if not _cleanup_done.is_set():
        _cleanup_done.set()
        uploads.clean_stale()


def upload_limits() -> uploads.Limits:
    return uploads.Limits.for_upload_mb(st.get_option("server.maxUploadSize"))


def open_zip(uploaded) -> None:
    dest = session_space().new_upload_dir()
    try:
        root = uploads.unpack_zip(uploaded, dest, upload_limits(), name=uploaded.name)
    except uploads.UploadError as exc:
        state.put(state.SOURCE_MESSAGE, ("error", f"Upload refused: {exc}"))
        return
    switch_to(Source("upload", str(root), uploaded.name))


def open_uploaded_folder(files: list) -> None:
    dest = session_space().new_upload_dir()
    try:
        root = uploads.write_files(((f.name, f) for f in files), dest, upload_limits())
    except uploads.UploadError as exc:
        state.put(state.SOURCE_MESSAGE, ("error", f"Upload refused: {exc}"))
        return
    top = files[0].name.replace("\\", "/").split("/")[0] if files else "folder"
    switch_to(Source("upload", str(root), f"{top}/ ({len(files)} files)"))


# ----------------------------------------------------------------------------------------------- sidebar widget


def render_source_picker(catalog_summary: str | None = None) -> None:
    clean_stale_once()  # upload folders left by a crashed server go at the first page view
    source = current()
    st.markdown("**Runs**")
    st.caption(f"{_source_text(source)}" + (f" · {catalog_summary}" if catalog_summary else ""))
    message = state.get(state.SOURCE_MESSAGE)
    if message:
        (st.error if message[0] == "error" else st.success)(message[1], icon=":material/info:")
        state.put(state.SOURCE_MESSAGE, None)
    if source.kind != "demo":
        st.button("Open the demo runs", icon=":material/science:", on_click=switch_to, args=(DEMO,),
                  width="stretch", key="source.demo")
    with st.form("source.folder_form", border=False, enter_to_submit=True):
        path = st.text_input("Folder on this server", placeholder="/path/to/runs", key="source.folder",
                             help="A folder holding GRADIEND run folders (any depth).")
        if st.form_submit_button("Open folder", icon=":material/folder_open:"):
            open_folder(path)
            st.rerun()
    _upload_widgets()


def _source_text(source: Source) -> str:
    return {"demo": "Demo runs (bundled)", "folder": f"Folder: {source.label}",
            "upload": f"Upload: {source.label}"}[source.kind]


def _upload_widgets() -> None:
    limit = st.get_option("server.maxUploadSize")
    uploaded = st.file_uploader(f"Upload a .zip of run folders (≤ {limit} MB)", type=["zip"], key="source.zip")
    if uploaded is not None and state.get("studio.upload_done") != uploaded.file_id:
        state.put("studio.upload_done", uploaded.file_id)
        open_zip(uploaded)
        st.rerun()
    folder_files = st.file_uploader("…or upload a whole folder", accept_multiple_files="directory", key="source.dir")
    if folder_files:
        ids = tuple(sorted(f.file_id for f in folder_files))
        if state.get("studio.upload_done") != ids:
            state.put("studio.upload_done", ids)
            open_uploaded_folder(folder_files)
            st.rerun()
