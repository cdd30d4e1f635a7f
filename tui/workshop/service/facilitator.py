"""The facilitator's side: create a workshop, run its clock, inject events, watch progress,
read individual results and the cohort debrief. Everything here needs the facilitator key.

The clock: each trainee's simulated time moves only when they act (every action costs
simulated time), so "pausing the world clock" means no trainee can act, and an inject lands
in each session at the simulated time that trainee had reached when it was fired.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from scenarios.scenario_schema import Scenario
from sim.session import Session
from tui.workshop.service import codes
from tui.workshop.service.errors import UnknownCode, WorkshopError, WrongKey
from tui.workshop.service.participant import workshop_row
from tui.workshop.service.sessions import apply, entry, scenario_of
from tui.workshop.service.store import Store, wall_now

if TYPE_CHECKING:
    from collections.abc import Callable

    from scoring.model import Assessment
    from tui.workshop.service.cohort import Cohort

MAX_INJECT = 500
# state -> the facilitator commands allowed in it, and the state each leads to
TRANSITIONS: dict[str, dict[str, str]] = {
    "lobby": {"start": "running", "end": "ended"},
    "running": {"pause": "paused", "end": "ended"},
    "paused": {"resume": "running", "end": "ended"},
    "ended": {},
}


@dataclass(frozen=True)
class Created:
    code: str
    key: str
    name: str
    scenario: str
    title: str
    seed: int


@dataclass(frozen=True)
class Info:
    code: str
    name: str
    scenario: str
    title: str
    seed: int
    state: str
    created: str
    injects: list[tuple[int, str, bool]]


@dataclass(frozen=True)
class Progress:
    """One dashboard row: where a trainee is, and how they are doing so far.

    ``standing`` (on track / behind / at risk) and ``reason`` judge only what is due so far
    (`scoring.standing`): what a facilitator can act on mid-case. ``score`` is the score as
    things stand, meaningful once the trainee has finished."""

    trainee_id: int
    label: str
    name: str
    joined: str
    seen: str
    actions: int
    now: datetime
    stage: str
    status: str
    finished: bool
    immediate_risk: bool
    score: float
    capped: bool
    problems: int
    injects: int
    standing: str = "on track"
    reason: str = ""
    challenge: str = ""  # the latest challenge as the trainee put it, and its answer


def load_scenario(ref: str) -> Scenario:
    """A bundled scenario id or a scenario YAML file (LoadError / KeyError otherwise)."""
    from scenarios.loader import bundled_scenarios
    from scenarios.loader import load_scenario as load_file

    bundled = bundled_scenarios()
    if ref in bundled:
        return bundled[ref]
    if Path(ref).suffix in (".yaml", ".yml") or Path(ref).exists():
        return load_file(ref)
    raise KeyError(f"unknown scenario '{ref}': not a bundled id ({', '.join(sorted(bundled))}) "
                   "nor a YAML file")


def create(store: Store, scenario: str | Scenario, name: str | None = None,
           seed: int | None = None) -> Created:
    """A new workshop in the lobby state. The key is returned once and stored only hashed."""
    import secrets

    loaded = load_scenario(scenario) if isinstance(scenario, str) else scenario
    seed = seed if seed is not None else secrets.randbelow(99_999) + 1
    title = " ".join((name or "").split()) or loaded.title
    key = codes.new_key()
    with store.write() as con:
        for _ in range(20):
            code = codes.new_code()
            if con.execute("SELECT 1 FROM workshops WHERE code = ?", (code,)).fetchone() is None:
                break
        else:
            raise WorkshopError("could not find a free join code; try again")
        now = wall_now()
        con.execute("INSERT INTO workshops (code, name, key_hash, scenario, scenario_json, seed, "
                    "created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (code, title, codes.digest(key), loaded.id, loaded.model_dump_json(), seed,
                     now))
        con.execute("INSERT INTO clock_log (workshop, state, wall) VALUES (?, 'lobby', ?)",
                    (code, now))
    return Created(code, key, title, loaded.id, loaded.title, seed)


class Facilitator:
    """A workshop opened with its facilitator key (`UnknownCode` / `WrongKey` otherwise)."""

    def __init__(self, store: Store, code: str, key: str | None) -> None:
        self.store = store
        with store.read() as con:
            row = workshop_row(con, code)
        if not codes.matches(key, row["key_hash"]):
            raise WrongKey(row["code"])
        self.code = str(row["code"])
        self.seed = int(row["seed"])
        self.scenario = scenario_of(row)
        self._cache: dict[int, tuple[int, Session, Assessment | None]] = {}
        # the dashboard polls in one thread while a command (end) runs in another: both
        # replay into the cached sessions, so one at a time
        self._replaying = threading.RLock()

    # ------------------------------------------------------------------ the clock

    def info(self) -> Info:
        with self.store.read() as con:
            row = workshop_row(con, self.code)
            injects = con.execute("SELECT seq, text, immediate_risk FROM injects WHERE "
                                  "workshop = ? ORDER BY seq", (self.code,)).fetchall()
        return Info(self.code, row["name"], row["scenario"], self.scenario.title, self.seed,
                    row["state"], row["created"],
                    [(i["seq"], i["text"], bool(i["immediate_risk"])) for i in injects])

    @property
    def state(self) -> str:
        return self.info().state

    def start(self) -> None:
        self._move("start")

    def pause(self) -> None:
        self._move("pause")

    def resume(self) -> None:
        self._move("resume")

    def end(self) -> None:
        """End for everyone, for good. Every trainee still mid-case has their case finished
        where it stands — a `Finish` in their own log at the simulated time they had
        reached, in the same transaction — so their debrief, the cohort debrief and the
        exports all judge the same finished cases (as if each had chosen to finish then)."""
        with self._replaying:
            self.sessions()  # replay before the write lock; only what is new is replayed in it
            try:
                self._move("end", self._finish_everyone)
            except BaseException:
                self._cache.clear()  # cached sessions may hold a Finish that was rolled back
                raise

    def _move(self, command: str,
              then: Callable[[sqlite3.Connection], None] | None = None) -> str:
        with self.store.write() as con:
            state = workshop_row(con, self.code)["state"]
            target = TRANSITIONS[state].get(command)
            if target is None:
                allowed = ", ".join(TRANSITIONS[state]) or "nothing (it has ended)"
                raise WorkshopError(f"cannot {command} workshop {self.code}: it is {state}; "
                                    f"possible now: {allowed}")
            con.execute("UPDATE workshops SET state = ? WHERE code = ?", (target, self.code))
            con.execute("INSERT INTO clock_log (workshop, state, wall) VALUES (?, ?, ?)",
                        (self.code, target, wall_now()))
            if then is not None:
                then(con)
        return target

    def _finish_everyone(self, con: sqlite3.Connection) -> None:
        import json

        from sim.actions import Finish

        rows = con.execute("SELECT * FROM trainees WHERE workshop = ? ORDER BY id",
                           (self.code,)).fetchall()
        for row in rows:
            count, session, _ = self._caught_up(con, row)
            if session.finished:
                continue
            at = session.now
            Session.act(session, Finish())
            con.execute("INSERT INTO actions (trainee, seq, action_json, at, wall) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (row["id"], count, json.dumps(entry(at, Finish())), at.isoformat(),
                         wall_now()))
            self._cache[row["id"]] = (count + 1, session, None)

    def inject(self, text: str, immediate_risk: bool = False) -> int:
        """Queue an event for every trainee; each session receives it exactly once, at the
        simulated time it has reached, before its next action (or at its next poll)."""
        text = " ".join(text.split())
        if not text:
            raise WorkshopError("an inject needs some text, e.g. 'The child arrives with a "
                                "new bruise'")
        if len(text) > MAX_INJECT:
            raise WorkshopError(f"an inject can be at most {MAX_INJECT} characters")
        with self.store.write() as con:
            state = workshop_row(con, self.code)["state"]
            if state not in ("running", "paused"):
                when = "start the exercise first" if state == "lobby" else "it has ended"
                raise WorkshopError(f"cannot inject into workshop {self.code}: {when}")
            seq = con.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM injects WHERE workshop = ?",
                              (self.code,)).fetchone()[0]
            last = con.execute("SELECT COALESCE(MAX(id), 0) FROM actions").fetchone()[0]
            con.execute("INSERT INTO injects (workshop, seq, text, immediate_risk, created, "
                        "last_action) VALUES (?, ?, ?, ?, ?, ?)",
                        (self.code, seq, text, int(immediate_risk), wall_now(), last))
        return int(seq)

    # ------------------------------------------------------------------ trainees

    def trainees(self) -> list[sqlite3.Row]:
        with self.store.read() as con:
            return con.execute("SELECT * FROM trainees WHERE workshop = ? ORDER BY id",
                               (self.code,)).fetchall()

    def sessions(self) -> list[tuple[sqlite3.Row, str, Session, Assessment]]:
        """Every trainee with their label, replayed session and assessment so far.

        Sessions are cached and only the actions stored since the last call are replayed
        (the log is append-only), so polling this every second stays cheap.
        """
        from scoring import evaluate

        out = []
        with self._replaying, self.store.read() as con:
            rows = con.execute("SELECT * FROM trainees WHERE workshop = ? ORDER BY id",
                               (self.code,)).fetchall()
            for number, row in enumerate(rows, start=1):
                count, session, assessment = self._caught_up(con, row)
                if assessment is None:
                    assessment = evaluate(session)
                    self._cache[row["id"]] = (count, session, assessment)
                out.append((row, f"Trainee {number}", session, assessment))
        return out

    def _caught_up(self, con: sqlite3.Connection,
                   row: sqlite3.Row) -> tuple[int, Session, Assessment | None]:
        """A trainee's cached session with the actions stored since applied (the assessment
        is None when it needs working out again)."""
        count, session, assessment = self._cache.get(row["id"], (0, None, None))
        if session is None:
            session = Session(self.scenario, self.seed)
        new = con.execute("SELECT action_json FROM actions WHERE trainee = ? AND seq >= ? "
                          "ORDER BY seq", (row["id"], count)).fetchall()
        if new:
            apply(session, new)
            count, assessment = count + len(new), None
        self._cache[row["id"]] = (count, session, assessment)
        return count, session, assessment

    def progress(self) -> list[Progress]:
        from scoring.standing import standing
        from tui.workshop.service.cohort import challenges

        delivered = self._delivered()
        out = []
        for row, label, session, assessment in self.sessions():
            where = standing(session, assessment)
            put = challenges(session)
            out.append(Progress(
                row["id"], label, row["name"], row["joined"], row["seen"],
                len(session.actions), session.now, session.stage.name, session.status,
                session.finished, session.immediate_risk, assessment.score, assessment.capped,
                len(assessment.problems), delivered.get(row["id"], 0), where.verdict,
                where.reason, f"{put[-1][0]} → {put[-1][1]}" if put else ""))
        return out

    def _delivered(self) -> dict[int, int]:
        with self.store.read() as con:
            rows = con.execute("SELECT d.trainee, COUNT(*) AS n FROM deliveries d JOIN trainees t "
                               "ON t.id = d.trainee WHERE t.workshop = ? GROUP BY d.trainee",
                               (self.code,)).fetchall()
        return {r["trainee"]: r["n"] for r in rows}

    def results(self, who: str | int) -> tuple[str, Session, Assessment]:
        """One trainee's session and assessment, by label ("Trainee 3"), number, or name."""
        wanted = str(who).strip().casefold()
        for row, label, session, assessment in self.sessions():
            if wanted in (label.casefold(), label.split()[-1], row["name"].casefold()):
                return row["name"], session, assessment
        raise WorkshopError(f"no trainee '{who}' in workshop {self.code}")

    def cohort(self, names: bool = False) -> Cohort:
        from tui.workshop.service.cohort import build

        return build(self.info(), self.sessions(), names=names)


def end_warning(code: str, rows: list[Progress], names: bool = False) -> str:
    """What ending does, said before the facilitator confirms it: who is still mid-case and
    what happens to them, and what stays available afterwards."""
    mid = [r for r in rows if not r.finished]
    text = f"{len(rows)} trainee(s) joined, {len(mid)} still mid-case."
    if mid:
        who = ", ".join(f"{r.label} ({r.name})" if names else r.label for r in mid[:6])
        text += (f" Mid-case: {who}{', …' if len(mid) > 6 else ''}. Their case finishes where "
                 "it stands and their screen switches to their debrief: anything they had not "
                 "done yet counts as not done, as if they had chosen to finish now.")
    return (text + " Nobody can act or join afterwards, and it cannot be undone. The "
            f"dashboard (read-only), the cohort debrief and the exports stay available: "
            f"escalate workshop review {code}.")


def open_facilitator(store: Store, code: str, key: str | None) -> Facilitator:
    if not key:
        raise WrongKey(codes.normalise(code) or code)
    return Facilitator(store, code, key)


__all__ = ["Created", "Facilitator", "Info", "Progress", "UnknownCode", "create",
           "end_warning", "open_facilitator"]
