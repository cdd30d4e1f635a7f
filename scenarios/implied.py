"""Duties national practice implies where a partnership's policy is silent.

A procedure written for escalation rarely says that doing nothing is not an option, or that
new information suggesting significant harm is a fresh referral whatever the stage. Both are
principles of Working Together 2023 practice (`docs/practice.md`, principles 3 and 5), and a
trainer that leaves them out teaches wrong practice: a passive trainee outscores an engaged
one, and a late re-referral goes unmarked. So a policy without a duty of that shape gets
one, resting on guidance (``basis: guidance``), listed as an assumption, and cited in the
debrief as guidance, never as the partnership's words. A policy that has its own duty keeps
it: the bundled policies state both, so nothing is added to them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scenarios.policy_schema import Duty, Policy

PRACTICE_GUIDANCE = ("Working Together 2023 / KCSIE practice, as the project's practice "
                     "reference states it")

ENGAGE_RULE: dict[str, Any] = {
    "id": "PRACTICE5",
    "title": "Disagreements always require resolution — engage, never leave it",
    "clause": "Safeguarding practice reference, principle 5 (docs/practice.md; the policy is "
              "silent)",
    "basis": "guidance",
    "guidance": PRACTICE_GUIDANCE,
    "quote": "Disagreements always require resolution. Doing nothing is never neutral: a "
             "trainee who never engages must never score better than one who does.",
    "severity": "major",
}
ENGAGE_DUTY: dict[str, Any] = {
    "id": "practice-engage",
    "rule": "PRACTICE5",
    "judge": "action",
    "trigger": "disagreement_raised",
    "satisfied_by": ["contact_ladder", "escalate", "refer", "professionals_meeting"],
    "theme": "communication",
    "expected": "Take the disagreement up: discuss it with the other professional (or your "
                "own line manager or safeguarding lead), escalate it, or refer — doing "
                "nothing is never neutral.",
    "missing": "You never engaged with the disagreement: no discussion, escalation or "
               "referral.",
}

FRESH_REFERRAL_RULE: dict[str, Any] = {
    "id": "PRACTICE3",
    "title": "New information suggesting significant harm — a fresh referral now",
    "clause": "Working Together to Safeguard Children 2023, chapter 2 (national guidance; "
              "the policy is silent)",
    "basis": "guidance",
    "guidance": "Working Together to Safeguard Children 2023",
    "quote": "Anyone who has concerns about a child's welfare should consider whether a "
             "referral needs to be made to local authority children's social care and should "
             "do so immediately if there is a concern that the child is suffering significant "
             "harm or is likely to do so.",
    "severity": "critical",
}
FRESH_REFERRAL_DUTY: dict[str, Any] = {
    "id": "practice-fresh-referral",
    "rule": "PRACTICE3",
    "judge": "action",
    "trigger": "new_information",
    "satisfied_by": ["refer"],
    "by": {"unit": "hours", "within": 2,
           "text": "immediately (within 2 hours, an assumption)"},
    "theme": "safety",
    "expected": "New information suggests significant harm: make a fresh referral to "
                "children's services now, whatever stage the disagreement has reached. "
                "Escalation never replaces referral.",
    "missing": "No fresh referral was made after the new information.",
}

ASSUMPTION: dict[str, Any] = {
    "id": "implied_practice",
    "text": "The policy is silent on {what}; the trainer holds trainees to national practice "
            "(Working Together 2023) there and says so in the debrief.",
}


def _engages(duty: Duty) -> bool:
    """A duty to take the disagreement up at all, judged however late it comes (and
    whatever the outcome: one owed only if resolved at some stage never holds a trainee
    who does nothing; one owed only by some roles or agencies does not hold every seat)."""
    return (duty.judge == "action" and duty.trigger == "disagreement_raised"
            and duty.by is None and duty.seat == "any" and not duty.if_resolved_at
            and not duty.roles and not duty.agencies and duty.only_if is None)


def _re_refers(duty: Duty) -> bool:
    """A fresh-referral duty that holds every case (one owed only in some cases, or by
    some seats, leaves the others to the practice duty)."""
    return duty.judge == "action" and duty.trigger == "new_information" and (
        "refer" in duty.satisfied_by) and duty.only_if is None and not duty.roles and (
        not duty.agencies) and duty.seat == "any"


def add_practice_duties(policy: Policy) -> None:
    """Give ``policy`` the practice duties it is silent on (in place; idempotent)."""
    from scenarios.policy_schema import Assumption, Duty, Rule

    ids = {rule.id for rule in policy.rules}
    added: list[str] = []
    for rule, duty, shape, what in (
        (ENGAGE_RULE, ENGAGE_DUTY, _engages, "doing nothing"),
        (FRESH_REFERRAL_RULE, FRESH_REFERRAL_DUTY, _re_refers,
         "new information that suggests significant harm"),
    ):
        if rule["id"] in ids or any(shape(d) for d in policy.duties):
            continue
        policy.rules.append(Rule.model_validate(rule))
        policy.duties.append(Duty.model_validate(duty))
        added.append(what)
    if added and not any(a.id == ASSUMPTION["id"] for a in policy.assumptions):
        policy.assumptions.append(Assumption(
            id=ASSUMPTION["id"], text=ASSUMPTION["text"].format(what=" and on ".join(added)),
            affects=["duties"]))
