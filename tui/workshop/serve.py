"""`escalate workshop serve CODE`: the trainee app in a browser via textual-serve.

Each browser tab runs its own `escalate play --join CODE` process on this machine; it asks
for the trainee's name (and rejoin key) on its first screen. Loopback by default.
"""

from __future__ import annotations

import shlex
import sys

from tui.workshop.participant import workshop_row
from tui.workshop.store import Store


def join_command(code: str) -> str:
    """The shell command textual-serve runs per browser session (marked as served, so no
    rejoin key is remembered on the shared server)."""
    from tui.workshop_join import SERVED_ENV

    python = shlex.quote(sys.executable)
    return f"{SERVED_ENV}=1 {python} -m tui.cli play --join {shlex.quote(code)}"


def check_code(store: Store, code: str) -> str:
    from tui.workshop.codes import normalise
    from tui.workshop.errors import WorkshopError

    with store.read() as con:
        row = workshop_row(con, normalise(code))
    if row["state"] == "ended":
        raise WorkshopError(f"workshop {row['code']} has ended; there is nothing to serve")
    return str(row["code"])


def build_server(code: str, host: str = "127.0.0.1", port: int = 8000,
                 public_url: str | None = None):
    from textual_serve.server import Server

    from tui.workshop.codes import normalise

    return Server(join_command(normalise(code)), host=host, port=port,
                  title=f"Escalation trainer · workshop {normalise(code)}",
                  public_url=public_url)
