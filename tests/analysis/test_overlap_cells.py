"""What heatmap cells show (counts, fractions, percentages) and how the top-k views name topk."""

from __future__ import annotations

import numpy as np
import pytest

from gradiend_st.analysis.comparison import compare_topk
from gradiend_st.analysis.overlap import cell_values
from gradiend_st.analysis.topk import topk_text

KEY = "decoder-weight|100"


def test_cells_are_the_library_matrices(catalog, expected_topk):
    entry = expected_topk["heatmap"][KEY]
    comparison = compare_topk(catalog, entry["model_ids"], "decoder-weight", 100)
    counts, sizes = comparison.counts, comparison.sizes
    assert cell_values(counts, sizes).tolist() == np.array(entry["intersection_counts"], dtype=float).tolist()
    assert np.allclose(cell_values(counts, sizes, "intersection_frac"), entry["intersection_frac"], atol=1e-9)
    assert np.allclose(cell_values(counts, sizes, percentages=True), entry["matrix"], atol=1e-9)
    # percentages override the value, as gradiend's `percentages=True`
    assert np.allclose(cell_values(counts, sizes, "intersection_frac", percentages=True), entry["matrix"], atol=1e-9)


def test_cells_of_empty_sets_are_zero_and_unknown_values_refused():
    counts = np.array([[3, 0], [0, 0]])
    assert cell_values(counts, [3, 0], "intersection_frac").tolist() == [[1.0, 0.0], [0.0, 0.0]]
    with pytest.raises(ValueError, match="unknown value 'cosine'"):
        cell_values(counts, [3, 0], "cosine")
    with pytest.raises(ValueError, match="unknown value"):
        cell_values(counts, [3, 0], "cosine", percentages=True)


def test_topk_text_keeps_k_and_fraction_apart():
    assert topk_text(100) == "Top-100"
    assert topk_text(1) == "Top-1"
    assert topk_text(1.0) == "Top 100%"
    assert topk_text(0.01) == "Top 1%"
    assert topk_text(0.005) == "Top 0.5%"
