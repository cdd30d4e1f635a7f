"""`escalate report [SESSION.json] --format md|html|csv|appendix1|appendix2|xapi|completion`.

Reads a played case wherever it was kept — the trainer's own autosave (``--latest`` for the
most recent, or its path), a file from ``escalate autoplay --save``, or one trainee of a
workshop (``--workshop CODE --trainee WHO`` with the facilitator key) — replays it, and
prints the debrief or an export. ``csv`` is the findings; ``appendix1`` the Escalation
Summary Log as CSV (``appendix1-md`` as a table); ``appendix2`` the stage report as Markdown
(``appendix2-html`` as a page); ``xapi`` a statement for a learning record store stamped
with the real time spent; ``completion`` a printable completion record (HTML) for a CPD
file. CSV written to a file (``-o``, or stdout redirected) is UTF-8 with a byte-order mark,
so that Excel reads it right.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from tui.commands.common import fail

FORMATS = ("md", "html", "csv", "appendix1", "appendix1-md", "appendix2", "appendix2-html",
           "xapi", "completion")
CSV_FORMATS = ("csv", "appendix1")
KEY_ENV = "ESCALATE_WORKSHOP_KEY"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("report", help="debrief or export a played case (an "
                                   "autosave, an autoplay file or a workshop trainee)")
    parser.add_argument("session", metavar="SESSION.json", nargs="?",
                        help="the trainer's autosave or an `autoplay --save` file")
    parser.add_argument("--latest", action="store_true",
                        help="the trainer's most recent autosave")
    parser.add_argument("--workshop", metavar="CODE", help="a workshop's join code "
                        "(with --trainee and the facilitator key)")
    parser.add_argument("--trainee", metavar="WHO",
                        help="'Trainee 3', 3 or a name, in --workshop")
    parser.add_argument("--key", help=f"facilitator key (or set ${KEY_ENV})")
    parser.add_argument("--db", metavar="PATH", help="workshop database (default: in the "
                        "user data directory, or $ESCALATE_WORKSHOP_DB)")
    parser.add_argument("--format", choices=FORMATS, default="md", help="output format")
    parser.add_argument("--name", help="the trainee's name on the completion record "
                        "(default: the workshop name, else a line to write it on)")
    parser.add_argument("--actor", default="trainee",
                        help="xAPI account name of the learner (never an e-mail)")
    parser.add_argument("--home-page", default=None, help="xAPI account home page")
    parser.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    parser.add_argument("--lrs", metavar="URL", help="with --format xapi: also send the "
                        "statement to this learning record store endpoint (credentials from "
                        "$ESCALATE_LRS_KEY and $ESCALATE_LRS_SECRET)")


def restore(path: str) -> Any:
    """A Session rebuilt from its JSON: missing file → exit 1; bad content → exit 2."""
    return _record_from_file(path).session


def _record_from_file(path: str) -> Any:
    from tui.records import RecordError, load

    try:
        return load(path)
    except RecordError as exc:
        fail(str(exc), exc.code)


def _record(args: argparse.Namespace) -> Any:
    sources = sum(bool(x) for x in (args.session, args.latest, args.workshop))
    if sources != 1:
        fail("give one of: SESSION.json, --latest, or --workshop CODE --trainee WHO")
    if args.trainee and not args.workshop:
        fail("--trainee is only used with --workshop CODE")
    if args.session:
        return _record_from_file(args.session)
    if args.latest:
        from tui.records import RecordError, latest

        try:
            return latest()
        except RecordError as exc:
            fail(str(exc), exc.code)
    if not args.trainee:
        fail("--workshop needs --trainee WHO ('Trainee 3', 3 or a name)")
    from tui.records import from_workshop
    from tui.workshop.service.errors import WorkshopError
    from tui.workshop.service.facilitator import open_facilitator
    from tui.workshop.service.store import Store

    try:
        store = Store(args.db) if args.db else Store()
        facilitator = open_facilitator(store, args.workshop,
                                       args.key or os.environ.get(KEY_ENV))
        return from_workshop(facilitator, args.trainee)[0]
    except WorkshopError as exc:
        fail(str(exc))


def run(args: argparse.Namespace) -> int:
    from scoring import exports

    if args.lrs and args.format != "xapi":
        fail("--lrs sends xAPI statements: use it with --format xapi")
    record = _record(args)
    try:
        text = render(args.format, record, actor=args.actor, home_page=args.home_page,
                      name=args.name)
    except exports.ExportError as exc:
        fail(str(exc))
    to_terminal = not args.output and sys.stdout.isatty()
    if args.format in CSV_FORMATS and not to_terminal:
        text = exports.with_bom(text)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {args.output}: {exc.strerror or exc}", 1)
    else:
        sys.stdout.write(text)
    if args.lrs:
        from tui.lrs import LrsError, send

        try:
            ids = send(json.loads(text), args.lrs)
        except LrsError as exc:
            fail(str(exc), 1)
        stored = f" as {', '.join(ids)}" if ids else ""
        print(f"sent to the LRS{stored}", file=sys.stderr)
    return 0


def render(fmt: str, record: Any, actor: str = "trainee", home_page: str | None = None,
           name: str | None = None) -> str:
    """One export of a record, as text (CSV without its byte-order mark)."""
    from scoring import debrief, exports

    session = record.session
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
    if fmt == "completion":
        return exports.completion_html(session, name or record.trainee, record.started,
                                       record.ended, record.seconds)
    home = {"home_page": home_page} if home_page else {}
    statement = exports.xapi(session, actor_account_name=actor, timestamp=record.ended,
                             seconds=record.seconds, started=record.started, **home)
    return json.dumps(statement, indent=2, ensure_ascii=False) + "\n"
