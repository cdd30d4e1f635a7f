"""Record forms: a row of the Escalation Summary Log (Appendix 1) or the stage report
(Appendix 2), with the policy's own columns and fields.

The case's facts (the child, dates, roles, the level of need) start filled, as the exports
would write them (previewed on a replayed copy of the session); the fields the policy marks
as written by the trainee (`RecordType.written`: the concern, the disagreement, the actions,
the outcome, next steps, lessons) start empty with a hint, are required, and are scored by
what they say (scoring/recording.py). Only what the trainee typed or changed is saved into
the record. Drafts autosave on every change.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from tui.screens.dialogs import AnswerOnce

if TYPE_CHECKING:
    from sim.session import Session
    from tui.app import Play

DATE = re.compile(r"\d{1,2}/\d{1,2}/\d{4}")
NOTE = "Note"


def preview(session: Session, record_id: str) -> list[tuple[str, str]]:
    """The form's fields as the exports would fill them if the record were made now."""
    from sim import actions as A
    from tui.store import replay

    record = session.policy.record(record_id)
    try:
        from scoring import forms
    except ImportError:
        return [(name, "") for name in record.field_keys]
    copy = replay(session.scenario, session.to_dict())
    copy.act(A.Record(record=record_id))
    if record.kind == "summary_log":
        columns, rows = forms.appendix1_rows(copy)
        return [(c, rows[-1][c] if rows else "") for c in columns]
    if record.kind == "stage_report":
        return forms.appendix2_fields(copy)
    return [(name, "") for name in record.field_keys]


def hints(session: Session, record_id: str) -> dict[str, str]:
    """What belongs in each field the trainee writes (empty where scoring is not installed)."""
    try:
        from scoring import forms
    except ImportError:
        return {}
    return forms.hints(session, record_id)


def problems(values: list[tuple[str, str]], defaults: list[str],
             written: dict[int, str] | None = None) -> dict[int, str]:
    """Field index → what is wrong: a written field left empty (``written``: index → what
    belongs there), an emptied fact the case can fill, a date not dd/mm/yyyy."""
    found: dict[int, str] = {}
    written = written or {}
    for index, ((name, value), default) in enumerate(zip(values, defaults, strict=True)):
        value = value.strip()
        if index in written and not value:
            found[index] = f"required: {written[index]}"
        elif default.strip() and not value:
            found[index] = "required"
        elif value and name.lower().startswith("date") and not _is_date(value):
            found[index] = "a date as dd/mm/yyyy"
    return found


def _is_date(value: str) -> bool:
    if not DATE.fullmatch(value):
        return False
    try:
        datetime.strptime(value, "%d/%m/%Y")
    except ValueError:
        return False
    return True


class RecordFormScreen(AnswerOnce, Screen):
    """Dismisses with a `Record` action, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save record", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, play: Play, record_id: str) -> None:
        super().__init__()
        self.play = play
        self.record = play.session.policy.record(record_id)
        self.fields = preview(play.session, record_id)
        self.defaults = [value for _, value in self.fields]
        self.hints = hints(play.session, record_id)
        written = self.record.written
        # Index → what belongs there, for each field the trainee must write.
        self.required = {i: self.hints.get(name, "write this yourself")
                         for i, (name, _) in enumerate(self.fields)
                         if written.get(name, "optional") != "optional"}

    def compose(self) -> ComposeResult:
        record = self.record
        appendix = f"Appendix {record.appendix}: " if record.appendix else ""
        with VerticalScroll(id="form"):
            yield Label(f"{appendix}{record.title}", classes="screen-title", markup=False)
            yield Static("The case's facts are filled in; write the rest (*) in your own "
                         "words. ctrl+s saves, esc cancels.", classes="muted", markup=False)
            for index, (name, value) in enumerate(self.fields):
                mark = " *" if index in self.required else ""
                yield Label(f"{name}{mark}", classes="field-label", markup=False)
                yield Input(value=value, placeholder=self.hints.get(name, ""),
                            id=f"field-{index}", classes="field")
                yield Label("", id=f"error-{index}", classes="error", markup=False)
            yield Label(NOTE, classes="field-label", markup=False)
            yield Input(placeholder="Anything else for the record (optional)", id="field-note")
        with Horizontal(classes="buttons"):
            yield Button("Save record (ctrl+s)", id="save", variant="primary")
            yield Button("Cancel (esc)", id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        draft = self.play.draft.get(self.record.id) if self.play.draft else None
        if draft:
            for index, value in enumerate(draft.get("values", [])):
                if index < len(self.fields):
                    self.query_one(f"#field-{index}", Input).value = value
            self.query_one("#field-note", Input).value = draft.get("note", "")
        first = min(self.required, default=0)
        self.query_one(f"#field-{first}" if self.fields else "#field-note", Input).focus()

    def values(self) -> list[tuple[str, str]]:
        return [(name, self.query_one(f"#field-{i}", Input).value)
                for i, (name, _) in enumerate(self.fields)]

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if self._answered:
            return  # saved (or cancelled): a late change must not bring the draft back
        note = self.query_one("#field-note", Input).value
        values = [v for _, v in self.values()]
        if values == self.defaults and not note and self.record.id not in self.play.draft:
            return
        self.play.save_draft(self.record.id, values, note)

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        self.focus_next()

    def action_save(self) -> None:
        """Save once every key already sent to the fields has landed. A burst typed (or
        pasted) just before ctrl+s reaches this priority binding while the fields' own queues
        still hold its keys, so each field is asked in turn to call back after them."""
        self._after_fields(list(self.query(Input)))

    def _after_fields(self, fields: list[Input]) -> None:
        if not fields:
            self._save()
            return
        first, *rest = fields
        first.call_later(self._after_fields, rest)

    def _save(self) -> None:
        from sim import actions as A

        if self._answered:
            return  # cancelled (or saved) while the fields were catching up

        values = self.values()
        found = problems(values, self.defaults, self.required)
        for index in range(len(values)):
            message = found.get(index, "")
            self.query_one(f"#error-{index}", Label).update(f"↑ {message}" if message else "")
            self.query_one(f"#field-{index}", Input).set_class(bool(message), "invalid")
        if found:
            first = min(found)
            self.query_one(f"#field-{first}", Input).focus()
            self.notify(f"{len(found)} field(s) need attention: {values[first][0]} is "
                        f"{found[first]}", severity="warning")
            return
        changed: dict[str, str] = {}
        for (name, value), default in zip(values, self.defaults, strict=True):
            if value.strip() != default.strip() and name not in changed:
                changed[name] = value.strip()
        note = self.query_one("#field-note", Input).value.strip()
        self.play.clear_draft(self.record.id)
        self.dismiss(A.Record(record=self.record.id, fields=changed, text=note))

    def action_cancel(self) -> None:
        self.play.clear_draft(self.record.id)
        self.dismiss(None)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()
