"""`escalate workshop serve --host 0.0.0.0`: a page every machine in the room can use.

The server binds every address; the test reaches it only through loopback addresses
(127.0.0.2, 127.0.0.1), never another address of this machine. The page's links and its
websocket must use the address the browser opened, the page must have a title and a
language and fetch nothing from elsewhere, and the trainee app must answer over the
websocket.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import aiohttp
import pytest

from tui.cli import main
from tui.workshop.serve import check_public_url, trainee_urls
from tui.workshop.service.facilitator import Facilitator, create
from tui.workshop.service.store import Store

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read().decode("utf-8", errors="replace")
    except OSError:
        return 0, ""


def wait_for(url: str, process: subprocess.Popen, timeout: float = 30) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        status, body = fetch(url)
        if status == 200:
            return body
        if process.poll() is not None:
            break
        time.sleep(0.1)
    out = process.stdout.read().decode(errors="replace") if process.stdout else ""
    raise AssertionError(f"no page at {url}: {out}")


@pytest.fixture
def workshop(tmp_path):
    db = tmp_path / "w.sqlite3"
    store = Store(db)
    made = create(store, "talk-first-school-dsl", "Serve group", seed=4)
    Facilitator(store, made.code, made.key).start()
    return db, made.code


def serve(db: Path, code: str, tmp_path: Path, *extra: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "ESCALATE_DATA_DIR": str(tmp_path / "data")}
    process = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "workshop", "serve", code, "--port", str(port),
         "--db", str(db), *extra], cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return process, port


def stop(process: subprocess.Popen) -> str:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    return process.stdout.read().decode(errors="replace") if process.stdout else ""


def links(page: str) -> list[str]:
    found = re.findall(r'(?:src|href)="([^"]+)"', page)
    found += re.findall(r'data-session-websocket-url="([^"]+)"', page)
    return found


async def first_screen(ws_url: str, text: str, timeout: float = 60) -> bytes:
    """Open the page's websocket as the browser does and read until the app shows text."""
    seen = b""
    async with aiohttp.ClientSession() as http, \
            http.ws_connect(ws_url + "?width=100&height=30") as ws:
        end = time.monotonic() + timeout
        while time.monotonic() < end and text.encode() not in seen:
            try:
                message = await ws.receive(timeout=max(0.1, end - time.monotonic()))
            except TimeoutError:
                break
            if message.type == aiohttp.WSMsgType.BINARY:
                seen += message.data
            elif message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                break
        await ws.send_str('["stdin", "\\u0011"]')  # ctrl+q: the app ends
    return seen


def test_wildcard_host_serves_a_page_that_works_from_the_address_it_was_opened_with(
        workshop, tmp_path):
    db, code = workshop
    process, port = serve(db, code, tmp_path, "--host", "0.0.0.0")
    try:
        base = f"http://127.0.0.2:{port}"
        page = wait_for(base + "/", process)
        assert f"<title>Escalation trainer · workshop {code}</title>" in page
        assert re.search(r'<html lang="en(-GB)?"', page)
        assert "fonts.googleapis" not in page and "@font-face" not in page
        for link in links(page):
            assert link.startswith((f"{base}/", f"ws://127.0.0.2:{port}/")), link
        script = next(link for link in links(page) if link.endswith(".js"))
        assert fetch(script)[0] == 200
        # the same server opened through another loopback address links to that one
        other = wait_for(f"http://127.0.0.1:{port}/", process)
        assert all("127.0.0.2" not in link for link in links(other))
        ws_url = next(link for link in links(page) if link.startswith("ws://"))
        shown = asyncio.run(first_screen(ws_url, "Join workshop"))
        assert b"Join workshop" in shown
    finally:
        out = stop(process)
    assert "trainees open" in out and "0.0.0.0" not in out.split("trainees open")[1][:200]


def test_a_public_url_fixes_every_link(workshop, tmp_path):
    db, code = workshop
    process, port = serve(db, code, tmp_path, "--host", "0.0.0.0", "--public-url",
                          "http://127.0.0.2:1/")
    try:
        page = wait_for(f"http://127.0.0.1:{port}/", process)
        assert links(page) and all(link.startswith(("http://127.0.0.2:1/",
                                                    "ws://127.0.0.2:1/"))
                                   for link in links(page))
    finally:
        out = stop(process)
    assert "http://127.0.0.2:1/" in out


@pytest.mark.parametrize("url", ["127.0.0.2:8000", "http://0.0.0.0:8000", "ftp://x/",
                                 "http://host:80/?a=1"])
def test_a_public_url_browsers_cannot_use_is_refused_naming_the_flag(workshop, url, capsys):
    db, code = workshop
    with pytest.raises(SystemExit) as done:
        main(["workshop", "serve", code, "--db", str(db), "--host", "0.0.0.0",
              "--public-url", url])
    assert done.value.code == 2
    assert "--public-url" in capsys.readouterr().err


def test_what_trainees_are_told_to_open():
    assert trainee_urls("127.0.0.1", 8000, None) == ["http://127.0.0.1:8000/"]
    assert trainee_urls("0.0.0.0", 8000, "https://t.example.org") == ["https://t.example.org/"]
    told = trainee_urls("0.0.0.0", 8080, None)
    assert told and all(u.endswith(":8080/") and "0.0.0.0" not in u for u in told)
    assert check_public_url("https://t.example.org/") == "https://t.example.org"
