"""Cross-encoding: how each GRADIEND's encoder responds to every class of its evaluation table (FORMAT.md §7).

The rule follows gradiend 0.2.3's suite `plot_cross_encoding_heatmap` (`comparison/anchor_aligned.py`):
1. training rows only (rows whose `type` says neutral are skipped);
2. orientation: the encoded values of a run are negated when their Pearson correlation with the label (rows with
   label != 0) is negative, then multiplied by the view sign: -1 when the column view (factual or counterfactual
   class) differs from the run's training source (`source="alternative"` encodes the alternative class), +1 for
   transition columns. A working GRADIEND then reads positive on its own +1 class and negative on its -1 class;
3. each directed transition (factual → counterfactual class) is averaged, then the transitions of a column are
   aggregated (`mean`, `min`, `max`, `std`; `count` = transitions, `raw_count` = rows);
4. rows: one per GRADIEND (its contribution for its +1 class, gradiend's anchor sign +1), or gradiend's own rows, one
   per class C: every GRADIEND whose pair holds C contributes with sign +1 (C is its +1 class) or -1.

The class of a row: `factual_id` / `counterfactual_id` when the table has them. gradiend 0.2.3 writes them empty on
training rows of `encoded_values_*.csv`, and gradiend itself then falls back to `source_id`, which for the default
`source="alternative"` is the alternative class. The studio derives the factual class instead: from `source_id` for
`source="factual"`, else from `factual_token` through the table's own (alternative token → class) pairs, else from the
label (label = -direction[factual class], §7.3); the counterfactual class is `target_id`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

ALIGNMENTS = ("factual", "counterfactual", "transition")
AGGREGATES = ("mean", "min", "max", "std", "count", "raw_count")
ROWS = ("gradiends", "classes")
ARROW = " → "


@dataclass
class RunEncoding:
    """One run's oriented per-transition means."""

    run: str
    pair: tuple[str, ...]  # (+1 class, -1 class)
    source: str
    transitions: pd.DataFrame  # columns: factual, counterfactual, column, mean, n
    flipped: bool  # negated by the label-correlation rule
    dropped: int  # training rows whose factual class could not be told


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    values = frame[column].astype(str).str.strip() if column in frame.columns else pd.Series("", index=frame.index)
    return values.where(values != "")


def counterfactual_classes(frame: pd.DataFrame) -> pd.Series:
    return _text(frame, "counterfactual_id").fillna(_text(frame, "target_id"))


def factual_classes(frame: pd.DataFrame, pair: tuple[str, ...], source: str) -> pd.Series:
    """The factual class of each row (NaN where it cannot be told): see the module's rule."""
    found = _text(frame, "factual_id")
    if source == "factual":
        found = found.fillna(_text(frame, "source_id"))
    tokens = pd.DataFrame({"token": _text(frame, "alternative_token"), "cls": counterfactual_classes(frame)}).dropna()
    classes_per_token = tokens.drop_duplicates().groupby("token")["cls"]
    unique = classes_per_token.first()[classes_per_token.nunique() == 1]
    found = found.fillna(_text(frame, "factual_token").map(unique))
    if len(pair) == 2 and source == "alternative":  # label = -direction[factual]: -1 -> pair[0], +1 -> pair[1]
        by_label = frame["label"].map({-1.0: pair[0], 1.0: pair[1]})
        found = found.fillna(by_label)
    return found


def label_correlation(encoded: pd.Series, label: pd.Series) -> float | None:
    """Pearson r of encoded and label over rows with label != 0 (gradiend's orientation test); None if undefined."""
    mask = (label != 0) & label.notna() & encoded.notna()
    if int(mask.sum()) < 2:
        return None
    x, y = encoded[mask].to_numpy(float), label[mask].to_numpy(float)
    if x.std() == 0 or y.std() == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def view_sign(source: str, alignment: str) -> float:
    """gradiend's `encoding_view_sign_for_source`: -1 when the column view and the training source differ."""
    if alignment == "transition":
        return 1.0
    return -1.0 if (alignment == "counterfactual") != (source == "alternative") else 1.0


