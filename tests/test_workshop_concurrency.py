"""A workshop under load: many scripted trainees acting at once on one database (threads
with their own connections, and separate processes), while the facilitator pauses,
injects and resumes. Every inject reaches every session exactly once, at the simulated
time that trainee had reached; nothing is lost; the cohort debrief adds up."""

from __future__ import annotations

import json
import multiprocessing
import threading
import time
from itertools import cycle, islice
from pathlib import Path
from typing import Any

import pytest

from scoring import evaluate
from sim import actions as A
from sim.players import PLAYERS
from tui.workshop.service.errors import NotActing
from tui.workshop.service.facilitator import Facilitator, create
from tui.workshop.service.participant import WorkshopParticipant
from tui.workshop.service.sessions import rebuild
from tui.workshop.service.store import Store

SCENARIO = "front-door-early-help-health-visitor"
KINDS = ("perfect", "passive", "skipper", "late")
PAUSED_INJECT = "A parent phones, angry that people are talking about the family"
RESUMED_INJECT = "The child arrives with a new bruise"
BEFORE_PAUSE = 2  # actions each trainee takes before the facilitator pauses


def act_patiently(p: WorkshopParticipant, action: A.Action, refusals: list[str],
                  refused) -> None:
    """What the trainee app does: when the clock is stopped, poll (receiving injects) and
    try again a little later."""
    while True:
        try:
            p.act(action)
            return
        except NotActing as exc:
            if not refusals:
                refused()
            refusals.append(str(exc))
            p.poll()
            time.sleep(0.02)


def scripted_trainee(db: Path, code: str, number: int, kind: str, reached, go,
                     refused) -> dict:
    p = WorkshopParticipant.join(Store(db), code, f"Person {number}")
    refusals: list[str] = []
    for count, action in enumerate(PLAYERS[kind](p.session)):
        if p.session.finished:
            break
        if count == BEFORE_PAUSE:
            reached.wait(timeout=60)
            go.wait(timeout=60)
        act_patiently(p, action, refusals, refused)
    if not p.session.finished:
        act_patiently(p, A.Finish(), refusals, refused)
    return {"id": p.trainee_id, "kind": kind, "save": p.session.to_dict(),
            "score": evaluate(p.session).score, "refusals": refusals}


def plain(data: dict) -> dict:
    return json.loads(json.dumps(data, default=str))


def check_workshop(db: Path, code: str, key: str, results: list[dict], frozen: dict[int, str],
                   paused_seq: int, resumed_seq: int) -> None:
    store = Store(db)
    facilitator = Facilitator(store, code, key)
    scenario, seed = facilitator.scenario, facilitator.seed
    with store.read() as con:
        injects = {r["seq"]: r for r in con.execute("SELECT * FROM injects")}
        deliveries = con.execute("SELECT * FROM deliveries").fetchall()
        actions = {}
        for row in con.execute("SELECT * FROM actions ORDER BY trainee, seq"):
            actions.setdefault(row["trainee"], []).append(row)
    by_trainee = {r["id"]: r for r in results}
    assert len(by_trainee) == len(results) and set(actions) == set(by_trainee)
    # exactly once, enforced by the database and visible in every replayed session
    assert len(deliveries) == 2 * len(results)
    for trainee_id, result in by_trainee.items():
        rows = actions[trainee_id]
        assert [r["seq"] for r in rows] == list(range(len(rows)))  # no gap, no duplicate
        replayed = rebuild(scenario, seed, rows)
        saved = result["save"]
        assert plain(replayed.to_dict()) == plain(saved), "the log replays to what they saw"
        for text in (PAUSED_INJECT, RESUMED_INJECT):
            assert [e.text for e in replayed.timeline].count(text) == 1
            assert sum(a.get("text") == text for a in saved["actions"]) == 1
        mine = {d["inject_seq"]: d for d in deliveries if d["trainee"] == trainee_id}
        assert set(mine) == {paused_seq, resumed_seq}
        # fired while paused: lands at the very time the trainee was frozen at
        assert mine[paused_seq]["at"] == frozen[trainee_id]
        # fired after the resume: lands at the time reached by the actions stored before
        # it was fired, and before any later action of that trainee
        fired_after = injects[resumed_seq]["last_action"]
        before = [r for r in rows if r["id"] <= fired_after]
        between = rows[len(before):mine[resumed_seq]["action_seq"]]
        assert all('"inject"' in r["action_json"] for r in between), "no action came first"
        assert mine[resumed_seq]["at"] == rebuild(scenario, seed, before).now.isoformat()
    # the cohort debrief counts what the individual assessments say
    cohort = facilitator.cohort()
    individual = {tid: evaluate(rebuild(scenario, seed, actions[tid])) for tid in actions}
    assert [t.score for t in cohort.trainees] == [individual[t].score for t in sorted(actions)]
    assert [t.score for t in cohort.trainees] == [by_trainee[t]["score"]
                                                  for t in sorted(actions)]
    for rule in cohort.rules:
        having = sum(rule.rule in a.rule_ids for a in individual.values())
        total = sum(f.rule == rule.rule for a in individual.values() for f in a.findings)
        assert (rule.trainees, rule.findings) == (having, total), rule.rule
    assert all(p.finished for p in facilitator.progress())


