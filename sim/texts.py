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
