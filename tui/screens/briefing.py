"""Briefing: who you are, the (synthetic) child, what worries you, what you know."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Label, Static

from tui.format import audience, clock

if TYPE_CHECKING:
    from scenarios.scenario_schema import Child, Scenario
    from sim.session import Session


class BriefingScreen(Screen):
    """The scenario's briefing; the session is built in a worker while it is read."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "begin", "Start the case"),
        Binding("s", "scenarios", "Scenarios"),
        Binding("p", "policy", "Policy"),
        Binding("escape", "scenarios", "Back", show=False),
    ]

    class Ready(Message):
        def __init__(self, session: Session) -> None:
            super().__init__()
            self.session = session

    def __init__(self, scenario: Scenario, seed: int, scenario_path: str | None) -> None:
        super().__init__()
        self.scenario, self.seed, self.scenario_path = scenario, seed, scenario_path
        self.session: Session | None = None
        self.begin_requested = False

    def compose(self) -> ComposeResult:
        s = self.scenario
        with VerticalScroll(id="briefing"):
            yield Label(s.title, classes="screen-title")
            yield Static(f"{s.difficulty} · {audience(s.audience)} · ~{s.minutes} min · "
                         f"seed {self.seed} · starts {clock(s.start)}", classes="muted")
            yield Label("Who you are", classes="section")
            yield Static(" ".join(s.briefing.split()), id="brief-you")
            yield Label("The child", classes="section")
            yield Static("Preparing the case…", id="brief-child")
            yield Label("What worries you", classes="section")
            yield Static(" ".join(s.worry.split()), id="brief-worry")
            if s.known:
                yield Label("What you know", classes="section")
                yield Static("\n".join(f"• {k}" for k in s.known), id="brief-known")
            yield Label("What you are aiming for", classes="section")
            yield Static("\n".join(f"• {o.text}" for o in s.objectives), id="brief-aims")
            yield Static("All people in this scenario are invented.", classes="muted")
        with Horizontal(classes="buttons"):
            yield Button("Start the case (enter)", id="begin", variant="primary")
            yield Button("Other scenarios (s)", id="scenarios")
            yield Button("Policy (p)", id="policy")
        yield Footer()

    def on_mount(self) -> None:
        if self.scenario.child is not None:
            self._show_child(self.scenario.child)
        self.call_after_refresh(self.prepare)  # paint first, then build the case

    @work(thread=True, exclusive=True)
    def prepare(self) -> None:
        from sim.session import Session

        self.post_message(self.Ready(Session(self.scenario, self.seed)))

    def on_briefing_screen_ready(self, message: Ready) -> None:
        self.session = message.session
        self._show_child(message.session.child)
        if self.begin_requested:
            self.action_begin()

    def _show_child(self, child: Child) -> None:
        s = self.scenario
        family = "; ".join(f"{p.name} ({p.relation})" for p in s.family)
        plan = {"none": "no plan", "CPP": "on a Child Protection Plan",
                "CLA": "a Child Looked After"}[s.plan_status]
        need = s.level_of_need
        level = need.upper() if need.startswith("s") else need.replace("_", " ")
        text = f"{child.name}, {child.age_text} · level of need {level} · {plan}"
        if family:
            text += f"\nFamily: {family}"
        self.query_one("#brief-child", Static).update(text)

    def action_begin(self) -> None:
        if self.session is None:
            self.begin_requested = True
            return
        self.app.start_case(self.session, self.scenario_path)  # type: ignore[attr-defined]

    def action_scenarios(self) -> None:
        self.app.show_picker()  # type: ignore[attr-defined]

    def action_policy(self) -> None:
        from scenarios.loader import get_policy
        from tui.screens.policy import PolicyScreen

        self.app.push_screen(PolicyScreen(get_policy(self.scenario.policy),
                                          [self.scenario.seat.agency, self.scenario.other.agency]))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        {"begin": self.action_begin, "scenarios": self.action_scenarios,
         "policy": self.action_policy}[event.button.id or "begin"]()
