"""`escalate workshop serve CODE`: the trainee app in a browser via textual-serve.

Each browser tab runs its own `escalate play --join CODE` process on this machine; it asks
for the trainee's name (and rejoin key) on its first screen. Loopback by default.
"""

from __future__ import annotations

import shlex
import sys
from typing import Any

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


MAX_SIZE = 500  # terminal columns or rows a browser may ask for


def build_server(code: str, host: str = "127.0.0.1", port: int = 8000,
                 public_url: str | None = None, max_sessions: int = 40) -> Any:
    """A textual-serve server for the workshop that runs at most ``max_sessions`` trainee
    processes at once: a browser beyond that is told the room is full."""
    from aiohttp import web
    from textual_serve.server import Server

    from tui.workshop.codes import normalise

    class CappedServer(Server):
        active = 0

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            if self.active >= max_sessions:
                socket = web.WebSocketResponse()
                await socket.prepare(request)
                await socket.close(code=1013, message=b"the workshop is full")
                return socket
            query = request.query
            if any(not v.isdigit() or int(v) > MAX_SIZE
                   for k, v in query.items() if k in ("width", "height")):
                raise web.HTTPBadRequest(text="width and height are numbers up to "
                                         f"{MAX_SIZE}")
            self.active += 1
            try:
                return await super().handle_websocket(request)
            finally:
                self.active -= 1

    return CappedServer(join_command(normalise(code)), host=host, port=port,
                        title=f"Escalation trainer · workshop {normalise(code)}",
                        public_url=public_url)
