"""One error type for every unreadable file: it names the file and the problem in one line."""

from __future__ import annotations

from pathlib import Path


class RunReadError(Exception):
    """A file of a run could not be read. `str()` is the one-line message shown to users."""

    def __init__(self, path: str | Path, problem: str):
        self.path = Path(path)
        self.problem = one_line(problem)  # names taken from a file (tensor names, keys) may hold newlines
        super().__init__(f"{one_line(str(self.path))}: {self.problem}")

    def __reduce__(self):  # picklable (Streamlit's cache_data pickles loaded view data)
        return type(self), (self.path, self.problem)

    def relative_to(self, root: str | Path) -> str:
        """The message with the path relative to `root`, so it never reveals folders above it."""
        return f"{one_line(display_path(self.path, root))}: {self.problem}"


def one_line(text: str) -> str:
    """`text` with line breaks and other control characters shown escaped, so a message stays one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


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
