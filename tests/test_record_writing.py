"""Records are written by the trainee (issue 15, item 4): the forms offer the case's facts but
never its judgement, a form saved empty earns nothing, typed text is never lost, and recording
is scored by named, explainable checks."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from textual.widgets import Input

from scenarios.loader import bundled_scenarios, get_scenario
from scoring import evaluate
from scoring.forms import appendix1_rows
from scoring.recording import dates_in, stated_outcome
from sim import actions as A
from sim.players import play
from sim.session import Session
from tui import store
from tui.app import DEFAULT_SCENARIO, build_app
from tui.pilot_driver import settle
from tui.screens.case import CaseScreen
from tui.screens.record_form import RecordFormScreen

SCENARIO = "talk-first-school-dsl"  # Liverpool: a social worker closed the case (Stage 1)
GOOD_LOG = {
    "Concern": "10/03/2026: Maisie came in hungry again; she has lost weight this term and "
               "had a bruise on her forearm on 03/03/2026.",
    "Summary of Professional Disagreement": "The social worker closed the case on 09/03/2026 "
                                            "with no further action; we disagree with the "
                                            "decision.",
    "Actions Undertaken Towards Resolution": "Phoned the social worker on 10/03/2026.",
    "Outcome of Resolution": "Resolved: the social worker agreed to review the closure. We "
                             "will review progress with her next week.",
}


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV_DIR, str(tmp_path))
    return tmp_path


def resolved_talk_first(fields: dict[str, str], case_file: str = "Phoned; agreed.") -> Session:
    """The DSL phones, the social worker agrees (the scenario fixes it at Stage 1), and the
    trainee records the log row ``fields`` and the case file."""
    session = Session(get_scenario(SCENARIO), 1)
    session.act(A.Contact(role="cs.social_worker", channel="phone"))
    session.act(A.Wait(hours=6))
    assert session.status == "resolved"
    session.act(A.Record(record="escalation_log", fields=fields))
    session.act(A.Record(record="case_file", text=case_file))
    session.act(A.InformReferrer())
    session.act(A.Finish())
    return session


def recording_observed(session: Session) -> list[str]:
    return [f.observed for f in evaluate(session).findings if f.theme == "recording"]


# ---------------------------------------------------------------------- scoring


def test_a_well_written_log_passes_every_check():
    session = resolved_talk_first(GOOD_LOG)
    assert recording_observed(session) == []
    assert evaluate(session).score == 100


def test_a_form_saved_empty_earns_nothing():
    empty = resolved_talk_first({})
    written = resolved_talk_first(GOOD_LOG)
    [missing] = [f for f in evaluate(empty).findings if f.theme == "recording"]
    assert missing.expected.startswith("Agency Escalation Summary Log:")
    assert missing.observed == "Nothing was recorded on it while the case was at this step."
    assert missing.severity == "major"
    assert evaluate(empty).score < evaluate(written).score
    # Only the case's facts (what the form offered filled) is still no record.
    facts = resolved_talk_first({"Level of Need": "S17"})
    assert evaluate(facts).score == evaluate(empty).score


@pytest.mark.parametrize(("field", "text", "named"), [
    ("Concern", "Maisie is hungry and losing weight.", "did not put the facts of the concern "
     "with their dates"),
    ("Summary of Professional Disagreement", "We disagree about the decision making.",
     "did not name the decision you challenged"),
    ("Summary of Professional Disagreement", "The social worker ended her involvement on "
     "09/03/2026.", "did not name the kind of disagreement"),
    ("Outcome of Resolution", "Not resolved; we will escalate to Stage 2.",
     "did not record the outcome as it stood"),
    ("Outcome of Resolution", "Resolved.", "did not say what happens next"),
])
def test_each_missing_part_is_named_in_the_finding(field, text, named):
    session = resolved_talk_first({**GOOD_LOG, field: text})
    findings = [f for f in evaluate(session).findings if f.theme == "recording"]
    assert [f.observed for f in findings] == [
        f"Your Agency Escalation Summary Log (Stage 1 – Attempt resolution) {named}."
        + (" At this step the disagreement was resolved." if "outcome" in named else "")]
    assert findings[0].rule == "L3" and findings[0].severity == "minor"
    assert evaluate(session).score == 95


def test_the_outcome_check_cites_the_rules_sentence_on_the_outcome():
    session = resolved_talk_first({**GOOD_LOG, "Outcome of Resolution": "Resolved."})
    [finding] = [f for f in evaluate(session).findings if f.theme == "recording"]
    assert finding.citation.startswith("The agreed outcome of discussions or actions must be "
                                       "recorded")


def test_each_significant_event_needs_a_dated_chronology_entry():
    """BS3 keeps a chronology: the aunt's call (an immediate risk) must be entered with its
    date; the same entry without the date is named as missing."""
    scenario = get_scenario("friday-pickup-early-years")
    perfect = play(Session(scenario, 1), "perfect")
    events = [e for e in perfect.timeline if e.data.get("immediate_risk")]
    assert events and evaluate(perfect).score == 100
    undated = Session(scenario, 1)
    for _at, action in perfect.actions:
        if isinstance(action, A.Record) and action.record == "chronology":
            action = action.model_copy(update={"text": "Referred the concern."})
        undated.act(action)
    observed = recording_observed(undated)
    day = f"{events[0].at:%d/%m/%Y}"
    assert any(o.startswith("Your Child's chronology / agency database has no entry dated "
                            f"{day} for: ") for o in observed), observed


def test_perfect_player_writes_records_that_pass_every_check_on_every_bundled_scenario():
    for scenario in bundled_scenarios().values():
        session = play(Session(scenario, 2), "perfect")
        assert recording_observed(session) == [], scenario.id
        log = [r for r in session.records if r["fields"]]
        for entry in log:  # the model answer wrote its own words, from the case
            record = session.policy.record(entry["record"])
            assert set(record.written) - set(entry["fields"]) <= {
                k for k, v in record.written.items() if v == "optional"}


def test_dates_outcomes_are_read_plainly():
    assert dates_in("on 9/3/26, 10/03/2026 and 13 March", 2026) == {
        date(2026, 3, 9), date(2026, 3, 10), date(2026, 3, 13)}
    assert dates_in("31/02/2026 at 09:30", 2026) == set()
    assert stated_outcome("Not resolved; escalating") == {"unresolved"}
    assert stated_outcome("Agreed at Stage 1") == {"resolved"}
    assert stated_outcome("Referred to the front door") == {"referred"}


def test_exports_never_write_the_judgement_for_the_trainee():
    session = resolved_talk_first({"Concern": "10/03/2026 hungry"})
    _columns, [row] = appendix1_rows(session)
    assert row["Concern"] == "10/03/2026 hungry"
    assert row["Summary of Professional Disagreement"] == ""
    assert row["Outcome of Resolution"] == ""
    assert row["Child Name / DOB / Age"].startswith("Maisie Dunmore")  # a fact, offered


# ---------------------------------------------------------------------- the form


async def open_log_form(pilot) -> RecordFormScreen:
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, CaseScreen)
    await pilot.press("l", "down", "enter")
    await pilot.pause()
    form = pilot.app.screen
    assert isinstance(form, RecordFormScreen)
    return form


async def test_form_offers_facts_and_leaves_the_judgement_to_the_trainee():
    app = build_app(DEFAULT_SCENARIO, 1, prompt_resume=False)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_log_form(pilot)
        values = dict(form.values())
        assert values["Child Name / DOB / Age"].startswith("Maisie Dunmore")
        for name in GOOD_LOG:
            field = form.query_one(f"#field-{[n for n, _ in form.fields].index(name)}", Input)
            assert field.value == "" and field.placeholder  # empty, with a hint
        assert app.screen.focused.id == "field-2"  # the concern, the first to write


async def test_a_burst_of_keys_then_ctrl_s_saves_every_character(data_dir):
    burst = "10/03/2026 hungry again; lost weight; bruise 03/03/2026 (forearm) & more!"
    app = build_app(DEFAULT_SCENARIO, 1, prompt_resume=False)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_log_form(pilot)
        names = [n for n, _ in form.fields]
        for name, value in GOOD_LOG.items():
            if name != "Concern":
                form.query_one(f"#field-{names.index(name)}", Input).value = value
        assert app.screen.focused.id == f"field-{names.index('Concern')}"
        await pilot.press(*burst, "ctrl+s")  # one press: every key, then save
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        [entry] = app.play.session.records
        assert entry["fields"]["Concern"] == burst
        saved = json.loads(app.play.save_path.read_text())
        [kept] = saved["session"]["records"]
        assert kept["fields"]["Concern"] == burst
        assert not saved["ui"]["draft"]  # the draft became the record


async def test_keys_arriving_in_one_chunk_before_ctrl_s_are_all_saved(data_dir):
    """A terminal delivers a fast burst as one chunk: every key event is queued before any is
    handled, so ctrl+s (a priority binding) must not read the field before its keys land."""
    from textual import events

    burst = "hungry again on 10/03/2026, lost weight, bruise on 03/03/2026"
    app = build_app(DEFAULT_SCENARIO, 1, prompt_resume=False)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_log_form(pilot)
        names = [n for n, _ in form.fields]
        for name, value in GOOD_LOG.items():
            if name != "Concern":
                form.query_one(f"#field-{names.index(name)}", Input).value = value
        for char in burst:
            app.post_message(events.Key(char if char.isalnum() else _key(char), char))
        app.post_message(events.Key("ctrl+s", None))
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        [entry] = app.play.session.records
        assert entry["fields"]["Concern"] == burst
        saved = json.loads(app.play.save_path.read_text())
        assert saved["session"]["records"][0]["fields"]["Concern"] == burst


def _key(char: str) -> str:
    from textual.keys import _character_to_key

    return _character_to_key(char)


# ---------------------------------------------------------------------- the policy file


@pytest.mark.parametrize(("old", "new", "says"), [
    ('"Concern": concern', '"Concerns": concern', "'Concerns', which is not one of this "
                                                 "record's fields"),
    ("terms: [drift, delay]", "terms: [drift, lateness]", "term 'lateness' is not in the "
                                                          "category's text"),
])
def test_a_policy_naming_what_its_form_lacks_is_refused_with_file_and_line(tmp_path, old,
                                                                            new, says):
    from scenarios.loader import LoadError, load_policy

    source = Path("scenarios/policies/liverpool-lscb.yaml").read_text()
    assert source.count(old) == 1
    path = tmp_path / "liverpool-lscb.yaml"
    path.write_text(source.replace(old, new))
    with pytest.raises(LoadError) as info:
        load_policy(path)
    problem = info.value.problems[0]
    line = source.splitlines().index(next(x for x in source.splitlines() if old in x)) + 1
    assert problem.file == str(path) and says in problem.message
    assert problem.line == line, (problem.line, line)
