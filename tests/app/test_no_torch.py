"""The app starts and draws every page without importing torch (Community Cloud installs no torch)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"

SCRIPT = f"""
import sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({str(APP)!r}, default_timeout=90).run()
from gradiend_st.views.registry import VIEW_NAMES
for page in VIEW_NAMES:
    at.switch_page(f"pages/{{page}}.py").run()
    assert not at.exception, (page, [e.value for e in at.exception])
print("torch" in sys.modules)
"""


def test_pages_never_import_torch():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "False"
