"""Cross-encoding matrix: does each GRADIEND's encoder respond only to its own feature? GRADIENDs as rows, classes as
columns, cell = the oriented mean encoded value of the run's encoder rows of that class (`analysis.cross_encoding`
holds the rule, after gradiend 0.2.3's suite `plot_cross_encoding_heatmap`). Each row's own target classes are
outlined, non-converged runs carry †; optionally the same runs' pairwise top-k overlap stands beside it, so "same
weights, different feature" shows.

gradiend draws its matrix from trainers that re-encode a shared test pool; the studio reads each run's own
`encoded_values_*.csv`, so there is no "copy as code".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from gradiend_st.analysis import cross_encoding as ce
from gradiend_st.analysis.comparison import compare_topk
from gradiend_st.analysis.convergence import Convergence, run_statuses
from gradiend_st.analysis.feature_factors import training_source
from gradiend_st.analysis.topk import PARTS, topk_text
from gradiend_st.figures import crossencoding as drawing
from gradiend_st.figures.style import message_figure, run_label
from gradiend_st.io.encoded import describe_key, read_encoded
from gradiend_st.io.errors import RunReadError
from gradiend_st.views.base import View, ViewData

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

XLABELS = {"factual": "Probe feature (factual class)", "counterfactual": "Probe feature (counterfactual class)",
           "transition": "Probe transition"}
DIVERGING = ("viridis", "coolwarm", "RdBu_r", "PuOr", "BrBG", "PiYG", "seismic")


@dataclass
class Options:
    split: str = "test"  # gradiend's split: the file encoded_values_split_<split>.csv
    max_size: int | None = None  # gradiend's max_size: encoded_values_max_size_<n>_split_<split>.csv
    alignment: str = "factual"  # factual | counterfactual | transition (the suite method's default: factual)
    aggregate: str = "mean"  # mean | min | max | std | count | raw_count
    rows: str = "gradiends"  # gradiends: one row per run | classes: gradiend's anchor-aligned rows
    column_ids: list[str] | None = None  # columns to show, in this order (None: every class found)
    overlap: bool = False  # beside the matrix: the runs' pairwise top-k overlap
    topk: int | float = 1000
    part: str = "decoder-weight"
    annot: bool | str = "auto"
    fmt: str | None = None
    cmap: str = "viridis"  # gradiend's default; signed values draw it as coolwarm, as gradiend does
    vmin: float | None = None
    vmax: float | None = None
    figsize: tuple[float, float] | list[float] | None = None
    title: bool | str = True
    title_fontsize: float | None = None
    tick_label_fontsize: float | None = None
    annot_fontsize: float | None = None
    highlight_non_convergence: bool = True
    row_label_mapping: dict[str, str] | None = None  # run id -> label
    class_label_mapping: dict[str, str] | None = None  # class id -> label


@dataclass(kw_only=True)
class CrossEncodingData(ViewData):
    split_key: str = "split_test"
    alignment: str = "factual"
    encodings: list[ce.RunEncoding] = field(default_factory=list)
    statuses: dict[str, Convergence] = field(default_factory=dict)
    overlap: np.ndarray | None = None  # runs x runs shared top-k counts (NaN: no weights), when asked
    overlap_title: str = ""


def file_key(split: str, max_size: int | None) -> str:
    """gradiend's file key: components sorted by name (`max_size_<n>_split_<split>`, FORMAT.md §7.1)."""
    return f"max_size_{max_size}_split_{split}" if max_size else f"split_{split}"


def load(catalog, run_ids: list[str], options: Options, progress: Callable[[int, int, str], None] | None = None,
         should_stop: Callable[[], bool] | None = None) -> CrossEncodingData:
    key = file_key(options.split, options.max_size)
    data = CrossEncodingData(split_key=key, alignment=options.alignment)
    for done, rid in enumerate(dict.fromkeys(run_ids)):
        if progress:
            progress(done, len(run_ids), rid)
        run = catalog.get(rid)
        path = run.encoded.get(key)
        if path is None:
            available = ", ".join(run.encoded) or "none"
            data.left_out[rid] = f"no encoded_values_{key}.csv (available: {available})"
            continue
        try:
            encoding = ce.run_encoding(rid, read_encoded(path), tuple(run.classes), training_source(run),
                                       options.alignment)
        except RunReadError as exc:
            data.left_out[rid] = catalog.error_text(exc)
            continue
        if encoding.transitions.empty:
            data.left_out[rid] = f"encoded_values_{key}.csv: no training rows with a known class"
            continue
        if encoding.dropped:
            data.warnings.append(f"{rid}: {encoding.dropped} training rows of encoded_values_{key}.csv have no "
                                 "class the studio can tell; left out")
        data.encodings.append(encoding)
    data.runs = [e.run for e in data.encodings]
    data.statuses = run_statuses(catalog, data.runs)
    if options.overlap and len(data.runs) >= 1:
        _load_overlap(catalog, data, options, should_stop)
    return data


def _load_overlap(catalog, data: CrossEncodingData, options: Options, should_stop) -> None:
    comparison = compare_topk(catalog, data.runs, options.part, options.topk, should_stop=should_stop,
                              skip_unreadable=True)
    counts = np.full((len(data.runs), len(data.runs)), np.nan)
    position = [data.runs.index(rid) for rid in comparison.runs]
    counts[np.ix_(position, position)] = comparison.counts
    data.overlap = counts
    data.overlap_title = f"{topk_text(options.topk)} overlap ({comparison.part})"
    for rid, exc in comparison.left_out.items():
        data.warnings.append(f"no top-k overlap for {rid}: {catalog.error_text(exc)}")


