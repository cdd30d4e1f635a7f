"""A trainee in a workshop: their `Session`, kept in step with the shared database.

Every action goes through `WorkshopParticipant.act`, which in one short write transaction
checks the facilitator's clock (refusing while not running), first delivers any injects
this trainee has not had (as `sim.actions.Inject`, so a replay reproduces them), then takes
the action and appends everything to the action log. ``UNIQUE (trainee, inject_seq)`` makes
"each inject exactly once" the database's job, not the app's. Rejoining is a replay.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim import actions as A
from sim.session import Session, SessionError
from tui.workshop.service import codes
from tui.workshop.service.errors import (
    AccessDenied,
    BadName,
    Busy,
    NameTaken,
    NotActing,
    NotSaved,
    TooManyAttempts,
    UnknownCode,
)
from tui.workshop.service.sessions import apply, entry, rebuild, scenario_of
from tui.workshop.service.store import Store, StoreBusy, retrying, wall_now

if TYPE_CHECKING:
    from scoring.model import Assessment
    from sim.timeline import Event

MAX_NAME = 40
# Rejoin keys are short enough to type: a name gets this many wrong ones per window.
MAX_WRONG_KEYS = 5
WRONG_KEY_MINUTES = 10
SEEN_EVERY = 10.0
REFUSALS = {
    "lobby": "The facilitator has not started the exercise yet: read the briefing and wait "
             "for them to start the clock.",
    "paused": "The facilitator has paused the exercise and the clock is stopped; wait for "
              "them to resume it.",
    "ended": "The facilitator has ended the exercise; no more actions can be taken.",
}


class WorkshopSession(Session):
    """A Session whose `act` goes through its participant.

    The trainee app only knows `Session.act`; with this class it persists every action,
    receives injects first and is refused while paused, without knowing about workshops.
    """

    participant: WorkshopParticipant | None = None

    def act(self, action: A.Action | dict) -> list[Event]:
        if self.participant is None:
            return super().act(action)
        return self.participant.act(action)


@dataclass(frozen=True)
class Status:
    """What a poll found: the clock state, injects just delivered, and whether another
    window's actions were replayed into this session."""

    state: str
    delivered: list[Event]
    caught_up: bool


def clean_name(name: str | None) -> str:
    text = " ".join((name or "").split())
    if not text:
        raise BadName("give your name (or a nickname) to join the workshop")
    if len(text) > MAX_NAME:
        raise BadName(f"a name can be at most {MAX_NAME} characters")
    if not text.isprintable():
        raise BadName("a name can only contain printable characters")
    return text


def _age(wall: str) -> float:
    from datetime import UTC, datetime

    return (datetime.now(UTC) - datetime.fromisoformat(wall)).total_seconds()


def workshop_row(con: sqlite3.Connection, code: str) -> sqlite3.Row:
    wanted = codes.normalise(code)
    row = con.execute("SELECT * FROM workshops WHERE code = ?", (wanted,)).fetchone()
    if row is None:
        raise UnknownCode(code.strip() or "(empty)")
    return row


