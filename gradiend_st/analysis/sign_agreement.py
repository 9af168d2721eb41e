"""Sign agreement: of the top-k weights two runs share, how many their decoders move the same way for a shared class.

Each run strengthens class C by adding `feature_factor(C) × decoder weight` (FORMAT.md §2.4, `feature_factors`).
Two runs that share C agree on base weight i when `f_a(C)·W_a[i]` and `f_b(C)·W_b[i]` have the same sign. Runs that
share no class have no common direction: their agreement is undefined (shown as such, never 0), as it is when
they share no weight. Only the shared indices' decoder weights are read (or, for a bundle, their packed signs), once:
`sign_cache` keeps them beside the top-k cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from gradiend_st.analysis import overlap_curves as oc
from gradiend_st.analysis.feature_factors import shared_class, strengthening_factor, training_source
from gradiend_st.analysis.sign_cache import cached_signs
from gradiend_st.io.errors import RunReadError


@dataclass(frozen=True)
class SignRelation:
    shared_class: str
    relation: int  # f_a(C) · f_b(C): +1 when equal signs of the raw weights mean "same way"


def sign_relation(run_a, run_b, sources: dict[str, str] | None = None) -> SignRelation | None:
    """The class two runs share and how their feature factors for it relate; None when they share no class."""
    cls = shared_class(run_a, run_b)
    if cls is None:
        return None
    sources = sources or {}
    f_a = strengthening_factor(run_a, cls, sources.get(run_a.id))
    f_b = strengthening_factor(run_b, cls, sources.get(run_b.id))
    return SignRelation(cls, f_a * f_b)


class SignReader:
    """Decoder signs of one run at given base indices; problems become notes (the pair's agreement is undefined)."""

    def __init__(self, catalog):
        self.catalog = catalog
        self.notes: dict[str, str] = {}  # run id -> why its signs are not known

    def __call__(self, run, base_indices: np.ndarray) -> np.ndarray | None:
        try:
            if run.bundle is not None:
                from gradiend_st.bundle import bundle_signs

                found = bundle_signs(run, base_indices)
                if found is None:
                    self.notes[run.id] = "its bundle has no decoder signs (packed before format 2: pack it again)"
                elif np.isnan(found).any():
                    self.notes[run.id] = "its bundle has decoder signs only for the packed decoder-weight top-k"
                    found = None
                return found
            return cached_signs(run.checkpoint, base_indices)
        except RunReadError as exc:
            self.notes[run.id] = self.catalog.error_text(exc)
            return None


def sources_of(runs) -> dict[str, str]:
    """Each run's training source, read once."""
    return {run.id: training_source(run) for run in runs}


def sign_agreement_matrix(catalog, comparison) -> tuple[np.ndarray, dict[str, str]]:
    """For a heatmap: the share of each pair's shared top-k weights that move the same way (NaN: undefined), in
    `comparison.runs` order (diagonal NaN), and the runs whose signs could not be read with the reason.

    `comparison` is an `analysis.comparison.TopKComparison` (the heatmap's data).
    """
    runs = [catalog.get(rid) for rid in comparison.runs]
    lists = [comparison.sets[r.id].indices for r in runs]
    list_levels, grid_levels = zip(*(oc.levels(np.array([len(values)])) for values in lists), strict=True)
    shared = oc.shared_indices(lists, list_levels)
    sources = sources_of(runs)
    relations = {(i, j): sign_relation(runs[i], runs[j], sources) for i, j in combinations(range(len(runs)), 2)}
    reader = SignReader(catalog)
    needed = partner_masks({pair for pair, rel in relations.items() if rel is not None})
    codes = oc.sign_codes_for(shared, needed, lambda m, idx: reader(runs[m], idx))
    found = oc.describe(shared, codes)
    matrix = np.full((len(runs), len(runs)), np.nan)
    for (i, j), rel in relations.items():
        if rel is None:
            continue
        total = oc.intersection_counts(found, (i, j), (grid_levels[i], grid_levels[j]))[0]
        same = oc.same_sign_counts(found, (i, j), (grid_levels[i], grid_levels[j]), rel.relation)[0]
        matrix[i, j] = matrix[j, i] = oc.share(same, total)
    return matrix, reader.notes


def partner_masks(pairs: set[tuple[int, int]]) -> dict[int, int]:
    """{list: bit mask of the lists it needs signs against} for the pairs whose agreement is asked."""
    masks: dict[int, int] = {}
    for a, b in pairs:
        masks[a] = masks.get(a, 0) | (1 << b)
        masks[b] = masks.get(b, 0) | (1 << a)
    return masks
