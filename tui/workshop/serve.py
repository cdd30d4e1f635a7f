"""`escalate workshop serve CODE`: the trainee app in a browser via textual-serve.

Each browser tab runs its own `escalate play --join CODE` process on this machine; it asks
for the trainee's name (and rejoin key) on its first screen. Loopback by default.

The page's own links (its script, its stylesheet, the websocket the terminal talks over)
are built from the address the browser used to open it, so ``--host 0.0.0.0`` works from
every machine in the room with whichever address of this one they can reach; behind a
proxy ``--public-url`` fixes them instead. The page is textual-serve's with a title and a
language added and nothing fetched from anywhere else (no web fonts, no CDN).
"""

from __future__ import annotations

import re
import shlex
import socket
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tui.workshop.service.participant import workshop_row
from tui.workshop.service.store import Store

TEMPLATES = Path(__file__).parent / "templates"
WILDCARDS = ("0.0.0.0", "::", "")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
# what a Host header may hold: a name or an IPv4 address, or [IPv6], and a port
HOST_HEADER = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                         r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
                         r"|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?")


class PublicUrlError(ValueError):
    """A --public-url that browsers could not use; the message names the flag."""


def join_command(code: str) -> str:
    """The shell command textual-serve runs per browser session (marked as served, so no
    rejoin key is remembered on the shared server)."""
    from tui.workshop_join import SERVED_ENV

    python = shlex.quote(sys.executable)
    return f"{SERVED_ENV}=1 {python} -m tui.cli play --join {shlex.quote(code)}"


def check_code(store: Store, code: str) -> str:
    from tui.workshop.service.codes import normalise
    from tui.workshop.service.errors import WorkshopError

    with store.read() as con:
        row = workshop_row(con, normalise(code))
    if row["state"] == "ended":
        raise WorkshopError(f"workshop {row['code']} has ended; there is nothing to serve")
    return str(row["code"])


def check_public_url(url: str) -> str:
    """``http(s)://host[:port][/prefix]`` without a trailing slash, or `PublicUrlError`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment:
        raise PublicUrlError(f"--public-url must look like http://HOST:PORT (the address "
                             f"trainees type), got {url!r}")
    if parts.hostname in WILDCARDS or parts.hostname == "0.0.0.0":
        raise PublicUrlError("--public-url must be an address trainees can reach, not "
                             f"{parts.hostname!r}; e.g. --public-url http://192.168.1.20:8000")
    return url.rstrip("/")


def machine_addresses() -> list[str]:
    """This machine's addresses as its own resolver knows them (no network traffic),
    loopback excluded: the candidates to tell trainees."""
    found: list[str] = []
    try:
        _name, _aliases, addresses = socket.gethostbyname_ex(socket.gethostname())
    except OSError:
        addresses = []
    for address in addresses:
        if not address.startswith("127.") and address not in found:
            found.append(address)
    return found


def trainee_urls(host: str, port: int, public_url: str | None) -> list[str]:
    """What to tell trainees to open."""
    if public_url:
        return [public_url + "/"]
    suffix = "" if port == 80 else f":{port}"
    if host in WILDCARDS:
        return [f"http://{a}{suffix}/" for a in machine_addresses()] or \
            [f"http://<this machine's address>{suffix}/"]
    shown = f"[{host}]" if ":" in host else host
    return [f"http://{shown}{suffix}/"]


MAX_SIZE = 500  # terminal columns or rows a browser may ask for


def build_server(code: str, host: str = "127.0.0.1", port: int = 8000,
                 public_url: str | None = None, max_sessions: int = 40) -> Any:
    """A textual-serve server for the workshop that runs at most ``max_sessions`` trainee
    processes at once: a browser beyond that is told the room is full."""
    from aiohttp import web
    from textual_serve.server import Server

    from tui.workshop.service.codes import normalise

    class WorkshopServer(Server):
        """textual-serve with our page and links built from the request's own address, and
        at most ``max_sessions`` trainee processes at once."""

        fixed_url = check_public_url(public_url) if public_url else None
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

        async def handle_index(self, request: Any) -> Any:
            import aiohttp_jinja2

            base = self.fixed_url or self._base_for(request)
            font_size = request.query.get("fontsize", "16")
            static = request.app.router["static"].url_for(filename="/")
            websocket = f"{base}{request.app.router['websocket'].url_for()}"
            context = {
                "font_size": int(font_size) if font_size.isdigit() else 16,
                "app_websocket_url": ("wss:" if websocket.startswith("https:") else "ws:")
                + websocket.split(":", 1)[1],
                "config": {"static": {"url": f"{base}{str(static).rstrip('/')}/"}},
                "application": {"name": self.title},
            }
            return aiohttp_jinja2.render_template("app_index.html", request, context)

        def _base_for(self, request: Any) -> str:
            host = request.headers.get("Host", "")
            if HOST_HEADER.fullmatch(host):
                return f"{request.scheme}://{host}"
            return self.public_url  # no usable Host header: what we listen on

        async def on_startup(self, app: Any) -> None:
            urls = trainee_urls(self.host, self.port, self.fixed_url)
            self.console.print(f"Workshop {normalise(code)}: trainees open "
                               + " or ".join(urls), highlight=False)
            if self.host in WILDCARDS and not self.fixed_url:
                self.console.print("(any address of this machine works: the page uses the "
                                   "address it was opened with; behind a proxy give "
                                   "--public-url)", highlight=False)
            self.console.print("Press Ctrl+C to stop serving.", highlight=False)

    shown = f"[{host}]" if ":" in host else host
    return WorkshopServer(join_command(normalise(code)), host=host, port=port,
                          title=f"Escalation trainer · workshop {normalise(code)}",
                          public_url=public_url.rstrip("/") if public_url
                          else f"http://{shown}:{port}",
                          templates_path=TEMPLATES)
