"""Words the simulated professionals use: replies by disagreement category.

Kept apart from the model so scenario authors and trainers can read and change them.
"""

from __future__ import annotations

AGREE = {
    "threshold_at_referral": "they will reconsider the referral and open an assessment",
    "action_inaction": "they will take the action you asked for and confirm it to you",
    "decision_making": "they will review the decision and hold the case open meanwhile",
    "conference_dissent": "the dissent will be recorded and the plan reviewed",
    "information_sharing": "they will share the information today",
    "assessment": "they will revisit the assessment with your evidence",
    "provision_of_services": "they will arrange the service",
    "drift_delay": "they will set dates for the outstanding actions and review progress",
    "cp_procedures": "they will follow the child protection procedures as you described",
}
DEFAULT_AGREE = "they will act on your concerns"


def agree_text(category: str) -> str:
    return AGREE.get(category, DEFAULT_AGREE)


def referral_response(agency_kind: str, hours: str, child: str, risk: bool) -> str:
    """What the service that took a referral says back: referrals have consequences.

    Children's services decide the response within one working day (Working Together 2023);
    at immediate risk they act now; the police attend.
    """
    if agency_kind == "police":
        return (f"the report about {child} is logged and officers are being sent; they will "
                "share it with children's services for a strategy discussion")
    if hours == "out_of_hours":
        return (f"the duty social worker will see {child} tonight and hand over to the day "
                "team for a strategy discussion if needed")
    if risk:
        return (f"a social worker is being sent to see {child} today; a strategy discussion "
                "with the police will follow if the risk is confirmed")
    return (f"the referral about {child} is accepted; a decision on the response will be "
            "made within one working day and a social worker will contact you")
