"""The trainer driven through the real app with Pilot: picker, briefing, case, forms,
policy panel, debrief, autosave and resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Input, OptionList, Static

from sim import actions as A
from tui import store
from tui.app import DEFAULT_SCENARIO, build_app
from tui.pilot_driver import perform, play_through, settle
from tui.screens.briefing import BriefingScreen
from tui.screens.case import CaseScreen
from tui.screens.debrief import DebriefScreen
from tui.screens.picker import PickerScreen
from tui.screens.policy import PolicyScreen, find_all
from tui.screens.record_form import RecordFormScreen, problems

FIXTURE = str(Path(__file__).parent / "fixtures" / "scenarios" / "liverpool-health-cpp.yaml")


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """Saves and exports go to a temporary directory, never the real home."""
    monkeypatch.setenv(store.ENV_DIR, str(tmp_path))
    return tmp_path


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def open_case(pilot) -> CaseScreen:
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, CaseScreen)
    return pilot.app.screen


async def test_bare_escalate_opens_default_briefing_and_picker_is_one_key_away():
    app = build_app(None, 1, start="briefing", prompt_resume=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, BriefingScreen)
        assert app.screen.scenario.id == DEFAULT_SCENARIO
        assert "Maisie" in text_of(app, "#brief-child")
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)


async def test_picker_filters_by_typing_and_opens_the_briefing():
    app = build_app(None, 1, prompt_resume=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        listing = app.screen.query_one("#scenarios", OptionList)
        total = listing.option_count
        await pilot.press(*"zzqx")
        assert listing.option_count == 0
        await pilot.press("enter")  # nothing to open: a warning, no crash
        await pilot.press("escape")
        assert listing.option_count == total
        await pilot.press(*"talk first")
        assert listing.option_count == 1
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, BriefingScreen)
        assert app.screen.seed == 1


@pytest.mark.parametrize("ref", [DEFAULT_SCENARIO, FIXTURE])
async def test_perfect_path_scores_100_on_the_debrief(ref):
    app = build_app(ref, 1, prompt_resume=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_case(pilot)
        await play_through(pilot, "perfect")
        await settle(pilot)
        assert isinstance(app.screen, DebriefScreen)
        assert "100 / 100" in text_of(app, "#score")
        assert "No findings" in text_of(app, "#findings")
        assert "check your current local procedure" in text_of(app, "#local-check").lower()


async def test_flawed_path_shows_the_rule_ids_expected():
    """Talk to the social worker but record nothing: L3 (records) on a Liverpool case."""
    app = build_app(FIXTURE, 1, prompt_resume=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_case(pilot)
        await perform(pilot, A.Contact(role="cs.social_worker"))
        await perform(pilot, A.Wait(hours=1))
        await perform(pilot, A.Wait())
        await perform(pilot, A.Wait())
        await perform(pilot, A.Finish())
        await settle(pilot)
        assert isinstance(app.screen, DebriefScreen)
        rules = app.screen.result.assessment.rule_ids
        assert {"L3", "L5"} <= rules
        shown = text_of(app, "#findings")
        for rule in ("L3", "L5"):
            assert f"{rule} " in shown
        assert "“" in shown  # the citation is quoted


async def test_case_screen_shows_clock_indicators_deadlines_and_inbox():
    app = build_app(DEFAULT_SCENARIO, 1, prompt_resume=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_case(pilot)
        assert text_of(app, "#clock") == "Tue 10 Mar 2026 09:30"
        assert "working day" in text_of(app, "#day")
        assert "office hours" in text_of(app, "#hours")
        assert "S1 Wed 11 Mar 1wd" in text_of(app, "#dl-stage1")
        await perform(pilot, A.Contact(role="cs.social_worker", channel="phone"))
        await perform(pilot, A.Wait())
        inbox = text_of(app, "#inbox-text")
        assert "review the decision" in inbox
        assert "met" in text_of(app, "#dl-stage1")


async def test_irreversible_actions_ask_first_and_can_be_cancelled():
    app = build_app(DEFAULT_SCENARIO, 1, prompt_resume=False)
    async with app.run_test(size=(80, 24)) as pilot:
        case = await open_case(pilot)
        await pilot.press("e", "enter")
        await pilot.press("n")
        await pilot.press("f")
        await pilot.press("escape")
        await settle(pilot)
        assert case.session.actions == []
        assert isinstance(app.screen, CaseScreen)


async def test_contact_dialog_goes_agency_then_role_then_channel_and_back():
    app = build_app(DEFAULT_SCENARIO, 1, prompt_resume=False)
    async with app.run_test(size=(80, 24)) as pilot:
        case = await open_case(pilot)
        await pilot.press("c", "enter", "enter")
        title = str(app.screen.query_one("#contact-title").render())
        assert "how?" in title
        await pilot.press("escape", "escape", "escape")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen) and case.session.actions == []


async def test_record_form_validates_and_saves_the_log_row():
    app = build_app(DEFAULT_SCENARIO, 1, prompt_resume=False)
    async with app.run_test(size=(80, 24)) as pilot:
        case = await open_case(pilot)
        await pilot.press("l", "down", "enter")  # case file, then the Escalation Summary Log
        await pilot.pause()
        form = app.screen
        assert isinstance(form, RecordFormScreen)
        labels = [name for name, _ in form.fields]
        assert labels == list(case.session.policy.record("escalation_log").fields)
        concern = labels.index("Concern")
        assert form.query_one(f"#field-{concern}", Input).value == ""  # never pre-written
        await pilot.press("ctrl+s")  # saved empty: refused, nothing recorded
        await pilot.pause()
        assert app.screen is form and case.session.records == []
        error = str(form.query_one(f"#error-{concern}").render())
        assert "required: What worries you about the child, with dated facts" in error
        written = {"Concern": "Hungry, losing weight, a bruise on 03/03/2026.",
                   "Summary of Professional Disagreement": "Social worker closed the case.",
                   "Actions Undertaken Towards Resolution": "Phoned the social worker.",
                   "Outcome of Resolution": "Awaiting their reply."}
        for name, value in written.items():
            form.query_one(f"#field-{labels.index(name)}", Input).value = value
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        [entry] = case.session.records
        assert entry["record"] == "escalation_log"
        assert entry["fields"] == written  # the case's facts stay derived, not copied


def test_form_validation_rules():
    values = [("Concern", ""), ("Date", "31/02/2026"), ("Date completed", "01/03/2026"),
              ("Address", ""), ("Outcome", "")]
    assert problems(values, ["x", "", "", "", ""], {4: "what happened"}) == {
        0: "required", 1: "a date as dd/mm/yyyy", 4: "required: what happened"}


async def test_policy_panel_searches_the_text_and_shows_the_ladder():
    app = build_app(DEFAULT_SCENARIO, 1, prompt_resume=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_case(pilot)
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, PolicyScreen)
        await pilot.press(*"stage 2")
        await pilot.pause()
        count = str(app.screen.query_one("#match-count").render())
        assert count.startswith("1 of ") and count != "1 of 1"
        body = app.screen.query_one("#policy-body")
        assert body.selected_text.lower() == "stage 2"
        await pilot.press("enter")
        assert str(app.screen.query_one("#match-count").render()).startswith("2 of ")
        headers = [column.header for column in app.screen.table.columns]
        assert headers[3:] == ["School", "Children's Services"]
        source = str(app.screen.query_one("#policy-source").render())
        assert source.startswith("Source: Barlows Primary School Escalation Policy")
        assert "11 November 2019" in source
        assert "check your current local procedure" in source.lower()
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)


def test_find_all_is_case_insensitive():
    assert find_all("Day 9\nday 9 and DAY 9", "day 9") == [(0, 0), (1, 0), (1, 10)]
    assert find_all("anything", "") == []


async def test_autosave_after_every_action_then_resume_continues_identically(data_dir):
    steps = [A.Contact(role="cs.social_worker", channel="email"), A.Wait(hours=1),
             A.Record(record="case_file", text="Called the social worker.")]
    later = [A.Wait(), A.InformReferrer()]
    app = build_app(DEFAULT_SCENARIO, 7, prompt_resume=False)
    async with app.run_test(size=(80, 24)) as pilot:
        case = await open_case(pilot)
        for count, action in enumerate(steps, 1):
            await perform(pilot, action)
            saved = json.loads(app.play.save_path.read_text())
            assert len(saved["session"]["actions"]) == count
        before_inbox = text_of(app, "#inbox-text")
        before_clock = text_of(app, "#clock")
        before = case.session.to_dict()
    # quit mid-case, start again: the resume prompt offers the case
    app = build_app(None, prompt_resume=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        assert text_of(app, "#clock") == before_clock
        assert text_of(app, "#inbox-text") == before_inbox
        assert app.screen.session.to_dict() == before
        for action in later:
            await perform(pilot, action)
        resumed = app.play.session.to_dict()
    # the same actions without the interruption give the same case
    app = build_app(DEFAULT_SCENARIO, 7, prompt_resume=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_case(pilot)
        for action in steps + later:
            await perform(pilot, action)
        assert app.play.session.to_dict()["timeline"] == resumed["timeline"]


async def test_resume_flag_and_a_fixture_scenario_from_yaml():
    app = build_app(FIXTURE, 3, prompt_resume=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_case(pilot)
        await perform(pilot, A.Contact(role="cs.social_worker"))
        expected = app.play.session.to_dict()
    app = build_app(resume=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        assert app.play.session.to_dict() == expected


async def test_form_draft_survives_a_closed_terminal():
    app = build_app(DEFAULT_SCENARIO, 1, prompt_resume=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_case(pilot)
        await pilot.press("l", "down", "enter")
        await pilot.pause()
        field = app.screen.focused.id  # the first field the trainee writes (the concern)
        await pilot.press("end", *" (draft)")
        await pilot.pause()
        typed = app.screen.query_one(f"#{field}", Input).value
    app = build_app(resume=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("l", "down", "enter")
        await pilot.pause()
        assert typed == " (draft)"
        assert app.screen.query_one(f"#{field}", Input).value == typed


async def test_resume_of_a_damaged_save_says_so_and_keeps_going(data_dir):
    folder = data_dir / "sessions"
    folder.mkdir()
    (folder / "broken.json").write_text('{"session": {"scenario": "x"')
    assert store.saves() == []
    bad = folder / "bad.json"
    bad.write_text(json.dumps({"session": {"format": 99, "scenario": DEFAULT_SCENARIO,
                                           "seed": 1, "now": "2026-03-10T09:30:00",
                                           "actions": [], "finished": False}}))
    app = build_app(resume=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)


async def test_long_wait_runs_in_a_worker_and_the_ui_stays_live():
    import threading

    app = build_app(DEFAULT_SCENARIO, 1, prompt_resume=False)
    async with app.run_test(size=(80, 24)) as pilot:
        case = await open_case(pilot)
        release = threading.Event()
        real_act = case.session.act

        def slow_act(action):
            if action.kind == "wait":
                release.wait(10)
            return real_act(action)

        case.session.act = slow_act
        await pilot.press("w", "enter")
        await pilot.pause()
        assert case.busy and "time is passing" in text_of(app, "#stagebar")
        await pilot.press("i", "1", "2")  # the UI answers; actions wait their turn
        assert case.session.actions == []
        release.set()
        await settle(pilot)
        assert [a.kind for _, a in case.session.actions] == ["wait"]
        assert not case.busy


async def test_theme_toggles_between_light_and_dark():
    app = build_app(None, 1, prompt_resume=False)
    async with app.run_test(size=(80, 24)) as pilot:
        dark = app.current_theme.dark
        await pilot.press("ctrl+t")
        assert app.current_theme.dark is not dark


async def test_resizing_never_breaks_the_layout():
    app = build_app(DEFAULT_SCENARIO, 1, prompt_resume=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_case(pilot)
        for size in ((40, 12), (200, 60), (80, 24), (20, 8), (120, 40)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
        assert isinstance(app.screen, CaseScreen)
        assert app.screen.query_one("#actions").region.width > 0


async def test_debrief_export_buttons_write_files(data_dir):
    app = build_app(FIXTURE, 1, prompt_resume=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_case(pilot)
        await play_through(pilot, "perfect")
        await settle(pilot)
        for key in ("m", "h", "1", "2", "r"):
            await pilot.press(key)
            await settle(pilot)
        await pilot.click("#export-html")
        await settle(pilot)
    written = {p.name for p in (data_dir / "exports").iterdir()}
    stem = "tui-fixture-health-cpp-seed1-"
    assert {f"{stem}debrief.md", f"{stem}debrief.html", f"{stem}appendix1.csv",
            f"{stem}appendix2.md", f"{stem}completion.html"} <= written
    assert "Completion record" in (data_dir / "exports" / f"{stem}completion.html").read_text()
    log = (data_dir / "exports" / f"{stem}appendix1.csv").read_text(encoding="utf-8-sig")
    assert log.startswith("Agency / School & Escalation Number,")
    assert "100" in (data_dir / "exports" / f"{stem}debrief.md").read_text()


async def test_a_card_whose_file_fails_validation_is_reported_not_raised(tmp_path):
    """The briefing paints from a card and validates in the background: a file that fails
    then is a clear message on the briefing, and the app keeps running."""
    from dataclasses import replace

    from scenarios.catalogue import bundled_card

    broken = tmp_path / "broken.yaml"
    broken.write_text("id: broken\nversion: one\n", encoding="utf-8")
    card = replace(bundled_card(DEFAULT_SCENARIO), path=broken)
    app = build_app(None, 1, start="picker", prompt_resume=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.show_briefing(card, 1)
        await settle(pilot)
        assert isinstance(app.screen, BriefingScreen)
        assert "could not be loaded" in text_of(app, "#brief-child")
        await pilot.press("enter")  # nothing to start: a warning, no crash
        await settle(pilot)
        assert isinstance(app.screen, BriefingScreen)
        assert any("cannot be played; press s" in n.message for n in app._notifications)


async def test_contact_dialog_names_the_people_of_the_case():
    """The policy's role titles, with the scenario's own name for the person in the case."""
    from tui.screens.dialogs import ContactDialog

    app = build_app(DEFAULT_SCENARIO, 1, prompt_resume=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_case(pilot)
        await pilot.press("c")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ContactDialog)
        await pilot.press("down", "down", "enter")  # Children's Services
        await settle(pilot)
        listing = dialog.query_one("#contact-list", OptionList)
        labels = [str(listing.get_option_at_index(i).prompt)
                  for i in range(listing.option_count)]
        assert "Front line staff / social worker — Social worker in this case" in labels
        assert "Team Manager" in labels
