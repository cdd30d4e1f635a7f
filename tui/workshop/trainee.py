"""The trainee's side of a workshop in the trainer app: the join screen (name and, to
rejoin, the rejoin key), the "you have joined" note, and the live link to the facilitator
(clock state and injects, polled from the database in a worker)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Input, Label, Static

from tui.app import Play
from tui.screens.dialogs import AnswerOnce
from tui.workshop.service.errors import WorkshopError
from tui.workshop.service.participant import WorkshopParticipant

if TYPE_CHECKING:
    from tui.app import TrainerApp
    from tui.workshop.service.participant import Status
    from tui.workshop.service.store import Store

POLL_SECONDS = 1.0
STATE_NOTES = {
    "lobby": ("Waiting for the facilitator to start the exercise. Read the briefing.",
              "information"),
    "running": ("The facilitator has started the clock: you can act.", "information"),
    "paused": ("The facilitator has paused the exercise: the clock is stopped.", "warning"),
    "ended": ("The facilitator has ended the exercise.", "warning"),
}


@dataclass
class WorkshopPlay(Play):
    """A workshop case: actions are stored by the participant, so "autosave" keeps only
    the UI state (a half-filled form) in the workshop database."""

    participant: WorkshopParticipant | None = None
    _saved_ui: dict[str, Any] | None = None

    def autosave(self, **extra: Any) -> bool:
        if self.participant is None:
            return True
        ui = self.ui(**extra)
        if ui != self._saved_ui:
            try:
                self.participant.save_ui(ui)
            except WorkshopError:
                return False  # only the half-filled form is lost; actions are in the DB
            self._saved_ui = ui
        return True


def play_for(participant: WorkshopParticipant) -> WorkshopPlay:
    try:
        ui = participant.load_ui()
    except (WorkshopError, ValueError):  # busy, or a damaged form draft: start without it
        ui = {}
    if not isinstance(ui, dict):
        ui = {}
    draft = ui.get("draft")
    return WorkshopPlay(participant.session, Path(f"workshop-{participant.code}"), None,
                        dict(draft) if isinstance(draft, dict) else {},
                        participant=participant, _saved_ui=ui)


class JoinScreen(AnswerOnce, Screen[WorkshopParticipant]):
    """Name (and rejoin key) for a trainee who has not given them, e.g. in a browser."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+q", "app.quit", "Quit")]

    def __init__(self, store: Store, code: str, name: str = "", problem: str = "") -> None:
        super().__init__()
        self.store, self.code, self.name_given, self.problem = store, code, name, problem
        self.joining = False

    def compose(self) -> ComposeResult:
        with Vertical(id="join"):
            yield Label(f"Join workshop {self.code}", classes="screen-title", markup=False)
            yield Static("Your name is shown to the facilitator only; the group debrief is "
                         "anonymous. To come back to your case later, join again under the "
                         "same name with your rejoin key.", classes="muted", markup=False)
            yield Label("Your name or a nickname", markup=False)
            yield Input(self.name_given, placeholder="e.g. Sam K", id="join-name",
                        max_length=40)
            yield Label("Rejoin key (only if you have joined before)", markup=False)
            yield Input(placeholder="XXXX-XXXX", id="join-token", max_length=12)
            yield Static(self.problem, id="join-problem", classes="error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Join", id="join-button", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#join-token" if self.name_given else "#join-name", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#join-button")
    def attempt(self) -> None:
        """Join in a worker: a locked database is retried with back-off there, so the
        screen never freezes; a second enter while joining is ignored."""
        if self.joining:
            return
        self.joining = True
        self.query_one("#join-problem", Static).update("Joining…")
        name = self.query_one("#join-name", Input).value
        token = self.query_one("#join-token", Input).value.strip() or None
        self._join(name, token)

    @work(thread=True, exclusive=True, group="join")
    def _join(self, name: str, token: str | None) -> None:
        try:
            participant = WorkshopParticipant.join(self.store, self.code, name, token)
        except WorkshopError as exc:
            self.app.call_from_thread(self._refused, str(exc))
            return
        self.app.call_from_thread(self.dismiss, participant)

    def _refused(self, reason: str) -> None:
        self.joining = False
        self.query_one("#join-problem", Static).update(f"⚠ {reason}")


class JoinedNote(AnswerOnce, ModalScreen[None]):
    """Shown once on first joining: the rejoin key that lets this trainee come back."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter,escape", "close", "Continue")]

    def __init__(self, participant: WorkshopParticipant, saved_locally: bool) -> None:
        super().__init__()
        self.participant, self.saved_locally = participant, saved_locally

    def compose(self) -> ComposeResult:
        p = self.participant
        where = (" It is also saved on this computer, so rejoining here needs only your name."
                 if self.saved_locally else "")
        with Vertical(classes="dialog", id="joined"):
            yield Label(f"You have joined workshop {p.code} as {p.name}", classes="section",
                        markup=False)
            yield Static(Text.assemble("Your rejoin key: ", (p.token, "bold")), id="joined-token")
            yield Static("Write it down: if this window closes, join again with your name and "
                         f"this key and your case continues where you left it.{where}",
                         markup=False)
            yield Button("Continue (enter)", id="joined-ok", variant="primary")

    def action_close(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self) -> None:
        self.dismiss(None)


class Link:
    """The trainee app's live link to the workshop: state changes and injects."""

    def __init__(self, app: TrainerApp, participant: WorkshopParticipant) -> None:
        self.app, self.participant = app, participant
        self.state: str | None = None

    def start(self) -> None:
        self.app.sub_title = f"Workshop {self.participant.code} · {self.participant.name}"
        self.app.set_interval(POLL_SECONDS, self.tick)
        self.tick()

    def tick(self) -> None:
        self.app.run_worker(self._poll, thread=True, exclusive=True, group="workshop-poll")

    def _poll(self) -> None:
        from tui.workshop.service.store import StoreBusy

        try:
            status = self.participant.poll()
        except StoreBusy:
            return  # the database is held elsewhere for a moment: the next tick polls again
        except WorkshopError as exc:
            self.app.call_from_thread(self.app.notify, str(exc), severity="error", timeout=10)
            return
        self.app.call_from_thread(self.show, status)

    def show(self, status: Status) -> None:
        from tui.screens.case import CaseScreen

        if status.state != self.state:
            first = self.state is None
            self.state = status.state
            self.app.sub_title = (f"Workshop {self.participant.code} · {self.participant.name}"
                                  f" · {status.state}")
            if not (first and status.state == "running"):
                note, severity = STATE_NOTES[status.state]
                self.app.notify(note, severity=severity, timeout=8)  # type: ignore[arg-type]
            if status.state == "ended" and self.app.play is not None:
                self.app.show_debrief()
                return
        for event in status.delivered:
            risky = bool(event.data.get("immediate_risk"))
            self.app.notify(f"Facilitator: {event.text}", title="New event",
                            severity="error" if risky else "warning", timeout=15)
        if status.delivered or status.caught_up:
            case = next((s for s in self.app.screen_stack if isinstance(s, CaseScreen)), None)
            if case is not None and not case.busy:
                case.after(status.delivered)
