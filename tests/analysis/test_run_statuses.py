"""Each run's convergence from its own files: the † marker of the top-k views, and importable without matplotlib."""

from __future__ import annotations

import subprocess
import sys

from gradiend_st.analysis.convergence import MARKER, run_statuses

HE_THEY = "suite_pronouns/he__they"


def test_only_the_non_converged_run_is_marked(catalog, expected_topk):
    statuses = run_statuses(catalog, catalog.ids())
    assert list(statuses) == catalog.ids()
    assert [rid for rid, status in statuses.items() if status.converged is False] == [HE_THEY]
    assert statuses[HE_THEY].marker == MARKER == " \u2020"
    for rid, label in expected_topk["display_labels"].items():  # gradiend's own labels
        assert rid + statuses[rid].marker == label


def test_the_top_k_analysis_needs_no_plotting_library():
    modules = ["comparison", "convergence", "ordering", "overlap", "regions", "topk"]
    code = ("import sys\n" + "".join(f"import gradiend_st.analysis.{m}\n" for m in modules)
            + "print(sorted(m for m in ('matplotlib', 'plotly', 'altair') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
