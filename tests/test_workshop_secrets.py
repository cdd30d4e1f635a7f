"""Workshop secrets and exposure: private files, salted scrypt rejoin keys, rate-limited
wrong keys, no join codes in `workshop list` unless asked, a cap on served sessions."""

from __future__ import annotations

import asyncio
import hashlib
import stat

import pytest

from scenarios.loader import get_scenario
from sim.session import Session
from tui import store as saves
from tui.workshop.service import codes
from tui.workshop.service.errors import NameTaken, TooManyAttempts
from tui.workshop.service.facilitator import create
from tui.workshop.service.participant import MAX_WRONG_KEYS, WorkshopParticipant
from tui.workshop.service.store import DB_ENV, Store

SCENARIO = "talk-first-school-dsl"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ESCALATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv(DB_ENV, str(tmp_path / "w.sqlite3"))


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_and_autosaves_are_private(tmp_path):
    store = Store()
    create(store, SCENARIO, "w", seed=4)
    assert mode(store.path) == 0o600
    path = saves.new_save_path(SCENARIO, 1)
    saves.save(path, Session(get_scenario(SCENARIO), 1))
    assert mode(path) == 0o600
    assert mode(path.parent) & 0o077 == 0


def test_rejoin_keys_are_salted_scrypt_and_old_hashes_still_open():
    one, two = codes.digest("ABCD-EFGH"), codes.digest("ABCD-EFGH")
    assert one.startswith("scrypt$") and one != two  # salted
    assert codes.matches("abcd efgh", one) and not codes.matches("ABCD-EFGX", one)
    legacy = hashlib.sha256(b"ABCDEFGH").hexdigest()
    assert codes.matches("ABCD-EFGH", legacy)
    assert not codes.matches("ABCD-EFGH", "scrypt$1$1$1$zz$zz")  # damaged: matches nothing


def test_wrong_rejoin_keys_are_rate_limited_across_connections():
    store = Store()
    made = create(store, SCENARIO, "w", seed=4)
    asha = WorkshopParticipant.join(store, made.code, "Asha")
    for _ in range(MAX_WRONG_KEYS):
        with pytest.raises(NameTaken):
            WorkshopParticipant.join(Store(store.path), made.code, "asha", "WRON-GKEY")
    with pytest.raises(TooManyAttempts, match="wait"):
        WorkshopParticipant.join(Store(store.path), made.code, "Asha", "WRON-GKEY")
    with pytest.raises(TooManyAttempts):  # even the right key waits: no guessing on
        WorkshopParticipant.join(Store(store.path), made.code, "Asha", asha.token)
    ben = WorkshopParticipant.join(store, made.code, "Ben")  # other names are not held up
    assert ben.is_new


async def test_serve_caps_the_sessions_it_runs(monkeypatch):
    from aiohttp import WSMsgType, web
    from aiohttp.test_utils import TestClient, TestServer
    from textual_serve import server as serve_module

    from tui.workshop.serve import build_server

    release = asyncio.Event()

    async def fake_session(self, request):  # a trainee process that stays open
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await release.wait()
        await socket.close()
        return socket

    monkeypatch.setattr(serve_module.Server, "handle_websocket", fake_session)
    server = build_server("K7Q2MX", max_sessions=2)
    app = await server._make_app()
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        first = await client.ws_connect("/ws")
        second = await client.ws_connect("/ws")
        third = await client.ws_connect("/ws")
        message = await asyncio.wait_for(third.receive(), 5)
        assert message.type in (WSMsgType.CLOSE, WSMsgType.CLOSED)
        assert third.close_code == 1013
        bad = await client.get("/ws?width=99999999")
        assert bad.status == 400
        release.set()
        await first.close()
        await second.close()
