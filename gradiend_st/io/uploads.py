"""Uploaded runs -> a per-session temporary folder, safely. No Streamlit here (the ui layer calls these functions).

Two kinds of upload arrive: a .zip of run folders, or the files of a whole folder (browser directory upload, each
file named by its path inside the folder). Both are checked entry by entry *while* writing, because headers lie:
- names: no absolute paths, drive letters, `..` or empty components; no duplicates;
- zip entries: no symlinks, no nested archives (they are never expanded);
- sizes: member count, total uncompressed bytes and per-entry compression ratio, counted on the bytes actually
  written, not on the sizes the archive declares.
Every problem is an `UploadError` whose text is one line: "<entry>: <problem>". On error nothing stays behind.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import time
import weakref
import zipfile
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from gradiend_st.io.errors import one_line

MiB = 1024 * 1024
CHUNK = MiB
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tgz", ".gz", ".bz2", ".xz", ".zst", ".7z", ".rar")
JUNK = re.compile(r"(^|/)(__MACOSX/|\.DS_Store$|Thumbs\.db$)")  # OS litter zip tools add: skipped silently
UPLOAD_BASE = Path(tempfile.gettempdir()) / "gradiend-studio-uploads"
SESSION_DIR = re.compile(r"^session-(\d+)-")


class UploadError(Exception):
    """An upload that cannot be used. `str()` is one line: the entry (or file) and the problem."""

    def __init__(self, entry: str, problem: str):
        self.entry, self.problem = entry, problem
        super().__init__(f"{one_line(entry)[:200]}: {problem}")


@dataclass(frozen=True)
class Limits:
    """What one upload may unpack to."""

    max_total_bytes: int = 800 * MiB
    max_members: int = 5000
    max_ratio: float = 100.0  # uncompressed / compressed, per entry ...
    ratio_floor: int = MiB  # ... checked once an entry has produced this many bytes (tiny files compress well)

    @classmethod
    def for_upload_mb(cls, max_upload_mb: int | float) -> Limits:
        """Limits that follow Streamlit's `server.maxUploadSize`: an upload may unpack to 4x its size limit."""
        return cls(max_total_bytes=int(max(1, max_upload_mb) * MiB * 4))


# ----------------------------------------------------------------------------------------------- zip archives


def unpack_zip(source: str | Path | BinaryIO, dest: Path, limits: Limits = Limits(), *, name: str = "upload.zip") -> Path:
    """Unpack a zip into the new folder `dest` and return the folder to open as the run root."""
    try:
        archive = zipfile.ZipFile(source)
    except zipfile.BadZipFile as exc:
        raise UploadError(name, f"not a readable zip archive ({exc})") from None
    except OSError as exc:
        raise UploadError(name, f"cannot read the archive ({exc.strerror or exc})") from None
    with archive, _fresh_folder(dest):
        members = archive.infolist()
        if len(members) > limits.max_members:
            raise UploadError(name, f"{len(members):,} entries, more than the limit of {limits.max_members:,}")
        budget = _Budget(limits)
        seen: set[str] = set()
        for info in members:
            parts = _safe_parts(info.filename, seen)
            if parts is None:
                continue
            if _is_symlink(info):
                raise UploadError(info.filename, "symbolic link entries are not allowed")
            target = dest.joinpath(*parts)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            _refuse_archive(info.filename)
            budget.declare(info.filename, info.file_size)
            try:
                with archive.open(info) as stream:
                    _copy(stream, target, budget, info.filename, compressed=info.compress_size)
            except zipfile.BadZipFile as exc:
                raise UploadError(info.filename, f"corrupt data ({exc})") from None
            except (NotImplementedError, RuntimeError) as exc:  # unsupported compression, encrypted entries
                raise UploadError(info.filename, f"cannot unpack ({exc})") from None
            except (OSError, EOFError, ValueError) as exc:  # zlib errors, truncated members
                raise UploadError(info.filename, f"corrupt data ({type(exc).__name__}: {exc})") from None
        return run_root(dest)


# ------------------------------------------------------------------------------------------- folder uploads


def write_files(files: Iterable[tuple[str, BinaryIO]], dest: Path, limits: Limits = Limits()) -> Path:
    """Write browser-uploaded files (name = path inside the chosen folder) into the new folder `dest`."""
    files = list(files)
    if len(files) > limits.max_members:
        raise UploadError("folder", f"{len(files):,} files, more than the limit of {limits.max_members:,}")
    with _fresh_folder(dest):
        budget = _Budget(limits)
        seen: set[str] = set()
        for file_name, stream in files:
            parts = _safe_parts(file_name, seen)
            if parts is None or file_name.endswith("/"):
                continue
            _refuse_archive(file_name)
            _copy(stream, dest.joinpath(*parts), budget, file_name)
        return run_root(dest)


