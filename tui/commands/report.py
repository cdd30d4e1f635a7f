"""`escalate report SESSION.json --format md|html|csv|appendix1|appendix2|xapi`.

Reads a saved session (`escalate autoplay --save`, or the trainer's autosave), replays it,
and prints the debrief or an export. ``csv`` is the findings; ``appendix1`` the Escalation
Summary Log as CSV (``appendix1-md`` as a table); ``appendix2`` the stage report as Markdown
(``appendix2-html`` as a page).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tui.commands.common import fail

MAX_BYTES = 20_000_000  # a saved session is a few kB; a 20 MB one is not a session
MAX_ACTIONS = 100_000
FORMATS = ("md", "html", "csv", "appendix1", "appendix1-md", "appendix2", "appendix2-html",
           "xapi")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("report", help="debrief or export a saved session")
    parser.add_argument("session", metavar="SESSION.json")
    parser.add_argument("--format", choices=FORMATS, default="md")
    parser.add_argument("--actor", default="trainee",
                        help="xAPI account name of the learner (never an e-mail)")
    parser.add_argument("--home-page", default=None, help="xAPI account home page")
    parser.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")


def restore(path: str) -> Any:
    """A Session rebuilt from its JSON: missing file → exit 1; bad content → exit 2."""
    from pydantic import ValidationError

    from scenarios.loader import LoadError, load_scenario
    from sim.session import Session, SessionError

    file = Path(path)
    if not file.is_file():
        fail(f"no such session file: {path}", 1)
    try:
        with file.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            fail(f"{path} is too large for a saved session (over {MAX_BYTES:,} bytes)")
        data = json.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {path}: {exc}", 1)
    except json.JSONDecodeError as exc:
        fail(f"{path} is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})")
    except RecursionError:
        fail(f"{path} is nested too deeply to be a saved session")
    if isinstance(data, dict) and isinstance(data.get("session"), dict):
        data = data["session"]  # the trainer's autosave wraps the session with UI state
    if not isinstance(data, dict) or "actions" not in data:
        fail(f"{path} is not a saved session (expected an object with 'actions')")
    actions = data["actions"]
    if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
        found = type(actions).__name__
        fail(f"{path}: 'actions' must be a list of actions (objects), found {found}")
    if len(actions) > MAX_ACTIONS:
        fail(f"{path}: {len(actions):,} actions is more than a session can hold "
             f"({MAX_ACTIONS:,})")
    try:
        scenario = None
        if data.get("scenario_file") and not data.get("generated"):
            scenario = load_scenario(data["scenario_file"])
        return Session.from_dict(data, scenario=scenario)
    except LoadError as exc:
        fail(f"{path}: its scenario file no longer loads: {str(exc).splitlines()[0]}")
    except KeyError as exc:
        fail(f"{path}: unknown or missing {exc} (is the scenario bundled?)")
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error.get("loc", ()))
        detail = f"{where}: {error['msg']}" if where else error["msg"]
        fail(f"{path} cannot be replayed: an action is not valid ({detail})")
    except (SessionError, ValueError, TypeError, AttributeError, RecursionError,
            OverflowError) as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        fail(f"{path} cannot be replayed: {first}")


def run(args: argparse.Namespace) -> int:
    from scoring import debrief, exports

    session = restore(args.session)
    try:
        text = _render(args, session, debrief, exports)
    except exports.ExportError as exc:
        fail(str(exc))
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {args.output}: {exc.strerror or exc}", 1)
    else:
        sys.stdout.write(text)
    return 0


def _render(args: argparse.Namespace, session: Any, debrief: Any, exports: Any) -> str:
    fmt = args.format
    if fmt == "md":
        return debrief.debrief_markdown(session)
    if fmt == "html":
        return debrief.debrief_html(session)
    if fmt == "csv":
        return exports.findings_csv(session)
    if fmt == "appendix1":
        return exports.appendix1_csv(session)
    if fmt == "appendix1-md":
        return exports.appendix1_table(session)
    if fmt == "appendix2":
        return exports.appendix2_markdown(session)
    if fmt == "appendix2-html":
        return exports.appendix2_html(session)
    home = {"home_page": args.home_page} if args.home_page else {}
    statement = exports.xapi(session, actor_account_name=args.actor, **home)
    return json.dumps(statement, indent=2, ensure_ascii=False) + "\n"
