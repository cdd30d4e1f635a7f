"""The workshop database: one SQLite file in WAL mode shared by every trainee and the
facilitator, whether they run in one process or thirty.

WAL lets readers (the dashboard) run while one writer commits; every write is a short
``BEGIN IMMEDIATE`` transaction and waits up to `BUSY_SECONDS` for the lock. The schema is
versioned with ``PRAGMA user_version`` and migrated forward on open. A trainee's action log
is append-only (triggers refuse UPDATE and DELETE), so a session is always its replay.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from tui.workshop.service.errors import WorkshopError

T = TypeVar("T")
DB_ENV = "ESCALATE_WORKSHOP_DB"
DB_NAME = "workshops.sqlite3"
BUSY_SECONDS = 15.0  # how long a request keeps trying before it says "busy"
LOCK_WAIT_SECONDS = 0.5  # SQLite's own wait per attempt; between attempts we back off

_V1 = """
CREATE TABLE workshops (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    scenario TEXT NOT NULL,
    scenario_json TEXT NOT NULL,
    seed INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'lobby'
        CHECK (state IN ('lobby', 'running', 'paused', 'ended')),
    created TEXT NOT NULL
);
CREATE TABLE clock_log (
    workshop TEXT NOT NULL REFERENCES workshops(code),
    state TEXT NOT NULL,
    wall TEXT NOT NULL
);
CREATE TABLE trainees (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workshop TEXT NOT NULL REFERENCES workshops(code),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    joined TEXT NOT NULL,
    seen TEXT NOT NULL,
    ui_json TEXT NOT NULL DEFAULT '{}',
    UNIQUE (workshop, name COLLATE NOCASE)
);
CREATE TABLE actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    trainee INTEGER NOT NULL REFERENCES trainees(id),
    seq INTEGER NOT NULL,
    action_json TEXT NOT NULL,
    at TEXT NOT NULL,
    wall TEXT NOT NULL,
    UNIQUE (trainee, seq)
);
CREATE TABLE injects (
    workshop TEXT NOT NULL REFERENCES workshops(code),
    seq INTEGER NOT NULL,
    text TEXT NOT NULL,
    immediate_risk INTEGER NOT NULL,
    created TEXT NOT NULL,
    last_action INTEGER NOT NULL,
    PRIMARY KEY (workshop, seq)
);
CREATE TABLE deliveries (
    trainee INTEGER NOT NULL REFERENCES trainees(id),
    inject_seq INTEGER NOT NULL,
    action_seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    UNIQUE (trainee, inject_seq)
);
CREATE TRIGGER actions_no_update BEFORE UPDATE ON actions
    BEGIN SELECT RAISE(ABORT, 'the action log is append-only'); END;
CREATE TRIGGER actions_no_delete BEFORE DELETE ON actions
    BEGIN SELECT RAISE(ABORT, 'the action log is append-only'); END;
CREATE TRIGGER deliveries_no_delete BEFORE DELETE ON deliveries
    BEGIN SELECT RAISE(ABORT, 'deliveries are append-only'); END;
"""

_V2 = """
CREATE TABLE join_failures (
    workshop TEXT NOT NULL,
    name TEXT NOT NULL COLLATE NOCASE,
    wall TEXT NOT NULL
);
CREATE INDEX join_failures_by_name ON join_failures (workshop, name);
"""

# Each entry moves the schema one version forward; never edit a released entry.
MIGRATIONS: tuple[str, ...] = (_V1, _V2)


def default_path() -> Path:
    """``ESCALATE_WORKSHOP_DB``, else ``workshops.sqlite3`` in the trainer's data directory."""
    override = os.environ.get(DB_ENV)
    if override:
        return Path(override)
    from tui.store import data_dir

    return data_dir() / DB_NAME


def wall_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class StoreBusy(WorkshopError):
    """The database stayed locked longer than the busy timeout."""


