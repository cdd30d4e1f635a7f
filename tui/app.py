"""The trainer app: one factory, `build_app`, for the CLI, the tests and textual-serve.

The app only routes between screens and owns the autosave; every decision the trainee
takes goes to `Session.act` and everything shown comes from `Session.observe` or scoring.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from textual.app import App
from textual.binding import Binding, BindingType
from textual.timer import Timer

from tui import store
from tui.safety import SafeApp

if TYPE_CHECKING:
    from scenarios.catalogue import Card
    from scenarios.scenario_schema import Scenario
    from sim.session import Session

DEFAULT_SCENARIO = "talk-first-school-dsl"
Start = Literal["picker", "briefing", "resume", "play"]


@dataclass
class Play:
    """The case being played: its live session, where it autosaves, where it came from."""

    session: Session
    save_path: Path
    scenario_path: str | None = None
    draft: dict[str, Any] = field(default_factory=dict)
    # Real (wall-clock) time for the records: when the case was first opened, and the
    # seconds spent in it over every sitting (a resumed case adds to the earlier ones).
    wall: dict[str, Any] = field(default_factory=dict)
    sitting: float = field(default_factory=time.monotonic)

    def wall_clock(self) -> dict[str, Any]:
        if self.wall.get("ended"):
            return self.wall  # finished: the time spent is fixed
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self.wall.setdefault("started", now)
        seconds = float(self.wall.get("seconds") or 0) + time.monotonic() - self.sitting
        clock = {"started": self.wall["started"], "updated": now,
                 "seconds": round(seconds, 1)}
        if self.session.finished:
            clock["ended"] = now
            self.wall = clock
        return clock
    # Told when a save fails (the reason) and when saving works again (None); set by the app.
    on_save_problem: Callable[[str | None], None] | None = None
    save_problem: str | None = None

    def ui(self, **extra: Any) -> dict[str, Any]:
        return {"title": self.session.scenario.title, "scenario_path": self.scenario_path,
                "draft": self.draft, "wall": self.wall_clock(), **extra}

    def autosave(self, **extra: Any) -> bool:
        """Write the save; a disk that refuses (read-only, full) is reported, not raised.

        Each save holds the whole action log, so the next save that succeeds (the app
        retries) also holds every action taken while saving failed.
        """
        try:
            store.save(self.save_path, self.session, self.ui(**extra))
        except OSError as exc:
            first = self.save_problem is None
            self.save_problem = exc.strerror or str(exc) or type(exc).__name__
            if first and self.on_save_problem is not None:
                self.on_save_problem(self.save_problem)
            return False
        if self.save_problem is not None:
            self.save_problem = None
            if self.on_save_problem is not None:
                self.on_save_problem(None)
        return True

    def save_draft(self, record_id: str, values: list[str], note: str) -> None:
        """A half-filled form survives a closed terminal."""
        self.draft[record_id] = {"values": values, "note": note}
        self.autosave(screen="case")

    def clear_draft(self, record_id: str) -> None:
        if self.draft.pop(record_id, None) is not None:
            self.autosave(screen="case")


def default_scenario() -> Card:
    """The default scenario's card: the first screen of a bare `escalate` paints from the
    YAML before anything is validated (the briefing validates it in the background)."""
    from scenarios.catalogue import bundled_card, bundled_cards

    return bundled_card(DEFAULT_SCENARIO) or next(iter(bundled_cards().values()))


def new_seed() -> int:
    return random.randrange(1, 100_000)


class TrainerApp(SafeApp, App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "Escalation trainer"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("ctrl+t", "toggle_theme", "Light/dark", show=False),
    ]

    def __init__(self, start: Start = "picker", scenario: Scenario | Card | None = None,
                 scenario_path: str | None = None, seed: int | None = None,
                 resume_path: Path | None = None, prompt_resume: bool = True,
                 theme: str | None = None,
                 opening: Callable[[TrainerApp], None] | None = None) -> None:
        super().__init__()
        self.opening = opening
        self.preset: Play | None = None
        self.start = start
        self.scenario = scenario
        self.scenario_path = scenario_path
        self.seed = seed
        self.resume_path = resume_path
        self.prompt_resume = prompt_resume
        self.play: Play | None = None
        # the join code while this window plays a workshop's case: it stays on that case
        self.workshop: str | None = None
        self._save_timer: Timer | None = None
        if theme:
            self.theme = theme

    # ------------------------------------------------------------------ start

    def on_mount(self) -> None:
        if self.opening is not None:
            self.opening(self)
            return
        if self.start == "resume":
            self.resume(self.resume_path)
            return
        if self.start == "briefing":
            self.show_briefing(self.scenario, self.seed, self.scenario_path)
        else:
            self.show_picker()
        if self.prompt_resume:
            found = store.latest_unfinished()
            self.tell_set_aside()
            if found is not None:
                from tui.screens.dialogs import ResumePrompt

                self.push_screen(ResumePrompt(found), self._resume_answer)

    def tell_set_aside(self) -> None:
        """Say, in plain words, which saved cases could not be read and where they went."""
        for _was, now in store.take_set_aside():
            self.notify(f"A saved case could not be read, so it was set aside (kept as "
                        f"{now.name} in {now.parent}). You can carry on: start a new case.",
                        severity="warning", timeout=12)

    def _resume_answer(self, answer: bool | None) -> None:
        if answer:
            self.resume(None)

    # ------------------------------------------------------------------ navigation

    def _show(self, screen: Any) -> None:
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if len(self.screen_stack) > 1:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def show_picker(self) -> None:
        from tui.screens.picker import PickerScreen

        if self._stays_in_workshop():
            return
        self._show(PickerScreen())

    def _stays_in_workshop(self) -> bool:
        """A workshop trainee's window never leaves the workshop's case for a solo one, where
        the facilitator could no longer see them: say so instead."""
        if self.workshop is None:
            return False
        self.notify(f"This window belongs to workshop {self.workshop} and stays on its case, "
                    "where your facilitator follows it. Other scenarios are for practice on "
                    "your own (escalate play), outside the workshop.", severity="warning",
                    timeout=10)
        return True

    def show_briefing(self, scenario: Scenario | Card | None = None, seed: int | None = None,
                      scenario_path: str | None = None) -> None:
        from tui.screens.briefing import BriefingScreen

        if scenario is None:
            scenario = default_scenario()
        seed = seed if seed is not None else self.seed if self.seed is not None else new_seed()
        self._show(BriefingScreen(scenario, seed, scenario_path))

    def open_play(self, play: Play) -> None:
        """Open a case prepared elsewhere (a workshop trainee's): its briefing when nothing
        has been done yet, else the case or the debrief. Starting from the briefing then
        continues this play rather than a new one."""
        self.preset = play
        session = play.session
        if not session.actions:
            self.show_briefing(session.scenario, session.seed, play.scenario_path)
            return
        self.play = play
        if session.finished:
            self.show_debrief()
        else:
            self._open_case()

    def start_case(self, session: Session, scenario_path: str | None) -> None:
        if self.preset is not None and session.scenario.id == self.preset.session.scenario.id:
            self.play = self.preset
            self.play.autosave(screen="case")
            self._open_case()
            return
        if self._stays_in_workshop():
            return
        path = store.new_save_path(session.scenario.id, session.seed)
        self.play = Play(session, path, scenario_path, on_save_problem=self._save_problem)
        self.play.autosave(screen="case")
        self._open_case()

    def _open_case(self) -> None:
        from tui.screens.case import CaseScreen

        assert self.play is not None
        self._show(CaseScreen(self.play))

    def resume(self, path: Path | None) -> None:
        """Replay a save (the most recent unfinished one by default) and continue it."""
        if self._stays_in_workshop():
            return
        if path is None:
            found = store.latest_unfinished()
            self.tell_set_aside()
            if found is None:
                self.notify("No unfinished case to resume.", severity="warning")
                if len(self.screen_stack) < 2:
                    self.show_picker()
                return
            path = found.path
        from scenarios.loader import LoadError

        try:
            session, ui = store.restore(path)
        except LoadError as exc:  # the save is fine; the scenario file it names is not
            self.notify(f"Could not resume {path.name}: its scenario file cannot be loaded "
                        f"({exc})", severity="error", timeout=12)
            if len(self.screen_stack) < 2:
                self.show_picker()
            return
        except Exception as exc:  # a damaged or outdated save: say so, keep the app usable
            kept = store.set_aside(path)
            store.take_set_aside()
            self.notify(f"Your saved case {path.name} could not be reopened ({exc}). It was "
                        f"set aside and kept as {kept.name}; start a new case.",
                        severity="error", timeout=12)
            if len(self.screen_stack) < 2:
                self.show_picker()
            return
        self.play = Play(session, path, ui.get("scenario_path"), ui.get("draft") or {},
                         dict(ui.get("wall") or {}), on_save_problem=self._save_problem)
        if session.finished:
            self.show_debrief()
        else:
            self._open_case()

    SAVE_RETRY_SECONDS = 5.0

    def _save_problem(self, reason: str | None) -> None:
        """A save failed (reason) or worked again (None): tell the trainee, retry meanwhile."""
        if reason is None:
            self.notify("Your case is saved again.", timeout=6)
            return
        self.notify(f"Your case could not be saved ({reason}). Nothing is lost: it is kept "
                    "in memory and saving is retried every few seconds. Keep this window "
                    "open until it says it is saved again.", severity="error", timeout=20)
        if self._save_timer is None:
            self._save_timer = self.set_interval(self.SAVE_RETRY_SECONDS, self._retry_save)

    def _retry_save(self) -> None:
        play = self.play
        done = play is None or play.save_problem is None or play.autosave(screen="case")
        if done and self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None

    def save_now(self) -> bool:
        """A last save (e.g. after a crash); False when there is nothing or it failed."""
        return self.play is not None and self.play.autosave()

    def show_debrief(self) -> None:
        from tui.screens.debrief import DebriefScreen

        assert self.play is not None
        self._show(DebriefScreen(self.play))

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"


def build_app(scenario: str | None = None, seed: int | None = None, *,
              start: Start | None = None, resume: bool = False,
              resume_path: Path | None = None, prompt_resume: bool = True,
              theme: str | None = None,
              opening: Callable[[TrainerApp], None] | None = None) -> TrainerApp:
    """The trainer app.

    ``scenario`` is a bundled id or a YAML path (its briefing opens); without one the
    picker opens, or with ``start="briefing"`` the default scenario's briefing.
    ``resume`` continues the most recent unfinished autosave (or ``resume_path``).
    ``opening`` replaces the first screen: called on mount, it shows what it needs and then
    calls `TrainerApp.open_play` (workshops use it to ask for a name and join).
    """
    if opening is not None:
        return TrainerApp("play", prompt_resume=False, theme=theme, opening=opening)
    if resume or resume_path is not None:
        return TrainerApp("resume", resume_path=resume_path, prompt_resume=False, theme=theme)
    loaded, path = (None, None) if scenario is None else load_scenario_ref(scenario)
    chosen: Start = start or ("briefing" if loaded is not None else "picker")
    return TrainerApp(chosen, loaded, path, seed, prompt_resume=prompt_resume, theme=theme)


def load_scenario_ref(ref: str) -> tuple[Scenario | Card, str | None]:
    """A bundled scenario's card by id, or a scenario loaded (and validated) from a YAML
    file; raises LoadError/KeyError."""
    from scenarios.catalogue import bundled_card, bundled_cards

    card = bundled_card(ref)
    if card is not None:
        return card, None
    from scenarios.loader import load_scenario

    if Path(ref).suffix in (".yaml", ".yml") or Path(ref).exists():
        return load_scenario(ref), str(Path(ref).resolve())
    known = ", ".join(sorted(bundled_cards()))
    raise KeyError(f"unknown scenario '{ref}': not a bundled id ({known}) nor a YAML file")