class WorkshopParticipant:
    """One trainee's live session in a workshop. Use `join` to get one."""

    def __init__(self, store: Store, code: str, trainee_id: int, name: str, token: str,
                 session: WorkshopSession, is_new: bool) -> None:
        self.store = store
        self.code = code
        self.trainee_id = trainee_id
        self.name = name
        self.token = token
        self.session = session
        self.is_new = is_new
        self.broken: str | None = None
        self._lock = threading.Lock()
        session.participant = self

    # ------------------------------------------------------------------ joining

    @classmethod
    def join(cls, store: Store, code: str, name: str | None,
             token: str | None = None) -> WorkshopParticipant:
        """Join under a new name (a token is made), or rejoin an existing name with its token.

        Raises `UnknownCode`, `BadName`, `NameTaken` (existing name, no or wrong token),
        `StoreBusy` when the database stayed locked (it is retried with back-off first).
        """
        name = clean_name(name)
        return retrying(lambda: cls._join(store, code, name, token))

    @classmethod
    def _join(cls, store: Store, code: str, name: str,
              token: str | None) -> WorkshopParticipant:
        new_token = codes.new_token()
        new_hash = codes.digest(new_token)  # slow on purpose: computed outside the lock
        wrong: tuple[str, str] | None = None
        rows: list[sqlite3.Row] | None = None  # a rejoin's stored actions
        with store.write() as con:
            row = workshop_row(con, code)
            found = con.execute("SELECT * FROM trainees WHERE workshop = ? AND name = ? "
                                "COLLATE NOCASE", (row["code"], name)).fetchone()
            if found is not None:
                _limit_wrong_keys(con, row["code"], name)
                if not codes.matches(token, found["token_hash"]):
                    if token:  # a wrong key (not a first try without one) counts
                        con.execute("INSERT INTO join_failures (workshop, name, wall) VALUES "
                                    "(?, ?, ?)", (row["code"], name, wall_now()))
                    wrong = (str(found["name"]), str(row["code"]))
            if wrong is None and found is not None:
                con.execute("UPDATE trainees SET seen = ? WHERE id = ?", (wall_now(), found["id"]))
                rows = con.execute("SELECT action_json FROM actions WHERE trainee = ? "
                                   "ORDER BY seq", (found["id"],)).fetchall()
                trainee_id, name, key = int(found["id"]), str(found["name"]), token or ""
            elif wrong is None:
                if row["state"] == "ended":
                    raise NotActing(f"workshop {row['code']} has ended; new trainees cannot "
                                    "join")
                now = wall_now()
                cur = con.execute("INSERT INTO trainees (workshop, name, token_hash, joined, "
                                  "seen) VALUES (?, ?, ?, ?, ?)",
                                  (row["code"], name, new_hash, now, now))
                trainee_id, key = int(cur.lastrowid or 0), new_token
        if wrong is not None:
            raise NameTaken(*wrong)  # after the commit, so the wrong key is counted
        # The session is built after the commit: a first Session in a process takes a
        # second or more (calendar tables), which must not hold thirty joins' write lock.
        # Actions another window stores meanwhile are caught up by the next act or poll.
        scenario = scenario_of(row)
        if rows is not None:
            session = rebuild(scenario, row["seed"], rows, WorkshopSession)
        else:
            session = WorkshopSession(scenario, row["seed"])
        return cls(store, row["code"], trainee_id, name, key, session, is_new=rows is None)

    # ------------------------------------------------------------------ acting

    def act(self, action: A.Action | dict) -> list[Event]:
        """Deliver pending injects, then take the action; all stored in one transaction.

        Refused with `NotActing` (a `SessionError`) unless the facilitator's clock runs. If
        the session refuses the action itself, the injects delivered before it still stand.
        """
        if isinstance(action, dict):
            action = A.parse_action(action)
        if isinstance(action, A.Inject):
            raise NotActing("injects come from the facilitator, not from trainees")
        taken = len(self.session.actions)
        try:
            return self._act(action)
        except StoreBusy as exc:
            if len(self.session.actions) != taken:  # in memory but not in the log
                self._break(f"your last action could not be saved ({exc})")
            raise Busy(f"{exc}; your action was not taken, so try it again") from None

    def _act(self, action: A.Action) -> list[Event]:
        refused: SessionError | None = None
        with self._lock:
            self._check_usable()
            state = self._state_only()
            if state != "running":  # refused without taking the write lock
                raise NotActing(REFUSALS[state])
            with self.store.write() as con:
                state, caught_up = self._sync(con)
                if caught_up:
                    raise NotActing("your case was changed in another window and has been "
                                    "brought up to date; check it and act again")
                if state != "running":
                    raise NotActing(REFUSALS[state])
                events = self._deliver(con)
                try:
                    events += self._act_and_log(con, action)
                except NotSaved:
                    raise
                except SessionError as exc:
                    refused = exc
                con.execute("UPDATE trainees SET seen = ? WHERE id = ?",
                            (wall_now(), self.trainee_id))
        if refused is not None:
            raise refused
        return events

    def poll(self) -> Status:
        """The facilitator's clock state, delivering any injects now (they take no time,
        so they may arrive while paused). Safe to call from a timer: it only reads unless
        there is something to deliver or catch up on, and while an action is being taken
        it does not wait for it."""
        if not self._lock.acquire(blocking=False):
            return Status(self._state_only(), [], False)
        try:
            self._check_usable()
            state, work = self._peek()
            if not work:
                return Status(state, [], False)
            with self.store.write() as con:
                state, caught_up = self._sync(con)
                delivered = self._deliver(con) if state != "ended" else []
                con.execute("UPDATE trainees SET seen = ? WHERE id = ?",
                            (wall_now(), self.trainee_id))
            return Status(state, delivered, caught_up)
        finally:
            self._lock.release()

    def _peek(self) -> tuple[str, bool]:
        """State, and whether a write is needed (injects to deliver, another window's
        actions to replay, or a "last seen" older than `SEEN_EVERY` seconds)."""
        with self.store.read() as con:
            row = workshop_row(con, self.code)
            me = con.execute(
                "SELECT seen, (SELECT COUNT(*) FROM actions WHERE trainee = t.id) AS stored, "
                "(SELECT COUNT(*) FROM injects i WHERE i.workshop = t.workshop AND NOT EXISTS "
                "(SELECT 1 FROM deliveries d WHERE d.trainee = t.id AND d.inject_seq = i.seq))"
                " AS pending FROM trainees t WHERE t.id = ?", (self.trainee_id,)).fetchone()
        stale = _age(me["seen"]) > SEEN_EVERY
        pending = me["pending"] and not self.session.finished and row["state"] != "ended"
        work = bool(pending or me["stored"] != len(self.session.actions) or stale)
        return str(row["state"]), work

    def _state_only(self) -> str:
        with self.store.read() as con:
            return str(workshop_row(con, self.code)["state"])

    def _check_usable(self) -> None:
        if self.broken:
            raise NotSaved(self.broken)

    def _sync(self, con: sqlite3.Connection) -> tuple[str, bool]:
        """The workshop state, and whether actions stored by another window of the same
        trainee had to be replayed here first."""
        row = workshop_row(con, self.code)
        stored = con.execute("SELECT COUNT(*) FROM actions WHERE trainee = ?",
                             (self.trainee_id,)).fetchone()[0]
        mine = len(self.session.actions)
        if stored < mine:
            self._break("this window holds actions the database does not")
        if stored > mine:
            rows = con.execute("SELECT action_json FROM actions WHERE trainee = ? AND seq >= ? "
                               "ORDER BY seq", (self.trainee_id, mine)).fetchall()
            apply(self.session, rows)
        return str(row["state"]), stored > mine

    def _deliver(self, con: sqlite3.Connection) -> list[Event]:
        if self.session.finished:
            return []
        pending = con.execute(
            "SELECT i.* FROM injects i WHERE i.workshop = ? AND NOT EXISTS (SELECT 1 FROM "
            "deliveries d WHERE d.trainee = ? AND d.inject_seq = i.seq) ORDER BY i.seq",
            (self.code, self.trainee_id)).fetchall()
        events: list[Event] = []
        for inject in pending:
            action = A.Inject(text=inject["text"], immediate_risk=bool(inject["immediate_risk"]))
            seq = len(self.session.actions)
            at = self.session.now
            con.execute("INSERT INTO deliveries (trainee, inject_seq, action_seq, at) "
                        "VALUES (?, ?, ?, ?)",
                        (self.trainee_id, inject["seq"], seq, at.isoformat()))
            events += self._act_and_log(con, action)
        return events

    def _act_and_log(self, con: sqlite3.Connection, action: A.Action) -> list[Event]:
        """Take the action in memory, then append it; the in-memory session never gets
        ahead of the log without the participant being marked broken."""
        at = self.session.now
        seq = len(self.session.actions)
        events = Session.act(self.session, action)
        try:
            con.execute("INSERT INTO actions (trainee, seq, action_json, at, wall) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (self.trainee_id, seq, json.dumps(entry(at, action)), at.isoformat(),
                         wall_now()))
        except sqlite3.Error as exc:
            self._break(f"your last action could not be saved ({exc})")
        return events

    def _break(self, why: str) -> None:
        self.broken = (f"{why}. Your work up to the previous action is safe: close this "
                       f"window and rejoin workshop {self.code} as {self.name}.")
        raise NotSaved(self.broken)

    # ------------------------------------------------------------------ state and results

    @property
    def state(self) -> str:
        return self._state_only()

    def results(self) -> Assessment:
        """This trainee's own assessment (no one else's is reachable from here)."""
        return own_results(self.store, self.code, self.name, self.token)

    def save_ui(self, ui: dict[str, Any]) -> None:
        """UI state (e.g. a half-filled form) that should survive a closed terminal."""
        with self.store.write() as con:
            con.execute("UPDATE trainees SET ui_json = ?, seen = ? WHERE id = ?",
                        (json.dumps(ui, default=str), wall_now(), self.trainee_id))

    def load_ui(self) -> dict[str, Any]:
        with self.store.read() as con:
            row = con.execute("SELECT ui_json FROM trainees WHERE id = ?",
                              (self.trainee_id,)).fetchone()
        return json.loads(row["ui_json"]) if row else {}


