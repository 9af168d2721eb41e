"""Property-based: whatever bytes a file holds, readers answer with data or one RunReadError, never a crash."""

import json
import struct

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gradiend_st.io.encoded import read_encoded
from gradiend_st.io.errors import RunReadError
from gradiend_st.io.jsonfile import read_json
from gradiend_st.io.safetensors_file import SafetensorsFile
from gradiend_st.io.training import read_training

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _only_read_errors(read, path):
    try:
        read(path)
    except RunReadError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)


@SETTINGS
@given(st.binary(max_size=400))
def test_json_reader_on_any_bytes(tmp_path, raw):
    path = tmp_path / "x.json"
    path.write_bytes(raw)
    _only_read_errors(read_json, path)
    _only_read_errors(read_training, path)


@SETTINGS
@given(st.recursive(st.none() | st.booleans() | st.floats(allow_nan=False) | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=20))
def test_training_reader_on_any_json(tmp_path, value):
    path = tmp_path / "training.json"
    path.write_text(json.dumps({"training_stats": value, "best_score_checkpoint": value}))
    _only_read_errors(read_training, path)


@SETTINGS
@given(st.dictionaries(st.text(max_size=6), st.dictionaries(st.sampled_from(["dtype", "shape", "data_offsets"]),
                       st.one_of(st.text(max_size=4), st.integers(-5, 50), st.lists(st.integers(-5, 50), max_size=3))),
                       max_size=3), st.binary(max_size=64))
@example(header={"\n": {}}, data=b"")  # found by hypothesis: a tensor name with a line break
def test_safetensors_header_on_any_entries(tmp_path, header, data):
    raw = json.dumps(header).encode()
    path = tmp_path / "m.safetensors"
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    try:
        st_file = SafetensorsFile(path)
    except RunReadError as exc:
        assert "\n" not in str(exc)
        return
    for name, info in st_file.tensors.items():  # a header that validates always reads back its declared size
        assert len(st_file.read_flat(name, 0, info.numel)) == info.numel


@SETTINGS
@given(st.lists(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=6), min_size=1, max_size=4),
                max_size=6), st.sampled_from(["text,encoded,label", "encoded,label", "label", ""]))
def test_encoded_csv_on_any_cells(tmp_path, rows, header):
    path = tmp_path / "encoded_values_split_test.csv"
    path.write_text("\n".join([header] + [",".join(r) for r in rows]), encoding="utf-8")
    try:
        frame = read_encoded(path)
    except RunReadError as exc:
        assert "\n" not in str(exc)
        return
    assert frame["encoded"].dtype == np.float64 and frame["label"].dtype == np.float64
