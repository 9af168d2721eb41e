"""Safe unpacking of uploaded runs: every hostile archive is one line of error, and nothing lands outside."""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

import pytest

from gradiend_st.demo import DEMO_ROOT
from gradiend_st.io.discover import discover
from gradiend_st.io.uploads import Limits, SessionSpace, UploadError, clean_stale, unpack_zip, write_files


def make_zip(path: Path, entries: list[tuple[str, bytes]], *, compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return path


def run_entries(run: str = "he_she", prefix: str = "runs/") -> list[tuple[str, bytes]]:
    base = DEMO_ROOT / run
    return [(prefix + f"{run}/" + p.relative_to(base).as_posix(), p.read_bytes()) for p in sorted(base.rglob("*"))
            if p.is_file()]


@pytest.fixture()
def sandbox(tmp_path: Path) -> Path:
    """The folder uploads may write into; the tests check nothing appears beside it."""
    folder = tmp_path / "sandbox"
    folder.mkdir()
    return folder


def assert_refused(exc: pytest.ExceptionInfo, entry: str, words: str, sandbox: Path) -> None:
    message = str(exc.value)
    assert "\n" not in message and message.startswith(entry), message
    assert words in message, message
    assert list(sandbox.iterdir()) == [], "a refused upload leaves nothing behind"
    outside = {p.name for p in sandbox.parent.iterdir()}
    assert outside <= {"sandbox", "upload.zip"}, outside


def test_a_zip_of_runs_unpacks_and_is_discovered(tmp_path, sandbox):
    archive = make_zip(tmp_path / "upload.zip", run_entries("he_she") + run_entries("she_they"))
    root = unpack_zip(archive, sandbox / "up")
    assert root == sandbox / "up" / "runs"  # the single wrapping folder is stepped into: ids stay short
    assert sorted(discover(root).runs) == ["he_she", "she_they"]


def test_a_zip_of_one_run_folder_keeps_its_name_as_id(tmp_path, sandbox):
    archive = make_zip(tmp_path / "upload.zip", run_entries("he_she", prefix=""))
    root = unpack_zip(archive, sandbox / "up")
    assert list(discover(root).runs) == ["he_she"]


@pytest.mark.parametrize("entry, words", [
    ("../evil.txt", "'..'"),
    ("runs/../../evil.txt", "'..'"),
    ("..\\evil.txt", "'..'"),
    ("/tmp/evil.txt", "absolute path"),
    ("C:\\evil.txt", "absolute path"),
    ("runs/bad\x01name", "control characters"),
])
def test_paths_leaving_the_folder_are_refused(tmp_path, sandbox, entry, words):
    archive = make_zip(tmp_path / "upload.zip", [("runs/ok.txt", b"fine"), (entry, b"evil")])
    with pytest.raises(UploadError) as exc:
        unpack_zip(archive, sandbox / "up")
    assert_refused(exc, entry.replace("\x01", "\\x01"), words, sandbox)  # shown escaped, on one line
    assert not (tmp_path / "evil.txt").exists()


def test_symlink_entries_are_refused(tmp_path, sandbox):
    info = zipfile.ZipInfo("runs/link")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(tmp_path / "upload.zip", "w") as archive:
        archive.writestr("runs/ok.txt", b"fine")
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(UploadError) as exc:
        unpack_zip(tmp_path / "upload.zip", sandbox / "up")
    assert_refused(exc, "runs/link", "symbolic link", sandbox)


def test_a_bomb_by_compression_ratio_is_stopped_while_unpacking(tmp_path, sandbox):
    archive = make_zip(tmp_path / "upload.zip", [("runs/zeros.bin", bytes(8 * 1024 * 1024))])
    with pytest.raises(UploadError) as exc:
        unpack_zip(archive, sandbox / "up", Limits(max_total_bytes=1 << 30))
    assert_refused(exc, "runs/zeros.bin", "compression ratio", sandbox)


def test_a_bomb_by_total_size_is_stopped(tmp_path, sandbox):
    parts = [(f"runs/part{i}.bin", os.urandom(300_000)) for i in range(4)]  # incompressible: only the total counts
    archive = make_zip(tmp_path / "upload.zip", parts)
    with pytest.raises(UploadError) as exc:
        unpack_zip(archive, sandbox / "up", Limits(max_total_bytes=1_000_000))
    assert_refused(exc, "runs/part3.bin", "exceeds the limit", sandbox)


def test_sizes_are_counted_on_written_bytes_not_declared_ones(tmp_path, sandbox):
    """A header that understates the size gains nothing: reading stops at the declared size and fails its CRC."""
    data = os.urandom(200_000)
    path = make_zip(tmp_path / "upload.zip", [("runs/liar.bin", data)], compression=zipfile.ZIP_STORED)
    raw = bytearray(path.read_bytes())
    # Patch the declared uncompressed size (local header and central directory) down to 10 bytes.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = raw.find(signature)
        raw[at + offset:at + offset + 4] = (10).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    with pytest.raises(UploadError) as exc:
        unpack_zip(path, sandbox / "up", Limits(max_total_bytes=100))
    assert_refused(exc, "runs/liar.bin", "corrupt data", sandbox)


def test_too_many_members_are_refused_before_writing(tmp_path, sandbox):
    archive = make_zip(tmp_path / "upload.zip", [(f"runs/f{i}.txt", b"x") for i in range(20)])
    with pytest.raises(UploadError) as exc:
        unpack_zip(archive, sandbox / "up", Limits(max_members=10), name="upload.zip")
    assert_refused(exc, "upload.zip", "more than the limit of 10", sandbox)


def test_nested_archives_are_not_expanded(tmp_path, sandbox):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("../../escape.txt", b"evil")
    archive = make_zip(tmp_path / "upload.zip", [("runs/ok.txt", b"fine"), ("runs/inner.zip", inner.getvalue())])
    with pytest.raises(UploadError) as exc:
        unpack_zip(archive, sandbox / "up")
    assert_refused(exc, "runs/inner.zip", "nested archive", sandbox)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "bad crc"])
