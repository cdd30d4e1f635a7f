"""`escalate play --join CODE [--name NAME]`: a trainee joins a workshop.

In a terminal the rejoin key is remembered on this computer, so rejoining needs only the
name. Served to browsers (`escalate workshop serve`) every trainee's process runs on the
server as one user, so nothing is remembered there: the name screen asks for the key.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from tui.commands.common import fail

if TYPE_CHECKING:
    from tui.app import TrainerApp
    from tui.workshop.service.participant import WorkshopParticipant
    from tui.workshop.service.store import Store

SERVED_ENV = "ESCALATE_WORKSHOP_SERVED"
TOKENS_FILE = "workshop-tokens.json"


def served() -> bool:
    return os.environ.get(SERVED_ENV) == "1"


def tokens_path() -> Path:
    from tui.store import data_dir

    return data_dir() / TOKENS_FILE


def remembered(code: str, name: str) -> str | None:
    if served():
        return None
    try:
        tokens = json.loads(tokens_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return tokens.get(_slot(code, name)) if isinstance(tokens, dict) else None


def remember(participant: WorkshopParticipant) -> bool:
    """Keep the rejoin key on this computer (terminal trainees only)."""
    if served():
        return False
    from tui.store import write_atomic

    path = tokens_path()
    try:
        tokens = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, ValueError):
        tokens = {}
    tokens[_slot(participant.code, participant.name)] = participant.token
    try:
        write_atomic(path, json.dumps(tokens, indent=1))
        path.chmod(0o600)
    except OSError:
        return False
    return True


def _slot(code: str, name: str) -> str:
    from tui.workshop.service.codes import normalise

    return f"{normalise(code)}:{' '.join(name.split()).casefold()}"


def prepare(store: Store, code: str, name: str | None
            ) -> tuple[WorkshopParticipant | None, str]:
    """Join (or rejoin) before the app opens when the name is given; otherwise, or when the
    name needs a rejoin key we do not have, the app asks. Unknown codes fail here."""
    from tui.workshop.service.errors import NameTaken, TooManyAttempts
    from tui.workshop.service.participant import WorkshopParticipant, workshop_row

    with store.read() as con:
        workshop_row(con, code)
    if not name:
        return None, ""
    try:
        return WorkshopParticipant.join(store, code, name, remembered(code, name)), ""
    except (NameTaken, TooManyAttempts) as exc:
        return None, str(exc)


def opening(store: Store, code: str, name: str | None,
            participant: WorkshopParticipant | None, problem: str = ""):
    """The app's first step: the join screen when needed, then the case."""

    def begin(app: TrainerApp) -> None:
        from tui.workshop.trainee import JoinedNote, JoinScreen, Link, play_for

        def joined(found: WorkshopParticipant | None) -> None:
            if found is None:
                app.exit()
                return
            app.workshop = found.code  # this window now stays on the workshop's case
            app.open_play(play_for(found))
            Link(app, found).start()
            if found.is_new:
                app.push_screen(JoinedNote(found, remember(found)))

        if participant is not None:
            joined(participant)
        else:
            app.push_screen(JoinScreen(store, code, name or "", problem), joined)

    return begin


def run_join(args: argparse.Namespace) -> int:
    from tui.app import build_app
    from tui.workshop.service.codes import normalise
    from tui.workshop.service.errors import WorkshopError
    from tui.workshop.service.store import Store

    if args.scenario or args.resume or args.seed is not None:
        fail("--join plays the workshop's scenario: give no scenario, --seed or --resume")
    code = normalise(args.join)
    try:
        store = Store()
        participant, problem = prepare(store, code, args.name)
    except WorkshopError as exc:
        fail(str(exc))
    theme = "textual-light" if getattr(args, "light", False) else None
    app = build_app(theme=theme, opening=opening(store, code, args.name, participant, problem))
    app.run()
    return app.return_code or 0
