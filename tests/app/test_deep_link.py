"""A link to a view opened on a fresh server shows the router's sidebar and the view (pages/ guard)."""

from __future__ import annotations

import asyncio

from gradiend_st.views.registry import VIEW_NAMES
from tests.app.conftest import in_own_thread


def test_first_visit_of_a_deep_link_goes_through_the_router(ws_client):
    async def first_visit(port: int):
        async with ws_client.connect(port) as ws:
            session = ws_client.Session(ws, 0)
            session.query = "runs=he_she&runs=he_it&topk=77"
            return session, await session.rerun("heatmap")

    with ws_client.streamlit_server() as (port, _):
        session, blob = in_own_thread(asyncio.run, first_visit(port))
    session.widget("checkbox", "Plain tables instead of AG Grid")  # the router's sidebar is there
    assert b"Top-77 overlap" in blob  # and the heatmap the link asked for
    assert sorted(session.pages) == sorted(["", *VIEW_NAMES])
    assert not [e for e in session.elements if e.WhichOneof("type") == "exception"]