def test_corrupt_archives_are_one_line_errors(tmp_path, sandbox, damage):
    path = make_zip(tmp_path / "upload.zip", [("runs/data.txt", b"hello world " * 100)], compression=zipfile.ZIP_STORED)
    raw = path.read_bytes()
    if damage == "garbage":
        raw = b"this is not a zip file at all" * 10
    elif damage == "truncated":
        raw = raw[: len(raw) // 2]
    else:
        at = raw.find(b"hello world")
        raw = raw[:at] + b"J" + raw[at + 1:]
    path.write_bytes(raw)
    with pytest.raises(UploadError) as exc:
        unpack_zip(path, sandbox / "up", name="upload.zip")
    entry = "runs/data.txt" if damage == "bad crc" else "upload.zip"
    assert_refused(exc, entry, "corrupt" if damage == "bad crc" else "not a readable zip", sandbox)


def test_duplicate_entries_are_refused(tmp_path, sandbox):
    with zipfile.ZipFile(tmp_path / "upload.zip", "w") as archive:
        archive.writestr("runs/a.txt", b"1")
        with pytest.warns(UserWarning):
            archive.writestr("runs/a.txt", b"2")
    with pytest.raises(UploadError) as exc:
        unpack_zip(tmp_path / "upload.zip", sandbox / "up")
    assert_refused(exc, "runs/a.txt", "duplicate", sandbox)


def test_os_litter_is_skipped(tmp_path, sandbox):
    archive = make_zip(tmp_path / "upload.zip", run_entries("he_she") + [("__MACOSX/runs/._x", b"fork"),
                                                                        ("runs/.DS_Store", b"x")])
    root = unpack_zip(archive, sandbox / "up")
    assert not (sandbox / "up" / "__MACOSX").exists()
    assert list(discover(root).runs) == ["he_she"]


# ----------------------------------------------------------------------------------------------- folder uploads


def test_folder_upload_writes_files_by_their_relative_names(sandbox):
    files = [(name, io.BytesIO(data)) for name, data in run_entries("he_she", prefix="myruns/")]
    root = write_files(files, sandbox / "up")
    assert root.name == "myruns"
    assert list(discover(root).runs) == ["he_she"]


@pytest.mark.parametrize("name, words", [("myruns/../../evil.txt", "'..'"), ("/etc/evil.txt", "absolute path")])
def test_folder_upload_refuses_names_leaving_the_folder(sandbox, name, words):
    files = [("myruns/ok.txt", io.BytesIO(b"ok")), (name, io.BytesIO(b"evil"))]
    with pytest.raises(UploadError) as exc:
        write_files(files, sandbox / "up")
    assert_refused(exc, name, words, sandbox)


def test_folder_upload_total_size_limit(sandbox):
    files = [(f"myruns/f{i}.bin", io.BytesIO(os.urandom(1000))) for i in range(5)]
    with pytest.raises(UploadError) as exc:
        write_files(files, sandbox / "up", Limits(max_total_bytes=2500))
    assert_refused(exc, "myruns/f2.bin", "exceeds the limit", sandbox)


def test_limits_follow_the_upload_size_setting():
    assert Limits.for_upload_mb(200).max_total_bytes == 800 * 1024 * 1024


# ----------------------------------------------------------------------------------------------- session folders


def test_session_space_is_removed_when_closed_or_collected(tmp_path):
    space = SessionSpace(tmp_path)
    first = space.new_upload_dir()
    first.mkdir()
    second = space.new_upload_dir()
    assert not first.exists() and second.name == "upload-2"
    path = space.path
    del space  # what happens when Streamlit drops a session's state
    import gc

    gc.collect()
    assert not path.exists()


def test_stale_session_folders_of_dead_processes_are_cleaned(tmp_path):
    dead = tmp_path / "session-999999999-abc"
    dead.mkdir()
    mine = SessionSpace(tmp_path)
    other = tmp_path / "not-a-session"
    other.mkdir()
    removed = clean_stale(tmp_path)
    assert removed == [dead]
    assert mine.path.exists() and other.exists()
    mine.close()
    assert not mine.path.exists()
