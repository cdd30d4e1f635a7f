"""`escalate workshop new|facilitate|review|serve|start|pause|resume|end|inject|status|…`.

Also ``export`` (every trainee's records), ``results`` (one trainee's) and ``list``.

A facilitator creates a workshop (a join code for trainees, a key for themselves), runs it
from a dashboard or these commands, and exports the cohort debrief. Storage is one SQLite
file (``--db``, else ``ESCALATE_WORKSHOP_DB``, else the trainer's data directory). The key
may be given as ``--key`` or in ``ESCALATE_WORKSHOP_KEY`` (kept out of shell history).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from tui.commands.common import fail, print_json, seed_type

KEY_ENV = "ESCALATE_WORKSHOP_KEY"
CLOCK = ("start", "pause", "resume", "end")
DEBRIEF_FORMATS = ("text", "html", "csv", "findings-csv")
MAX_SESSIONS = 200  # browser sessions one `serve` may run (each is a process)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError("a port is between 1 and 65535")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= MAX_SESSIONS:
        raise argparse.ArgumentTypeError(f"between 1 and {MAX_SESSIONS}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("workshop", help="run a scenario for a group (join code, "
                                   "live dashboard, injects, cohort debrief)")
    commands = parser.add_subparsers(dest="workshop_command", metavar="ACTION", required=True)
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument("--db", metavar="PATH", help="workshop database (default: in the user "
                    "data directory, or $ESCALATE_WORKSHOP_DB)")
    keyed = argparse.ArgumentParser(add_help=False, parents=[db])
    keyed.add_argument("code", metavar="CODE", help="the workshop's join code")
    keyed.add_argument("--key", help=f"facilitator key (or set ${KEY_ENV})")

    new = commands.add_parser("new", parents=[db], help="create a workshop: prints the join "
                              "code and the facilitator key")
    new.add_argument("scenario", metavar="SCENARIO", help="bundled scenario id or YAML file")
    new.add_argument("--name", help="a name for the workshop (default: the scenario title)")
    new.add_argument("--seed", type=seed_type,
                     help="the case everyone plays (default: random)")
    new.add_argument("--start", action="store_true", help="start the clock straight away")
    new.add_argument("--json", action="store_true",
                     help="print code, key, scenario, seed and database as JSON")

    facilitate = commands.add_parser("facilitate", parents=[keyed],
                                     help="open the live facilitator dashboard")
    facilitate.add_argument("--anonymous", action="store_true",
                            help="show Trainee 1, 2… instead of names (for projecting)")
    facilitate.add_argument("--interval", type=float, default=1.0, help=argparse.SUPPRESS)

    review = commands.add_parser("review", parents=[keyed],
                                 help="open the dashboard read-only (an ended workshop too): "
                                 "progress, the cohort debrief (v) and its export (d)")
    review.add_argument("--anonymous", action="store_true",
                        help="show Trainee 1, 2… instead of names (for projecting)")
    review.add_argument("--interval", type=float, default=1.0, help=argparse.SUPPRESS)

    serve = commands.add_parser("serve", parents=[db], help="let trainees join in a browser")
    serve.add_argument("code", metavar="CODE")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=_port, default=8000, help="port to listen on")
    serve.add_argument("--public-url", metavar="URL",
                       help="the address trainees open, when a proxy stands in front "
                       "(e.g. https://training.example.org); otherwise each page uses the "
                       "address it was opened with")
    serve.add_argument("--max-trainees", type=_count, default=40, metavar="N",
                       help="at most N browser sessions (each runs a process) at once "
                       "(default 40)")

    for command in CLOCK:
        clock = commands.add_parser(command, parents=[keyed], help=f"{command} the world "
                                    "clock" if command != "end" else "end the exercise for "
                                    "everyone (asks first; cannot be undone)")
        if command == "end":
            clock.add_argument("--yes", "-y", action="store_true",
                               help="do not ask (needed when not run from a terminal)")
    inject = commands.add_parser("inject", parents=[keyed],
                                 help="inject an event into every trainee's session now")
    inject.add_argument("text", metavar="TEXT")
    inject.add_argument("--immediate-risk", action="store_true",
                        help="the event puts the child at immediate risk of significant harm")

    status = commands.add_parser("status", parents=[keyed], help="who has joined and where "
                                 "each trainee is")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.add_argument("--anonymous", action="store_true",
                        help="Trainee 1, 2… instead of names")

    debrief = commands.add_parser("debrief", parents=[keyed], help="cohort debrief by rule "
                                  "(anonymised unless --names)")
    debrief.add_argument("--format", choices=DEBRIEF_FORMATS, default="text",
                         help="output format")
    debrief.add_argument("--names", action="store_true", help="show trainees' names")
    debrief.add_argument("--output", "-o", metavar="FILE", help="write here, not stdout")
    debrief.add_argument("--out-dir", metavar="DIR",
                         help="write the HTML and both CSVs into DIR")

    export = commands.add_parser("export", parents=[keyed], help="every trainee's records: "
                                 "findings CSV, xAPI statement, completion record")
    export.add_argument("--out-dir", metavar="DIR", required=True, help="write them here")
    export.add_argument("--anonymous", action="store_true",
                        help="Trainee 1, 2… instead of names in every file")
    export.add_argument("--home-page", metavar="URL",
                        help="xAPI account home page of the trainees' names")

    results = commands.add_parser("results", parents=[db], help="one trainee's results: "
                                  "any trainee's with the facilitator key, or your own with "
                                  "your rejoin key")
    results.add_argument("code", metavar="CODE")
    results.add_argument("trainee", metavar="TRAINEE",
                         help="'Trainee 3', 3 or a name (your own name with --rejoin-key)")
    who = results.add_mutually_exclusive_group()
    who.add_argument("--key", help=f"facilitator key (or set ${KEY_ENV})")
    who.add_argument("--rejoin-key", metavar="KEY", help="your own rejoin key")
    results.add_argument("--json", action="store_true", help="print JSON")

    listing = commands.add_parser("list", parents=[db], help="workshops in the database "
                                  "(no keys; join codes only with --codes)")
    listing.add_argument("--json", action="store_true", help="one object per workshop")
    listing.add_argument("--codes", action="store_true",
                         help="show the join codes (anyone who sees one can join)")


def run(args: argparse.Namespace) -> int:
    from tui.workshop.service.errors import WorkshopError

    try:
        return _dispatch(args)
    except WorkshopError as exc:
        fail(str(exc))


def _dispatch(args: argparse.Namespace) -> int:
    command = args.workshop_command
    if command == "new":
        return _new(args)
    if command == "serve":
        return _serve(args)
    if command == "list":
        return _list(args)
    if command == "results":
        return _results(args)
    facilitator = _facilitator(args)
    if command in ("facilitate", "review"):
        from tui.workshop.dashboard import Dashboard

        Dashboard(facilitator, anonymous=args.anonymous, interval=args.interval,
                  review=command == "review").run()
        return 0
    if command == "end" and not args.yes:
        _confirm_end(facilitator)
    if command in CLOCK:
        getattr(facilitator, command)()
        print(f"workshop {facilitator.code}: {facilitator.state}")
        return 0
    if command == "inject":
        seq = facilitator.inject(args.text, args.immediate_risk)
        print(f"workshop {facilitator.code}: inject {seq} queued for every trainee")
        return 0
    if command == "status":
        return _status(facilitator, args)
    if command == "export":
        from tui.workshop.service.export import write_all

        try:
            paths = write_all(facilitator, Path(args.out_dir), args.anonymous, args.home_page)
        except OSError as exc:
            fail(f"cannot write to {args.out_dir}: {exc.strerror or exc}", 1)
        for path in paths:
            print(path)
        return 0
    return _debrief(facilitator, args)


def _confirm_end(facilitator: Any) -> None:
    """Ending is for everyone and for good: ask at a terminal, refuse elsewhere."""
    info = facilitator.info()
    if info.state == "ended":
        return  # the facilitator says so, with its own message
    from tui.workshop.service.facilitator import end_warning

    warning = end_warning(info.code, facilitator.progress())
    question = f"End workshop {info.code} ({info.name}) for everyone?\n{warning}\n[y/N] "
    if not sys.stdin.isatty():
        fail(f"ending workshop {info.code} cannot be undone: run it at a terminal to be "
             "asked, or add --yes")
    try:
        answer = input(question)
    except EOFError:
        answer = ""
    if answer.strip().lower() not in ("y", "yes"):
        print(f"workshop {info.code}: not ended ({info.state})")
        raise SystemExit(1)


def _store(args: argparse.Namespace) -> Any:
    from tui.workshop.service.store import Store

    return Store(args.db) if args.db else Store()


def _facilitator(args: argparse.Namespace) -> Any:
    from tui.workshop.service.facilitator import open_facilitator

    return open_facilitator(_store(args), args.code, args.key or os.environ.get(KEY_ENV))


def _new(args: argparse.Namespace) -> int:
    from scenarios.loader import LoadError
    from tui.workshop.service.facilitator import Facilitator, create

    store = _store(args)
    try:
        made = create(store, args.scenario, args.name, args.seed)
    except LoadError as exc:
        print(exc, file=sys.stderr)
        return 1
    except KeyError as exc:
        fail(str(exc.args[0]))
    if args.start:
        Facilitator(store, made.code, made.key).start()
    db = f" --db {args.db}" if args.db else ""
    if args.json:
        print_json({"code": made.code, "key": made.key, "name": made.name,
                    "scenario": made.scenario, "seed": made.seed, "database": str(store.path),
                    "state": "running" if args.start else "lobby"})
        return 0
    print(f"Workshop created: {made.name}\n"
          f"  scenario   {made.scenario} (seed {made.seed})\n"
          f"  join code  {made.code}      (give this to trainees)\n"
          f"  your key   {made.key}  (keep this to yourself: it opens everyone's results;"
          " it is not stored and cannot be shown again)\n"
          f"  database   {store.path}\n\n"
          f"Trainees:     escalate play --join {made.code} --name NAME\n"
          f"Browser:      escalate workshop serve {made.code}{db}\n"
          f"Dashboard:    escalate workshop facilitate {made.code} --key {made.key}{db}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from tui.workshop.serve import build_server, check_code

    store = _store(args)
    check_code(store, args.code)
    if args.db:
        from tui.workshop.service.store import DB_ENV

        os.environ[DB_ENV] = str(Path(args.db).resolve())
    from tui.workshop.serve import LOOPBACK, PublicUrlError, check_public_url

    try:
        if args.public_url:
            check_public_url(args.public_url)
    except PublicUrlError as exc:
        fail(str(exc))
    if args.host not in LOOPBACK:
        print(f"warning: listening on {args.host}: anyone who can reach this address can join "
              "with the code (there is no TLS; use a trusted network)", file=sys.stderr)
    try:
        build_server(args.code, args.host, args.port, args.public_url,
                     max_sessions=args.max_trainees).serve()
    except OSError as exc:
        fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc} "
             "(another --port, or --host 127.0.0.1)", 1)
    return 0


def _list(args: argparse.Namespace) -> int:
    store = _store(args)
    with store.read() as con:
        rows = con.execute("SELECT w.code, w.name, w.scenario, w.state, w.created, "
                           "(SELECT COUNT(*) FROM trainees t WHERE t.workshop = w.code) AS n "
                           "FROM workshops w ORDER BY w.created").fetchall()
    if args.json:
        print_json([{"code": r["code"] if args.codes else None, "name": r["name"],
                     "scenario": r["scenario"],
                     "state": r["state"], "created": r["created"], "trainees": r["n"]}
                    for r in rows])
        return 0
    if not rows:
        print(f"no workshops in {store.path}")
    for r in rows:
        code = r["code"] if args.codes else "••••••"
        print(f"{code}  {r['state']:<8} {r['n']:>3} trainee(s)  {r['created'][:16]}  "
              f"{r['scenario']}  {r['name']}")
    if rows and not args.codes:
        print("(join codes hidden: add --codes to show them)", file=sys.stderr)
    return 0


def _status(facilitator: Any, args: argparse.Namespace) -> int:
    rows = facilitator.progress()
    info = facilitator.info()
    if args.json:
        print_json({"code": info.code, "state": info.state, "trainees": [
            {"trainee": r.label if args.anonymous else r.name, "actions": r.actions,
             "now": r.now.isoformat(), "stage": r.stage, "status": r.status,
             "finished": r.finished, "standing": r.standing, "reason": r.reason,
             "score": r.score, "injects": r.injects} for r in rows]})
        return 0
    print(f"{info.name[:60]}\nworkshop {info.code}: {info.state}, {len(rows)} trainee(s), "
          f"{len(info.injects)} inject(s)")
    if rows:
        print(f"  {'trainee':<18} {'sim. time':<16}  {'stage':<12} {'status':<8} "
              f"{'progress':<8} {'acts':>4}")
    for r in rows:
        who = r.label if args.anonymous else f"{r.label} {r.name}"
        done = "finished" if r.finished else r.status
        print(f"  {who[:18]:<18} {r.now:%a %d %b %H:%M}  {r.stage[:12]:<12} {done:<8} "
              f"{r.standing:<8} {r.actions:>4}")
        if r.reason:  # what is overdue, or what falls due next
            print(f"      {r.reason[:74]}")
    return 0


def _debrief(facilitator: Any, args: argparse.Namespace) -> int:
    from tui.workshop.service import cohort as C

    cohort = facilitator.cohort(names=args.names)
    if args.out_dir:
        for path in C.write_all(cohort, Path(args.out_dir)):
            print(path)
        return 0
    render = {"text": C.text, "html": C.html, "csv": C.rules_csv,
              "findings-csv": C.findings_csv}[args.format]
    content = render(cohort)
    if args.format in ("csv", "findings-csv") and (args.output or not sys.stdout.isatty()):
        from scoring.exports import with_bom

        content = with_bom(content)  # a CSV file: UTF-8 with a BOM, for Excel
    if args.output:
        from tui.store import write_atomic

        try:
            write_atomic(Path(args.output), content)
        except OSError as exc:
            fail(f"cannot write {args.output}: {exc.strerror or exc}", 1)
        print(args.output)
    else:
        sys.stdout.write(content)
    return 0


def _results(args: argparse.Namespace) -> int:
    store = _store(args)
    key = args.key or (None if args.rejoin_key else os.environ.get(KEY_ENV))
    if args.rejoin_key:
        from tui.workshop.service.participant import own_results

        assessment = own_results(store, args.code, args.trainee, args.rejoin_key)
        who = args.trainee
    else:
        from tui.workshop.service.facilitator import open_facilitator

        who, _, assessment = open_facilitator(store, args.code, key).results(args.trainee)
    if args.json:
        print_json({"trainee": who, **assessment.to_dict()})
        return 0
    print(f"{who}: score {assessment.score:g}/100"
          + (" (capped: critical finding)" if assessment.capped else ""))
    for finding in assessment.findings:
        print(f"  {finding.rule:<4} {finding.severity:<13} {finding.observed}")
    return 0
