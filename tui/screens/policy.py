"""Policy panel: the policy's source text with search, and the ladder for your agency."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static, TabbedContent, TabPane, TextArea
from textual.widgets.text_area import Selection

from tui.screens.dialogs import AnswerOnce

if TYPE_CHECKING:
    from scenarios.policy_schema import Policy


def plain_text(source: str) -> str:
    """The source document as a reader sees it: the few HTML tags left over from its
    conversion (<p>, <i>, <br>) become line breaks or nothing, entities become characters."""
    import html
    import re

    text = re.sub(r"</p>[ \t]*<p>|<br\s*/?>", "\n", source, flags=re.IGNORECASE)
    text = re.sub(r"</?(p|i|b|em|strong|u|span)(\s[^>]*)?>", "", text, flags=re.IGNORECASE)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return html.unescape(text)


def find_all(text: str, query: str) -> list[tuple[int, int]]:
    """(row, column) of every case-insensitive match of ``query`` in ``text``."""
    query = query.lower()
    if not query:
        return []
    out = []
    for row, line in enumerate(text.lower().split("\n")):
        start = line.find(query)
        while start != -1:
            out.append((row, start))
            start = line.find(query, start + 1)
    return out


def source_line(policy: Policy) -> str:
    """Whose document this is, how old, and why to check the local procedure. The adopter is
    named here, as the source, and nowhere in a fictional case's debrief."""
    source = policy.source
    adopter = (f", adopted by {source.adopted_by}"
               if source.adopted_by and source.adopted_by not in source.title else "")
    return f"Source: {source.title}{adopter}. {policy.local_check_note()}"


class PolicyScreen(AnswerOnce, Screen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back"),
        Binding("ctrl+f", "search", "Search"),
        Binding("f3", "next_match", "Next match"),
    ]

    def __init__(self, policy: Policy, agencies: list[str]) -> None:
        super().__init__()
        self.policy, self.agencies = policy, agencies
        self.matches: list[tuple[int, int]] = []
        self.current = -1

    def compose(self) -> ComposeResult:
        from scenarios.loader import source_text

        with TabbedContent(id="policy-tabs", initial="policy-text"):
            with TabPane("Policy text", id="policy-text"):
                yield Static(source_line(self.policy), classes="muted", id="policy-source")
                with Horizontal(id="search-bar"):
                    yield Input(placeholder="Search the policy (enter: next match)",
                                id="search")
                    yield Label("", id="match-count", markup=False)
                yield TextArea(plain_text(source_text(self.policy)), read_only=True, soft_wrap=True,
                               show_line_numbers=False, id="policy-body")
            with TabPane("Ladder", id="policy-ladder"), VerticalScroll():
                yield Static(id="ladder", markup=False)
                yield Static(self.policy.day_reading.text, classes="muted", id="reading",
                             markup=False)
                from tui.ladder_table import step_guidance_lines

                yield Static("\n\n".join(step_guidance_lines(self.policy)), id="guidance",
                             markup=False)
            with TabPane("Assumptions", id="policy-assumptions"), VerticalScroll():
                from tui.ladder_table import assumption_lines

                lines = assumption_lines(self.policy) or ["None: the policy states it all."]
                yield Static("\n".join(f"• {line}" for line in lines), id="assumptions",
                             markup=False)
        yield Footer()

    def on_mount(self) -> None:
        from tui.ladder_table import ladder_table

        shown = [a for a in dict.fromkeys(self.agencies)
                 if any(a in step.representation for _, step in self.policy.steps())]
        self.table = ladder_table(self.policy, shown or None)
        self.query_one("#ladder", Static).update(self.table)
        self.query_one("#search", Input).focus()

    @on(Input.Changed, "#search")
    def _search(self, event: Input.Changed) -> None:
        body = self.query_one("#policy-body", TextArea)
        self.matches = find_all(body.text, event.value)
        self.current = -1
        self._next()

    @on(Input.Submitted, "#search")
    def _submit(self, event: Input.Submitted) -> None:
        self._next()

    def action_next_match(self) -> None:
        self._next()

    def action_search(self) -> None:
        self.query_one("#policy-tabs", TabbedContent).active = "policy-text"
        self.query_one("#search", Input).focus()

    def _next(self) -> None:
        count = self.query_one("#match-count", Label)
        query = self.query_one("#search", Input).value
        if not self.matches:
            count.update("no match" if query else "")
            return
        self.current = (self.current + 1) % len(self.matches)
        row, column = self.matches[self.current]
        body = self.query_one("#policy-body", TextArea)
        body.selection = Selection((row, column), (row, column + len(query)))
        body.scroll_cursor_visible(center=True, animate=False)
        count.update(f"{self.current + 1} of {len(self.matches)}")

    def action_close(self) -> None:
        self.dismiss(None)
