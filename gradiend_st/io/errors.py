"""One error type for every unreadable file: it names the file and the problem in one line."""

from __future__ import annotations

from pathlib import Path


class RunReadError(Exception):
    """A file of a run could not be read. `str()` is the one-line message shown to users."""

    def __init__(self, path: str | Path, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")

    def __reduce__(self):  # picklable (Streamlit's cache_data pickles loaded view data)
        return type(self), (self.path, self.problem)

    def relative_to(self, root: str | Path) -> str:
        """The message with the path relative to `root`, so it never reveals folders above it."""
        return f"{display_path(self.path, root)}: {self.problem}"


def os_problem(exc: OSError) -> str:
    """The problem part of a message for a file the operating system would not read."""
    if isinstance(exc, FileNotFoundError):
        return "file not found"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, IsADirectoryError):
        return "is a folder, not a file"
    return f"cannot read ({exc.strerror or exc})"


def display_path(path: str | Path, root: str | Path) -> str:
    """`path` relative to `root` ('/'-separated); the bare file name when it lies outside."""
    path, root = Path(path), Path(root)
    try:
        rel = path.relative_to(root)
    except ValueError:
        return path.name
    return rel.as_posix() if rel.parts else root.name
