"""`escalate report --format xapi --lrs URL` stores the statement in a learning record store.

The LRS here is a stub HTTP server on 127.0.0.1 that records what it was sent, as an LRS
would see it: the statements resource, the xAPI version header, Basic credentials from the
environment, and the statement itself.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest

from tui.cli import main
from tui.lrs import KEY_ENV, SECRET_ENV


class Stub(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Stub.received.append(
            {
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": json.loads(body),
            }
        )
        self.send_response(Stub.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        reply = ["3f9a1c2e-0000-4000-8000-000000000001"] if Stub.status == 200 else {}
        self.wfile.write(json.dumps(reply).encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def lrs() -> Iterator[str]:
    Stub.received, Stub.status = [], 200
    server = HTTPServer(("127.0.0.1", 0), Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/xapi/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("s") / "session.json"
    assert (
        main(
            [
                "autoplay",
                "talk-first-school-dsl",
                "--player",
                "late",
                "--seed",
                "2",
                "--save",
                str(path),
            ]
        )
        == 0
    )
    return str(path)


@pytest.fixture
def creds(monkeypatch) -> None:
    monkeypatch.setenv(KEY_ENV, "trainer-key")
    monkeypatch.setenv(SECRET_ENV, "s3cret")


def test_the_statement_reaches_the_lrs_as_xapi_1_0_3(saved, lrs, creds, capsys):
    assert main(["report", saved, "--format", "xapi", "--lrs", lrs]) == 0
    out, err = capsys.readouterr()
    [got] = Stub.received
    assert got["path"] == "/xapi/statements"
    assert got["headers"]["x-experience-api-version"] == "1.0.3"
    assert (
        got["headers"]["authorization"]
        == "Basic " + base64.b64encode(b"trainer-key:s3cret").decode()
    )
    assert got["body"] == json.loads(out)  # what was printed is what was stored
    assert "sent to the LRS as 3f9a1c2e-0000-4000-8000-000000000001" in err


def test_missing_credentials_are_one_clear_line(saved, lrs, monkeypatch, capsys):
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(SECRET_ENV, raising=False)
    with pytest.raises(SystemExit) as stop:
        main(["report", saved, "--format", "xapi", "--lrs", lrs])
    assert stop.value.code == 1
    err = capsys.readouterr().err
    assert f"set ${KEY_ENV} and ${SECRET_ENV}" in err
    assert "Traceback" not in err
    assert Stub.received == []


def test_a_refusal_says_the_status(saved, lrs, creds, capsys):
    Stub.status = 401
    with pytest.raises(SystemExit):
        main(["report", saved, "--format", "xapi", "--lrs", lrs])
    assert "the LRS refused the statement: HTTP 401" in capsys.readouterr().err


def test_an_unreachable_lrs_says_where(saved, creds, capsys):
    # Port 9 on loopback (discard): nothing listens there in the test environment.
    with pytest.raises(SystemExit):
        main(["report", saved, "--format", "xapi", "--lrs", "http://127.0.0.1:9/xapi"])
    assert "cannot reach the LRS at http://127.0.0.1:9/xapi" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--format", "md", "--lrs", "http://127.0.0.1:9/"], "use it with --format xapi"),
        (["--format", "xapi", "--lrs", "lrs.example.org"], "expects an http:// or https://"),
    ],
)
def test_bad_lrs_use_is_refused(saved, creds, capsys, argv, expected):
    with pytest.raises(SystemExit):
        main(["report", saved, *argv])
    assert expected in capsys.readouterr().err
