"""Challenge conversations (issue 15): the other professional answers from what was put.

An authored conversation walks its graph from the challenge's explainable parts and the
world's state; a case without one answers by the general model, whose chance of agreement
rises with the challenge's strength on the same stance draw (common random numbers).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from scenarios.conversation_schema import Challenge
from scenarios.loader import LoadError, get_scenario, load_scenario
from scoring.lint import conversation_problems, lint_scenario
from sim import actions as A
from sim.conversation import general_chance, strength
from sim.players import play
from sim.session import Session, SessionError

TALK_FIRST = "talk-first-school-dsl"
MODEL = Challenge(concern="neglect-closed", facts=("weight-loss", "bruise-forearm",
                                                   "two-breakfasts"),
                  asks_rationale=True, ask="reconsider", tone="curious")


def challenged(challenge: Challenge, scenario: str = TALK_FIRST, seed: int = 1) -> Session:
    """Phone the counterpart with a challenge and wait until they have answered."""
    session = Session(get_scenario(scenario), seed)
    session.act(A.Contact(role=session.scenario.other.role, challenge=challenge))
    answered(session)
    return session


def answered(session: Session) -> None:
    step = session.step.id
    for _ in range(50):
        if step in session.outcomes or session.finished:
            return
        session.act(A.Wait(stop_at_event=True, hours=24 * 30))


def test_the_model_challenge_reaches_the_best_ending_and_learns_by_asking():
    session = challenged(MODEL)
    talk = session.conversations[-1]
    assert talk["path"] == ["open", "rationale", "reopen"]
    assert talk["score"] == 100 and talk["agrees"] and session.status == "resolved"
    assert "announced-visit" in session.revealed
    assert "announced-visit" in {f.id for f in session.facts}
    assert any(e.kind == "new_information" and "announced" in e.text for e in session.timeline)


def test_the_hidden_fact_is_unknown_until_asked_for_and_cannot_be_put():
    session = Session(get_scenario(TALK_FIRST), 1)
    assert "announced-visit" not in {f.id for f in session.facts}
    with pytest.raises(SessionError, match="do not know"):
        session.act(A.Contact(role="cs.social_worker",
                              challenge=Challenge(facts=("announced-visit",))))


def test_without_asking_for_the_rationale_nothing_is_learned():
    session = challenged(MODEL.model_copy(update={"asks_rationale": False}))
    talk = session.conversations[-1]
    assert talk["path"] == ["open", "no-rationale", "reassess"]
    assert talk["score"] == 80 and talk["pushback"] == ["family_engaging", "threshold"]
    assert session.revealed == set()


def test_an_accusatory_tone_ends_it_whatever_the_evidence():
    session = challenged(MODEL.model_copy(update={"tone": "accusatory"}))
    talk = session.conversations[-1]
    assert talk["path"][-1] == "defensive" and not talk["agrees"]
    assert session.status == "open"
    assert "accusatory" in " ".join(talk["reasons"])


def test_partial_agreement_leaves_the_disagreement_open():
    weak = Challenge(concern="not-happy", facts=("pe-kit", "closure-letter"))
    session = challenged(weak)
    talk = session.conversations[-1]
    assert talk["outcome"] == "partial" and session.status == "open"
    assert any(e.kind == "reply" and "unresolved" in e.text for e in session.timeline)


def test_free_text_is_kept_but_never_changes_the_answer():
    plain = challenged(MODEL.model_copy(update={"asks_rationale": False}))
    chatty = challenged(MODEL.model_copy(update={
        "asks_rationale": False, "free_text": "Please, I really think you should reopen."}))
    assert plain.conversations[-1]["path"] == chatty.conversations[-1]["path"]
    assert "Please, I really think" in chatty.conversations[-1]["said"]


def test_a_challenge_saves_and_replays_exactly():
    session = challenged(MODEL)
    again = Session.from_dict(session.to_dict())
    assert [e.to_dict() for e in again.timeline] == [e.to_dict() for e in session.timeline]
    assert again.conversations == session.conversations


def test_a_contact_without_a_challenge_saves_as_it_always_did():
    assert "challenge" not in A.Contact(role="cs.social_worker").model_dump(mode="json")


def test_the_perfect_player_puts_the_model_challenge():
    session = play(Session(get_scenario(TALK_FIRST), 1), "perfect")
    assert session.conversations[0]["challenge"]["facts"] == list(MODEL.facts)
    assert conversation_problems(session) == []


def test_lint_refuses_a_model_challenge_that_misses_the_best_ending():
    scenario = get_scenario(TALK_FIRST)
    conversation = scenario.conversation.model_copy(
        update={"model": MODEL.model_copy(update={"asks_rationale": False})})
    weak = scenario.model_copy(update={"conversation": conversation})
    problems = lint_scenario(weak)
    assert any("not the best ending (score 100)" in p for p in problems), problems


# ---------------------------------------------------------------- broken files: file:line

def broken(tmp_path: Path, old: str, new: str) -> LoadError:
    source = Path("scenarios/library/talk-first-school-dsl.yaml").read_text()
    assert old in source
    path = tmp_path / "broken.yaml"
    path.write_text(source.replace(old, new, 1))
    with pytest.raises(LoadError) as caught:
        load_scenario(path)
    return caught.value


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_an_unreachable_node_is_refused_with_file_and_line(tmp_path):
    error = broken(tmp_path, "          goto: defensive\n", "          goto: stands\n")
    message = str(error)
    line = line_of(tmp_path / "broken.yaml", "- id: defensive")
    assert f"broken.yaml:{line}" in message
    assert "node 'defensive' can never be reached" in message


def test_a_dangling_fact_is_refused_with_file_and_line(tmp_path):
    error = broken(tmp_path, "facts: [weight-loss, bruise-forearm, two-breakfasts]",
                   "facts: [weight-loss, bruise-forearm, three-breakfasts]")
    line = line_of(tmp_path / "broken.yaml", "three-breakfasts")
    assert f"broken.yaml:{line}" in str(error)
    assert "unknown fact 'three-breakfasts'" in str(error)


def test_a_branch_to_nowhere_and_a_node_without_an_ending_are_refused(tmp_path):
    error = broken(tmp_path, "goto: meeting-only", "goto: meting-only")
    assert "unknown node 'meting-only'" in str(error)
    error = broken(tmp_path, "      ending:\n        outcome: maintain\n        score: 10",
                   "      pushback: none\n      unending:\n        outcome: maintain")
    assert "broken.yaml:" in str(error)


# ---------------------------------------------------------------- the general model

STRONG = dict(concern="named", asks_rationale=True, ask="reconsider", tone="curious")


def strong_for(session: Session) -> Challenge:
    relevant = tuple(f.id for f in session.facts if f.relevant)[:3]
    return Challenge(facts=relevant, **STRONG)


WEAK = Challenge(tone="accusatory")


def first_answer(seed: int, pick) -> bool:
    session = Session.generate("liverpool-lscb", seed)
    session.act(A.Contact(role=session.scenario.other.role, challenge=pick(session)))
    answered(session)
    talk = session.conversations
    assert talk and not talk[0]["authored"]
    return bool(talk[0]["agrees"])


def test_a_stronger_challenge_gets_agreement_more_often_over_200_generated_cases():
    """Same seeds, same stance draws: only the challenge differs. The 95% interval of the
    difference in agreement rates (two proportions, Wald) must lie above zero."""
    seeds = range(1, 201)
    strong = [first_answer(s, strong_for) for s in seeds]
    weak = [first_answer(s, lambda _s: WEAK) for s in seeds]
    n = len(seeds)
    p1, p2 = sum(strong) / n, sum(weak) / n
    half = 1.96 * math.sqrt(p1 * (1 - p1) / n + p2 * (1 - p2) / n)
    assert p1 - p2 - half > 0, (p1, p2, half)
    # Common random numbers: a strong challenge agrees wherever the weak one did.
    assert all(s or not w for s, w in zip(strong, weak, strict=True))


def test_strength_counts_only_the_explainable_parts():
    session = Session.generate("liverpool-lscb", 3)
    concerns = {c.id: c for c in session.concerns}
    facts = {f.id: f for f in session.facts}
    full = strength(strong_for(session), concerns, facts)
    assert full > strength(WEAK, concerns, facts)
    talky = strong_for(session).model_copy(update={"free_text": "x" * 500})
    assert strength(talky, concerns, facts) == full
    assert general_chance(0.5, 0.5) == pytest.approx(0.5)
    assert general_chance(0.5, 1.0) > 0.5 > general_chance(0.5, 0.0)


def test_generated_facts_are_dated_and_do_not_move_the_case():
    before = Session.generate("liverpool-lscb", 7)
    facts = before.facts
    assert facts and all(f.on < before.start.date() for f in facts)
    assert Session.generate("liverpool-lscb", 7).scenario == before.scenario


# ---------------------------------------------------------------- the authoring guide

def test_the_guides_conversation_example_lints_clean_and_its_errors_are_as_printed(tmp_path):
    """docs/authoring.md §5: the PE kit conversation passes; the two broken versions give
    the file:line messages the guide prints; a weaker model challenge is caught by the lint."""
    import re

    guide = Path("docs/authoring.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", guide, re.S)
    base = next(b for b in blocks if "id: pe-kit-dsl" in b).replace(
        "teaches: [L2, L6]", "teaches: [L2, L4]")
    conversation = next(b for b in blocks if "# appended to pe-kit-dsl.yaml" in b)
    path = tmp_path / "pe-kit-dsl.yaml"
    path.write_text(base + conversation, encoding="utf-8")
    assert lint_scenario(load_scenario(path)) == []
    printed = re.findall(r"^pe-kit-dsl\.yaml:\d+:\d+: conversation\..*$", guide, re.M)
    assert len(printed) == 2
    breaks = [("- {when: {tone: accusatory}, goto: defensive}",
               "- {when: {tone: accusatory}, goto: stands}"),
              ("facts: [core-group-1, core-group-2, asleep-in-class]",
               "facts: [core-group-1, core-group-2, core-group-3]")]
    for (old, new), expected in zip(breaks, printed, strict=True):
        assert old in conversation
        path.write_text(base + conversation.replace(old, new), encoding="utf-8")
        with pytest.raises(LoadError) as caught:
            load_scenario(path)
        assert str(caught.value).endswith(expected), str(caught.value)
    path.write_text(base + conversation.replace(
        "    asks_rationale: true\n    ask: professionals_meeting",
        "    asks_rationale: false\n    ask: professionals_meeting"), encoding="utf-8")
    assert "seed 1: the model challenge reaches 'stands' (score 20), not the best ending " \
           "(score 100)" in lint_scenario(load_scenario(path))


# ---------------------------------------------------------------- the debrief

def test_the_debrief_shows_the_transcript_beside_the_model_and_what_made_the_difference():
    from scoring.debrief import debrief_html, debrief_markdown

    weak = Challenge(concern="not-happy", facts=("weight-loss",),
                     free_text="Sorry to <b>bother</b> you")
    session = challenged(weak)
    session.act(A.Finish())
    text = debrief_markdown(session)
    part = text[text.index("## Your challenge beside the model challenge"):
                text.index("## Your timeline beside")]
    assert "Some evidence earned a meeting" in part  # the ending's feedback
    assert "The model challenge also put The class teacher saw a bruise" in part
    assert "(03 Mar)" in part and "It asked for their rationale" in part
    assert "Asking would have brought out: The home visit was announced" in part
    assert "### The model challenge" in part and "reopen it as child in need" in part
    assert "Sorry to <b>bother</b> you" in part  # free text kept, as typed
    html = debrief_html(session)
    assert "Sorry to &lt;b&gt;bother&lt;/b&gt; you" in html and "<b>bother" not in html


def test_putting_the_model_challenge_is_said_once_not_shown_twice():
    from scoring.debrief import debrief_markdown

    session = challenged(MODEL)
    session.act(A.Finish())
    text = debrief_markdown(session)
    assert "Your challenge had every part of the model challenge." in text
    assert "### The model challenge" not in text


# ---------------------------------------------------------------- the library

def test_six_bundled_scenarios_hold_conversations_across_the_seats():
    """Issue 15 item 7: DSL, health visitor, early years, social worker and police seats,
    and one case where the other professional is right."""
    from scenarios.loader import bundled_scenarios

    authored = {s.id: s for s in bundled_scenarios().values() if s.conversation}
    assert len(authored) >= 6
    roles = {s.seat.role for s in authored.values()}
    assert {"school.dsl", "health.frontline", "early_years.practitioner",
            "cs.social_worker", "police.frontline"} <= roles
    titles = {s.seat.title for s in authored.values()}
    assert "Health visitor" in titles
    right = [s for s in authored.values()
             if any(n.ending and n.ending.outcome == "rationale_sound"
                    and n.ending.score == 100 for n in s.conversation.nodes)]
    assert right, "no scenario where the other professional is right"


@pytest.mark.parametrize("scenario_id", ["front-door-early-help-health-visitor",
                                         "gp-records-social-worker",
                                         "one-call-health-visitor-early-years",
                                         "strategy-discussion-police",
                                         "neglect-assessment-early-years",
                                         "plan-ended-rationale-school-nurse"])
def test_each_authored_conversation_answers_the_model_best_and_a_weak_one_worse(scenario_id):
    scenario = get_scenario(scenario_id)
    best = max(n.ending.score for n in scenario.conversation.nodes if n.ending)
    good = challenged(scenario.conversation.model, scenario_id)
    weak = challenged(Challenge(tone="accusatory"), scenario_id)
    assert good.conversations[-1]["score"] == best
    assert weak.conversations[-1]["score"] < best
    assert good.revealed, "the model challenge should learn something by asking"


# ---------------------------------------------------------------- the workshop

def test_the_cohort_debrief_shows_each_trainees_challenge_text(tmp_path, monkeypatch):
    """The facilitator sees what each trainee said (anonymised unless asked), escaped."""
    from tui.workshop.service import cohort as C
    from tui.workshop.service.facilitator import Facilitator, create
    from tui.workshop.service.participant import WorkshopParticipant
    from tui.workshop.service.store import DB_ENV, Store

    monkeypatch.setenv("ESCALATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv(DB_ENV, raising=False)
    store = Store(tmp_path / "workshop.sqlite3")
    made = create(store, TALK_FIRST, "Conversation group", seed=1)
    facilitator = Facilitator(store, made.code, made.key)
    facilitator.start()
    said = MODEL.model_copy(update={"free_text": "Can we <i>talk</i> today?"})
    for name, put in (("Asha", said), ("Ben", Challenge(tone="accusatory"))):
        trainee = WorkshopParticipant.join(store, made.code, name)
        trainee.act(A.Contact(role="cs.social_worker", challenge=put))
        answered(trainee.session)
    cohort = facilitator.cohort()
    first, second = (t.challenges for t in cohort.trainees)
    assert "Can we <i>talk</i> today?" in first[0][0] and first[0][1] == "they agreed"
    assert second[0][0].startswith("I think you have got this wrong.")
    page = C.html(cohort)
    assert "Challenges put to the other professional" in page
    assert "Can we &lt;i&gt;talk&lt;/i&gt; today?" in page and "Asha" not in page
    assert "Trainee 2: \"I think you have got this wrong." in C.text(cohort)


def test_a_sound_rationale_is_heard_then_accepted_not_resolved_on_its_own():
    """Where the other professional is right, their reasons arrive in the conversation and the
    trainee accepts them (AcceptView, judged by L31); the perfect player does so at once."""
    from scoring import evaluate

    right = "plan-ended-rationale-school-nurse"
    session = challenged(get_scenario(right).conversation.model, right)
    assert session.status == "open" and session.rationale_heard_at is not None
    assert any("accept their view" in e.text for e in session.timeline if e.kind == "reply")
    session.act(A.AcceptView(reason="Her father has gone under a court order; weekly visits."))
    assert session.status == "resolved"
    good = play(Session(get_scenario(right), 1), "perfect")
    assert any(isinstance(a, A.AcceptView) for _, a in good.actions)
    result = evaluate(good)
    assert result.score == 100 and "L31" not in result.rule_ids
