"""The facilitator's dashboard: who has joined, where each trainee is, the world clock,
injects and the cohort debrief. It polls the workshop database in a thread worker (replays
are incremental, see `Facilitator.sessions`), so the screen never waits on the database."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    Footer,
    Header,
    Input,
    Label,
    OptionList,
    Static,
)

from scoring.standing import VERDICTS
from tui.safety import SafeApp
from tui.workshop.service.errors import WorkshopError
from tui.workshop.service.injects import SCRIPTED

if TYPE_CHECKING:
    from tui.workshop.service.facilitator import Facilitator, Info, Progress

COLUMNS = ("Trainee", "Sim. time", "Stage", "Status", "Progress", "Actions", "Injects", "Seen",
           "Why")
# on track / behind / at risk (scoring.standing): judged on what is due so far, not a score
STANDING_STYLE = dict(zip(VERDICTS, ("green", "bold yellow", "bold red"), strict=True))
BUTTONS = {"start": "Start (s)", "pause": "Pause (p)", "resume": "Resume (r)",
           "end": "End (e)", "debrief": "Debrief (d)"}


class Dashboard(SafeApp, App[None]):
    TITLE = "Workshop dashboard"
    CSS = """
    #state { padding: 0 1; height: 1; text-style: bold; }
    #state.running { background: $success-muted; }
    #state.paused { background: $warning-muted; }
    #state.ended { background: $error-muted; }
    #trainees { height: 1fr; }
    #challenge { height: auto; max-height: 4; padding: 0 1; }
    #controls { height: auto; padding: 0 1; }
    #controls Button { margin-right: 1; min-width: 12; }
    #inject-row { height: auto; padding: 0 1; }
    #inject-text { width: 1fr; }
    #scripted { height: 6; margin: 0 1; }
    #injects-sent { height: auto; max-height: 4; padding: 0 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "clock('start')", "Start"),
        Binding("p", "clock('pause')", "Pause"),
        Binding("r", "clock('resume')", "Resume"),
        Binding("e", "clock('end')", "End"),
        Binding("i", "focus_inject", "Inject"),
        Binding("d", "debrief", "Debrief"),
        Binding("v", "view_cohort", "View debrief"),
        Binding("a", "toggle_names", "Anonymise"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    class Refreshed(Message):
        def __init__(self, info: Info, rows: list[Progress]) -> None:
            super().__init__()
            self.info, self.rows = info, rows

    def __init__(self, facilitator: Facilitator, anonymous: bool = False,
                 interval: float = 1.0, review: bool = False) -> None:
        """``review`` opens it read-only (no clock, no injects); an ended workshop always is."""
        super().__init__()
        self.facilitator = facilitator
        self.anonymous = anonymous
        self.interval = interval
        self.review = review
        self.info: Info | None = None
        self.rows: list[Progress] = []
        self._polling = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="state", markup=False)
        yield DataTable(id="trainees", cursor_type="row", zebra_stripes=True)
        yield Static(id="challenge", markup=False)
        with Horizontal(id="controls"):
            for command, label in BUTTONS.items():
                yield Button(label, id=f"do-{command}")
        with Vertical():
            yield Label(" Inject an event into every session (enter sends; ↑ scripted list)",
                        markup=False)
            with Horizontal(id="inject-row"):
                yield Input(placeholder="e.g. The child arrives with a new bruise",
                            id="inject-text", max_length=500)
                yield Checkbox("immediate risk", id="inject-risk")
            yield OptionList(*[text for text, _ in SCRIPTED], id="scripted", markup=False)
            yield Static(id="injects-sent", markup=False)
        yield Footer()

    @property
    def read_only(self) -> bool:
        """Review only: opened with ``review``, or the workshop has ended."""
        return self.review or (self.info is not None and self.info.state == "ended")

    def on_mount(self) -> None:
        table = self.query_one("#trainees", DataTable)
        for column in COLUMNS:
            table.add_column(column, key=column)
        self.sub_title = f"workshop {self.facilitator.code}"
        self.refresh_data()
        self.set_interval(self.interval, self.refresh_data)

    # ------------------------------------------------------------------ polling

    def refresh_data(self) -> None:
        """Poll now, unless a poll is still running (a slow poll is never cancelled half
        way by the next tick: it finishes, and the tick after it polls again)."""
        if self._polling:
            return
        self._polling = True
        self._poll()

    @work(thread=True, group="poll")
    def _poll(self) -> None:
        from tui.workshop.service.store import StoreBusy

        try:
            info = self.facilitator.info()
            rows = self.facilitator.progress()
        except StoreBusy:
            return  # held elsewhere for a moment: the next poll tries again
        except WorkshopError as exc:
            self.call_from_thread(self.notify, str(exc), severity="error")
            return
        finally:
            self._polling = False
        self.post_message(self.Refreshed(info, rows))

    def on_dashboard_refreshed(self, message: Refreshed) -> None:
        self.info, self.rows = message.info, message.rows
        try:
            self.render_state()
            self.render_table()
        except NoMatches:
            return  # a poll that lands while the app closes: its widgets are already gone

    def render_state(self) -> None:
        info = self.info
        if info is None:
            return
        self.title = info.name
        state = self.query_one("#state", Static)
        finished = sum(r.finished for r in self.rows)
        counts = "  ".join(f"{n} {verdict}" for verdict in STANDING_STYLE
                           if (n := sum(r.standing == verdict for r in self.rows)))
        review = "  ·  review only (v debrief, d export)" if self.read_only else ""
        state.update(f"{info.state.upper()}{review}  ·  join code {info.code}  ·  "
                     f"{len(self.rows)} joined, {finished} finished"
                     + (f"  ·  {counts}" if counts else "")
                     + f"  ·  {info.title} (seed {info.seed})")
        for name in ("lobby", "running", "paused", "ended"):
            state.set_class(info.state == name, name)
        allowed = {"lobby": {"start", "end"}, "running": {"pause", "end"},
                   "paused": {"resume", "end"}, "ended": set()}[info.state]
        if self.read_only:
            allowed = set()
        for command in BUTTONS:
            self.query_one(f"#do-{command}", Button).disabled = (
                command != "debrief" and command not in allowed)
        for widget in ("#inject-text", "#inject-risk", "#scripted"):
            self.query_one(widget).disabled = self.read_only
        sent = "; ".join(f"{seq}. {text}" + (" (risk)" if risk else "")
                         for seq, text, risk in info.injects[-4:])
        self.query_one("#injects-sent", Static).update(f"Sent: {sent}" if sent else "")

    def render_table(self) -> None:
        table = self.query_one("#trainees", DataTable)
        total = len(self.info.injects) if self.info else 0
        seen = set()
        for row in self.rows:
            key = str(row.trainee_id)
            seen.add(key)
            who = row.label if self.anonymous else f"{row.label}: {row.name}"
            status = "finished" if row.finished else row.status
            progress = Text(row.standing, style=STANDING_STYLE.get(row.standing, ""))
            cells = [Text(who), Text(f"{row.now:%a %d %b %H:%M}"),
                     Text(row.stage.split(" – ")[0]),
                     Text(status + (" ⚠ risk" if row.immediate_risk else ""),
                          style="red" if row.immediate_risk and status == "open" else ""),
                     progress, Text(str(row.actions)), Text(f"{row.injects}/{total}"),
                     Text(row.seen[11:19]), Text(row.reason)]
            if key in table.rows:
                for column, value in zip(COLUMNS, cells, strict=True):
                    table.update_cell(key, column, value)
            else:
                table.add_row(*cells, key=key)
        for key in [k for k in table.rows if k.value not in seen]:
            table.remove_row(key)
        self.show_challenge()

    def show_challenge(self) -> None:
        """The highlighted trainee's latest challenge, in their words, and its answer."""
        table = self.query_one("#trainees", DataTable)
        panel = self.query_one("#challenge", Static)
        if not self.rows or table.cursor_row < 0:
            panel.update("")
            return
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        row = next((r for r in self.rows if str(r.trainee_id) == key), None)
        if row is None:
            panel.update("")
            return
        who = row.label if self.anonymous else f"{row.label}: {row.name}"
        panel.update(f"{who} challenged: {row.challenge}" if row.challenge
                     else f"{who} has put no challenge yet.")

    @on(DataTable.RowHighlighted, "#trainees")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_challenge()

    # ------------------------------------------------------------------ commands

    def _refuse_if_read_only(self) -> bool:
        if not self.read_only:
            return False
        why = ("the workshop has ended" if self.info and self.info.state == "ended"
               else "it was opened with 'workshop review'")
        self.notify(f"Review only: {why}. v shows the cohort debrief, d exports it.",
                    severity="warning")
        return True

    def action_clock(self, command: str) -> None:
        if self._refuse_if_read_only():
            return
        if command == "end":  # for everyone, for good: ask first, saying what it does
            from tui.workshop.confirm import ConfirmEnd
            from tui.workshop.service.facilitator import end_warning

            warning = end_warning(self.facilitator.code, self.rows, names=not self.anonymous)
            self.push_screen(ConfirmEnd(self.facilitator.code, warning),
                             lambda yes: self._clock("end") if yes else None)
            return
        self._clock(command)

    @work(thread=True, group="command")
    def _clock(self, command: str) -> None:
        """In a worker: a database another process holds locked is waited for there."""
        try:
            getattr(self.facilitator, command)()
            state = self.facilitator.state
        except WorkshopError as exc:
            self.call_from_thread(self.notify, str(exc), severity="warning")
            return
        self.call_from_thread(self.notify, f"Workshop {self.facilitator.code}: {state}")
        self.call_from_thread(self.refresh_data)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        command = (event.button.id or "").removeprefix("do-")
        if command == "debrief":
            self.action_debrief()
        else:
            self.action_clock(command)

    def action_focus_inject(self) -> None:
        if self._refuse_if_read_only():
            return
        self.query_one("#inject-text", Input).focus()

    def action_toggle_names(self) -> None:
        self.anonymous = not self.anonymous
        self.render_table()

    @on(OptionList.OptionSelected, "#scripted")
    def scripted_chosen(self, event: OptionList.OptionSelected) -> None:
        text, risk = SCRIPTED[event.option_index]
        self.query_one("#inject-text", Input).value = text
        self.query_one("#inject-risk", Checkbox).value = risk
        self.action_focus_inject()

    @on(Input.Submitted, "#inject-text")
    def send_inject(self, event: Input.Submitted) -> None:
        if self._refuse_if_read_only():
            return
        risk = self.query_one("#inject-risk", Checkbox).value
        self._inject(event.value, risk)

    @work(thread=True, group="command")
    def _inject(self, text: str, risk: bool) -> None:
        try:
            seq = self.facilitator.inject(text, risk)
        except WorkshopError as exc:
            self.call_from_thread(self.notify, str(exc), severity="warning")
            return
        self.call_from_thread(self._injected, seq)

    def _injected(self, seq: int) -> None:
        try:
            self.query_one("#inject-text", Input).value = ""
            self.query_one("#inject-risk", Checkbox).value = False
            self.query_one("#trainees", DataTable).focus()
        except NoMatches:
            return  # the dashboard is closing
        self.notify(f"Inject {seq} sent to every trainee.")
        self.refresh_data()

    def action_debrief(self) -> None:
        self._write_debrief()

    @work(thread=True, group="debrief")
    def _write_debrief(self) -> None:
        from tui.store import exports_dir
        from tui.workshop.service.cohort import write_all

        try:
            paths = write_all(self.facilitator.cohort(names=False), exports_dir())
        except (OSError, WorkshopError) as exc:
            self.call_from_thread(self.notify, f"Debrief not written: {exc}", severity="error")
            return
        self.call_from_thread(self.notify, "Cohort debrief (anonymised) written:\n" +
                              "\n".join(str(p) for p in paths), timeout=12)

    def action_view_cohort(self) -> None:
        self._load_cohort()

    @work(thread=True, group="debrief")
    def _load_cohort(self) -> None:
        from tui.workshop.review import CohortView
        from tui.workshop.service.cohort import text

        try:
            cohort = self.facilitator.cohort(names=not self.anonymous)
        except WorkshopError as exc:
            self.call_from_thread(self.notify, f"No debrief: {exc}", severity="error")
            return
        self.call_from_thread(self.push_screen,
                              CohortView(f"Cohort debrief — workshop {cohort.code}",
                                         text(cohort)))
