"""Bundled demo runs (real gradiend 0.2.3 runs of a tiny BERT; see runs/README.md)."""

from pathlib import Path

DEMO_ROOT = Path(__file__).parent / "runs"
