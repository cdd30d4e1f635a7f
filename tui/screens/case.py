"""The case screen: clock, deadlines, inbox, case file, chronology, records and actions.

Everything shown comes from `Session.observe()` (and the session's timeline and records);
every decision goes to `Session.act`. Waits run in a thread worker so a long wait never
freezes the screen; the session autosaves after every action.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Label, OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from tui.format import clock, stamp
from tui.screens.dialogs import (
    ChoiceDialog,
    ConfirmDialog,
    ContactDialog,
    NoteDialog,
    WaitDialog,
)

if TYPE_CHECKING:
    from scenarios.conversation_schema import Challenge
    from sim.actions import Action
    from sim.observation import ActionOption, DeadlineView, Observation
    from sim.timeline import Event
    from tui.app import Play

# key, menu label, footer label, handler, option groups the session must offer for it
MENU: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    ("c", "Contact someone…", "Contact", "contact", ("contact",)),
    ("r", "Refer to front door…", "Refer", "refer", ("refer",)),
    ("e", "Escalate…", "Escalate", "escalate", ("escalate",)),
    ("m", "Professionals meeting…", "Meeting", "meeting", ("meeting",)),
    ("n", "Notify (e.g. the IRO)…", "Notify", "notify", ("notify",)),
    ("l", "Record…", "Record", "record", ("record",)),
    ("i", "Inform the referrer", "Inform", "inform", ("communicate",)),
    ("o", "Confirm outcome in writing", "Confirm", "confirm_outcome", ("communicate",)),
    ("a", "Accept their view…", "Accept", "accept", ("accept",)),
    ("t", "Outside the ladder…", "Outside", "route", ("route",)),
    ("w", "Wait…", "Wait", "wait", ("time",)),
    ("p", "Policy and ladder", "Policy", "policy", ()),
    ("f", "Finish the exercise", "Finish", "finish", ("finish",)),
)
TABS = ("inbox", "casefile", "chronology", "records")
TAB_TEXTS = frozenset(f"#{tab}-text" for tab in TABS)
INLINE_WAIT = 24.0  # simulated hours a wait may cover and still run on the UI thread
DEADLINE_STATES = ("met", "breached", "open", "pending", "moot", "soon")
RISKY_KINDS = frozenset({"immediate_risk", "injury", "disclosure", "deadline"})


class CaseScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [
        *[Binding(key, f"menu('{handler}')", short, show=key in "crewlpf")
          for key, _, short, handler, _ in MENU],
        *[Binding(str(n), f"tab('{tab}')", tab, show=False) for n, tab in enumerate(TABS, 1)],
    ]

    class Acted(Message):
        def __init__(self, events: list[Event]) -> None:
            super().__init__()
            self.events = events

    class Refused(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self, play: Play) -> None:
        super().__init__()
        self.play = play
        self.session = play.session
        self.busy = False
        self.new: set[int] = set()
        self.obs: Observation = self.session.observe()
        self.shown: dict[str, object] = {}
        self.keep: int | None = None

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        with Horizontal(id="clockbar"):
            yield Static(id="clock", markup=False)
            yield Static(id="day", markup=False)
            yield Static(id="hours", markup=False)
            yield Static(id="risk", markup=False)
        yield Static(id="stagebar", markup=False)
        yield Horizontal(*[Static(classes="deadline", id=f"dl-{stage.id}", markup=False)
                           for stage in self.session.policy.stages],
                         Static(classes="deadline also", id="dl-also", markup=False),
                         id="deadlines")
        with Horizontal(id="body"):
            with Vertical(id="actions-panel"):
                yield Label("Actions", classes="panel-title", markup=False)
                yield OptionList(*[Option(Text(f"[{key}] {label}"), id=handler)
                                   for key, label, _, handler, _ in MENU], id="actions",
                                 markup=False)
            with TabbedContent(id="tabs", initial="inbox"):
                for tab, title in zip(TABS, ("Inbox", "Case file", "Chronology", "Records"),
                                      strict=True):
                    with TabPane(title, id=tab), VerticalScroll():
                        yield Static(id=f"{tab}-text", classes="tab-text", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.render_all()
        self.query_one("#actions", OptionList).focus()

    # ------------------------------------------------------------------ rendering

    def render_all(self) -> None:
        """Bring every widget up to date, touching only those whose content changed."""
        self.obs = obs = self.session.observe()
        self._set("#clock", Text(clock(obs.now), style="bold"))
        self._flag("#day", obs.working_day, "working day", "not a working day")
        self._flag("#hours", obs.office_hours, "office hours", "out of hours")
        self._set("#risk", "IMMEDIATE RISK" if obs.immediate_risk else "")
        _toggle(self.query_one("#risk", Static), alarm=obs.immediate_risk)
        self._stagebar(obs)
        self._deadlines(obs.deadlines)
        self._also_due(obs.also_due)
        self._menu(obs)
        self._render_tab(self.query_one("#tabs", TabbedContent).active)

    def _render_tab(self, tab: str) -> None:
        """Only the visible tab is rendered; the others when they are opened."""
        content = {"inbox": lambda: self._inbox(self.obs.messages),
                   "casefile": lambda: self._casefile(self.obs),
                   "chronology": self._chronology, "records": self._records}.get(tab)
        if content is not None:
            self._set(f"#{tab}-text", content())

    @on(TabbedContent.TabActivated, "#tabs")
    def _tab_opened(self, event: TabbedContent.TabActivated) -> None:
        self._render_tab(event.pane.id or "")

    def _set(self, selector: str, content: Text | str) -> None:
        old = self.shown.get(selector)
        if old != content:
            self.shown[selector] = content
            # One-line widgets keep their size when the text keeps its length (the clock
            # ticking, a deadline counting down): then a repaint will do, not a re-layout.
            same_size = (old is not None and selector not in TAB_TEXTS
                         and _cells(old) == _cells(content))
            self.query_one(selector, Static).update(content, layout=not same_size)

    def _flag(self, selector: str, on_: bool, yes: str, no: str) -> None:
        self._set(selector, f"● {yes}" if on_ else f"○ {no}")
        _toggle(self.query_one(selector, Static), on=on_, off=not on_)

    def _stagebar(self, obs: Observation) -> None:
        text = Text()
        text.append(obs.stage_name, style="bold")
        text.append(f" › {obs.step_action} · ")
        text.append(obs.status, style="bold reverse" if obs.status != "open" else "")
        if self.busy:
            text.append("  ⏳ time is passing…", style="italic")
        self._set("#stagebar", text)

    def _deadlines(self, views: list[DeadlineView]) -> None:
        for stage in self.session.policy.stages:
            widget = self.query_one(f"#dl-{stage.id}", Static)
            view = stage_view([v for v in views if v.stage == stage.id], stage.id)
            short = stage.name.split(" – ")[0].replace("Stage ", "S")
            if view is None:
                self._set(f"#dl-{stage.id}", f"{short} no deadline")
                continue
            self._set(f"#dl-{stage.id}", deadline_text(short, view))
            tip = Text(f"{view.label}: {view.policy_text}")
            if widget.tooltip != tip:
                widget.tooltip = tip
            soon = view.state == "open" and (view.working_days_left or 0) <= 1
            shown = "soon" if soon else view.state
            _toggle(widget, **{state: state == shown for state in DEADLINE_STATES})

    def _also_due(self, views: list[DeadlineView]) -> None:
        """The soonest duty due beside the ladder (a sub-procedure's step, a fresh referral,
        a letter after the outcome), with the rest in its tooltip; hidden when none is."""
        widget = self.query_one("#dl-also", Static)
        widget.display = bool(views)
        if not views:
            return
        first = views[0]
        text = deadline_text("Also", first)
        text.append(f" {first.label}" + (f" +{len(views) - 1}" if len(views) > 1 else ""))
        self._set("#dl-also", text)
        tip = Text("\n".join(f"{v.label}: due {v.due:%a %d %b %H:%M}" + (
            f" ({v.policy_text})" if v.policy_text else "") for v in views if v.due))
        if widget.tooltip != tip:
            widget.tooltip = tip
        _toggle(widget, **{state: state == first.state for state in DEADLINE_STATES})

    def _menu(self, obs: Observation) -> None:
        offered = {o.group for o in obs.options}
        listing = self.query_one("#actions", OptionList)
        if self.busy and listing.highlighted is not None and self.keep is None:
            self.keep = listing.highlighted  # disabling moves the highlight; put it back after
        for *_, handler, groups in MENU:
            available = not self.busy and all(g in offered for g in groups)
            if handler == "policy":
                available = True
            if listing.get_option(handler).disabled == available:
                if available:
                    listing.enable_option(handler)
                else:
                    listing.disable_option(handler)
        if not self.busy and self.keep is not None:
            if not listing.get_option_at_index(self.keep).disabled:
                listing.highlighted = self.keep
            self.keep = None

    def _inbox(self, messages: list[Event]) -> Text:
        text = Text()
        if not messages:
            text.append("Nothing yet. Replies, silences and new information arrive here.",
                        style="dim")
        for event in messages:
            style = "bold red" if event.kind in RISKY_KINDS or event.data.get(
                "immediate_risk") else ("bold" if id(event) in self.new else "")
            marker = "● " if id(event) in self.new else "  "
            text.append(f"{marker}{stamp(event.at)} ", style="dim")
            text.append(f"{event.text}\n", style=style)
        return text

    def _casefile(self, obs: Observation) -> Text:
        text = Text()
        for key, value in obs.facts.items():
            text.append(f"{key}: ", style="bold")
            text.append(f"{value}\n")
        text.append("\nWhat worries you\n", style="bold")
        text.append(" ".join(self.session.scenario.worry.split()) + "\n")
        text.append("\nWhat you know\n", style="bold")
        for fact in obs.known:
            text.append(f"• {fact}\n")
        policy = self.session.policy
        text.append(f"\nAt {obs.stage_name} the procedure names\n", style="bold")
        # The case file is a narrow panel: roles by their short labels (the policy screen
        # keeps the representation table's titles verbatim).
        mine = ", ".join(policy.role(r).label for r in obs.your_roles) or "—"
        theirs = ", ".join(policy.role(r).label for r in obs.their_roles) or "—"
        text.append(f"Your agency: {mine}\nTheir agency: {theirs}\n")
        return text

    def _chronology(self) -> Text:
        text = Text()
        for event in self.session.timeline:
            text.append(f"{stamp(event.at)} ", style="dim")
            style = "bold" if event.kind in ("action", "stage", "resolved") else ""
            text.append(f"{event.text}\n", style=style)
        return text

    def _records(self) -> Text:
        text = Text()
        policy = self.session.policy
        if not self.session.records:
            text.append("Nothing recorded yet. Every escalation step must be recorded "
                        "(press l).", style="dim")
        for entry in self.session.records:
            known = {r.id: r.title for r in policy.records}
            title = known.get(entry["record"], entry["record"])
            text.append(f"{entry['at'][:16].replace('T', ' ')} ", style="dim")
            text.append(f"{title}", style="bold")
            text.append(f" ({policy.stage(entry['stage']).name})\n")
            for name, value in entry.get("fields", {}).items():
                text.append(f"    {name}: {value}\n")
            if entry.get("text"):
                text.append(f"    {entry['text']}\n")
        return text

    # ------------------------------------------------------------------ acting

    def perform(self, action: Action | None) -> None:
        """Take one action: short ones at once, waits in a worker."""
        if action is None or self.busy or self.session.finished:
            return
        if self not in self.app.screen_stack:
            return  # a dialog's answer arriving after this case was closed (workshop ended)
        # A workshop's actions go through a shared database that another process may hold
        # locked for a moment: take them in a worker too, so the screen never freezes.
        shared = getattr(self.session, "participant", None) is not None
        if shared or (action.kind == "wait" and not self._short_wait(action)):
            self.busy = True
            self.render_all()
            self._act_in_thread(action)
            return
        from sim.session import SessionError

        try:
            events = self.session.act(action)
        except SessionError as exc:
            self.notify(str(exc), severity="warning")
            return
        self.after(events)

    def _short_wait(self, action: Action) -> bool:
        """A wait of at most `INLINE_WAIT` simulated hours runs a handful of events (well
        under a millisecond) and is taken at once; a thread's round trip would cost more
        than the wait. Longer waits, and waits for the next event, go to a worker."""
        from datetime import timedelta

        hours = getattr(action, "hours", None)
        until = getattr(action, "until", None)
        if hours is not None:
            return hours <= INLINE_WAIT
        return until is not None and until - self.session.now <= timedelta(hours=INLINE_WAIT)

    @work(thread=True, exclusive=True, group="act")
    def _act_in_thread(self, action: Action) -> None:
        from sim.session import SessionError

        try:
            self.post_message(self.Acted(self.session.act(action)))
        except SessionError as exc:
            self.post_message(self.Refused(str(exc)))

    def on_case_screen_acted(self, message: Acted) -> None:
        self.busy = False
        self.after(message.events)

    def on_case_screen_refused(self, message: Refused) -> None:
        self.busy = False
        self.render_all()
        self.notify(message.reason, severity="warning")

    def after(self, events: list[Event]) -> None:
        self.play.autosave(screen="case")
        self.new = {id(e) for e in events}
        if self.session.finished:
            self.app.show_debrief()  # type: ignore[attr-defined]
            return
        self.render_all()
        if any(e.kind in RISKY_KINDS or e.data.get("immediate_risk") for e in events):
            self.app.bell()
        if any(e in self.obs.messages for e in events):
            self.query_one("#tabs", TabbedContent).active = "inbox"
            # After the next refresh, when the new messages are laid out: scrolling now
            # would stop at the old end (and how far it got would depend on timing).
            inbox = self.query_one("#inbox-text", Static).parent
            self.call_after_refresh(inbox.scroll_end, animate=False)  # type: ignore[union-attr]

    # ------------------------------------------------------------------ the menu

    def options(self, group: str) -> list[ActionOption]:
        return [o for o in self.obs.options if o.group == group]

    @on(OptionList.OptionSelected, "#actions")
    def _menu_chosen(self, event: OptionList.OptionSelected) -> None:
        self.action_menu(event.option_id or "")

    def action_menu(self, handler: str) -> None:
        entry = next((m for m in MENU if m[3] == handler), None)
        if entry is None or self.busy or self.session.finished:
            return
        offered = {o.group for o in self.obs.options}
        if not all(group in offered for group in entry[4]):
            self.notify(f"'{entry[1].rstrip('…')}' is not possible now.", severity="warning")
            return
        getattr(self, f"_do_{handler}")()

    def action_tab(self, tab: str) -> None:
        self.query_one("#tabs", TabbedContent).active = tab

    def _confirm(self, action: Action, question: str, detail: str = "") -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.perform(action)

        self.app.push_screen(ConfirmDialog(question, detail or "This cannot be undone."),
                             answered)

    def _choose(self, title: str, group: str, then: Callable[[ActionOption], None],
                hint: str = "") -> None:
        def chosen(option: ActionOption | None) -> None:
            if option is not None:
                then(option)

        self.app.push_screen(ChoiceDialog(title, self.options(group), hint), chosen)

    def _do_contact(self) -> None:
        scenario = self.session.scenario
        people = [p.role for p in (scenario.other, scenario.referrer) if p is not None]
        known_as = {role: self.session.title_of(role) for role in people}
        self.app.push_screen(ContactDialog(self.session.policy, self.options("contact"),
                                           known_as),
                             self._contact_chosen)

    def _contact_chosen(self, action: Action | None) -> None:
        """Contacting the professional you disagree with opens the challenge builder; what
        is built goes with the contact (escape there contacts without a challenge)."""
        from sim.actions import Contact
        from tui.screens.challenge import ChallengeScreen

        if not isinstance(action, Contact) or self.session.status != "open" \
                or self.session.classify(action.role)[0] != "counterpart":
            self.perform(action)
            return

        def built(challenge: Challenge | None) -> None:
            self.perform(action.model_copy(update={"challenge": challenge}))

        self.app.push_screen(ChallengeScreen(self.session, action.role), built)

    def _do_refer(self) -> None:
        hours = "in office hours" if self.obs.office_hours else "out of office hours"
        self._choose("Refer", "refer",
                     lambda o: self._confirm(o.action, f"{o.label}?"),
                     hint=f"It is {stamp(self.obs.now)}, {hours}.")

    def _do_escalate(self) -> None:
        self._choose("Escalate to", "escalate",
                     lambda o: self._confirm(o.action, f"{o.label}?",
                                             "You cannot go back down the ladder."))

    def _do_meeting(self) -> None:
        self._choose("Professionals meeting", "meeting", lambda o: self.perform(o.action))

    def _do_notify(self) -> None:
        self._choose("Notify", "notify", lambda o: self.perform(o.action))

    def _do_record(self) -> None:
        self._choose("Record on", "record", lambda o: self._open_record(o.action.record))  # type: ignore[attr-defined]

    def _open_record(self, record_id: str) -> None:
        from sim import actions as A

        record = self.session.policy.record(record_id)
        if record.fields:
            from tui.screens.record_form import RecordFormScreen

            self.app.push_screen(RecordFormScreen(self.play, record_id), self.perform)
            return

        def written(note: str | None) -> None:
            if note:
                self.perform(A.Record(record=record_id, text=note))

        self.app.push_screen(NoteDialog(f"Record on the {record.title}"), written)

    def _do_inform(self) -> None:
        from sim import actions as A

        self.perform(A.InformReferrer())

    def _do_confirm_outcome(self) -> None:
        from sim import actions as A

        self._confirm(A.ConfirmOutcome(), "Confirm the agreed outcome in writing?",
                      "Sent to the other professional; it cannot be withdrawn.")

    def _do_accept(self) -> None:
        from sim import actions as A

        option = self.options("accept")[0]

        def reasoned(reason: str | None) -> None:
            if reason:
                self.perform(A.AcceptView(reason=reason))

        self.app.push_screen(NoteDialog(f"{option.label}: why?",
                                        "Their reasons, and why they answer your concern",
                                        "Say why you accept their view first."), reasoned)

    def _do_route(self) -> None:
        self._choose("Outside the ladder", "route",
                     lambda o: self._confirm(o.action, f"{o.label}?",
                                             "This is not a professional disagreement; "
                                             "it goes by its own route."))

    def _do_wait(self) -> None:
        self.app.push_screen(WaitDialog(self.obs.now), self.perform)

    def _do_policy(self) -> None:
        from tui.screens.policy import PolicyScreen

        scenario = self.session.scenario
        self.app.push_screen(PolicyScreen(self.session.policy,
                                          [scenario.seat.agency, scenario.other.agency]))

    def _do_finish(self) -> None:
        from sim import actions as A

        self._confirm(A.Finish(), "Finish the exercise and see your debrief?",
                      "No more actions can be taken afterwards.")


def _cells(content: Text | str) -> int:
    return content.cell_len if isinstance(content, Text) else len(content)


def _toggle(widget: Static, **classes: bool) -> None:
    """Set CSS classes only where they change: every class change restyles the widget, and
    re-setting unchanged ones on each action cost most of a render."""
    for name, wanted in classes.items():
        if widget.has_class(name) != wanted:
            widget.set_class(wanted, name)


def stage_view(views: list[DeadlineView], stage_id: str) -> DeadlineView | None:
    """The one deadline the bar shows for a stage: missed beats met beats the stage's own."""
    for state in ("breached", "met"):
        found = next((v for v in views if v.state == state), None)
        if found is not None and not (state == "met" and any(
                v.state == "open" for v in views)):
            return found
    return next((v for v in views if v.item == stage_id), views[-1] if views else None)


def deadline_text(short: str, view: DeadlineView) -> Text:
    marks = {"met": "✓ met", "breached": "✗ missed", "moot": "– n/a", "pending": "· later",
             "guide": "~ guide"}
    text = Text(f"{short} ", style="bold")
    if view.due is None:
        text.append(view.awaiting or "not yet due")
        return text
    text.append(f"{view.due:%a %d %b} ")
    if view.state == "open":
        left = view.working_days_left
        text.append("today" if left == 0 else f"{left}wd")
    else:
        text.append(marks.get(view.state, view.state))
    return text
