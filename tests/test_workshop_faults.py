"""A locked workshop database: joins and actions wait with back-off (off the UI thread),
never crash, and 60 trainees joining at once all get in."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from sim import actions as A
from tui.workshop.service import store as store_module
from tui.workshop.service.errors import Busy
from tui.workshop.service.facilitator import Facilitator, create
from tui.workshop.service.participant import WorkshopParticipant
from tui.workshop.service.store import DB_ENV, Store

SCENARIO = "talk-first-school-dsl"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ESCALATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv(DB_ENV, str(tmp_path / "w.sqlite3"))


def hold_lock(path, seconds: float) -> threading.Thread:
    """Another process's long write: the database is locked for ``seconds``."""
    ready = threading.Event()

    def run() -> None:
        con = sqlite3.connect(path, isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        ready.set()
        time.sleep(seconds)
        con.execute("COMMIT")
        con.close()

    thread = threading.Thread(target=run)
    thread.start()
    ready.wait()
    return thread


def test_sixty_simultaneous_joins_all_succeed_through_a_lock(tmp_path):
    store = Store()
    made = create(store, SCENARIO, "Big room", seed=4)
    start = threading.Barrier(61)
    joined: list[str] = []
    failed: list[BaseException] = []

    def join(n: int) -> None:
        own = Store(store.path)  # one connection per trainee, as in separate processes
        start.wait()
        try:
            joined.append(WorkshopParticipant.join(own, made.code, f"Trainee {n}").name)
        except BaseException as exc:  # the test reports whatever went wrong
            failed.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=join, args=(n,)) for n in range(60)]
    for thread in threads:
        thread.start()
    locker = hold_lock(store.path, 1.0)
    start.wait()
    for thread in threads:
        thread.join(timeout=120)
    locker.join()
    assert not failed, failed[:3]
    assert len(joined) == 60
    facilitator = Facilitator(store, made.code, made.key)
    assert len(facilitator.progress()) == 60


def test_an_action_on_a_locked_database_is_refused_as_busy_not_a_crash(monkeypatch):
    monkeypatch.setattr(store_module, "BUSY_SECONDS", 0.3)
    store = Store()
    made = create(store, SCENARIO, "w", seed=4)
    Facilitator(store, made.code, made.key).start()
    trainee = WorkshopParticipant.join(Store(store.path), made.code, "Asha")
    locker = hold_lock(store.path, 1.5)
    with pytest.raises(Busy, match="try it again"):
        trainee.act(A.Contact(role="cs.social_worker"))
    assert trainee.session.actions == [] and trainee.broken is None
    locker.join()
    trainee.act(A.Contact(role="cs.social_worker"))  # once the lock is gone, it works
    assert len(trainee.session.actions) == 1


def test_a_join_waits_for_a_short_lock_with_back_off(monkeypatch):
    store = Store()
    made = create(store, SCENARIO, "w", seed=4)
    locker = hold_lock(store.path, 0.8)
    start = time.monotonic()
    trainee = WorkshopParticipant.join(Store(store.path), made.code, "Ben")
    assert trainee.name == "Ben" and time.monotonic() - start >= 0.5
    locker.join()


async def test_the_join_screen_stays_responsive_while_the_database_is_locked(monkeypatch):
    from tui.app import build_app
    from tui.pilot_driver import settle
    from tui.workshop.trainee import JoinScreen
    from tui.workshop_join import opening

    store = Store()
    made = create(store, SCENARIO, "w", seed=4)
    app = build_app(opening=opening(store, made.code, None, None))
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, JoinScreen)
        locker = hold_lock(store.path, 1.0)
        await pilot.press(*"Cara", "enter")
        began = time.monotonic()
        await pilot.press("tab")  # the UI answers keys while the join waits
        assert time.monotonic() - began < 0.5
        locker.join()
        for _ in range(100):
            await pilot.pause(0.05)
            if not isinstance(app.screen, JoinScreen):
                break
        assert not isinstance(app.screen, JoinScreen)
