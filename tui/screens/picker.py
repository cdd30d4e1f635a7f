"""Scenario picker: the bundled scenarios with seat, difficulty, audience and length;
typing filters the list."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, OptionList
from textual.widgets.option_list import Option

from tui.format import audience

if TYPE_CHECKING:
    from scenarios.catalogue import Card


def searchable(card: Card) -> str:
    return " ".join((card.id, card.title, card.seat, card.difficulty,
                     audience(list(card.audience)), card.policy)).lower()


class PickerScreen(Screen):
    """Choose a scenario; enter opens its briefing."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "move(1)", "Next", show=False, priority=True),
        Binding("up", "move(-1)", "Previous", show=False, priority=True),
        Binding("enter", "open", "Open briefing", priority=True),
        Binding("escape", "clear", "Clear filter"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Label("Choose a scenario", classes="screen-title", markup=False)
            yield Input(placeholder="Type to filter: title, seat, difficulty, audience…",
                        id="filter")
            yield OptionList(id="scenarios", markup=False)
            yield Label("", id="picker-count", classes="muted", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        from scenarios.catalogue import bundled_cards

        # Cards read straight from the YAML: the list paints before any validation runs.
        self.scenarios = list(bundled_cards().values())
        self._fill("")
        self.query_one("#filter", Input).focus()

    def _fill(self, query: str) -> None:
        words = query.lower().split()
        shown = [s for s in self.scenarios if all(w in searchable(s) for w in words)]
        listing = self.query_one("#scenarios", OptionList)
        listing.set_options([Option(self._prompt(s), id=s.id) for s in shown])
        if shown:
            listing.highlighted = 0
        total = len(self.scenarios)
        noun = "scenario" if total == 1 else "scenarios"
        count = f"{len(shown)} of {total} {noun}" if words else f"{total} {noun}"
        self.query_one("#picker-count", Label).update(
            count + " · ↑↓ choose · enter open · ctrl+q quit")

    @staticmethod
    def _prompt(card: Card) -> Text:
        text = Text(card.title, style="bold")
        text.append(f"\n  {card.seat}", style="")
        text.append(f"\n  {card.difficulty} · {audience(list(card.audience))} · "
                    f"~{card.minutes} min", style="dim")
        return text

    @on(Input.Changed, "#filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def action_move(self, step: int) -> None:
        listing = self.query_one("#scenarios", OptionList)
        if listing.option_count:
            current = listing.highlighted or 0
            listing.highlighted = max(0, min(listing.option_count - 1, current + step))

    def action_open(self) -> None:
        listing = self.query_one("#scenarios", OptionList)
        if listing.highlighted is None or not listing.option_count:
            self.notify("No scenario matches the filter.", severity="warning")
            return
        self._open(listing.get_option_at_index(listing.highlighted).id)

    def action_clear(self) -> None:
        self.query_one("#filter", Input).value = ""

    @on(OptionList.OptionSelected, "#scenarios")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._open(event.option_id)

    def _open(self, scenario_id: str | None) -> None:
        chosen = next((s for s in self.scenarios if s.id == scenario_id), None)
        if chosen is not None:
            self.app.show_briefing(chosen)  # type: ignore[attr-defined]