def _busy(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def backoff(attempt: int) -> float:
    """Seconds to sleep before retry ``attempt`` (1, 2, …): doubling from 20 ms up to 1 s,
    with jitter so that thirty trainees who collided do not collide again."""
    return min(1.0, 0.02 * 2 ** min(attempt, 10)) * random.uniform(0.5, 1.5)


def retrying(call: Callable[[], T], seconds: float | None = None) -> T:
    """``call()``, tried again with back-off while the database is busy (`StoreBusy`)."""
    deadline = time.monotonic() + (BUSY_SECONDS if seconds is None else seconds)
    attempt = 0
    while True:
        try:
            return call()
        except StoreBusy:
            attempt += 1
            if time.monotonic() + backoff(attempt) > deadline:
                raise
            time.sleep(backoff(attempt))


class Store:
    """One connection to the workshop database, safe to share between a UI thread and its
    workers (calls are serialised by a lock); open one Store per process or trainee."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self._lock = threading.RLock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fresh = not self.path.exists()
            if fresh:  # created private: names, actions and hashes are nobody else's
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            self._con = sqlite3.connect(self.path, timeout=LOCK_WAIT_SECONDS,
                                        isolation_level=None, check_same_thread=False)
            self._con.row_factory = sqlite3.Row
            self._con.execute(f"PRAGMA busy_timeout = {int(LOCK_WAIT_SECONDS * 1000)}")
            self._con.execute("PRAGMA foreign_keys = ON")
            mode = self._con.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise WorkshopError(f"{self.path} is not a usable workshop database: {exc}") from None
        except OSError as exc:
            raise WorkshopError(f"cannot open {self.path}: {exc.strerror or exc}") from None
        self.journal_mode = str(mode).lower()

    def close(self) -> None:
        with self._lock:
            self._con.close()

    def _migrate(self) -> None:
        with self.write() as con:
            version = con.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise WorkshopError(f"{self.path} was made by a newer version of the trainer "
                                    f"(schema {version}); upgrade to open it")
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in _statements(script):
                    con.execute(statement)
                con.execute(f"PRAGMA user_version = {number}")

    @property
    def schema_version(self) -> int:
        with self.read() as con:
            return int(con.execute("PRAGMA user_version").fetchone()[0])

    def _begin(self, statement: str) -> None:
        """Start a transaction, retrying with back-off for up to `BUSY_SECONDS` while
        another process holds the lock; then `StoreBusy`."""
        deadline = time.monotonic() + BUSY_SECONDS
        attempt = 0
        while True:
            try:
                self._con.execute(statement)
                return
            except sqlite3.OperationalError as exc:
                if not _busy(exc):
                    raise WorkshopError(f"the workshop database failed: {exc}") from None
                attempt += 1
                if time.monotonic() + backoff(attempt) > deadline:
                    raise StoreBusy("the workshop database is busy; try again in a moment "
                                    f"({exc})") from None
                time.sleep(backoff(attempt))

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A short write transaction: takes the write lock at once (``BEGIN IMMEDIATE``) so
        what is read inside it cannot change before the commit. A lock held elsewhere is
        waited for with back-off (`StoreBusy` after `BUSY_SECONDS`)."""
        with self._lock:
            self._begin("BEGIN IMMEDIATE")
            try:
                yield self._con
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
            try:
                self._con.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                self._con.execute("ROLLBACK")
                raise StoreBusy(f"the workshop database could not save the change ({exc})"
                                ) from None

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several SELECTs (WAL: never blocks the writer)."""
        with self._lock:
            self._begin("BEGIN")
            try:
                yield self._con
            except sqlite3.OperationalError as exc:
                if _busy(exc):
                    raise StoreBusy(f"the workshop database is busy ({exc})") from None
                raise
            finally:
                self._con.execute("COMMIT")


def _statements(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    out: list[str] = []
    buffer = ""
    for line in script.strip().splitlines():
        buffer += line + "\n"
        if sqlite3.complete_statement(buffer):
            out.append(buffer.strip())
            buffer = ""
    return out
