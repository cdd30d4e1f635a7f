"""`escalate play [SCENARIO] [--seed N] [--resume]`: open the trainer.

With no scenario the picker opens; a bundled id or a YAML file opens that briefing;
``--resume`` continues the most recent unfinished case. Bare ``escalate`` opens the default
scenario's briefing. ``--join`` belongs to workshops (``tui.workshop_join``).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from tui.commands.common import fail, seed_type


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("play", help="open the trainer (scenario picker or a briefing)")
    parser.add_argument("scenario", nargs="?", metavar="ID_OR_YAML",
                        help="bundled scenario id or scenario YAML file")
    parser.add_argument("--seed", type=seed_type, help="random seed (default: a new one)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the most recent unfinished case")
    parser.add_argument("--light", action="store_true", help="light theme")
    parser.add_argument("--join", metavar="CODE", help="join a workshop by its code")
    parser.add_argument("--name", help="your name in the workshop (with --join)")
    parser.add_argument("--default", action="store_true", dest="bare", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    if args.join:
        try:
            join = importlib.import_module("tui.workshop_join")
        except ImportError:
            fail("joining workshops is not available in this version")
        return int(join.run_join(args) or 0)
    if args.name:
        fail("--name is only used with --join CODE")
    if args.resume and args.scenario:
        fail("give either a scenario or --resume, not both")
    from tui import store
    from tui.app import build_app

    if args.resume and store.latest_unfinished() is None:
        fail(f"no unfinished case to resume in {store.sessions_dir()}")
    theme = "textual-light" if args.light else None
    if args.scenario is not None:
        from scenarios.loader import LoadError

        try:
            app = build_app(args.scenario, args.seed, theme=theme)
        except LoadError as exc:
            print(exc, file=sys.stderr)
            return 1
        except KeyError as exc:
            fail(str(exc.args[0]))
    elif args.resume:
        app = build_app(resume=True, theme=theme)
    else:
        start = "briefing" if args.bare else "picker"
        app = build_app(None, args.seed, start=start, theme=theme)
    app.run()
    code = app.return_code or 0
    if code:  # a crash: keep the case if the disk allows, and say so with the exit code
        saved = app.save_now()
        where = f" Your case was saved in {app.play.save_path}." if saved and app.play else ""
        print(f"The trainer stopped on an error (exit {code}).{where}", file=sys.stderr)
    return code