def _columns(data: CrossEncodingData, options: Options) -> list[str]:
    found = ce.default_columns(data.encodings, data.alignment)
    return [c for c in options.column_ids if c in found] if options.column_ids else found


def matrix_values(data: CrossEncodingData, options: Options) -> tuple[np.ndarray, list[str], list[str]]:
    """(values, row ids, column ids) as drawn."""
    columns = _columns(data, options)
    if options.rows == "classes":
        classes = ce.class_order(data.encodings)
        return ce.class_matrix(data.encodings, classes, columns, options.aggregate), classes, columns
    if options.rows != "gradiends":
        raise ValueError(f"unknown rows '{options.rows}': choose one of {', '.join(ce.ROWS)}")
    return ce.gradiend_matrix(data.encodings, columns, options.aggregate), data.runs, columns


def _class_name(name: str, options: Options) -> str:
    mapping = options.class_label_mapping or {}
    if ce.ARROW in name:
        return ce.ARROW.join(mapping.get(part, part) for part in name.split(ce.ARROW))
    return mapping.get(name, name)


def _row_name(data: CrossEncodingData, rid: str, options: Options) -> str:
    status = data.statuses.get(rid)
    return run_label(rid, options.row_label_mapping, status.converged if status else None,
                     options.highlight_non_convergence)


def build(data: CrossEncodingData, options: Options) -> Figure:
    if not data.encodings:
        reasons = "; ".join(f"{rid}: {why}" for rid, why in data.left_out.items())
        return message_figure("Nothing to draw: no selected run has an encoder evaluation"
                              + (f" ({reasons})" if reasons else ""), options.figsize)
    values, rows, columns = matrix_values(data, options)
    by_classes = options.rows == "classes"
    if by_classes:
        outlined = [ce.anchor_cells(c, columns, data.alignment) for c in rows]
        row_names = [_class_name(c, options) for c in rows]
    else:
        outlined = [ce.own_cells(e.pair, columns, data.alignment) for e in data.encodings]
        row_names = [_row_name(data, rid, options) for rid in rows]
    signed = options.aggregate not in ("count", "raw_count")
    matrix = drawing.Matrix(values, row_names, [_class_name(c, options) for c in columns], outlined, signed,
                            XLABELS[data.alignment], "Orienting feature" if by_classes else "GRADIEND",
                            "Encoding" if signed else f"{options.aggregate.replace('_', ' ')} of transitions")
    overlap = None
    if data.overlap is not None and not by_classes:
        overlap = drawing.Overlap(data.overlap, data.overlap_title)
        matrix.rows = [f"{name}  ({i + 1})" for i, name in enumerate(matrix.rows)]
    return drawing.draw(matrix, overlap, options, _title(data, options))


def _title(data: CrossEncodingData, options: Options) -> str | None:
    if options.title is True:
        return f"Cross-encoding ({data.alignment} alignment, {describe_key(data.split_key)})"
    return options.title or None


def table(data: CrossEncodingData, options: Options) -> pd.DataFrame:
    """The matrix as drawn, one row per (row, column) with the transitions behind each cell."""
    import pandas as pd  # only the CSV download needs it

    values, rows, columns = matrix_values(data, options)
    records = [{"row": r, "column": c, options.aggregate: values[i, j]}
               for i, r in enumerate(rows) for j, c in enumerate(columns)]
    return pd.DataFrame(records, columns=["row", "column", options.aggregate])


def _choices(_context: dict) -> dict[str, tuple]:
    return {"alignment": ce.ALIGNMENTS, "aggregate": ce.AGGREGATES, "rows": ce.ROWS, "part": PARTS,
            "annot": ("auto", True, False), "cmap": DIVERGING}


HELP = {
    "split": "gradiend's split: reads encoded_values_split_<split>.csv (with max_size: "
             "encoded_values_max_size_<n>_split_<split>.csv).",
    "alignment": "factual: columns are the factual class of each row (the suite method's default); counterfactual: "
                 "the alternative class; transition: factual → alternative. Values are oriented as gradiend does "
                 "(label-correlation sign, then the view sign for the training source).",
    "aggregate": "How the per-transition means of a cell combine (gradiend's aggregate): mean, min, max, std; count "
                 "= transitions, raw_count = rows.",
    "rows": "gradiends: one row per run (its +1 class reads positive when it works); classes: gradiend's rows, one "
            "per class, every run holding it contributing with its sign.",
    "overlap": "Beside the matrix: the runs' pairwise top-k overlap (topk, part), so shared weights with different "
               "features stand out. Needs the runs' weights.",
    "cmap": "gradiend's default viridis is drawn as coolwarm for signed values (its rule); the scale is centred at 0 "
            "and symmetric, ±max(1, |largest value|).",
}


VIEW = View(
    name="crossencoding",
    title="Cross-encoding matrix",
    nav_title="Cross-encoding",
    icon=":material/table_chart:",
    blurb="Does each GRADIEND's encoder respond only to its own feature? Mean encoded value per class, oriented so "
          "a run's own +1 class reads positive.",
    Options=Options,
    load=load,
    build=build,
    table=table,
    runs="selection",
    min_runs=1,
    needs=("encoded",),
    load_options=("split", "max_size", "alignment", "overlap", "topk", "part"),
    choices=_choices,
    legend_labels=lambda data: ce.class_order(data.encodings),
    help=HELP,
    gradiend=None,
)