def own_results(store: Store, code: str, name: str, token: str | None) -> Assessment:
    """A trainee's assessment, for that trainee's token only (`AccessDenied` otherwise)."""
    from scoring import evaluate

    with store.read() as con:
        row = workshop_row(con, code)
        found = con.execute("SELECT * FROM trainees WHERE workshop = ? AND name = ? "
                            "COLLATE NOCASE", (row["code"], " ".join(name.split()))).fetchone()
        if found is None or not codes.matches(token, found["token_hash"]):
            raise AccessDenied(f"those results belong to someone else: a trainee sees only "
                               f"their own, with their own rejoin key (workshop {row['code']})")
        rows = con.execute("SELECT action_json FROM actions WHERE trainee = ? ORDER BY seq",
                           (found["id"],)).fetchall()
    return evaluate(rebuild(scenario_of(row), row["seed"], rows))


def _limit_wrong_keys(con: sqlite3.Connection, code: str, name: str) -> None:
    """`TooManyAttempts` once a name has had `MAX_WRONG_KEYS` wrong rejoin keys in the last
    `WRONG_KEY_MINUTES` minutes (kept in the database, so it holds across processes)."""
    from datetime import UTC, datetime, timedelta

    since = (datetime.now(UTC) - timedelta(minutes=WRONG_KEY_MINUTES)).isoformat(
        timespec="milliseconds")
    count = con.execute("SELECT COUNT(*) FROM join_failures WHERE workshop = ? AND name = ? "
                        "AND wall > ?", (code, name, since)).fetchone()[0]
    if count >= MAX_WRONG_KEYS:
        raise TooManyAttempts(name, WRONG_KEY_MINUTES)
