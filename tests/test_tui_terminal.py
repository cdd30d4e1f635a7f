"""The real trainer in a real (pseudo) terminal: a closed terminal or a kill loses nothing.

Pilot tests drive the app in-process; here `escalate play` runs as its own process on a
pty, is sent keys as bytes, and is then hung up on (SIGHUP, as when a terminal window is
closed) or killed outright (SIGKILL, no chance to clean up). The autosave must already
hold every action taken, and resuming must rebuild the same case.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tui import store

ROOT = Path(__file__).resolve().parent.parent


def _saved_actions(folder: Path) -> list[str]:
    for path in sorted(folder.glob("sessions/*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # never half a file, but a poll may race the rename
        return [a["kind"] for a in data["session"]["actions"]]
    return []


def _wait_for(predicate, timeout: float = 60.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return False


class Screen:
    """Everything the app wrote to the terminal, read in the background so the app's
    writes never block on a full pty buffer."""

    def __init__(self, fd: int) -> None:
        import threading

        self.fd = fd
        self.data = bytearray()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            while chunk := os.read(self.fd, 65536):
                self.data.extend(chunk)
        except OSError:
            return

    def shows(self, text: str, since: int = 0) -> bool:
        return text.encode() in bytes(self.data[since:])


@pytest.mark.parametrize("how", [signal.SIGHUP, signal.SIGKILL], ids=["hangup", "kill"])
def test_closing_the_terminal_loses_no_action(tmp_path, how):
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    env = {**os.environ, store.ENV_DIR: str(tmp_path), "TERM": "xterm-256color"}
    process = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "play", "talk-first-school-dsl", "--seed", "3"],
        stdin=secondary, stdout=secondary, stderr=secondary, cwd=ROOT, env=env,
        start_new_session=True)
    os.close(secondary)
    screen = Screen(primary)
    try:
        # Start the case (enter waits for the briefing's session), inform the referrer,
        # then wait one hour (down to "One hour" in application cursor mode, enter).
        assert _wait_for(lambda: screen.shows("Start the case"))
        os.write(primary, b"\r")
        assert _wait_for(lambda: screen.shows("Contact someone"))
        os.write(primary, b"i")
        assert _wait_for(lambda: _saved_actions(tmp_path) == ["inform_referrer"])
        mark = len(screen.data)
        os.write(primary, b"w")
        assert _wait_for(lambda: screen.shows("One hour", since=mark))
        os.write(primary, b"\x1bOB")
        time.sleep(0.3)
        os.write(primary, b"\r")
        assert _wait_for(lambda: _saved_actions(tmp_path) == ["inform_referrer", "wait"])
        process.send_signal(how)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        os.close(primary)
    assert _saved_actions(tmp_path) == ["inform_referrer", "wait"]
    path = next((tmp_path / "sessions").glob("*.json"))
    session, _ui = store.restore(path)
    assert [a.kind for _, a in session.actions] == ["inform_referrer", "wait"]
    assert session.seed == 3 and not session.finished