def run_workshop(db: Path, trainees: int, start_trainee) -> tuple[list[dict], float]:
    store = Store(db)
    made = create(store, SCENARIO, "Load test", seed=11)
    facilitator = Facilitator(store, made.code, made.key)
    facilitator.start()
    kinds = list(islice(cycle(KINDS), trainees))
    started = time.perf_counter()
    collect = start_trainee(db, made.code, kinds)
    # every trainee has joined and acted twice, and is waiting: stop the clock
    collect.reached()
    facilitator.pause()
    frozen_rows = facilitator.progress()
    assert len(frozen_rows) == trainees
    frozen = {r.trainee_id: r.now.isoformat() for r in frozen_rows}
    collect.go()
    collect.all_refused()  # every trainee has tried to act while paused and been refused
    paused_seq = facilitator.inject(PAUSED_INJECT)
    time.sleep(0.2)  # they keep trying (and polling); nothing moves
    still = facilitator.progress()
    assert {r.trainee_id: r.now.isoformat() for r in still} == frozen
    facilitator.resume()
    resumed_seq = facilitator.inject(RESUMED_INJECT, immediate_risk=True)
    results = collect.results()
    elapsed = time.perf_counter() - started
    assert all("paused" in r["refusals"][0] for r in results)
    check_workshop(db, made.code, made.key, results, frozen, paused_seq, resumed_seq)
    return results, elapsed


class _Signals:
    """The facilitator's side of the rendezvous, the same for threads and processes."""

    reached_barrier: Any
    go_event: Any
    refusals: Any
    count: int

    def reached(self) -> None:
        self.reached_barrier.wait(timeout=60)

    def go(self) -> None:
        self.go_event.set()

    def all_refused(self) -> None:
        for _ in range(self.count):
            assert self.refusals.acquire(timeout=60), "a trainee was never refused"


class Threads(_Signals):
    def __init__(self, db: Path, code: str, kinds: list[str]) -> None:
        self.reached_barrier = threading.Barrier(len(kinds) + 1)
        self.go_event = threading.Event()
        self.refusals = threading.Semaphore(0)
        self.count = len(kinds)
        self.out: list[dict] = []
        self.errors: list[BaseException] = []
        self.threads = [threading.Thread(target=self._run, args=(db, code, n, kind))
                        for n, kind in enumerate(kinds, start=1)]
        for thread in self.threads:
            thread.start()

    def _run(self, db: Path, code: str, number: int, kind: str) -> None:
        try:
            self.out.append(scripted_trainee(db, code, number, kind, self.reached_barrier,
                                             self.go_event, self.refusals.release))
        except BaseException as exc:  # reported by the test, not lost in a thread
            self.errors.append(exc)
            self.reached_barrier.abort()

    def results(self) -> list[dict]:
        for thread in self.threads:
            thread.join(timeout=120)
        if self.errors:
            raise self.errors[0]
        return self.out


def test_twelve_trainees_in_threads_pause_inject_resume(tmp_path):
    results, elapsed = run_workshop(tmp_path / "w.sqlite3", 12, Threads)
    actions = sum(len(r["save"]["actions"]) for r in results)
    print(f"\n12 trainees (threads): {actions} actions stored in {elapsed:.2f}s")
    assert {r["kind"] for r in results} == set(KINDS)


def _process_main(db: str, code: str, number: int, kind: str, reached, go, refusals,
                  out: str) -> None:
    result = scripted_trainee(Path(db), code, number, kind, reached, go, refusals.release)
    Path(out).write_text(json.dumps(result, default=str), encoding="utf-8")


class Processes(_Signals):
    """Trainees as separate OS processes (forked, so no re-import per process)."""

    def __init__(self, db: Path, code: str, kinds: list[str]) -> None:
        context = multiprocessing.get_context("fork")
        self.reached_barrier = context.Barrier(len(kinds) + 1)
        self.go_event = context.Event()
        self.refusals = context.Semaphore(0)
        self.count = len(kinds)
        self.files = [db.parent / f"trainee-{n}.json" for n in range(1, len(kinds) + 1)]
        self.processes = [
            context.Process(target=_process_main, args=(str(db), code, n, kind,
                                                        self.reached_barrier, self.go_event,
                                                        self.refusals, str(self.files[n - 1])))
            for n, kind in enumerate(kinds, start=1)]
        for process in self.processes:
            process.start()

    def results(self) -> list[dict]:
        for process in self.processes:
            process.join(timeout=120)
            assert process.exitcode == 0
        return [json.loads(f.read_text(encoding="utf-8")) for f in self.files]


@pytest.mark.skipif(multiprocessing.get_start_method(allow_none=True) not in (None, "fork")
                    and "fork" not in multiprocessing.get_all_start_methods(),
                    reason="needs fork")
def test_ten_trainees_in_separate_processes(tmp_path):
    results, elapsed = run_workshop(tmp_path / "w.sqlite3", 10, Processes)
    actions = sum(len(r["save"]["actions"]) for r in results)
    print(f"\n10 trainees (processes): {actions} actions stored in {elapsed:.2f}s")
