"""Where a benchmark's table goes: bench/<name>, and README.md between the script's begin/end markers."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent


def publish(table: str, results_file: str, marker: str) -> None:
    """Write `table` to bench/`results_file` and into README.md between `<!-- bench:MARKER:begin/end -->`."""
    (HERE / results_file).write_text(table + "\n")
    begin, end = f"<!-- bench:{marker}:begin -->", f"<!-- bench:{marker}:end -->"
    readme = HERE.parent / "README.md"
    text = readme.read_text()
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        readme.write_text(head + begin + "\n" + table + "\n" + end + rest.split(end, 1)[1])
    print(table)
