"""Small modal dialogs: confirm, choose one option, contact (agency → role → channel),
wait, write a note, resume a saved case."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tui.format import clock

if TYPE_CHECKING:
    from scenarios.policy_schema import Policy
    from sim.observation import ActionOption
    from tui.store import SaveInfo


class AnswerOnce:
    """Screen mixin: dismissed at most once, and only while it is the active screen.

    Two enters arriving together, or an answer landing after another screen covered this
    one, would otherwise run the result callback twice and pop whatever screen is on top.
    """

    _answered = False

    def dismiss(self, result: Any = None) -> AwaitComplete:
        if self._answered or not self.is_active:  # type: ignore[attr-defined]
            return AwaitComplete.nothing()
        self._answered = True
        return super().dismiss(result)  # type: ignore[misc]


class Dialog(AnswerOnce, ModalScreen):
    """A centred box; escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(Dialog):
    """Yes/no for an action that cannot be undone."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"), Binding("n", "answer(False)", "No")]

    def __init__(self, question: str, detail: str = "", yes: str = "Yes, do it") -> None:
        super().__init__()
        self.question, self.detail, self.yes = question, detail, yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-title", markup=False)
            if self.detail:
                yield Static(self.detail, classes="dialog-detail", markup=False)
            with Horizontal(classes="buttons"):
                yield Button(f"{self.yes} (y)", id="yes", variant="warning")
                yield Button("Cancel (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class ChoiceDialog(Dialog):
    """Pick one of some actions the session offers now."""

    def __init__(self, title: str, options: list[ActionOption], hint: str = "") -> None:
        super().__init__()
        self.title_text, self.options, self.hint = title, options, hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            if self.hint:
                yield Static(self.hint, classes="dialog-detail", markup=False)
            yield OptionList(*[Option(o.label, id=str(i)) for i, o in enumerate(self.options)],
                             markup=False)
            yield Static("enter choose · esc cancel", classes="dialog-keys", markup=False)

    def on_mount(self) -> None:
        listing = self.query_one(OptionList)
        listing.highlighted = 0 if self.options else None
        listing.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        index = int(event.option_id) if (event.option_id or "").isdigit() else -1
        if 0 <= index < len(self.options):
            self.dismiss(self.options[index])


class ContactDialog(Dialog):
    """Contact a role: choose the agency, then the role, then phone / e-mail / meeting."""

    CHANNELS = (("phone", "By phone"), ("email", "By e-mail"), ("meeting", "Ask for a meeting"))

    def __init__(self, policy: Policy, options: list[ActionOption],
                 known_as: dict[str, str] | None = None) -> None:
        super().__init__()
        self.policy = policy
        self.known_as = known_as or {}  # role id → how the case names the person in it
        self.by_agency: dict[str, list[ActionOption]] = {}
        for option in options:
            role = policy.role(option.action.role)  # type: ignore[attr-defined]
            self.by_agency.setdefault(role.agency, []).append(option)
        self.agency: str | None = None
        self.role: str | None = None
        self.level = 0  # bumped whenever the list is refilled: older selections are stale

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Contact: choose the agency", id="contact-title", classes="dialog-title",
                        markup=False)
            yield OptionList(id="contact-list", markup=False)
            yield Static("enter choose · esc back", classes="dialog-keys", markup=False)

    def on_mount(self) -> None:
        self._show_agencies()

    def _list(self, title: str, options: list[Option]) -> None:
        self.level += 1
        self.query_one("#contact-title", Label).update(title)
        listing = self.query_one("#contact-list", OptionList)
        # Each id carries the level it was listed at, so a selection made in a list that
        # has since been refilled (two enters arriving together) is recognised and dropped.
        listing.set_options([Option(o.prompt, id=f"{self.level}:{o.id}") for o in options])
        listing.highlighted = 0
        listing.focus()

    def _show_agencies(self) -> None:
        self.agency = self.role = None
        self._list("Contact: choose the agency",
                   [Option(self.policy.agency(a).name, id=a) for a in self.by_agency])

    def _show_roles(self) -> None:
        assert self.agency is not None
        self.role = None
        name = self.policy.agency(self.agency).name
        self._list(f"Contact at {name}: choose the role",
                   [Option(self._role_label(o.action.role),  # type: ignore[attr-defined]
                           id=o.action.role)  # type: ignore[attr-defined]
                    for o in self.by_agency[self.agency]])

    def _role_label(self, role_id: str) -> str:
        title = self.policy.role(role_id).title
        person = self.known_as.get(role_id)
        return f"{title} — {person} in this case" if person and person != title else title

    def _show_channels(self) -> None:
        assert self.role is not None
        who = self.known_as.get(self.role) or self.policy.role(self.role).title
        self._list(f"Contact {who}: how?",
                   [Option(text, id=channel) for channel, text in self.CHANNELS])

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        from sim import actions as A

        level, _, chosen = (event.option_id or "").partition(":")
        if level != str(self.level) or self._answered:
            return  # chosen in a list that has since been refilled
        if self.agency is None:
            self.agency = chosen
            self._show_roles()
        elif self.role is None:
            self.role = chosen
            self._show_channels()
        else:
            self.dismiss(A.Contact(role=self.role, channel=chosen))  # type: ignore[arg-type]

    def action_cancel(self) -> None:
        if self.role is not None:
            self._show_roles()
        elif self.agency is not None:
            self._show_agencies()
        else:
            self.dismiss(None)


WHEN_HELP = "e.g. 14:00 (next time it is 14:00), +2h, +3d, or 2026-03-12 09:00"


def parse_when(text: str, now: datetime) -> datetime:
    """A moment the trainee types, relative to the simulated clock; ValueError says why."""
    text = text.strip()
    if not text:
        raise ValueError("type a time: " + WHEN_HELP)
    if match := re.fullmatch(r"\+\s*(\d+(?:\.\d+)?)\s*([hd])", text, re.I):
        amount = float(match.group(1))
        delta = timedelta(hours=amount) if match.group(2).lower() == "h" else timedelta(
            days=amount)
        if delta <= timedelta(0):
            raise ValueError("the amount must be more than zero")
        return now + delta
    if match := re.fullmatch(r"(\d{1,2})[:.](\d{2})", text):
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour > 23 or minute > 59:
            raise ValueError(f"{text} is not a time of day")
        when = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        return when if when > now else when + timedelta(days=1)
    try:
        when = datetime.fromisoformat(text.replace("/", "-"))
    except ValueError:
        raise ValueError(f"'{text}' is not a time I understand: {WHEN_HELP}") from None
    if when <= now:
        raise ValueError(f"{clock(when)} is not after the current time {clock(now)}")
    return when


class WaitDialog(Dialog):
    """Let time pass: to the next event, one hour, or a chosen moment."""

    def __init__(self, now: datetime) -> None:
        super().__init__()
        self.now = now

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Wait — it is now {clock(self.now)}", classes="dialog-title", markup=False)
            yield OptionList(Option("Until the next thing happens", id="next"),
                             Option("One hour", id="hour"),
                             Option("Until a time I choose (below)", id="until"), id="wait-list",
                             markup=False)
            yield Input(placeholder=WHEN_HELP, id="wait-until")
            yield Checkbox("Stop early if something happens", value=True, id="wait-stop")
            yield Label("", id="wait-error", classes="error", markup=False)
            yield Static("enter choose · esc cancel", classes="dialog-keys", markup=False)

    def on_mount(self) -> None:
        listing = self.query_one("#wait-list", OptionList)
        listing.highlighted = 0
        listing.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        from sim import actions as A

        if event.option_id == "next":
            self.dismiss(A.Wait())
        elif event.option_id == "hour":
            self.dismiss(A.Wait(hours=1))
        else:
            self.query_one("#wait-until", Input).focus()

    @on(Input.Submitted, "#wait-until")
    def _until(self, event: Input.Submitted) -> None:
        from sim import actions as A

        try:
            when = parse_when(event.value, self.now)
        except ValueError as exc:
            self.query_one("#wait-error", Label).update(str(exc))
            return
        stop = self.query_one("#wait-stop", Checkbox).value
        self.dismiss(A.Wait(until=when, stop_at_event=stop))


class NoteDialog(Dialog):
    """A free-text entry: a record without a form (case file, chronology), or the reason
    for accepting the other professional's view."""

    def __init__(self, title: str, placeholder: str = "What you record, with dates (dd/mm/yyyy)",
                 empty: str = "Write what you are recording first.") -> None:
        super().__init__()
        self.title_text, self.placeholder, self.empty = title, placeholder, empty

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield Input(placeholder=self.placeholder, id="note")
            yield Label("", id="note-error", classes="error", markup=False)
            yield Static("enter save · esc cancel", classes="dialog-keys", markup=False)

    @on(Input.Submitted, "#note")
    def _save(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.query_one("#note-error", Label).update(self.empty)
            return
        self.dismiss(event.value.strip())


class ResumePrompt(Dialog):
    """Offered on start when an unfinished case was autosaved."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "answer(True)", "Resume"), Binding("n", "answer(False)", "New")]

    def __init__(self, found: SaveInfo) -> None:
        super().__init__()
        self.found = found

    def compose(self) -> ComposeResult:
        found = self.found
        with Vertical(classes="dialog"):
            yield Label("Resume your unfinished case?", classes="dialog-title", markup=False)
            yield Static(f"{found.title}\nseed {found.seed} · {found.actions} actions taken · "
                         f"case clock at {clock(found.now)}", classes="dialog-detail", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Resume (r)", id="resume", variant="primary")
                yield Button("Start something new (n)", id="new")

    def on_mount(self) -> None:
        self.query_one("#resume", Button).focus()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "resume")
