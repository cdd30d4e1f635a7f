"""A training day end to end: 30 trainees, each in their own OS process, on one workshop
database — 27 scripted participants (forked processes), 2 served-page clients (the page's
websocket as a browser opens it, on loopback; textual-serve runs each as its own
`escalate play --join` process) and 1 real terminal (`escalate play --join` on a pty). The
facilitator pauses, injects an immediate risk while paused, resumes, and ends the workshop
at a terminal, confirming the question that says who is mid-case. Then: every trainee's
case is finished, every model answer meets the inject (and refers at once), and the
per-trainee export reads back to what the database replays to.

Everything waits for state (the database, the screen's bytes), never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import csv
import fcntl
import io
import json
import multiprocessing
import os
import pty
import queue
import re
import signal
import socket
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import aiohttp
import pytest
from test_tui_terminal import Screen

from scoring import evaluate
from scoring.debrief import what_good_looked_like
from sim import actions as A
from sim.players import PLAYERS
from sim.session import Session
from tui.cli import main
from tui.workshop.service.errors import NotActing
from tui.workshop.service.facilitator import Facilitator, create
from tui.workshop.service.participant import WorkshopParticipant
from tui.workshop.service.sessions import rebuild
from tui.workshop.service.store import DB_ENV, Store

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = "front-door-early-help-health-visitor"
SCRIPTED = 27
BROWSERS = ("Browser Ada", "Browser Ben")
TERMINAL = "Terminal Cy"
RISK = "The child arrives with a new bruise on the cheek and says 'I fell'"
BEFORE_PAUSE = 2  # actions each scripted trainee takes before the facilitator pauses
STAYERS_STOP = 4  # a mid-case trainee's actions when the workshop ends

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                       reason="scripted trainees are forked processes"),
]


def until(condition, what: str, timeout: float = 90.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


# ---------------------------------------------------------------------- scripted trainees

def _act(p: WorkshopParticipant, action: A.Action, refused) -> bool:
    """Act, waiting out a pause (the trainee app polls meanwhile); False once ended."""
    told = False
    while True:
        try:
            p.act(action)
            return True
        except NotActing as exc:
            if "ended" in str(exc):
                return False
            if not told:
                refused.release()
                told = True
            p.poll()
            time.sleep(0.02)


def scripted(db: str, code: str, number: int, reached, go, refused, settled) -> None:
    """Odd numbers play the model answer to the end; even ones stop mid-case."""
    p = WorkshopParticipant.join(Store(db), code, f"Person {number}")
    finisher = number % 2 == 1
    for taken, action in enumerate(PLAYERS["perfect"](p.session)):
        if p.session.finished or (not finisher and taken == STAYERS_STOP):
            break
        if taken == BEFORE_PAUSE:
            reached.wait(timeout=120)
            go.wait(timeout=120)
        if not _act(p, action, refused):
            break
    if finisher and not p.session.finished:
        _act(p, A.Finish(), refused)
    settled.release()
    while p.poll().state != "ended":  # as the app does: keep polling until the end
        time.sleep(0.05)
    p.poll()  # catches up on the Finish the end appended
    sys.exit(0 if p.session.finished else 3)


# ---------------------------------------------------------------------- real clients

class Terminal(Screen):
    """A pty of 100×30 running a command, its output read in the background."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        primary, secondary = pty.openpty()
        fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        self.process = subprocess.Popen(argv, stdin=secondary, stdout=secondary,
                                        stderr=secondary, cwd=ROOT, env=env,
                                        start_new_session=True)
        os.close(secondary)
        super().__init__(primary)

    def type(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        os.close(self.fd)


class Browser:
    """A served-page client: the page's websocket, opened as the browser opens it; what the
    app draws is collected, keys are sent as the page sends them."""

    def __init__(self, ws_url: str) -> None:
        self.ws_url = ws_url
        self.data = bytearray()
        self.keys: queue.Queue[str] = queue.Queue()
        self.stop = threading.Event()

    def shows(self, text: str, since: int = 0) -> bool:
        return text.encode() in bytes(self.data[since:])

    def type(self, keys: str) -> None:
        self.keys.put(keys)

    async def run(self) -> None:
        async with aiohttp.ClientSession() as http, \
                http.ws_connect(self.ws_url + "?width=100&height=30") as ws:
            while not self.stop.is_set():
                while not self.keys.empty():
                    await ws.send_str(json.dumps(["stdin", self.keys.get()]))
                try:
                    message = await ws.receive(timeout=0.1)
                except TimeoutError:
                    continue
                if message.type == aiohttp.WSMsgType.BINARY:
                    self.data.extend(message.data)
                elif message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    return
            await ws.send_str(json.dumps(["stdin", "\u0011"]))  # ctrl+q: the app ends


async def every(browsers: list[Browser]) -> None:
    await asyncio.wait_for(asyncio.gather(*(b.run() for b in browsers)), 300)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def page(url: str) -> str | None:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().decode("utf-8", errors="replace")
    except OSError:
        return None


def press(client: Terminal | Browser, keys: str, then: str, again: bool = False) -> None:
    """Send keys and wait until what they lead to is drawn. ``again``: an enter that landed
    while the screen before was still leaving is sent again (an enter on the briefing
    only ever starts the case)."""
    mark = len(client.data)
    client.type(keys)
    end = last = time.monotonic()
    end += 90
    while not client.shows(then, mark):
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {then!r}")
        if again and time.monotonic() - last > 5:
            client.type(keys)
            last = time.monotonic()
        time.sleep(0.05)


def join_on_screen(client: Terminal | Browser, name: str | None) -> None:
    """Name (a browser asks for it), the rejoin-key note, the briefing, one action."""
    if name is not None:
        until(lambda: client.shows("Join workshop"), f"{name}: the join screen")
        press(client, name + "\r", "Your rejoin key")
    else:
        until(lambda: client.shows("Your rejoin key"), "the terminal's rejoin-key note")
    press(client, "\r", "Start the case")
    press(client, "\r", "Contact someone", again=True)
    client.type("i")  # inform the referrer: one action, stored in the workshop


# ---------------------------------------------------------------------- the day

def counts(store: Store, code: str) -> dict[str, tuple[int, int]]:
    """Trainee name -> (actions stored, injects delivered)."""
    with store.read() as con:
        rows = con.execute(
            "SELECT t.name, (SELECT COUNT(*) FROM actions a WHERE a.trainee = t.id) AS n, "
            "(SELECT COUNT(*) FROM deliveries d WHERE d.trainee = t.id) AS i FROM trainees t "
            "WHERE t.workshop = ?", (code,)).fetchall()
    return {r["name"]: (r["n"], r["i"]) for r in rows}


def test_thirty_trainees_in_their_own_processes_through_a_whole_workshop(tmp_path):
    started = time.perf_counter()
    db = tmp_path / "day.sqlite3"
    store = Store(db)
    made = create(store, SCENARIO, "Training day", seed=11)
    facilitator = Facilitator(store, made.code, made.key)
    facilitator.start()
    env = {**os.environ, "ESCALATE_DATA_DIR": str(tmp_path / "data"), DB_ENV: str(db),
           "TERM": "xterm-256color"}

    # A first Session in a process builds its calendar (a second or two under load); built
    # here, the forked trainees inherit it, as thirty laptops would each have their own.
    Session(facilitator.scenario, facilitator.seed)
    fork = multiprocessing.get_context("fork")
    reached = fork.Barrier(SCRIPTED + 1)
    go, refused, settled = fork.Event(), fork.Semaphore(0), fork.Semaphore(0)
    trainees = [fork.Process(target=scripted, args=(str(db), made.code, n, reached, go,
                                                    refused, settled))
                for n in range(1, SCRIPTED + 1)]
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "workshop", "serve", made.code, "--port", str(port),
         "--db", str(db)], cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    terminal = Terminal([sys.executable, "-m", "tui.cli", "play", "--join", made.code,
                         "--name", TERMINAL], env)
    browsers: list[Browser] = []
    loop_thread: threading.Thread | None = None
    try:
        for process in trainees:
            process.start()
        html = until(lambda: page(f"http://127.0.0.1:{port}/"), "the served page")
        ws_url = re.search(r'data-session-websocket-url="([^"]+)"', html).group(1)
        assert ws_url.startswith(f"ws://127.0.0.1:{port}/")
        browsers = [Browser(ws_url) for _ in BROWSERS]
        loop_thread = threading.Thread(target=asyncio.run, args=(every(browsers),),
                                       daemon=True)
        loop_thread.start()
        join_on_screen(terminal, None)
        for browser, name in zip(browsers, BROWSERS, strict=True):
            join_on_screen(browser, name)
        reached.wait(timeout=120)  # every scripted trainee has joined and acted twice
        on_screen = (*BROWSERS, TERMINAL)
        until(lambda: all(counts(store, made.code).get(n, (0, 0))[0] == 1 for n in on_screen),
              "an action from each real client")
        assert len(counts(store, made.code)) == 30

        # pause: every scripted trainee tries to act and is refused
        facilitator.pause()
        go.set()
        for _ in range(SCRIPTED):
            assert refused.acquire(timeout=120), "a trainee was never refused while paused"
        frozen = {r.name: r.now for r in facilitator.progress()}
        # an immediate risk, injected while paused, reaches the open apps by their poll
        facilitator.inject(RISK, immediate_risk=True)
        until(lambda: all(counts(store, made.code)[n][1] == 1 for n in on_screen),
              "the inject delivered to the open apps while paused")
        assert {r.name: r.now for r in facilitator.progress()} == frozen, "time stood still"
        facilitator.resume()
        for _ in range(SCRIPTED):
            assert settled.acquire(timeout=120), "a scripted trainee never settled"

        # end, at a terminal, answering the question that says who is mid-case
        marks = [len(c.data) for c in (terminal, *browsers)]
        ending = Terminal([sys.executable, "-m", "tui.cli", "workshop", "end", made.code,
                           "--key", made.key, "--db", str(db)], env)
        try:
            until(lambda: ending.shows("[y/N]"), "the question")
            question = bytes(ending.data).decode(errors="replace")
            mid_case = SCRIPTED // 2 + len(on_screen)
            assert f"30 trainee(s) joined, {mid_case} still mid-case" in question
            assert "finishes where it stands" in question and "cannot be undone" in question
            ending.type("y\r")
            assert ending.process.wait(timeout=60) == 0
            until(lambda: ending.shows("ended"), "the answer")
        finally:
            ending.close()
        assert facilitator.state == "ended"
        for process in trainees:
            process.join(timeout=120)
            assert process.exitcode == 0, "a scripted trainee's case did not finish"
        # each open app catches up on the finished case and shows its debrief
        until(lambda: terminal.shows("Debrief: ", marks[0]), "the terminal's debrief")
        until(lambda: all(b.shows("Debrief: ", m) for b, m in zip(browsers, marks[1:],
                                                                  strict=True)),
              "the browsers' debriefs")
    finally:
        for browser in browsers:
            browser.stop.set()
        if loop_thread is not None:
            loop_thread.join(timeout=30)
        terminal.close()
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        for process in trainees:
            if process.is_alive():
                process.kill()
    played = time.perf_counter() - started

    # every case finished, every trainee met the inject once, every model answer meets it
    scenario, seed = facilitator.scenario, facilitator.seed
    with store.read() as con:
        ids = {r["id"]: r["name"] for r in con.execute("SELECT id, name FROM trainees")}
        logs = {i: con.execute("SELECT action_json FROM actions WHERE trainee = ? ORDER BY "
                               "seq", (i,)).fetchall() for i in ids}
    assert len(ids) == 30 and all(n == (len(logs[i]), 1) for i, n in
                                  ((i, counts(store, made.code)[ids[i]]) for i in ids))
    judged = {}
    for trainee_id, rows in logs.items():
        session = rebuild(scenario, seed, rows)
        assert session.finished, ids[trainee_id]
        good = what_good_looked_like(session)
        at = [i for i, (_, a) in enumerate(good.actions) if isinstance(a, A.Inject)]
        assert len(at) == 1 and good.actions[at[0]][1].text == RISK, ids[trainee_id]
        assert isinstance(good.actions[at[0] + 1][1], A.Refer), ids[trainee_id]
        assert good.stage.number == 1 and good.status == "referred", ids[trainee_id]
        judged[ids[trainee_id]] = (session, evaluate(session))

    # the per-trainee export reads back to what the database replays to
    out = tmp_path / "export"
    assert main(["workshop", "export", made.code, "--key", made.key, "--db", str(db),
                 "--out-dir", str(out)]) == 0
    summary = list(csv.DictReader(io.StringIO(
        (out / f"workshop-{made.code}-trainees.csv").read_text(encoding="utf-8-sig"))))
    assert len(summary) == 30
    for row in summary:
        session, assessment = judged[row["trainee"]]
        number = row["number"]
        statement = json.loads((out / f"trainee-{number}-xapi.json").read_text("utf-8"))
        assert statement["actor"]["account"]["name"] == row["trainee"]
        assert statement["result"]["score"]["raw"] == assessment.score
        assert float(row["score"]) == assessment.score and row["finished"] == "yes"
        findings = list(csv.DictReader(io.StringIO(
            (out / f"trainee-{number}-findings.csv").read_text(encoding="utf-8-sig"))))
        assert [f["rule"] for f in findings] == [f.rule for f in assessment.findings]
        assert row["trainee"] in (out / f"trainee-{number}-completion.html").read_text("utf-8")
    numbers = {row["trainee"]: row["number"] for row in summary}
    for name in ("Person 1", TERMINAL, BROWSERS[1]):  # scripted, terminal, browser
        who = numbers[name]
        report = tmp_path / f"report-{who}.json"
        assert main(["report", "--workshop", made.code, "--trainee", who, "--key", made.key,
                     "--db", str(db), "--format", "xapi", "--actor", name,
                     "-o", str(report)]) == 0
        assert json.loads(report.read_text("utf-8")) == json.loads(
            (out / f"trainee-{who}-xapi.json").read_text("utf-8"))
    print(f"\n30 trainees (27 scripted, 2 served pages, 1 terminal): played in {played:.1f}s, "
          f"{sum(len(r) for r in logs.values())} actions")


def test_a_join_builds_its_session_after_releasing_the_write_lock(tmp_path, monkeypatch):
    """Building a first Session takes seconds in a fresh process; thirty joins must not
    queue behind it on the database's write lock (they did, and some timed out as busy)."""
    import sqlite3

    from tui.workshop.service.participant import WorkshopSession

    db = tmp_path / "w.sqlite3"
    store = Store(db)
    made = create(store, SCENARIO, "Lock", seed=2)
    held: list[bool] = []
    built = WorkshopSession.__init__

    def probe(self, *args, **kwargs):
        other = sqlite3.connect(db, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            held.append(False)
        except sqlite3.OperationalError:
            held.append(True)
        finally:
            other.close()
        built(self, *args, **kwargs)

    monkeypatch.setattr(WorkshopSession, "__init__", probe)
    first = WorkshopParticipant.join(store, made.code, "Asha")
    WorkshopParticipant.join(Store(db), made.code, "Asha", first.token)  # a rejoin
    assert held == [False, False]
