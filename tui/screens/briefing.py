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
    from scenarios.catalogue import Card
    from scenarios.scenario_schema import Child, Scenario
    from sim.session import Session


class BriefingScreen(Screen):
    """The scenario's briefing; the scenario is validated and the session built in a worker
    while it is read (a bundled scenario arrives as a `Card`, read without validation)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "begin", "Start the case"),
        Binding("s", "scenarios", "Scenarios"),
        Binding("p", "policy", "Policy"),
        Binding("escape", "scenarios", "Back", show=False),
    ]

    class Ready(Message):
        def __init__(self, scenario: Scenario, session: Session) -> None:
            super().__init__()
            self.scenario = scenario
            self.session = session

    class Failed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self, subject: Scenario | Card, seed: int, scenario_path: str | None) -> None:
        super().__init__()
        from scenarios.catalogue import Card

        if isinstance(subject, Card):
            self.card, self.scenario = subject, None
        else:
            self.card, self.scenario = Card.of(subject), subject
        self.seed, self.scenario_path = seed, scenario_path
        self.session: Session | None = None
        self.begin_requested = False
        self.failed: str | None = None

    def compose(self) -> ComposeResult:
        c = self.card
        with VerticalScroll(id="briefing"):
            yield Label(c.title, classes="screen-title", markup=False)
            yield Static(f"{c.difficulty} · {audience(list(c.audience))} · ~{c.minutes} min · "
                         f"seed {self.seed} · starts {clock(c.start)}", classes="muted",
                         markup=False)
            yield Label("Who you are", classes="section", markup=False)
            yield Static(" ".join(c.briefing.split()), id="brief-you", markup=False)
            yield Label("The child", classes="section", markup=False)
            yield Static("Preparing the case…", id="brief-child", markup=False)
            yield Label("What worries you", classes="section", markup=False)
            yield Static(" ".join(c.worry.split()), id="brief-worry", markup=False)
            if c.known:
                yield Label("What you know", classes="section", markup=False)
                yield Static("\n".join(f"• {k}" for k in c.known), id="brief-known", markup=False)
            yield Label("What you are aiming for", classes="section", markup=False)
            yield Static("\n".join(f"• {text}" for text in c.objectives), id="brief-aims",
                         markup=False)
            yield Static("All people in this scenario are invented.", classes="muted", markup=False)
        with Horizontal(classes="buttons"):
            yield Button("Start the case (enter)", id="begin", variant="primary")
            yield Button("Other scenarios (s)", id="scenarios")
            yield Button("Policy (p)", id="policy")
        yield Footer()

    def on_mount(self) -> None:
        if self.scenario is not None and self.scenario.child is not None:
            self._show_child(self.scenario, self.scenario.child)
        self.call_after_refresh(self.prepare)  # paint first, then build the case

    @work(thread=True, exclusive=True)
    def prepare(self) -> None:
        from scenarios.loader import LoadError, load_scenario
        from sim.session import Session

        scenario = self.scenario
        if scenario is None:
            try:
                scenario = load_scenario(self.card.path) if self.card.path else None
            except LoadError as exc:
                self.post_message(self.Failed(str(exc)))
                return
            if scenario is None:
                self.post_message(self.Failed(f"scenario '{self.card.id}' has no file"))
                return
        self.post_message(self.Ready(scenario, Session(scenario, self.seed)))

    def on_briefing_screen_ready(self, message: Ready) -> None:
        self.scenario = message.scenario
        self.session = message.session
        self._show_child(message.scenario, message.session.child)
        if self.begin_requested:
            self.action_begin()

    def on_briefing_screen_failed(self, message: Failed) -> None:
        self.failed = message.reason
        self.notify(f"This scenario cannot be played: {message.reason}", severity="error",
                    timeout=10)
        self.query_one("#brief-child", Static).update("This scenario could not be loaded.")

    def _show_child(self, s: Scenario, child: Child) -> None:
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
        if self.failed is not None:
            self.notify("This scenario cannot be played; press s for the others.",
                        severity="warning")
            return
        if self.session is None:
            self.begin_requested = True
            return
        self.app.start_case(self.session, self.scenario_path)  # type: ignore[attr-defined]

    def action_scenarios(self) -> None:
        self.app.show_picker()  # type: ignore[attr-defined]

    def action_policy(self) -> None:
        from scenarios.loader import resolve_policy
        from tui.screens.policy import PolicyScreen

        self.app.push_screen(PolicyScreen(resolve_policy(self.card.policy),
                                          [self.card.seat_agency, self.card.other_agency]))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        {"begin": self.action_begin, "scenarios": self.action_scenarios,
         "policy": self.action_policy}[event.button.id or "begin"]()
