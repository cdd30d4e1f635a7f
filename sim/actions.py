"""The decisions a trainee can take, as validated data.

Actions are plain pydantic models so a session can be saved as its action log and replayed
exactly, and so the TUI, scripted players and workshops all speak the same vocabulary.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_serializer

from scenarios.conversation_schema import Challenge

Channel = Literal["phone", "email", "meeting"]


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Contact(_Action):
    """Talk to a role: the counterpart, your own line manager or representative, anyone.

    ``challenge`` is what the trainee puts to the other professional; it is left out of
    the saved form when absent, so logs saved before challenges existed replay unchanged.
    """

    kind: Literal["contact"] = "contact"
    role: str
    channel: Channel = "phone"
    note: str = ""
    challenge: Challenge | None = None

    @model_serializer(mode="wrap")
    def _without_empty_challenge(self, handler: Any) -> dict[str, Any]:
        data = handler(self)
        if data.get("challenge") is None:
            data.pop("challenge", None)
        return data


class Refer(_Action):
    """Refer to the front door (First Response), the Emergency Duty Team or the police."""

    kind: Literal["refer"] = "refer"
    role: str
    note: str = ""


class Escalate(_Action):
    """Move the disagreement up the ladder: to the next step, or to a named later step."""

    kind: Literal["escalate"] = "escalate"
    to_step: str | None = None
    note: str = ""


class ProfessionalsMeeting(_Action):
    """Consider a professionals meeting: convene one, or record that it is not needed."""

    kind: Literal["professionals_meeting"] = "professionals_meeting"
    decision: Literal["convene", "not_needed"] = "convene"
    note: str = ""


class Notify(_Action):
    """Send a notification the policy requires (e.g. the Independent Reviewing Officer)."""

    kind: Literal["notify"] = "notify"
    notification: str
    note: str = ""


class Record(_Action):
    """Write on a record: case file, chronology, Escalation Summary Log, Appendix 2…"""

    kind: Literal["record"] = "record"
    record: str
    fields: dict[str, str] = Field(default_factory=dict)
    text: str = ""


class InformReferrer(_Action):
    kind: Literal["inform_referrer"] = "inform_referrer"
    note: str = ""


class ConfirmOutcome(_Action):
    """Confirm the agreed outcome in writing between the parties."""

    kind: Literal["confirm_outcome"] = "confirm_outcome"
    note: str = ""


class AcceptView(_Action):
    """Accept the other professional's view after hearing their reasons, saying why.

    Respecting a sound decision is as much part of the procedure as challenging an unsound
    one; the reason is kept so the record shows why the disagreement ended here.
    """

    kind: Literal["accept_view"] = "accept_view"
    reason: str = Field(min_length=1, max_length=2000)


class UseRoute(_Action):
    """Take a matter by the policy's own route outside the ladder (e.g. an allegation
    against staff to the LADO, a complaint to the agency's complaints process)."""

    kind: Literal["use_route"] = "use_route"
    route: str
    note: str = ""


class Wait(_Action):
    """Let time pass: to the next thing that happens, for some hours, or to a moment."""

    kind: Literal["wait"] = "wait"
    until: datetime | None = None
    hours: float | None = Field(default=None, gt=0)
    stop_at_event: bool = Field(
        default=False, description="With 'until' or 'hours': stop early if something happens."
    )


class Inject(_Action):
    """Something a facilitator makes happen to everyone (not offered to trainees)."""

    kind: Literal["inject"] = "inject"
    text: str
    immediate_risk: bool = False


class Finish(_Action):
    """End the exercise; nothing more can be done in the session."""

    kind: Literal["finish"] = "finish"


Action = Annotated[
    Contact | Refer | Escalate | ProfessionalsMeeting | Notify | Record | InformReferrer
    | ConfirmOutcome | AcceptView | UseRoute | Wait | Inject | Finish,
    Field(discriminator="kind"),
]
ACTION_ADAPTER: TypeAdapter[Action] = TypeAdapter(Action)

# Simulated minutes each action takes the trainee (documented in docs/model.md).
ACTION_MINUTES: dict[str, float] = {
    "contact": 15,
    "refer": 20,
    "escalate": 10,
    "professionals_meeting": 15,
    "notify": 10,
    "record": 20,
    "inform_referrer": 10,
    "confirm_outcome": 15,
    "accept_view": 10,
    "use_route": 20,
    "wait": 0,
    "inject": 0,
    "finish": 0,
}
STAGE_REPORT_MINUTES = 60


def parse_action(data: dict) -> Action:
    return ACTION_ADAPTER.validate_python(data)
