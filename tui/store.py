"""Autosaves: one JSON file per play, rewritten atomically after every action.

A save is ``Session.to_dict()`` (the action log) plus a little UI metadata (where the
scenario came from, which screen was open, a draft form). Restoring replays the log, so a
resumed case is the same case. The directory is ``ESCALATE_DATA_DIR`` when set (tests use
it), else the platform's user data directory.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scenarios.scenario_schema import Scenario
    from sim.session import Session

APP_NAME = "escalation-trainer"
ENV_DIR = "ESCALATE_DATA_DIR"
UI_FORMAT = 1


def data_dir() -> Path:
    override = os.environ.get(ENV_DIR)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME))


def sessions_dir() -> Path:
    return data_dir() / "sessions"


def exports_dir() -> Path:
    return data_dir() / "exports"


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file in the same directory and ``os.replace``: never half a file."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkstemp creates the file 0600: a case (names, notes) is readable by its owner only
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class SaveInfo:
    """What the resume prompt shows about a save, read without replaying it."""

    path: Path
    scenario: str
    title: str
    seed: int
    now: datetime
    actions: int
    finished: bool
    drafted: bool = False  # a form was being filled in (work to keep, even with no action)


def new_save_path(scenario_id: str, seed: int) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = sessions_dir() / f"{scenario_id}-seed{seed}-{stamp}"
    path, n = base.with_suffix(".json"), 1
    while path.exists():
        n += 1
        path = Path(f"{base}-{n}.json")
    return path


def save(path: Path, session: Session, ui: dict[str, Any] | None = None) -> None:
    data = {"session": session.to_dict(), "ui": {"format": UI_FORMAT, **(ui or {})}}
    write_atomic(path, json.dumps(data, default=str, ensure_ascii=False))


def read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def info(path: Path) -> SaveInfo | None:
    """A save's summary, or None for a file that is not a readable save."""
    try:
        data = read(path)
        if not isinstance(data, dict):
            return None
        session, ui = data["session"], data.get("ui", {})
        if not isinstance(session, dict) or not isinstance(ui, dict):
            return None
        actions, finished = session["actions"], session["finished"]
        if not isinstance(actions, list) or not isinstance(finished, bool):
            return None
        title = ui.get("title", session["scenario"])
        return SaveInfo(path, str(session["scenario"]), str(title), int(session["seed"]),
                        datetime.fromisoformat(session["now"]), len(actions), finished,
                        bool(ui.get("draft")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, OverflowError,
            RecursionError):
        return None


DAMAGED_SUFFIX = ".damaged"
_set_aside: list[tuple[Path, Path]] = []


def set_aside(path: Path) -> Path:
    """Rename a save that cannot be read or replayed, keeping it (for a bug report or a
    hand repair) but out of the resume list. Returns where it went."""
    target = path.with_name(path.name + DAMAGED_SUFFIX)
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.{n}{DAMAGED_SUFFIX}")
    try:
        path.rename(target)
    except OSError:
        return path  # cannot rename (read-only folder): it stays, and is skipped again
    _set_aside.append((path, target))
    return target


def take_set_aside() -> list[tuple[Path, Path]]:
    """Saves set aside since the last call, as (was, now) pairs, for telling the trainee."""
    found = list(_set_aside)
    _set_aside.clear()
    return found


def saves() -> list[SaveInfo]:
    """Readable saves, most recently written first; unreadable ones are set aside."""
    folder = sessions_dir()
    if not folder.is_dir():
        return []
    found: list[SaveInfo] = []
    for path in sorted(folder.glob("*.json"), key=_mtime, reverse=True):
        summary = info(path)
        if summary is None:
            if path.is_file():
                set_aside(path)
            continue
        found.append(summary)
    return found


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def latest_unfinished() -> SaveInfo | None:
    """The most recent case that was started (an action taken or a form begun) and not
    finished: a case opened and left untouched is nothing to resume."""
    return next((s for s in saves() if not s.finished and (s.actions or s.drafted)), None)


def restore(path: Path) -> tuple[Session, dict[str, Any]]:
    """Replay a save into a live session; scenarios from a YAML file are reloaded from it."""
    from sim.session import Session

    data = read(path)
    if info(path) is None:
        raise ValueError("the file is not a saved case")
    ui = dict(data.get("ui") or {})
    draft = ui.get("draft")
    if not isinstance(draft, dict) or not all(isinstance(v, dict) for v in draft.values()):
        ui["draft"] = {}  # a damaged half-filled form is dropped, not the case
    source = ui.get("scenario_path")
    if source is not None and not isinstance(source, str):
        raise ValueError("the save names its scenario file wrongly")
    if not source:
        return Session.from_dict(data["session"]), ui
    from scenarios.loader import load_scenario

    return replay(load_scenario(source), data["session"]), ui


def replay(scenario: Scenario, data: dict[str, Any]) -> Session:
    """`Session.from_dict` for a scenario that is not bundled (it looks scenarios up by id)."""
    from sim.session import Session

    session = Session(scenario, int(data["seed"]))
    session.replay(data["actions"])
    return session
