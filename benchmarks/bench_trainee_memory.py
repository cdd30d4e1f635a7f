"""Memory per workshop trainee: what a facilitator's laptop needs for a room.

Each trainee on the served page is one `escalate play --join CODE` process (textual-serve
starts one per browser session); a terminal trainee is the same process on their own
machine. This starts N of them on pseudo-terminals against one fresh workshop, waits until
each has joined and opened the case, and reads each process's memory from
/proc/PID/smaps_rollup: RSS (what `top` shows) and PSS (RSS with shared pages divided
among the processes sharing them: the fair share of one trainee). Linux only.

    uv run python benchmarks/bench_trainee_memory.py [--trainees 4]
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def memory_kib(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0])
    return {"rss": fields["Rss"], "pss": fields["Pss"]}


class Trainee:
    """One trainee process on a 100x30 pty; its output kept to look for what is drawn."""

    def __init__(self, code: str, name: str, env: dict[str, str]) -> None:
        primary, secondary = pty.openpty()
        fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tui.cli", "play", "--join", code, "--name", name],
            stdin=secondary, stdout=secondary, stderr=secondary, cwd=ROOT, env=env,
            start_new_session=True)
        os.close(secondary)
        self.fd, self.seen = primary, b""

    def read(self) -> None:
        while select.select([self.fd], [], [], 0)[0]:
            try:
                self.seen += os.read(self.fd, 65536)
            except OSError:
                return

    def until(self, text: str, keys: bytes = b"", timeout: float = 120.0) -> None:
        mark, end = len(self.seen), time.monotonic() + timeout
        if keys:
            os.write(self.fd, keys)
        while text.encode() not in self.seen[mark:]:
            if time.monotonic() > end:
                raise SystemExit(f"timed out waiting for {text!r}")
            time.sleep(0.05)
            self.read()

    def close(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        os.close(self.fd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trainees", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "ESCALATE_DATA_DIR": data, "TERM": "xterm-256color"}
        made = json.loads(subprocess.run(
            [sys.executable, "-m", "tui.cli", "workshop", "new", "talk-first-school-dsl",
             "--start", "--json"], cwd=ROOT, env=env, capture_output=True, text=True,
            check=True).stdout)
        trainees = [Trainee(made["code"], f"Trainee {n}", env) for n in range(args.trainees)]
        try:
            for trainee in trainees:
                trainee.until("Your rejoin key")
                trainee.until("Start the case", b"\r")
                trainee.until("Contact someone", b"\r")
            time.sleep(2)  # let each settle after drawing the case
            sizes = [memory_kib(t.process.pid) for t in trainees]
        finally:
            for trainee in trainees:
                trainee.close()
    rss = [s["rss"] / 1024 for s in sizes]
    pss = [s["pss"] / 1024 for s in sizes]
    print(f"{args.trainees} trainees, each in a case (MiB per trainee process):")
    print(f"  RSS  mean {sum(rss) / len(rss):6.1f}  min {min(rss):6.1f}  max {max(rss):6.1f}")
    print(f"  PSS  mean {sum(pss) / len(pss):6.1f}  min {min(pss):6.1f}  max {max(pss):6.1f}")
    print(f"  PSS/RSS {sum(pss) / sum(rss):.2f}: the share of a trainee's memory that is "
          "its own")
    print(f"  a room of 30 needs about {30 * sum(pss) / len(pss) / 1024:.1f} GiB on the "
          "serving laptop")


if __name__ == "__main__":
    main()
