"""Ending a workshop cannot be undone: the dashboard asks first, saying who is mid-case and
what happens to them (`facilitator.end_warning`)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


class ConfirmEnd(ModalScreen[bool]):
    """Yes ends the workshop for everyone; No, escape or n keeps it going."""

    DEFAULT_CSS = """
    ConfirmEnd { align: center middle; }
    ConfirmEnd > Vertical { width: 64; height: auto; padding: 1 2; border: thick $error;
                            background: $surface; }
    ConfirmEnd #confirm-text { margin-bottom: 1; }
    ConfirmEnd Horizontal { height: auto; }
    ConfirmEnd Button { margin-right: 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "End it"),
        Binding("n,escape", "answer(False)", "Keep going"),
    ]

    def __init__(self, code: str, warning: str) -> None:
        super().__init__()
        self.code, self.warning = code, warning

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"End workshop {self.code}?", classes="screen-title", markup=False)
            yield Static(self.warning, id="confirm-text", markup=False)
            with Horizontal():
                yield Button("End the workshop (y)", id="confirm-yes", variant="error")
                yield Button("Keep going (n)", id="confirm-no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