def run_root(folder: Path) -> Path:
    """The folder to open: a single top-level folder that wraps everything is stepped into (ids stay short)."""
    entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir() and not (folder / "config.json").exists():
        inner = entries[0]
        # A wrapped run folder (zip of `he_she/`) keeps its name as the id: discover() names a root run by it.
        return inner
    return folder


# -------------------------------------------------------------------------------------- per-session folders


class SessionSpace:
    """A temporary folder owned by one app session; removed when the object is garbage-collected or at exit.

    Streamlit has no "session ended" hook, but it drops a session's state when the session ends: keeping this
    object in session state ties the folder's lifetime to the session's.
    """

    def __init__(self, base: Path = UPLOAD_BASE):
        base.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = Path(tempfile.mkdtemp(prefix=f"session-{os.getpid()}-", dir=base))
        self._count = 0
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(self.path), True)

    def new_upload_dir(self) -> Path:
        """A fresh folder for the next upload; earlier uploads of this session are removed (one at a time)."""
        for old in self.path.iterdir():
            shutil.rmtree(old, ignore_errors=True)
        self._count += 1
        return self.path / f"upload-{self._count}"

    def close(self) -> None:
        self._finalizer()

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive


def clean_stale(base: Path = UPLOAD_BASE, *, max_age_hours: float = 24.0) -> list[Path]:
    """Remove session folders left by crashed servers: their process is gone, or they are older than max_age."""
    removed = []
    if not base.is_dir():
        return removed
    now = time.time()
    for folder in base.iterdir():
        match = SESSION_DIR.match(folder.name)
        if not match or not folder.is_dir():
            continue
        pid = int(match.group(1))
        try:
            age_hours = (now - folder.stat().st_mtime) / 3600
        except OSError:
            continue
        if (pid != os.getpid() and not _process_alive(pid)) or age_hours > max_age_hours:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


# ------------------------------------------------------------------------------------------------- helpers


class _Budget:
    """Counts bytes actually written against the limits (declared sizes are only a first, cheap check)."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.total = 0

    def declare(self, entry: str, size: int) -> None:
        if self.total + size > self.limits.max_total_bytes:
            raise UploadError(entry, self._too_big())

    def add(self, entry: str, n: int, written: int, compressed: int | None) -> None:
        self.total += n
        if self.total > self.limits.max_total_bytes:
            raise UploadError(entry, self._too_big())
        if compressed is not None and written >= self.limits.ratio_floor and written > self.limits.max_ratio * max(compressed, 1):
            raise UploadError(entry, f"compression ratio above {self.limits.max_ratio:g}:1 (a zip bomb?)")

    def _too_big(self) -> str:
        return f"unpacked size exceeds the limit of {self.limits.max_total_bytes / MiB:,.0f} MB"


def _copy(stream: BinaryIO, target: Path, budget: _Budget, entry: str, compressed: int | None = None) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with open(target, "xb") as out:  # "x": never follow or replace something already there
        while chunk := stream.read(CHUNK):
            written += len(chunk)
            budget.add(entry, len(chunk), written, compressed)
            out.write(chunk)


def _safe_parts(raw_name: str, seen: set[str]) -> tuple[str, ...] | None:
    """The validated path components of an entry name; None for entries to skip (folders' litter)."""
    name = raw_name.replace("\\", "/")  # zips made on Windows may use backslashes
    if "\x00" in name or any(ord(c) < 32 for c in name):
        raise UploadError(raw_name, "control characters in the name")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise UploadError(raw_name, "absolute path")
    parts = tuple(p for p in PurePosixPath(name).parts if p not in ("", "."))
    if ".." in parts:
        raise UploadError(raw_name, "path leaves the upload folder ('..')")
    if not parts or JUNK.search(name):
        return None
    key = "/".join(parts) + ("/" if name.endswith("/") else "")
    if key in seen:
        raise UploadError(raw_name, "duplicate entry")
    seen.add(key)
    return parts


def _refuse_archive(entry: str) -> None:
    if entry.lower().endswith(ARCHIVE_SUFFIXES):
        raise UploadError(entry, "nested archive (archives inside the upload are not unpacked; unpack it first)")


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


@contextmanager
def _fresh_folder(dest: Path):
    """Create `dest` (it must not exist yet) and remove it again if anything goes wrong inside."""
    dest.mkdir(parents=True, exist_ok=False, mode=0o700)
    try:
        yield dest
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True
