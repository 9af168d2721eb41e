"""Concurrent sessions on a real server (bench/load_sessions.py, small): no errors, no state seen across sessions."""

from tests.app.conftest import in_own_thread


def test_three_concurrent_sessions_keep_their_own_labels_and_options(ws_client):
    report = in_own_thread(ws_client.run, sessions=3, rounds=2, settle=0.5)
    assert report["errors"] == [] and report["leaks"] == []
    assert report["page_switches"] == 3 * 2 * len(ws_client.PAGES)
