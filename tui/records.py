"""One trainee's played case, whatever stored it, for `escalate report` and exports.

Three sources hold a case: the trainer's own autosave (``{"session": …, "ui": …}``, with
the wall-clock start and time spent in ``ui.wall``), a file from ``escalate autoplay
--save`` (the bare ``Session.to_dict()``), and a workshop's SQLite log (a trainee's
actions, each with its wall-clock time). A `Record` is the replayed session plus the
real times the records need (xAPI timestamp and duration, the completion record).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.session import Session


class RecordError(ValueError):
    """A file or workshop entry that is not a replayable case; the message says why."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Record:
    session: Session
    trainee: str | None = None
    started: datetime | None = None  # wall clock, aware
    ended: datetime | None = None  # wall clock, aware: finished, or last activity
    seconds: float | None = None  # real time spent
    source: str = ""


def _when(text: Any) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


MAX_BYTES = 20_000_000  # a saved session is a few kB; a 20 MB one is not a session
MAX_ACTIONS = 100_000


def load(path: str | Path) -> Record:
    """A record from an autosave or an autoplay file (exit codes: 1 missing, 2 bad)."""
    file = Path(path)
    if not file.is_file():
        raise RecordError(f"no such session file: {path}", 1)
    try:
        with file.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise RecordError(f"{path} is too large for a saved session (over "
                              f"{MAX_BYTES:,} bytes)")
        data = json.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordError(f"cannot read {path}: {exc}", 1) from None
    except json.JSONDecodeError as exc:
        raise RecordError(f"{path} is not JSON (line {exc.lineno}, column {exc.colno}: "
                          f"{exc.msg})") from None
    except RecursionError:
        raise RecordError(f"{path} is not a saved session (nested too deeply)") from None
    if isinstance(data, dict) and isinstance(data.get("session"), dict):
        _check_actions(path, data["session"])
        return _autosave(file, data)
    if not isinstance(data, dict) or "actions" not in data:
        raise RecordError(f"{path} is not a saved session (expected the trainer's autosave "
                          "or a file from `escalate autoplay --save`)")
    _check_actions(path, data)
    session = _replay(str(path), data, data.get("scenario_file")
                      if not data.get("generated") else None)
    wall = data.get("wall") or {}
    ended = _when(wall.get("ended")) or datetime.fromtimestamp(file.stat().st_mtime, UTC)
    return Record(session, None, _when(wall.get("started")), ended,
                  wall.get("seconds"), str(path))


def _check_actions(path: str | Path, data: dict[str, Any]) -> None:
    """The action log is a list of objects of a size a session can hold."""
    actions = data.get("actions")
    if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
        found = type(actions).__name__
        raise RecordError(f"{path}: 'actions' must be a list of actions (objects), "
                          f"found {found}")
    if len(actions) > MAX_ACTIONS:
        raise RecordError(f"{path}: {len(actions):,} actions is more than a session can "
                          f"hold ({MAX_ACTIONS:,})")


def _autosave(file: Path, data: dict[str, Any]) -> Record:
    ui = data.get("ui") or {}
    session = _replay(str(file), data["session"], ui.get("scenario_path"))
    wall = ui.get("wall") or {}
    ended = (_when(wall.get("ended")) or _when(wall.get("updated"))
             or datetime.fromtimestamp(file.stat().st_mtime, UTC))
    seconds = wall.get("seconds")
    return Record(session, None, _when(wall.get("started")), ended,
                  float(seconds) if seconds is not None else None, str(file))


def _replay(path: str, data: dict[str, Any], scenario_file: str | None) -> Session:
    from pydantic import ValidationError

    from scenarios.loader import LoadError, load_scenario
    from sim.session import Session, SessionError

    try:
        scenario = load_scenario(scenario_file) if scenario_file else None
        return Session.from_dict(data, scenario=scenario)
    except LoadError as exc:
        raise RecordError(f"{path}: its scenario file no longer loads: "
                          f"{str(exc).splitlines()[0]}") from None
    except KeyError as exc:
        raise RecordError(f"{path}: unknown or missing {exc} (is the scenario bundled?)") \
            from None
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error.get("loc", ()))
        detail = f"{where}: {error['msg']}" if where else error["msg"]
        raise RecordError(f"{path} cannot be replayed: an action is not valid ({detail})") \
            from None
    except (SessionError, ValueError, TypeError, AttributeError, RecursionError,
            OverflowError) as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise RecordError(f"{path} cannot be replayed: {first}") from None


def latest() -> Record:
    """The trainer's most recent autosave, finished or not."""
    from tui import store

    saves = store.saves()
    if not saves:
        raise RecordError(f"no saved cases in {store.sessions_dir()}", 1)
    return load(saves[0].path)


def from_workshop(facilitator: Any, who: str | int | None = None,
                  names: bool = True) -> list[Record]:
    """Every trainee's record in a workshop (or the one named): the replayed session, the
    time they joined, and their last action's wall-clock time."""
    out = []
    wanted = None if who is None else str(who).strip().casefold()
    with facilitator.store.read() as con:
        last = {r["trainee"]: r["wall"] for r in con.execute(
            "SELECT a.trainee, MAX(a.wall) AS wall FROM actions a JOIN trainees t "
            "ON t.id = a.trainee WHERE t.workshop = ? GROUP BY a.trainee",
            (facilitator.code,)).fetchall()}
    for row, label, session, _assessment in facilitator.sessions():
        if wanted is not None and wanted not in (label.casefold(), label.split()[-1],
                                                 row["name"].casefold()):
            continue
        started = _when(row["joined"])
        ended = _when(last.get(row["id"])) or _when(row["seen"])
        seconds = (ended - started).total_seconds() if started and ended else None
        out.append(Record(session, row["name"] if names else label, started, ended, seconds,
                          f"workshop {facilitator.code}, {label}"))
    if wanted is not None and not out:
        from tui.workshop.service.errors import WorkshopError

        raise WorkshopError(f"no trainee '{who}' in workshop {facilitator.code}")
    return out
