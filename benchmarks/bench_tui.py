"""Responsiveness of the trainer beside a minimal Textual app, measured in the same run.

1. Time to the first screen: a fresh interpreter runs the app headless until its first
   screen is painted with its content (the picker listing scenarios; the bare-`escalate`
   briefing), then exits; "case-ready" also waits for the briefing's background worker to
   build the session. The minimal app is one label.
2. Action round-trip: a key is sent to the running app; the clock stops at the first frame
   rendered and encoded for the terminal (headless apps skip only the write itself) whose
   state already holds the key's effect (session acted / counter bumped). Each frame is
   stamped with the state as it is written, so a slow poll cannot push the stop to a
   later frame.
   Inline actions (inform the referrer) and a wait (run in a thread worker) are both
   measured; the minimal app's key updates one label.

Prints medians and ratios (trainer / minimal); the target is at most 1.5x for both.
Run: ``uv run python benchmarks/bench_tui.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POLL = 0.0002  # seconds; polling with sleep(0) would starve worker threads of the GIL

MINIMAL_APP = '''
from textual.app import App
from textual.widgets import Label


class Minimal(App):
    BINDINGS = [("x", "bump", "Bump")]

    def __init__(self):
        super().__init__()
        self.count = 0

    def compose(self):
        yield Label("0", id="label")

    def action_bump(self):
        self.count += 1
        self.query_one("#label", Label).update(str(self.count))
'''

FIRST_SCREEN = {
    "minimal": MINIMAL_APP + "\napp = Minimal()\nWAIT = False\n",
    "picker": "from tui.app import build_app\n"
              "app = build_app(None, 1, start='picker', prompt_resume=False)\nWAIT = False\n",
    "briefing": "from tui.app import build_app\n"
                "app = build_app(None, 1, start='briefing', prompt_resume=False)\n"
                "WAIT = False\n",
    "case-ready": "from tui.app import build_app\n"
                  "app = build_app(None, 1, start='briefing', prompt_resume=False)\n"
                  "WAIT = True\n",
}
RUN_UNTIL_READY = '''
async def ready(pilot):
    print("READY", time.time(), flush=True)
    if WAIT:  # the briefing's case prepared in its worker, so "enter" starts at once
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert pilot.app.screen.session is not None
        print("READY", time.time(), flush=True)
    pilot.app.exit()

app.run(headless=True, auto_pilot=ready)
'''


def first_screen_seconds(kind: str, env: dict[str, str]) -> float:
    """From spawning the interpreter to the app's first frame being on screen (the child
    stamps the moment Textual reports it ready; case-ready stamps after the worker too)."""
    code = "import time\n" + FIRST_SCREEN[kind] + RUN_UNTIL_READY
    start = time.time()
    done = subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env,
                          capture_output=True, text=True)
    stamps = [float(line.split()[1]) for line in done.stdout.splitlines()
              if line.startswith("READY")]
    return (stamps[-1] if kind == "case-ready" else stamps[0]) - start


async def round_trips(app, size, prepare, key: str | Callable[[], str],
                      changed: Callable[[], object], runs: int) -> list[float]:
    """Seconds from a key event to the first frame written after its effect."""
    from textual import events

    from tui.pilot_driver import settle

    times: list[float] = []
    async with app.run_test(size=size) as pilot:
        await prepare(pilot)
        await settle(pilot)
        driver = app._driver
        writes: list[tuple[float, object]] = []
        original = app._display

        def display(screen, renderable) -> None:
            # Headless apps skip the terminal write: encode the frame anyway, then stamp it
            # with the state it shows (the first frame after the key's effect is the one).
            if renderable is not None and hasattr(renderable, "render_segments"):
                renderable.render_segments(app.console)
                writes.append((time.perf_counter(), changed()))
            original(screen, renderable)

        app._display = display
        for _ in range(runs):
            name = key() if callable(key) else key
            before = changed()
            event = events.Key(name, name if len(name) == 1 else None)
            event.set_sender(app)
            writes.clear()
            start = time.perf_counter()
            driver.send_message(event)
            while not any(state != before for _, state in writes):
                await asyncio.sleep(POLL)
            times.append(next(at for at, state in writes if state != before) - start)
            await settle(pilot)
    return times


async def minimal_round_trips(runs: int) -> list[float]:
    namespace: dict = {}
    exec(MINIMAL_APP, namespace)
    app = namespace["Minimal"]()

    async def prepare(pilot) -> None:
        await pilot.pause()

    return await round_trips(app, (80, 24), prepare, "x", lambda: app.count, runs)


async def trainer_round_trips(runs: int, kind: str) -> list[float]:
    from tui.app import build_app
    from tui.pilot_driver import settle

    app = build_app("talk-first-school-dsl", 1, prompt_resume=False)

    async def prepare(pilot) -> None:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)

    def actions() -> int:
        return len(app.play.session.actions) if app.play else 0

    if kind == "inform":
        return await round_trips(app, (80, 24), prepare, "i", actions, runs)

    times: list[float] = []
    # A wait: "w" opens the dialog, "down" picks one hour, then the timed key is enter.
    for _ in range(runs):
        app = build_app("talk-first-school-dsl", 1, prompt_resume=False)

        async def prepare_wait(pilot, app=app) -> None:
            await prepare(pilot)
            await pilot.press("w", "down")
            await pilot.pause()

        def count(app=app) -> int:
            return len(app.play.session.actions) if app.play else 0

        times += await round_trips(app, (80, 24), prepare_wait, "enter", count, 1)
    return times


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:8.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "ESCALATE_DATA_DIR": data}
        # Measure a user's second launch, not Python compiling every module from source:
        # bytecode may be cached (some sandboxes set PYTHONDONTWRITEBYTECODE), and one
        # untimed run of each app writes it for both alike.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        os.environ["ESCALATE_DATA_DIR"] = data
        for kind in FIRST_SCREEN:
            first_screen_seconds(kind, env)
        firsts: dict[str, list[float]] = {k: [] for k in FIRST_SCREEN}
        for _ in range(args.runs):  # interleaved, so load on the machine hits all alike
            for kind in FIRST_SCREEN:
                firsts[kind].append(first_screen_seconds(kind, env))
        minimal = asyncio.run(minimal_round_trips(args.runs * 4))
        inform = asyncio.run(trainer_round_trips(args.runs * 4, "inform"))
        wait = asyncio.run(trainer_round_trips(args.runs, "wait"))
        minimal_again = asyncio.run(minimal_round_trips(args.runs * 4))
    minimal += minimal_again
    base_first = statistics.median(firsts["minimal"])
    base_trip = statistics.median(minimal)
    print("time to first screen (fresh interpreter, headless, median)")
    for kind, values in firsts.items():
        print(f"  {kind:<10}{ms(values)}   ratio {statistics.median(values) / base_first:5.2f}")
    print("action round-trip: key -> state changed -> frame written (median)")
    print(f"  {'minimal':<10}{ms(minimal)}   ratio  1.00")
    for name, values in (("inform", inform), ("wait 1h", wait)):
        print(f"  {name:<10}{ms(values)}   ratio {statistics.median(values) / base_trip:5.2f}")


if __name__ == "__main__":
    main()
