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

from tui.workshop.service.facilitator import Facilitator, create
from tui.workshop.service.store import Store

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
        # the terminal paints what it received on its next animation frames
        await self.call("Runtime.evaluate", awaitPromise=True, expression=(
            "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"))
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

    async def mark(self) -> int:
        return int(await self.js("window.__screen.length") or 0)

    async def shows(self, text: str, since: int = 0) -> bool:
        """What the app has drawn (the bytes the terminal received) holds text."""
        found = await self.js(f"window.__screen.indexOf({json.dumps(text)}, {since})")
        return found is not None and found >= 0


# Installed before the page's own scripts: every byte the app sends to the terminal is
# also kept as text in window.__screen, so the test waits for what the app has drawn
# (the terminal itself draws on a canvas, which has no text to read).
RECORD_SCREEN = """
(() => {
  window.__screen = "";
  const Native = window.WebSocket;
  const decoder = new TextDecoder();
  function Recording(...args) {
    const ws = new Native(...args);
    ws.addEventListener("message", (event) => {
      if (event.data instanceof ArrayBuffer) {
        window.__screen += decoder.decode(event.data, {stream: true});
      }
    });
    return ws;
  }
  Recording.prototype = Native.prototype;
  for (const name of ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]) {
    Recording[name] = Native[name];
  }
  window.WebSocket = Recording;
})();
"""


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
                [str(CHROMIUM), *FLAGS, f"--user-data-dir={tmp_path / 'chromium'}",
                 "about:blank"], stdout=subprocess.DEVNULL, stderr=sink,
                start_new_session=True)
        devtools = _devtools_port(browser, log)
        async with aiohttp.ClientSession() as http:
            async def page_target():
                async with http.get(f"http://127.0.0.1:{devtools}/json/list") as response:
                    targets = await response.json()
                return next((t for t in targets if t.get("type") == "page"), None)

            target = await poll(page_target, 20, "the page in Chromium")
            async with http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                page = Page(ws)
                await page.call("Page.enable")
                await page.call("Page.addScriptToEvaluateOnNewDocument", source=RECORD_SCREEN)
                await page.call("Page.navigate", url=url)
                intro = await poll(lambda: page.js("document.readyState == 'complete' && "
                                                   "location.href.startsWith('http') && "
                                                   "document.body.innerText"), 20,
                                   "the page to load")
                assert f"workshop {made.code}" in intro
                assert await page.js("document.title") == \
                    f"Escalation trainer · workshop {made.code}"
                assert await page.js("document.documentElement.lang") == "en-GB"
                # the app process starts and draws its first screen over the websocket
                await poll(lambda: page.shows("Join workshop"), 60, "the join screen")
                await poll(lambda: page.js("document.body.classList.contains('-first-byte')"),
                           10, "the terminal to show")
                first = await page.screenshot(tmp_path / "served-join-screen.png")
                await page.js("document.querySelector('.xterm-helper-textarea').focus()")
                mark = await page.mark()
                await page.type("Browser Trainee")
                await page.enter()

                async def joined():
                    with Store(db).read() as con:
                        return con.execute("SELECT name FROM trainees WHERE workshop = ?",
                                           (made.code,)).fetchone()

                row = await poll(joined, 30, "the browser trainee to join")
                assert row["name"] == "Browser Trainee"
                await poll(lambda: page.shows("Your rejoin key", mark), 30, "the rejoin-key note")
                note = await page.screenshot(tmp_path / "served-joined.png")
                mark = await page.mark()
                await page.enter()  # past the rejoin-key note: the briefing
                await poll(lambda: page.shows("Start the case", mark), 30, "the briefing")
                briefing = await page.screenshot(tmp_path / "served-briefing.png")
                mark = await page.mark()
                await page.enter()  # start the case: the trainee's case screen
                await poll(lambda: page.shows("Contact someone", mark), 30, "the case screen")
                case = await page.screenshot(tmp_path / "served-trainee-screen.png")
                dom = await page.js("document.documentElement.outerHTML")
                fetched = await page.js("performance.getEntriesByType('resource')"
                                        ".map(e => e.name)")
        assert "textual-terminal" in dom and "xterm" in dom
        # nothing fetched from anywhere but this server (no web fonts, no CDN)
        assert fetched and all(u.startswith((url, url.replace("http", "ws")))
                               for u in fetched), fetched
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
