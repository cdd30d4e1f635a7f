"""Debrief: score and themes, findings with their citations, your timeline beside what good
looked like, and exports. Scoring and exports run in thread workers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Label, LoadingIndicator, Static

from tui.format import stamp

if TYPE_CHECKING:
    from sim.session import Session
    from sim.timeline import Event
    from tui.app import Play

HIDDEN = frozenset({"start", "finished"})
EXPORTS = {
    "markdown": ("Markdown", "debrief.md"),
    "html": ("HTML", "debrief.html"),
    "appendix1": ("Appendix 1", "appendix1.csv"),
    "appendix2": ("Appendix 2", "appendix2.md"),
    "completion": ("Record", "completion.html"),  # the printable completion record
}
SEVERITY_STYLE = {"critical": "bold red", "major": "bold yellow", "minor": "yellow",
                  "good_practice": "green"}


@dataclass(frozen=True)
class Result:
    assessment: Any
    good: list[Event]
    titles: dict[str, str]
    talk: Any = None  # scoring.conversation_debrief.ConversationDebrief, when there is one


def what_good_looked_like(session: Session) -> Session:
    try:
        from scoring.debrief import what_good_looked_like as good
    except ImportError:
        from sim.players import play
        from tui.store import replay

        return play(replay(session.scenario, {"seed": session.seed, "actions": []}), "perfect")
    return good(session)


def export_text(session: Session, kind: str) -> str:
    if kind in ("markdown", "html"):
        from scoring import debrief

        return (debrief.debrief_markdown if kind == "markdown" else debrief.debrief_html)(session)
    from scoring import exports

    if kind == "appendix1":
        return exports.with_bom(exports.appendix1_csv(session))  # UTF-8 BOM for Excel
    return exports.appendix2_markdown(session)


def _aware(text: str | None) -> Any:
    from datetime import UTC, datetime

    if not text:
        return None
    when = datetime.fromisoformat(text)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def bar(value: float, width: int = 10) -> str:
    filled = round(max(0.0, min(100.0, value)) / 100 * width)
    return "█" * filled + "░" * (width - filled)


class DebriefScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "export('markdown')", "Markdown"),
        Binding("h", "export('html')", "HTML"),
        Binding("1", "export('appendix1')", "Appendix 1"),
        Binding("2", "export('appendix2')", "Appendix 2"),
        Binding("r", "export('completion')", "Completion record"),
        Binding("n", "another", "Another scenario"),
        Binding("escape", "another", "Back", show=False),
    ]

    class Scored(Message):
        def __init__(self, result: Result) -> None:
            super().__init__()
            self.result = result

    class Exported(Message):
        def __init__(self, text: str, ok: bool) -> None:
            super().__init__()
            self.text, self.ok = text, ok

    def __init__(self, play: Play) -> None:
        super().__init__()
        self.play = play
        self.session = play.session
        self.result: Result | None = None

    def compose(self) -> ComposeResult:
        yield Label(f"Debrief: {self.session.scenario.title}", classes="screen-title",
                    id="debrief-title", markup=False)
        yield LoadingIndicator(id="scoring")
        with VerticalScroll(id="debrief"):
            with Horizontal(id="score-row"):
                yield Static(id="score", markup=False)
                yield Static(id="themes", markup=False)
            yield Label("Findings", classes="section", markup=False)
            yield Static(id="findings", markup=False)
            yield Label("What happened because of the delay", classes="section",
                        id="delay-title", markup=False)
            yield Static(id="delay", markup=False)
            yield Label("Your challenge beside the model challenge", classes="section",
                        id="talk-title", markup=False)
            yield Static(id="talk", markup=False)
            with Horizontal(id="timelines"):
                with Vertical():
                    yield Label("Your timeline", classes="section", markup=False)
                    yield Static(id="mine", markup=False)
                with Vertical():
                    yield Label("What good looked like", classes="section", markup=False)
                    yield Static(id="good", markup=False)
            yield Static(self.session.policy.local_check_note(), classes="muted",
                         id="local-check", markup=False)
        with Horizontal(classes="buttons", id="export-buttons"):
            for kind, (label, _) in EXPORTS.items():
                yield Button(label, id=f"export-{kind}")
            yield Button("Another scenario (n)", id="another", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#debrief").display = False
        self.score()

    @work(thread=True, exclusive=True, group="score")
    def score(self) -> None:
        from scoring import evaluate
        from scoring.model import THEME_TITLES

        assessment = evaluate(self.session)
        good = what_good_looked_like(self.session)
        try:
            from scoring.conversation_debrief import conversation_debrief
        except ImportError:
            talk = None
        else:
            talk = conversation_debrief(self.session, good)
        self.post_message(self.Scored(Result(assessment, _shown(good.timeline),
                                             dict(THEME_TITLES), talk)))

    def on_debrief_screen_scored(self, message: Scored) -> None:
        from scoring.score import cap_words

        self.result = result = message.result
        a = result.assessment
        self.query_one("#scoring").display = False
        self.query_one("#debrief").display = True
        score = Text(f"{a.score:g}", style="bold")
        score.append(" / 100\n")
        problems = [f for f in a.findings if f.severity != "good_practice"]
        score.append(f"{len(problems)} finding(s)", style="dim")
        if a.capped:
            score.append("\n" + cap_words(a.score, a.findings), style="bold red")
        self.query_one("#score", Static).update(score)
        themes = Text()
        for key, value in a.themes.items():
            themes.append(f"{result.titles.get(key, key):<14}{bar(value)} {value:>3.0f}\n")
        self.query_one("#themes", Static).update(themes)
        self.query_one("#findings", Static).update(self._findings(a.findings))
        from scoring.delay import delay_consequences

        delay = delay_consequences(self.session)
        self.query_one("#delay", Static).update(_delay(delay))
        self.query_one("#delay").display = self.query_one("#delay-title").display = bool(delay)
        self.query_one("#talk", Static).update(_talk(result.talk))
        self.query_one("#talk").display = self.query_one("#talk-title").display = bool(
            result.talk)
        self.query_one("#mine", Static).update(_timeline(_shown(self.session.timeline)))
        self.query_one("#good", Static).update(_timeline(result.good))

    def _findings(self, findings: list[Any]) -> Text:
        text = Text()
        if not findings:
            text.append("No findings: every rule checked was followed.", style="green")
        names = {stage.id: stage.name for stage in self.session.policy.stages}
        for f in findings:
            text.append(f"{f.rule} ", style="bold reverse")
            text.append(f" {f.severity.replace('_', ' ')}", style=SEVERITY_STYLE.get(
                f.severity, ""))
            where = " · ".join(x for x in (names.get(f.stage or "", ""),
                                           stamp(f.at) if f.at else "") if x)
            text.append(f"  {where}\n" if where else "\n", style="dim")
            text.append("  Expected: ", style="bold")
            text.append(f"{f.expected}\n")
            text.append("  Observed: ", style="bold")
            text.append(f"{f.observed}\n")
            clause = getattr(f, "clause", "")
            text.append(f"  “{f.citation}”", style="italic")
            text.append(f" ({clause})\n\n" if clause else "\n\n", style="dim")
        return text

    def action_export(self, kind: str) -> None:
        if self.result is None:
            self.notify("Still scoring…")
            return
        self._export(kind)

    @work(thread=True, group="export")
    def _export(self, kind: str) -> None:
        from tui.store import exports_dir, write_atomic

        session = self.session
        name = f"{session.scenario.id}-seed{session.seed}-{EXPORTS[kind][1]}"
        path = exports_dir() / name
        try:
            if kind == "completion":
                from scoring.exports import completion_html

                wall = self.play.wall_clock()
                text = completion_html(session, None, _aware(wall.get("started")),
                                       _aware(wall.get("ended") or wall.get("updated")),
                                       wall.get("seconds"))
            else:
                text = export_text(session, kind)
            write_atomic(path, text)
        except Exception as exc:  # an export the policy cannot give: say so, keep going
            self.post_message(self.Exported(f"{EXPORTS[kind][0]}: {exc}", False))
            return
        self.post_message(self.Exported(f"Saved {path}", True))

    def on_debrief_screen_exported(self, message: Exported) -> None:
        self.notify(message.text, severity="information" if message.ok else "error",
                    timeout=6)

    def action_another(self) -> None:
        self.app.show_picker()  # type: ignore[attr-defined]

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button = event.button.id or ""
        if button == "another":
            self.action_another()
        else:
            self.action_export(button.removeprefix("export-"))


def _shown(timeline: list[Event]) -> list[Event]:
    return [e for e in timeline if e.kind not in HIDDEN]


def _timeline(events: list[Event]) -> Text:
    text = Text()
    for event in events:
        text.append(f"{stamp(event.at)}\n", style="dim")
        style = "bold" if event.kind == "action" else ""
        text.append(f"{event.text}\n", style=style)
    return text


def _talk(talk: Any) -> Text:
    """Each challenge put and its answer, the model challenge, and what made the difference."""
    text = Text()
    if not talk:
        return text
    for line in talk.difference:
        text.append(f"• {line}\n")
    for exchange in talk.yours:
        text.append(f"\nYou ({exchange.at}): ", style="bold")
        text.append(f"{exchange.said}\n")
        for line in exchange.reply:
            text.append(f"  {line}\n", style="italic")
        text.append(f"  Outcome: {exchange.outcome}\n", style="dim")
    if talk.model is not None:
        text.append("\nThe model challenge: ", style="bold green")
        text.append(f"{talk.model.said}\n")
        for line in talk.model.reply:
            text.append(f"  {line}\n", style="italic")
    return text


def _delay(consequences: list[Any]) -> Text:
    """Each consequence of delay: what happened and why, or that acting in time averted it."""
    text = Text()
    for c in consequences:
        if c.happened:
            text.append(f"{stamp(c.at) if c.at else 'Later'} ", style="bold red")
            text.append(f"{c.text}\n")
            text.append(f"  {c.because}\n\n", style="dim")
        else:
            text.append(f"{c.because} ", style="green")
            text.append(f"This did not happen: {c.text}\n\n", style="dim")
    return text