def run_encoding(run_id: str, frame: pd.DataFrame, pair: tuple[str, ...], source: str, alignment: str) -> RunEncoding:
    """Oriented means per directed transition of one run's encoder table."""
    if alignment not in ALIGNMENTS:
        raise ValueError(f"unknown alignment '{alignment}': choose one of {', '.join(ALIGNMENTS)}")
    rows = frame[~frame["is_neutral"]] if "is_neutral" in frame.columns else frame
    rows = rows[rows["encoded"].notna()]
    correlation = label_correlation(rows["encoded"], rows["label"])
    flipped = correlation is not None and correlation < 0
    encoded = rows["encoded"] * (-1.0 if flipped else 1.0) * view_sign(source, alignment)
    work = pd.DataFrame({"factual": factual_classes(rows, pair, source), "counterfactual": counterfactual_classes(rows),
                         "encoded": encoded})
    known = work.dropna(subset=["factual", "counterfactual"])
    means = known.groupby(["factual", "counterfactual"], sort=False)["encoded"].agg(["mean", "count"]).reset_index()
    means = means.rename(columns={"count": "n"})
    column = {"factual": means["factual"], "counterfactual": means["counterfactual"],
              "transition": means["factual"] + ARROW + means["counterfactual"]}[alignment]
    means.insert(2, "column", column)
    return RunEncoding(run_id, tuple(pair), source, means, flipped, len(work) - len(known))


def class_order(encodings: list[RunEncoding]) -> list[str]:
    """The runs' pair classes in selection order, then every other class found (sorted)."""
    ordered = list(dict.fromkeys(c for e in encodings for c in e.pair))
    seen = {c for e in encodings for c in pd.concat([e.transitions["factual"], e.transitions["counterfactual"]])}
    return ordered + sorted(seen - set(ordered))


def default_columns(encodings: list[RunEncoding], alignment: str) -> list[str]:
    classes = class_order(encodings)
    if alignment != "transition":
        return classes
    found = {c for e in encodings for c in e.transitions["column"]}
    rank = {c: i for i, c in enumerate(classes)}
    return sorted(found, key=lambda t: tuple(rank.get(part, len(rank)) for part in t.split(ARROW)))


def _aggregate(values: pd.Series, counts: pd.Series, aggregate: str) -> float:
    if values.empty:
        return float("nan")
    if aggregate == "count":
        return float(len(values))
    if aggregate == "raw_count":
        return float(counts.sum())
    if aggregate == "std":
        return float(values.std()) if len(values) > 1 else float("nan")
    return float(getattr(values, aggregate)())


def _check(aggregate: str) -> None:
    if aggregate not in AGGREGATES:
        raise ValueError(f"unknown aggregate '{aggregate}': choose one of {', '.join(AGGREGATES)}")


def gradiend_matrix(encodings: list[RunEncoding], columns: list[str], aggregate: str = "mean") -> np.ndarray:
    """[runs, columns]: the aggregate of each run's transition means per column (NaN: no rows there)."""
    _check(aggregate)
    matrix = np.full((len(encodings), len(columns)), np.nan)
    for i, encoding in enumerate(encodings):
        by_column = encoding.transitions.groupby("column")
        for j, column in enumerate(columns):
            if column in by_column.groups:
                group = by_column.get_group(column)
                matrix[i, j] = _aggregate(group["mean"], group["n"], aggregate)
    return matrix


def class_matrix(encodings: list[RunEncoding], classes: list[str], columns: list[str],
                 aggregate: str = "mean") -> np.ndarray:
    """[classes, columns]: gradiend's anchor-aligned matrix (each run adds +mean for its +1 class, -mean for its -1)."""
    _check(aggregate)
    parts = []
    for encoding in encodings:
        for anchor, sign in zip(encoding.pair, (1.0, -1.0), strict=False):
            part = encoding.transitions[["column", "mean", "n"]].copy()
            part["mean"] *= sign
            part["anchor"] = anchor
            parts.append(part)
    matrix = np.full((len(classes), len(columns)), np.nan)
    if not parts:
        return matrix
    rows = pd.concat(parts, ignore_index=True)
    for (anchor, column), group in rows.groupby(["anchor", "column"]):
        if anchor in classes and column in columns:
            matrix[classes.index(anchor), columns.index(column)] = _aggregate(group["mean"], group["n"], aggregate)
    return matrix


def own_cells(pair: tuple[str, ...], columns: list[str], alignment: str) -> list[int]:
    """Columns of a run's own target classes (for transitions: the transitions between them)."""
    if alignment != "transition":
        return [j for j, c in enumerate(columns) if c in pair]
    inside = {f"{a}{ARROW}{b}" for a in pair for b in pair if a != b}
    return [j for j, c in enumerate(columns) if c in inside]


def anchor_cells(anchor: str, columns: list[str], alignment: str) -> list[int]:
    """Columns of a class row's own class (for transitions: those leaving it)."""
    if alignment != "transition":
        return [j for j, c in enumerate(columns) if c == anchor]
    return [j for j, c in enumerate(columns) if c.split(ARROW)[0] == anchor]
