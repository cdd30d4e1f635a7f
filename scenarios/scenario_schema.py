"""Pydantic models for training scenarios.

A scenario puts the trainee in one seat of one policy, describes the (synthetic) child and
the disagreement, scripts what happens, and may fix any random draw; whatever it leaves
open is drawn from the seed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from scenarios.conversation_schema import Conversation, Fact
from scenarios.policy_schema import ID_PATTERN, LevelOfNeed, PlanStatus, RouteMatter, Strict

Audience = Literal["induction", "dsl_refresher", "workshop"]
Difficulty = Literal["introductory", "intermediate", "advanced"]
Trap = Literal[
    "out_of_hours",
    "friday_evening",
    "bank_holiday",
    "christmas",
    "immediate_risk",
    "drift",
    "conference_dissent",
    "below_threshold",
    "resolve_at_stage1",
    "iro",
    "in_school",
]
EventKind = Literal[
    "message", "new_information", "injury", "disclosure", "conference_dissent", "rationale"
]
# What a case is: a professional disagreement (the ladder), or a matter the policy sends by
# a route of its own outside the ladder (`Policy.outside_routes`).
Matter = Literal["disagreement"] | RouteMatter


class Seat(Strict):
    """Where someone sits: an agency and a role of the policy, with a plain-language title."""

    agency: str
    role: str
    title: str | None = Field(default=None, description="e.g. 'Health visitor'.")
    organisation: str | None = Field(
        default=None, description="A fictional name for this seat's organisation (e.g. "
        "'Hillside Primary'), used in debriefs and forms; without one they say 'your school' "
        "or 'the setting', never the real organisation whose policy is used.")


class Person(Strict):
    name: str
    relation: str
    age: int | None = Field(default=None, ge=0, le=110)


class Child(Strict):
    """A synthetic child. Names must be invented."""

    first_name: str
    last_name: str
    age_years: int = Field(ge=0, le=18)
    age_months: int = Field(default=0, ge=0, le=11)
    pronoun: Literal["she", "he", "they"] = "they"
    gestation_weeks: int | None = Field(
        default=None, ge=4, le=42, description="An unborn baby (a pre-birth concern): weeks "
        "of pregnancy at the start; age is then ignored.")

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def age_text(self) -> str:
        if self.gestation_weeks is not None:
            return f"unborn ({self.gestation_weeks} weeks of pregnancy)"
        if self.age_years == 0:
            return f"{self.age_months} months"
        return f"{self.age_years} years"


class Objective(Strict):
    text: str
    rules: list[str] = Field(min_length=1, description="Rule ids the objective is judged by.")


class ScriptedEvent(Strict):
    """Something that happens to the trainee: at a time, after some working hours, or on a trigger.

    ``on`` triggers are ``contact:ROLE`` (after the trainee first contacts that role),
    ``stage:STAGE`` (on reaching that stage) or ``resolved``.
    """

    id: str = Field(pattern=ID_PATTERN)
    at: datetime | None = None
    after_hours: float | None = Field(
        default=None, ge=0, description="Working hours after the start: office business "
        "(a reply, a visit). Use `at` or `after_minutes` for what happens on the clock.")
    after_minutes: float | None = Field(
        default=None, ge=0, le=60 * 24 * 120,
        description="Clock minutes after the start, in or out of office hours.")
    on: str | None = None
    kind: EventKind = "message"
    sender: str | None = None
    text: str
    immediate_risk: bool = False
    police_matter: bool = Field(
        default=False, description="The facts state a crime or an emergency: the police are "
        "required on the immediate-risk route even where the policy names none.")
    referral_needed: bool = Field(
        default=False, description="New information that signals significant harm: a fresh "
        "referral is owed now, whatever stage the disagreement is at (escalation never "
        "replaces referral).")
    child_unsafe: bool = Field(
        default=False, description="At this moment the child is next with the person who "
        "may harm them (a collection, going home): an immediate-risk referral must come first.")
    matter: RouteMatter | None = Field(
        default=None, description="This event makes known a matter with a route of its own "
        "outside the ladder (e.g. an allegation against someone who works with children): "
        "the policy's route for it is owed from now, beside whatever disagreement is open.")
    unless: str | None = Field(
        default=None, description="A consequence of delay: the event happens only if, by "
        "its time, the trainee has not done this — 'contact:ROLE', 'stage:STAGE', "
        "'resolved' or 'referred'. The debrief shows what happened because of the delay "
        "(or that acting in time averted it).")
    because: str | None = Field(
        default=None, description="With `unless`: the debrief's words for why it happened, "
        "e.g. 'Nobody took the closure up before the half-term holiday.'")


class HomeAuthority(Strict):
    """The local authority where the child lives, when it is not the partnership's own (the
    child goes to school, nursery or a GP here but lives across the boundary).

    Referrals about the child go to this authority's front door (its out-of-hours team at
    night), not the partnership's: the Session's refer options, the immediate-risk route and
    the fresh-referral duty all use it (`scenarios.home_authority`).
    """

    name: str = Field(description="An invented authority, e.g. 'Brackenmoor Council'.")
    front_door: str = Field(description="Its front door, e.g. 'Brackenmoor Children's "
                            "Services front door (MASH)'.")
    out_of_hours: str | None = Field(
        default=None, description="Its out-of-hours service; default '<name> Emergency Duty "
        "Team'.")


class FixedDraws(Strict):
    """Random draws a scenario pins down; anything left ``None`` comes from the seed."""

    agree_at: str | None = Field(
        default=None,
        description="Step or stage id where the counterpart agrees; 'never' for never.",
    )
    reply_hours: dict[str, float] = Field(
        default_factory=dict, description="Role id → reply delay in working hours."
    )
    risk_after_hours: Annotated[float, Field(ge=0)] | Literal["never"] | None = Field(
        default=None, description="Working hours until immediate risk, or 'never'."
    )


class SetDeadline(Strict):
    """What a role sets (or the parties agree) for a deadline the policy leaves to be set
    during the case (`Deadline.set_by`), in place of the amount it typically sets."""

    within: float = Field(gt=0)
    unit: Literal["working_days", "calendar_days", "working_hours", "hours"]


class Scenario(Strict):
    id: str = Field(pattern=ID_PATTERN)
    version: int = Field(ge=1)
    title: str
    policy: str
    seat: Seat
    other: Seat
    referrer: Seat | None = Field(
        default=None, description="Whoever first raised the concern and must be kept informed."
    )
    audience: list[Audience] = Field(min_length=1)
    difficulty: Difficulty
    minutes: int = Field(ge=1, le=240)
    objectives: list[Objective] = Field(min_length=1)
    briefing: str
    worry: str
    known: list[str] = Field(default_factory=list)
    start: datetime
    child: Child | None = None
    family: list[Person] = Field(default_factory=list)
    level_of_need: LevelOfNeed
    plan_status: PlanStatus = "none"
    category: str
    priority: str | None = Field(
        default=None, description="The case's priority (a `priorities` id of the policy): "
        "it picks each deadline's tier. None: the policy's default priority.")
    set_deadlines: dict[str, SetDeadline] = Field(
        default_factory=dict, description="Step or stage id → the deadline its `set_by` role "
        "sets in this case (default: the amount the policy says it typically sets).")
    home_authority: HomeAuthority | None = Field(
        default=None, description="Where the child lives, when that is another local "
        "authority: referrals go to its front door.")
    immediate_risk_at_start: bool = False
    police_matter: bool = Field(
        default=False, description="With immediate_risk_at_start: the facts state a crime or "
        "an emergency, so the police are required.")
    matter: Matter = Field(
        default="disagreement", description="What the case is. Anything but 'disagreement' "
        "is a matter the policy sends by its own route outside the ladder (its "
        "`outside_routes`): the ladder's duties do not apply, and taking it up the ladder "
        "instead is a finding.")
    other_view_sound: bool = Field(
        default=False, description="The other professional's decision is sound: the trainee "
        "learns why by asking (a `rationale` event) and should accept it, not push on up the "
        "ladder. False: their view is not sound, and accepting it is a finding.")
    events: list[ScriptedEvent] = Field(default_factory=list)
    behaviour: dict[str, Any] = Field(
        default_factory=dict, description="Overrides of the policy's behaviour block."
    )
    fixed: FixedDraws = Field(default_factory=FixedDraws)
    traps: list[Trap] = Field(default_factory=list)
    teaches: list[str] = Field(
        default_factory=list,
        description="Rule ids a passive player should be caught by (checked by lint).",
    )
    debrief: str = ""
    facts: list[Fact] = Field(
        default_factory=list, description="Dated facts the case file and chronology hold, "
        "which the trainee can put in a challenge (by id).")
    conversation: Conversation | None = Field(
        default=None, description="How the other professional answers a challenge; "
        "without one, a general model answers (docs/authoring.md, Conversations).")
