"""The cohort debrief on screen, for reviewing a workshop (during it or after it ended)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


class CohortView(ModalScreen[None]):
    """The plain-text cohort debrief (`cohort.text`); escape, q or the button closes it."""

    DEFAULT_CSS = """
    CohortView { align: center middle; }
    CohortView > Vertical { width: 90%; height: 90%; padding: 1 2; border: thick $primary;
                            background: $surface; }
    CohortView VerticalScroll { height: 1fr; }
    CohortView Button { margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "close", "Close")]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.heading, self.text = title, text

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.heading, classes="screen-title", markup=False)
            with VerticalScroll():
                yield Static(self.text, id="cohort-text", markup=False)
            yield Button("Close (escape)", id="cohort-close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#cohort-close", Button).focus()

    def on_button_pressed(self) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
