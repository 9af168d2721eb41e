"""Encoder evaluation tables `encoded_values_<key>.csv` (FORMAT.md §7)."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from gradiend_st.io.errors import RunReadError, os_problem

if TYPE_CHECKING:
    import pandas as pd

PREFIX = "encoded_values_"
REQUIRED_COLUMNS = ("encoded", "label")
TEXT_COLUMNS = ("source_id", "target_id", "type", "source_token", "factual_token", "alternative_token",
                "template", "text", "masked", "input_text", "data_split", "factual_id")


def encoded_files(run_folder: Path) -> dict[str, Path]:
    """{key: csv path} for every `encoded_values_<key>.csv`, e.g. {"split_test": ...}."""
    found = {}
    for path in sorted(run_folder.glob(f"{PREFIX}*.csv")):
        if path.is_file():
            found[path.stem[len(PREFIX):]] = path
    return found


def describe_key(key: str) -> str:
    """A human label for a file key: 'split_test' -> 'test split', 'max_size_500_split_test' -> 'test split, max 500'."""
    split = re.search(r"split_([a-z_]+?)(?:_max_size|$)", key)
    size = re.search(r"max_size_(\d+)", key)
    parts = [f"{split.group(1).replace('_', ' + ')} split" if split else key]
    if size:
        parts.append(f"max {size.group(1)}")
    return ", ".join(parts)


def read_encoded(path: Path) -> pd.DataFrame:
    """The table with `encoded` as float, `label` as float, text columns as str and a boolean `is_neutral`."""
    try:
        frame = _read_csv(path, "utf-8-sig")
    except UnicodeDecodeError:
        # Some spreadsheet tools re-save CSVs as Latin-1; every byte decodes, so the columns survive.
        frame = _read_csv(path, "latin-1")
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise RunReadError(path, f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    frame["encoded"] = _numeric(path, frame["encoded"], "encoded", first_of_list=True)
    frame["label"] = _numeric(path, frame["label"], "label")
    for column in TEXT_COLUMNS:
        if column not in frame.columns:
            frame[column] = ""
    frame["is_neutral"] = frame["type"].str.contains("neutral", case=False)
    return frame


def _read_csv(path: Path, encoding: str) -> pd.DataFrame:
    """Every column as text; a file that cannot be read as CSV is a RunReadError naming it."""
    import pandas as pd  # imported when a table is read: discovery and top-k need no pandas
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding, on_bad_lines="error")
    except pd.errors.EmptyDataError:
        raise RunReadError(path, "file is empty") from None
    except (pd.errors.ParserError, csv.Error) as exc:
        raise RunReadError(path, f"not a readable CSV ({str(exc).splitlines()[0][:120]})") from None
    except OSError as exc:
        raise RunReadError(path, os_problem(exc)) from None


def _numeric(path: Path, column: pd.Series, name: str, first_of_list: bool = False) -> pd.Series:
    import pandas as pd  # imported when a table is read: discovery and top-k need no pandas
    text = column.str.strip()
    if first_of_list:  # latent_dim > 1 stores "[0.1, -0.3]": the first dimension is the feature
        text = text.str.replace(r"^\[\s*([^,\]]*).*$", r"\1", regex=True)
    values = pd.to_numeric(text, errors="coerce")
    bad = values.isna() & (text != "") & (text.str.lower() != "nan")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise RunReadError(path, f"column '{name}' has non-numeric value {str(column.iloc[row])[:40]!r} in data row {row + 1}")
    if values.isna().all() and len(values):
        raise RunReadError(path, f"column '{name}' has no numeric values")
    return values.astype(float)
