"""The challenge builder: what the trainee puts to the other professional, from parts.

Opened when the trainee contacts the professional they disagree with. Every part is a
choice the engine can explain (the concern, dated facts from the case, a question about
their rationale, a request, a tone); free text is kept with the challenge but never scored.
Keyboard only: tab between parts, arrows and enter/space to choose, ctrl+s to put it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    Button,
    Checkbox,
    Footer,
    Input,
    Label,
    RadioButton,
    RadioSet,
    SelectionList,
    Static,
)

from scenarios.conversation_schema import ASK_WORDS, Challenge
from tui.screens.dialogs import AnswerOnce

if TYPE_CHECKING:
    from sim.session import Session

NOT_NAMED = "I will not name a concern"
NO_ASK = "Nothing in particular"
TONES = (("curious", "Curious and child-focused: \"Help me understand…\""),
         ("accusatory", "Accusatory: \"You have got this wrong\""))


class ChallengeScreen(AnswerOnce, Screen[Challenge | None]):
    """Build a challenge; dismissed with it (ctrl+s) or with None (call without one)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "put", "Put the challenge", priority=True),
        Binding("escape", "skip", "Call without a challenge"),
    ]

    def __init__(self, session: Session, role_id: str) -> None:
        super().__init__()
        self.session = session
        self.role_id = role_id
        self.concerns = list(session.concerns)
        self.facts = list(session.facts)

    def compose(self) -> ComposeResult:
        them = self.session.title_of(self.role_id)
        yield Label(f"Your challenge to the {them}", classes="screen-title", markup=False)
        with VerticalScroll(id="challenge"):
            yield Static("Build what you will say. Tab moves between the parts; arrows and "
                         "enter choose; space ticks a fact.", classes="muted", markup=False)
            yield Label("1. The concern, stated explicitly", classes="section")
            with RadioSet(id="concern"):
                for concern in self.concerns:
                    yield RadioButton(Text(concern.text))
                yield RadioButton(NOT_NAMED)
            yield Label("2. The facts you put (from the case file and chronology)",
                        classes="section")
            yield SelectionList[str](
                *[(Text(f"{f.on:%d %b %Y} — {f.text}"), f.id) for f in self.facts],
                id="facts")
            yield Label("3. Their rationale", classes="section")
            yield Checkbox("Ask them to explain the reasons for their decision",
                           id="rationale")
            yield Label("4. What you ask for", classes="section")
            with RadioSet(id="ask"):
                yield RadioButton(NO_ASK)
                for words in ASK_WORDS.values():
                    yield RadioButton(words[0].upper() + words[1:])
            yield Label("5. Tone", classes="section")
            with RadioSet(id="tone"):
                for _tone, words in TONES:
                    yield RadioButton(words)
            yield Label("Anything else you say (kept in the record, not scored)",
                        classes="section")
            yield Input(id="free", max_length=2000, placeholder="optional")
        with Horizontal(classes="buttons"):
            yield Button("Put the challenge (ctrl+s)", id="put", variant="primary")
            yield Button("Call without one (esc)", id="skip")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#facts", SelectionList).highlighted = 0 if self.facts else None
        self.query_one("#concern", RadioSet).focus()

    def challenge(self) -> Challenge:
        """The challenge as built so far; parts not chosen are left out."""
        concern = self.query_one("#concern", RadioSet).pressed_index
        ask = self.query_one("#ask", RadioSet).pressed_index
        tone = self.query_one("#tone", RadioSet).pressed_index
        chosen = set(self.query_one("#facts", SelectionList).selected)
        asks = list(ASK_WORDS)
        return Challenge(
            concern=self.concerns[concern].id if 0 <= concern < len(self.concerns) else None,
            facts=tuple(f.id for f in self.facts if f.id in chosen),
            asks_rationale=self.query_one("#rationale", Checkbox).value,
            ask=asks[ask - 1] if 1 <= ask <= len(asks) else None,  # type: ignore[arg-type]
            tone=TONES[tone][0] if tone >= 0 else "curious",  # type: ignore[arg-type]
            free_text=self.query_one("#free", Input).value.strip(),
        )

    def action_put(self) -> None:
        self.dismiss(self.challenge())

    def action_skip(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#free")
    def _submitted(self) -> None:
        self.action_put()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "put":
            self.action_put()
        else:
            self.action_skip()
