"""Peak memory while the app takes a 200 MB upload: the zip in memory (as Streamlit holds an upload), unpacked with
the upload limits, then discovered. Each step is a fresh process measured by bench/measure.py.

    python bench/upload_memory.py [--mb 200]

Prints a Markdown table: the baseline (same imports, no upload) and the upload, with seconds and peak RSS.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import zipfile
from pathlib import Path

from run_bench import measure  # a sibling script: bench/ is on sys.path when these run

STEP = r"""
import io, sys, tempfile
from pathlib import Path
from gradiend_st.io.discover import discover
from gradiend_st.io.uploads import Limits, unpack_zip
if sys.argv[1] != "-":
    data = io.BytesIO(Path(sys.argv[1]).read_bytes())  # Streamlit's UploadedFile: the whole upload in memory
    with tempfile.TemporaryDirectory() as dest:
        root = unpack_zip(data, Path(dest) / "up", Limits.for_upload_mb(200), name="upload.zip")
        catalog = discover(root)
        assert len(catalog.runs) >= 9, catalog.runs
"""


def make_upload(path: Path, megabytes: int) -> None:
    """The demo runs plus one run whose weights are incompressible bytes, to reach the size."""
    from gradiend_st.demo import DEMO_ROOT

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(DEMO_ROOT.rglob("*")):
            if file.is_file():
                archive.write(file, f"runs/{file.relative_to(DEMO_ROOT).as_posix()}")
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("runs/big/model/padding.bin", os.urandom(max(0, megabytes * 2**20 - path.stat().st_size - 4096)))


def measure_step(upload: str) -> dict:
    return measure([sys.executable, "-c", STEP, upload])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        upload = Path(tmp) / "upload.zip"
        make_upload(upload, args.mb)
        size = upload.stat().st_size / 2**20
        base, up = measure_step("-"), measure_step(str(upload))
    print("| step | seconds | peak RSS |\n|---|---|---|")
    print(f"| imports only (baseline) | {base['seconds']:.2f} s | {base['peak_rss_mib']:.0f} MiB |")
    print(f"| {size:.0f} MB zip upload: held in memory, unpacked, discovered | {up['seconds']:.2f} s | "
          f"{up['peak_rss_mib']:.0f} MiB |")


if __name__ == "__main__":
    main()
