"""The browser path end to end: `escalate workshop serve` on loopback, headless Chromium
(the Debian package) loads the page, the trainee app renders over the websocket, a name
typed in the browser joins the workshop. Screenshots are written and their paths printed.

Skipped when /usr/bin/chromium is absent (CI does not install it); locally:
``apt-get install -y chromium``. Chromium is driven through its DevTools protocol because
the app starts in real time, which ``--screenshot`` with a virtual time budget does not wait
for.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from tui.workshop.facilitator import Facilitator, create
from tui.workshop.store import Store

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1200,800", "--remote-debugging-port=0"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="headless browser test needs /usr/bin/chromium "
                                       "(apt-get install -y chromium)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def http_ok(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def stop(process: subprocess.Popen) -> None:
    """End a process group this test started (server and its app processes)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


class Page:
    """The few DevTools calls the test needs."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws, self.next_id = ws, 0

    async def call(self, method: str, **params):
        self.next_id += 1
        await self.ws.send_json({"id": self.next_id, "method": method, "params": params})
        while True:
            message = await self.ws.receive_json(timeout=20)
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message.get("result", {})

    async def js(self, expression: str):
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    async def screenshot(self, path: Path) -> Path:
        data = (await self.call("Page.captureScreenshot", format="png"))["data"]
        path.write_bytes(base64.b64decode(data))
        print(f"\nscreenshot: {path}")
        return path

    async def type(self, text: str) -> None:
        await self.call("Input.insertText", text=text)

    async def enter(self) -> None:
        for kind in ("keyDown", "keyUp"):
            await self.call("Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter",
                            windowsVirtualKeyCode=13, text="\r" if kind == "keyDown" else "")


async def poll(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = await condition()
        if found:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


async def test_served_page_shows_the_trainee_screen_and_joins_from_the_browser(tmp_path):
    db = tmp_path / "w.sqlite3"
    store = Store(db)
    made = create(store, "talk-first-school-dsl", "Browser group", seed=4)
    Facilitator(store, made.code, made.key).start()
    port = free_port()
    env = {**os.environ, "ESCALATE_DATA_DIR": str(tmp_path / "data")}
    server = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "workshop", "serve", made.code.lower(), "--port",
         str(port), "--db", str(db)], cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    browser = None
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_until(lambda: http_ok(url) or server.poll() is not None, 30, "the server")
        assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
        log = tmp_path / "chromium.log"
        with log.open("wb") as sink:  # a file, not a pipe: Chromium logs a lot
            browser = subprocess.Popen(
                [str(CHROMIUM), *FLAGS, f"--user-data-dir={tmp_path / 'chromium'}", url],
                stdout=subprocess.DEVNULL, stderr=sink, start_new_session=True)
        devtools = _devtools_port(browser, log)
        async with aiohttp.ClientSession() as http:
            async def page_target():
                async with http.get(f"http://127.0.0.1:{devtools}/json/list") as response:
                    targets = await response.json()
                return next((t for t in targets if t.get("type") == "page"
                             and t.get("url", "").startswith(url)), None)

            target = await poll(page_target, 20, "the page in Chromium")
            async with http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                page = Page(ws)
                await page.call("Page.enable")
                intro = await poll(lambda: page.js("document.readyState == 'complete' && "
                                                   "document.body.innerText"), 20,
                                   "the page to load")
                assert f"workshop {made.code}" in intro
                # the terminal connects over the websocket and the app draws into it
                await poll(lambda: page.js("!!document.querySelector('.xterm-screen')"), 30,
                           "the terminal to open")
                await asyncio.sleep(4)  # the app process starts and paints its first screen
                first = await page.screenshot(tmp_path / "served-join-screen.png")
                await page.js("document.querySelector('.xterm-helper-textarea').focus()")
                await page.type("Browser Trainee")
                await page.enter()

                async def joined():
                    with Store(db).read() as con:
                        return con.execute("SELECT name FROM trainees WHERE workshop = ?",
                                           (made.code,)).fetchone()

                row = await poll(joined, 30, "the browser trainee to join")
                assert row["name"] == "Browser Trainee"
                await asyncio.sleep(1.5)
                note = await page.screenshot(tmp_path / "served-joined.png")
                await page.enter()  # past the rejoin-key note: the briefing
                await asyncio.sleep(1.5)
                briefing = await page.screenshot(tmp_path / "served-briefing.png")
                await page.enter()  # start the case: the trainee's case screen
                await asyncio.sleep(2)
                case = await page.screenshot(tmp_path / "served-trainee-screen.png")
                dom = await page.js("document.documentElement.outerHTML")
        assert "textual-terminal" in dom and "xterm" in dom
        for shot in (first, note, briefing, case):
            assert shot.stat().st_size > 20_000, f"{shot} looks blank"
    finally:
        if browser is not None:
            stop(browser)
        stop(server)


def _devtools_port(browser: subprocess.Popen, log: Path) -> int:
    def listening():
        match = re.search(r"DevTools listening on ws://[^:]+:(\d+)/",
                          log.read_text(errors="replace"))
        return match or browser.poll() is not None

    found = wait_until(listening, 20, "Chromium's DevTools endpoint")
    assert found is not True, f"Chromium exited: {log.read_text(errors='replace')[-2000:]}"
    return int(found.group(1))


def test_serve_refuses_an_unknown_code_before_starting(tmp_path, capsys):
    from tui.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["workshop", "serve", "QQQQQQ", "--db", str(tmp_path / "w.sqlite3")])
    assert exc.value.code == 2
    assert "no workshop has the join code" in capsys.readouterr().err


def test_the_served_command_joins_the_code_and_marks_itself_served():
    from tui.workshop.serve import build_server, join_command

    command = join_command("K7Q2MX")
    assert "ESCALATE_WORKSHOP_SERVED=1" in command and "play --join K7Q2MX" in command
    server = build_server("k7q2mx")
    assert (server.host, server.port) == ("127.0.0.1", 8000)
    assert json.dumps(server.command).count("K7Q2MX") == 1
