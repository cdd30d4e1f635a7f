"""Drive the real app from the keyboard with Textual's Pilot: one `Action` → the keys a
trainee would press. Tests and benchmarks use it to play scripted players through the UI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Input

from sim import actions as A

if TYPE_CHECKING:
    from textual.pilot import Pilot

    from tui.app import TrainerApp
    from tui.screens.case import CaseScreen


async def settle(pilot: Pilot) -> None:
    """Let keys, workers and the messages they post all finish."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def pick(pilot: Pilot, index: int) -> None:
    await pilot.press(*["down"] * index, "enter")
    await pilot.pause()


def _case(pilot: Pilot) -> CaseScreen:
    from tui.screens.case import CaseScreen

    screen = pilot.app.screen
    assert isinstance(screen, CaseScreen), f"expected the case screen, found {screen!r}"
    return screen


def _index(options: list, match) -> int:
    for index, option in enumerate(options):
        if match(option.action):
            return index
    raise LookupError("the action is not offered now")


async def perform(pilot: Pilot, action: A.Action) -> None:
    """Press the keys that take ``action`` on the case screen, then settle."""
    case = _case(pilot)
    if isinstance(action, A.Contact):
        await pilot.press("c")
        await pilot.pause()
        dialog = pilot.app.screen
        agency = case.session.policy.role(action.role).agency
        agencies = list(dialog.by_agency)  # type: ignore[attr-defined]
        await pick(pilot, agencies.index(agency))
        roles = [o.action.role for o in dialog.by_agency[agency]]  # type: ignore[attr-defined]
        await pick(pilot, roles.index(action.role))
        await pick(pilot, [c for c, _ in dialog.CHANNELS].index(action.channel))  # type: ignore[attr-defined]
        await challenge(pilot, action)
    elif isinstance(action, A.Refer):
        await pilot.press("r")
        await pick(pilot, _index(case.options("refer"), lambda a: a.role == action.role))
        await pilot.press("y")
    elif isinstance(action, A.Escalate):
        target = action.to_step or case.session.ladder[case.session.step_index + 1][1].id
        await pilot.press("e")
        await pick(pilot, _index(case.options("escalate"), lambda a: a.to_step == target))
        await pilot.press("y")
    elif isinstance(action, A.ProfessionalsMeeting):
        await pilot.press("m")
        await pick(pilot, _index(case.options("meeting"),
                                 lambda a: a.decision == action.decision))
    elif isinstance(action, A.Notify):
        await pilot.press("n")
        await pick(pilot, _index(case.options("notify"),
                                 lambda a: a.notification == action.notification))
    elif isinstance(action, A.Record):
        await record(pilot, action)
    elif isinstance(action, A.InformReferrer):
        await pilot.press("i")
    elif isinstance(action, A.ConfirmOutcome):
        await pilot.press("o", "y")
    elif isinstance(action, A.AcceptView):
        await pilot.press("a")
        await pilot.pause()
        pilot.app.screen.query_one("#note", Input).value = action.reason
        await pilot.press("enter")
    elif isinstance(action, A.UseRoute):
        await pilot.press("t")
        await pick(pilot, _index(case.options("route"), lambda a: a.route == action.route))
        await pilot.press("y")
    elif isinstance(action, A.Wait):
        await wait(pilot, action)
    elif isinstance(action, A.Finish):
        await pilot.press("f", "y")
    else:
        raise ValueError(f"no keys for {action!r}")
    await settle(pilot)


async def challenge(pilot: Pilot, action: A.Contact) -> None:
    """In the challenge builder (when contacting the counterpart opened it): build the
    action's challenge part by part with the keys a trainee presses, or escape to call
    without one."""
    from scenarios.conversation_schema import ASK_WORDS
    from tui.screens.challenge import TONES, ChallengeScreen

    await settle(pilot)
    screen = pilot.app.screen
    if not isinstance(screen, ChallengeScreen):
        return
    built = action.challenge
    if built is None:
        await pilot.press("escape")
        return
    concerns = [c.id for c in screen.concerns]
    choose = concerns.index(built.concern) if built.concern in concerns else len(concerns)
    await pilot.press(*["down"] * choose, "enter", "tab")  # the concern
    for fact in screen.facts:  # the facts: space ticks the highlighted one
        await pilot.press(*(["space"] if fact.id in built.facts else []), "down")
    await pilot.press("tab")
    await pilot.press(*(["space"] if built.asks_rationale else []), "tab")
    asks = [None, *ASK_WORDS]
    await pilot.press(*["down"] * asks.index(built.ask), "enter", "tab")
    tones = [t for t, _ in TONES]
    await pilot.press(*["down"] * tones.index(built.tone), "enter", "tab")
    if built.free_text:
        await pilot.press(*built.free_text)
    await pilot.press("ctrl+s")


async def record(pilot: Pilot, action: A.Record) -> None:
    from tui.screens.record_form import RecordFormScreen

    case = _case(pilot)
    await pilot.press("l")
    await pick(pilot, _index(case.options("record"), lambda a: a.record == action.record))
    screen = pilot.app.screen
    if isinstance(screen, RecordFormScreen):
        for index, (name, _) in enumerate(screen.fields):
            if name in action.fields:
                screen.query_one(f"#field-{index}", Input).value = action.fields[name]
        screen.query_one("#field-note", Input).value = action.text
        await pilot.press("ctrl+s")
    else:
        screen.query_one("#note", Input).value = action.text or "Recorded."
        await pilot.press("enter")


async def wait(pilot: Pilot, action: A.Wait) -> None:
    # Read the clock on the case screen, before the dialog covers it.
    until = action.until or (_case(pilot).session.now + _hours(action.hours or 0))
    await pilot.press("w")
    await pilot.pause()
    if action.until is None and action.hours is None:
        await pick(pilot, 0)
        return
    if action.hours == 1 and action.until is None:
        await pick(pilot, 1)
        return
    await pick(pilot, 2)
    pilot.app.screen.query_one("#wait-until", Input).value = until.strftime("%Y-%m-%d %H:%M:%S")
    if not action.stop_at_event:
        await pilot.press("tab", "space", "shift+tab")
    await pilot.press("enter")


def _hours(hours: float):
    from datetime import timedelta

    return timedelta(hours=hours)


async def play_through(pilot: Pilot, player: str = "perfect") -> None:
    """Let a scripted player decide, from the live session, and take each decision by keys."""
    from sim.players import PLAYERS

    app: TrainerApp = pilot.app  # type: ignore[assignment]
    assert app.play is not None
    session = app.play.session
    for action in PLAYERS[player](session):
        if session.finished:
            break
        await perform(pilot, action)
    if not session.finished:
        await perform(pilot, A.Finish())
