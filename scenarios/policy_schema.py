"""Pydantic models for escalation policies.

The schema describes *any* local partnership's escalation procedure, not only the two
bundled ones: chained timed steps inside a stage, mixed units, "as soon as possible and
within N", "whichever is less", a total cap, skip rights, sub-procedures started by an
event, emergency routes outside the stages, stages carried out on the raiser's behalf and
final stages that are meetings. Cross-references (roles, stages, rules) are checked in
`scenarios.checks`, which can name the exact field path of each problem.
"""

from __future__ import annotations

from datetime import time
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from scenarios.implied import add_practice_duties

Identifier = str
Unit = Literal[
    "asap", "same_working_day", "working_days", "calendar_days", "working_hours", "hours"
]
DayUnit = Literal["working_days", "calendar_days"]
DayOne = Literal["start_day", "next_working_day"]
Severity = Literal["critical", "major", "minor", "good_practice"]
PlanStatus = Literal["none", "CPP", "CLA"]
LevelOfNeed = Literal["universal", "early_help", "s17", "s47"]
Hours = Literal["office", "always", "out_of_hours"]
StepKind = Literal["contact", "meeting", "panel", "report"]
RecordKind = Literal[
    "case_file", "chronology", "summary_log", "stage_report", "written_confirmation"
]
WrittenPart = Literal["concern", "disagreement", "actions", "outcome", "next_steps", "lessons",
                      "optional"]
AgencyKind = Literal[
    "school", "early_years", "health", "childrens_services", "police", "partnership", "other"
]

RouteMatter = Literal["allegation_against_staff", "complaint"]
ROUTE_MATTERS: tuple[str, ...] = ("allegation_against_staff", "complaint")

ID_PATTERN = r"^[a-z0-9][a-z0-9_.\-]*$"


class Strict(BaseModel):
    """Refuses unknown keys so a typo in YAML fails loudly instead of being ignored."""

    model_config = ConfigDict(extra="forbid", frozen=False)


PLAN_WORDS = {"none": "has no plan", "CPP": "is on a child protection plan",
              "CLA": "is looked after"}


class Condition(Strict):
    """Which cases something applies to, read from the case's own facts: "only where the
    child is on a child protection plan", "where a social worker is allocated". Every part
    given must hold; a part left out holds for any case. Used by a step's or a stage's
    ``only_if`` (a case that does not match never owes it) and an emergency route's
    ``only_if`` (the case's route is the first whose condition matches)."""

    plan_status: list[PlanStatus] = Field(
        default_factory=list, description="The child's plan is one of these (empty: any).")
    allocated_social_worker: bool | None = Field(
        default=None, description="True: only where a social worker is allocated to the "
        "child; false: only where none is (the chair differs); none: either.")
    level_of_need: list[LevelOfNeed] = Field(
        default_factory=list, description="The case's level of need is one of these.")
    police_matter: bool | None = Field(
        default=None, description="Emergency routes only: the facts state a crime or an "
        "emergency (a scenario's `police_matter`), known when the risk arises.")
    text: str | None = Field(default=None, description="The policy's own words for the "
                             "condition, shown wherever it is named.")

    def matches(self, plan_status: str, allocated: bool, level_of_need: str,
                police_matter: bool = False) -> bool:
        """Whether a case with these facts meets every part of the condition."""
        return ((not self.plan_status or plan_status in self.plan_status)
                and self.allocated_social_worker in (None, allocated)
                and (not self.level_of_need or level_of_need in self.level_of_need)
                and self.police_matter in (None, police_matter))

    @property
    def words(self) -> str:
        """"only where …", in the policy's words if it gives them."""
        if self.text:
            return self.text
        parts = []
        if self.plan_status:
            parts.append("the child " + " or ".join(PLAN_WORDS[p] for p in self.plan_status))
        if self.allocated_social_worker is not None:
            parts.append("a social worker is allocated" if self.allocated_social_worker
                         else "no social worker is allocated")
        if self.level_of_need:
            parts.append("the level of need is " + " or ".join(self.level_of_need))
        if self.police_matter is not None:
            parts.append("the facts state a crime or an emergency" if self.police_matter
                         else "the facts state no crime or emergency")
        return "only where " + " and ".join(parts) if parts else "in every case"


class DayReading(Strict):
    """How the policy's "Day N" is read: the source text never says, so the file must."""

    day_unit: DayUnit
    day_one: DayOne
    asap_working_days: int = Field(
        default=1, ge=0, description="How 'as soon as possible' is judged: by close of office on"
        " the Nth working day after the anchor (0 = the same working day)."
    )
    text: str = Field(description="Why this reading was chosen; shown as an assumption.")


class OfficeHours(Strict):
    start: time = time(9, 0)
    end: time = time(17, 0)

    @model_validator(mode="after")
    def _start_before_end(self) -> OfficeHours:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("office hours are local wall-clock times; give no time zone")
        if self.start >= self.end:
            raise ValueError("office hours must start before they end")
        return self


class Deadline(Strict):
    """When something is due.

    Either the policy's own ``day: N`` ("Day N", read through `DayReading`), or ``within``
    an amount of ``unit`` counted from ``after`` (``start`` of the disagreement, the id of a
    step or stage whose completion starts the clock, or ``event:NAME``). ``unit: asap`` or
    ``same_working_day`` need no amount; ``asap: true`` with an amount reads "as soon as
    possible and within no more than N". ``earliest_of`` holds alternatives: the deadline
    is whichever falls first ("a working week or a timescale that protects the child,
    whichever is less"). ``advisory: true`` marks a limit the policy gives "as a guide":
    shown, told and stressed like any other, reported in the debrief, never penalised.
    """

    day: int | None = Field(default=None, ge=1)
    within: float | None = Field(default=None, gt=0)
    unit: Unit | None = None
    after: str = "start"
    asap: bool = False
    earliest_of: list[Deadline] = Field(default_factory=list)
    advisory: bool = Field(default=False, description="A guide, not a deadline: passing it "
                           "is reported as a note, never a finding that costs points.")
    text: str | None = Field(default=None, description="The policy's own words for it.")
    by_priority: dict[Identifier, Deadline] = Field(
        default_factory=dict, description="Priority id (`Policy.priorities`) → the deadline "
        "for a case of that priority ('urgent: within 1 working day; standard: within 5'); "
        "the outer fields, if any, are the deadline for a priority not listed. A tier "
        "counts from the outer `after` and is a guide with it unless it says otherwise.")
    set_by: Identifier | None = Field(
        default=None, description="A deadline set during the case: a role id ('the IRO will "
        "set a timescale') or 'parties' (the professionals agree one). It has no due time "
        "until that role (for 'parties', the other professional) replies at the step or "
        "stage; then it is that moment plus `within` `unit` (the amount the role typically "
        "sets; a scenario may say what it sets in its `set_deadlines`).")

    @model_validator(mode="after")
    def _one_form(self) -> Deadline:
        if any(tier.by_priority for tier in self.by_priority.values()):
            raise ValueError("a priority tier cannot have tiers of its own (by_priority)")
        if self.set_by is not None:
            if self.day is not None or self.within is None or self.earliest_of:
                raise ValueError("a deadline set during the case ('set_by') needs 'within' "
                                 "and a timed 'unit' (the amount typically set), not 'day' "
                                 "or 'earliest_of'")
            if self.after != "start":
                raise ValueError("a deadline set during the case counts from the moment it "
                                 "is set: give no 'after'")
        if self.day is not None:
            if self.unit is not None or self.within is not None:
                raise ValueError("give either 'day' or 'within' + 'unit', not both")
            return self
        if self.unit is None:
            if self.earliest_of or self.by_priority:
                return self
            raise ValueError("a deadline needs 'day', or 'unit' (and 'within' for timed units)")
        needs_amount = self.unit not in ("asap", "same_working_day")
        if needs_amount and self.within is None:
            raise ValueError(f"unit '{self.unit}' needs an amount in 'within'")
        if not needs_amount and self.within is not None:
            raise ValueError(f"unit '{self.unit}' takes no 'within' amount")
        return self


class Priority(Strict):
    """A case priority whose tier of each deadline applies ("urgent: within 1 working day")."""

    id: Identifier = Field(pattern=ID_PATTERN)
    title: str = Field(description="How the trainee is told it, e.g. 'Urgent'.")
    text: str | None = Field(default=None, description="The policy's own words for when a "
                             "case has this priority.")
    default: bool = Field(default=False, description="The priority of a case that names "
                          "none (at most one priority is the default).")


class Agency(Strict):
    id: Identifier = Field(pattern=ID_PATTERN)
    name: str
    kind: AgencyKind


class Role(Strict):
    """A role, never a person: titles come verbatim from the representation table."""

    id: Identifier = Field(pattern=ID_PATTERN)
    title: str
    short: str | None = Field(default=None, description="Short label for narrow screens.")
    agency: Identifier
    level: int = Field(ge=0, le=9, description="0 front line … 9 partnership chair.")
    hours: Hours = "office"
    phone: str | None = Field(default=None, description="Public service numbers only.")
    capacity: int = Field(default=1, ge=1)

    @property
    def label(self) -> str:
        return self.short or self.title


class Step(Strict):
    """One action inside a stage, with who does it for each agency and when it is due."""

    id: Identifier = Field(pattern=ID_PATTERN)
    action: str = Field(description="Short name of the step, as in the representation table.")
    guidance: str | None = Field(default=None, description="What the step involves, in full.")
    kind: StepKind = "contact"
    representation: dict[Identifier, list[Identifier]] = Field(
        description="Agency id (or '*' for every agency) → the roles who act at this step."
    )
    deadline: Deadline | None = None
    carried_out_by: Identifier | None = Field(
        default=None, description="A role that carries the step out on the raiser's behalf "
        "('the DSL will raise it at Stage 2 on their behalf'): the trainee's duty there is "
        "to ask that role, who then takes the step with the counterpart; contacting the "
        "counterpart directly is the wrong route. The proxy's own holder acts as at any "
        "step; a proxy of the other party's agency acts for that side only."
    )
    records: list[Identifier] = Field(
        default_factory=list, description="Records that must be made at this step."
    )
    requires: list[Identifier] = Field(
        default_factory=list, description="Records that must exist before this step starts."
    )
    rules: list[Identifier] = Field(default_factory=list)
    assumed: bool = False
    only_if: Condition | None = Field(
        default=None, description="The step is part of the ladder only for cases that "
        "match (the chair differs where no social worker is allocated; a CP-plan dispute "
        "goes to the conference chair): a case that does not match never owes it.")
    # Role id → agency id, filled in by the Policy that holds the step (for "*" rows).
    _role_agency: dict[str, str] = PrivateAttr(default_factory=dict)

    def roles_for(self, agency: str) -> list[str]:
        """Who acts at this step for an agency: its own entry, else the "*" entry.

        "*" names the roles for every agency at once, so where it lists some of the agency's
        own roles those are the ones that act for it (a teacher does not act for children's
        services); where it lists none of them (a partnership chair), all of them act.
        """
        named = self.representation.get(agency)
        if named:
            return named
        every = self.representation.get("*", [])
        own = [r for r in every if self._role_agency.get(r) == agency]
        return own or every


class Stage(Strict):
    id: Identifier = Field(pattern=ID_PATTERN)
    number: int = Field(ge=1)
    name: str
    steps: list[Step] = Field(min_length=1)
    deadline: Deadline | None = Field(
        default=None, description="When the stage must be concluded (resolved or escalated)."
    )
    rules: list[Identifier] = Field(default_factory=list)
    assumed: bool = False
    only_if: Condition | None = Field(
        default=None, description="The whole stage is part of the ladder only for cases "
        "that match; a case that does not match never owes it.")
    on_timeout: Literal["wait", "escalate"] = Field(
        default="wait", description="'escalate': when the stage's governing deadline (its "
        "own, else its last step's) passes with the case still at the stage, taken up but "
        "unanswered, the procedure moves the case to the next stage itself ('if no response "
        "is received within 2 working days the matter automatically escalates'); that "
        "concludes the stage in time, and the next stage's clock runs from then.")
    on_timeout_rule: Identifier | None = Field(
        default=None, description="The rule whose clause makes the escalation automatic: "
        "quoted to the trainee when it happens (required with on_timeout: escalate).")
    decided_by: list[Identifier] = Field(
        default_factory=list, description="Roles whose decision alone resolves the stage "
        "('the Head of Service's decision is final'): anyone else agreeing does not; empty: "
        "whoever the trainee deals with at the stage. Judged by a 'decider' duty citing a "
        "rule the stage lists.")

    def governing_deadline(self) -> Deadline | None:
        """The deadline by which the stage must conclude: its own, else its last step's."""
        return self.deadline or self.steps[-1].deadline


class Procedure(Strict):
    """A sub-procedure whose clock starts at an event, e.g. dissent at a conference."""

    id: Identifier = Field(pattern=ID_PATTERN)
    title: str
    starts_on: str = Field(description="Event name that starts this procedure's clock.")
    stages: list[Stage] = Field(min_length=1)


class SkipRight(Strict):
    """Who may go straight to a later stage, and when."""

    roles: list[Identifier] = Field(min_length=1)
    to_stage: Identifier
    when: Literal["always", "immediate_risk"] = "immediate_risk"
    rule: Identifier | None = None


class Immediately(Strict):
    """How the policy reads "immediately" / "do not wait": a tolerance in minutes.

    A policy that gives no number still needs one to be judged; the file states it (and
    lists it as an assumption), never the code.
    """

    within_minutes: float = Field(gt=0, le=24 * 60)
    text: str = Field(description="The words shown beside the limit, e.g. 'straight away'.")


class EmergencyRoute(Strict):
    """A route outside the stages, e.g. immediate risk of significant harm.

    Due at the soonest of: ``immediately`` after the risk is known, the moment the child is
    next with the person who may harm them (a scenario event), and ``deadline`` (the outer
    limit; `sim.emergency` reads it).
    """

    id: Identifier = Field(pattern=ID_PATTERN)
    when: Literal["immediate_risk"] = "immediate_risk"
    deadline: Deadline
    out_of_hours_deadline: Deadline | None = Field(
        default=None,
        description="When the risk is known outside office hours: the deadline that applies "
        "instead of `deadline` (a same-working-day cut-off would otherwise let the call wait "
        "for the next working day, which the emergency route exists to prevent).",
    )
    immediately: Immediately | None = None
    in_hours: list[Identifier] = Field(min_length=1)
    out_of_hours: list[Identifier] = Field(min_length=1)
    only_if_police_matter: list[Identifier] = Field(
        default_factory=list,
        description="Roles of the route required only where the facts state a crime or an "
        "emergency (a scenario's `police_matter`); elsewhere calling them is advice. For a "
        "policy whose clause names no police.",
    )
    rules: list[Identifier] = Field(default_factory=list)
    only_if: Condition | None = Field(
        default=None, description="The cases this route is for: a case's immediate-risk "
        "route is the first listed whose condition matches (none: every case), e.g. the "
        "child's own social worker for a child on a plan, the front door otherwise.")
    out_of_hours_rule: Identifier | None = Field(
        default=None, description="The rule a risk known out of hours is judged by, when the "
        "policy has its own clause for out of hours (otherwise the first of `rules`).",
    )

    def deadline_for(self, in_office: bool) -> Deadline:
        """The deadline for a risk known in or out of office hours."""
        if not in_office and self.out_of_hours_deadline is not None:
            return self.out_of_hours_deadline
        return self.deadline

    def roles_for(self, in_office: bool) -> list[Identifier]:
        """Whom to refer to at that hour."""
        return list(self.in_hours if in_office else self.out_of_hours)


class OutsideRoute(Strict):
    """A route outside the ladder for a matter that is not a professional disagreement:
    an allegation against someone who works with children (the LADO), a complaint (the
    agency's own complaints process). Used by `UseRoute`; judged by `outside_route`.

    With ``alongside: true`` the route runs beside the ladder at any point (a referral to
    Cafcass where private-law proceedings are under way): using it never ends or replaces
    the ladder, and it is owed only where the scenario lists its matter (`alongside`)."""

    id: Identifier = Field(pattern=ID_PATTERN)
    matter: RouteMatter | Annotated[str, Field(pattern=ID_PATTERN)] = Field(
        description="'allegation_against_staff' or 'complaint' (the route replaces the "
        "ladder); for an alongside route, a name of your own, e.g. 'private_law'.")
    alongside: bool = Field(
        default=False, description="The route runs beside the ladder: never ends it, never "
        "a skip; owed only where the scenario says its matter applies.")
    action: str = Field(description="What the trainee does, as offered in the menu, e.g. "
                        "'Refer the allegation to the LADO'.")
    to: str = Field(description="Who receives it, in plain words.")
    response: str = Field(description="What the receiver says back (shown in the inbox).")
    deadline: Deadline | None = Field(
        default=None, description="When it is due, counted from the moment the matter is "
        "known; none: judged once the exercise ends.")
    rule: Identifier

    @model_validator(mode="after")
    def _matter_fits(self) -> OutsideRoute:
        if not self.alongside and self.matter not in ROUTE_MATTERS:
            raise ValueError(f"matter '{self.matter}' is not one the ladder gives way to "
                             f"({', '.join(ROUTE_MATTERS)}); a route that runs beside the "
                             "ladder needs 'alongside: true'")
        if self.alongside and self.matter in ROUTE_MATTERS:
            raise ValueError(f"'{self.matter}' replaces the ladder; name the matter of a "
                             "route that runs beside it in your own words")
        return self


class Notification(Strict):
    """Someone the trainee must tell (the IRO for a child on a plan), or a notify-only
    copy at a stage ("at Stage 2, copy the escalation to the DSL for information")."""

    id: Identifier = Field(pattern=ID_PATTERN)
    role: Identifier
    when_plan_status: list[PlanStatus] = Field(
        default_factory=lambda: ["none", "CPP", "CLA"], min_length=1,
        description="The child's plan statuses that call for it (default: every one).")
    by_step: Identifier | None = Field(
        default=None, description="Notify no later than the deadline of this step."
    )
    at_stage: Identifier | None = Field(
        default=None, description="A copy owed at this stage only: sent while the case is "
        "at it (after entering it), by its deadline (or by_step's); owed only once the case "
        "reaches the stage.")
    rule: Identifier


class RecordType(Strict):
    id: Identifier = Field(pattern=ID_PATTERN)
    title: str
    kind: RecordKind
    appendix: str | None = None
    fields: list[str] = Field(default_factory=list)
    rule: Identifier | None = None
    written: dict[str, WrittenPart] = Field(
        default_factory=dict, description="Field key → what the trainee writes there (the "
        "concern with dated facts, the disagreement: the decision challenged and its "
        "category, the actions, the outcome, the next steps, the lessons; 'optional' for "
        "their own words the form does not require). Written fields start empty and are "
        "scored (scoring/recording.py); the rest are case facts the form offers filled.")

    def holds_writing(self, fields: dict[str, str], text: str) -> bool:
        """Whether an entry holds the trainee's own words, so it counts as a record made: a
        form's written fields (any but 'optional'), else the entry's text or any field. A
        form saved with only the case facts it was offered is not a record. Written
        confirmation is made by its action and always counts."""
        if self.kind == "written_confirmation":
            return True
        if self.written:
            return any(str(fields.get(k, "")).strip() for k, part in self.written.items()
                       if part != "optional")
        return bool(text.strip()) or any(str(v).strip() for v in fields.values())

    def written_keys(self, part: str) -> list[str]:
        """The field keys the trainee writes ``part`` in (e.g. "outcome"), in form order."""
        return [k for k in self.field_keys if self.written.get(k) == part]

    @property
    def field_keys(self) -> list[str]:
        """One unique key per field, in order. Source forms repeat labels (Appendix 2 has
        "Role and Agency" twice), and a record's values are stored by key, so a repeat gets
        its ordinal: "Role and Agency", "Role and Agency (2)"."""
        seen: dict[str, int] = {}
        keys = []
        for label in self.fields:
            seen[label] = seen.get(label, 0) + 1
            keys.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
        return keys


DutyAction = Literal[
    "contact_ladder", "contact_any", "contact_childrens_services", "escalate", "refer",
    "professionals_meeting", "record", "notify", "inform_referrer", "confirm_outcome",
    "use_route",
]
JudgeKind = Literal[
    "action",  # any of `satisfied_by` done after the trigger (by `by`, if given)
    "emergency_route",  # the immediate-risk route: every required service, immediately
    "stage_deadline",  # steps/stages listing the rule concluded (or taken up) by their due
    "discussion",  # stage_deadline, and the discussion by phone or face to face, not e-mail
    "consider_meeting",  # stage_deadline, and a professionals meeting considered at the step
    "records",  # the step's records (whose record type cites the rule) made, promptly
    "record_content",  # what was written on those records: dated facts, decision, outcome…
    "collate_log",  # a safeguarding representative collates the case on the summary log
    "required_before",  # records a step `requires` made before entering it
    "notify",  # the policy's notifications that cite the rule, by their step's deadline
    "outcome_report",  # resolved at a step listing the rule: the outcome on the stage report
    "right_role",  # contacts to the role the representation table names at the step
    "no_skip",  # no step jumped without immediate risk or a skip right
    "inform_referrer",  # the person who raised the concern told of each escalation, outcome
    "confirm_outcome",  # the agreed outcome confirmed in writing between the parties
    "line_management",  # at steps listing the rule, the seat's own line management involved
    "respect_views",  # hear the other professional's reasons; accept a sound view, not push on
    "outside_route",  # a matter that is not a disagreement goes by its own route, not the ladder
    "decider",  # at stages listing the rule, the role(s) the stage's `decided_by` names decide
]
SeatKind = Literal["any", "representative", "staff_outside_table"]
TriggerName = Literal["disagreement_raised", "immediate_risk_known", "new_information",
                      "resolved"]
TRIGGER_PATTERN = r"^(entered|event|reply|timed_out):[a-z0-9][a-z0-9_.\-]*$"
"""A trigger that names something of the case: a step or stage reached, an event, a reply,
another duty's deadline passing with it not done."""
DEADLINE_JUDGES: frozenset[str] = frozenset({"stage_deadline", "discussion", "consider_meeting"})
"""The judge kinds that read the deadlines of the steps and stages listing their rule: a
deadline that none of them cites is never judged (`escalate check` refuses it)."""


class Duty(Strict):
    """A duty as data: which generic judge (`scoring.judges`) holds the trainee to it.

    ``judge`` picks the kind of duty; where it applies comes from the policy (the steps,
    stages, routes, notifications and records that list ``rule``); ``seat`` says who owes
    it; the finding cites ``rule`` verbatim. For ``judge: action``, ``trigger``,
    ``satisfied_by``, ``by``, ``expected`` and ``missing`` say what is owed in words from
    the policy file, never from code.
    """

    id: Identifier = Field(pattern=ID_PATTERN)
    rule: Identifier = Field(description="The rule whose clause this duty cites.")
    judge: JudgeKind = "action"
    seat: SeatKind = Field(
        default="any", description="Who owes it: anyone; a seat the table names at the "
        "rule's steps (a safeguarding representative); or a member of staff of a school the "
        "table names nowhere (the in-school route).")
    trigger: TriggerName | Annotated[str, Field(pattern=TRIGGER_PATTERN)] = Field(
        default="disagreement_raised", description="When the duty becomes owed: "
        "'disagreement_raised', 'immediate_risk_known', 'new_information' (each time), "
        "'resolved' (so `by` counts from the outcome), 'entered:STEP_OR_STAGE' (when the case "
        "reaches it), 'event:NAME' (a scenario event, e.g. a conference held) or "
        "'reply:ROLE' (the first reply from that role) or 'timed_out:DUTY' (each time that "
        "dated action duty's deadline passed with it not done).")
    roles: list[Identifier] = Field(
        default_factory=list, description="Owed only by a trainee seated in one of these "
        "roles; empty: whoever holds the case.")
    agencies: list[Identifier] = Field(
        default_factory=list, description="Owed only by a trainee from one of these "
        "agencies; empty: any agency.")
    only_if: Condition | None = Field(
        default=None, description="Owed only in a case that meets it (the child on a plan "
        "or looked after, a social worker allocated, a level of need, a police matter); "
        "none: in every case.")
    satisfied_by: list[DutyAction] = Field(default_factory=list)
    by: Deadline | None = None
    severity: Severity | None = Field(default=None, description="Default: the rule's own.")
    theme: Literal["safety", "timeliness", "right_person", "recording", "communication"] = (
        "communication")
    expected: str | None = Field(default=None, description="What good looks like (action).")
    missing: str | None = Field(default=None, description="What the trainee is told if it "
                                "was never done (action).")
    if_resolved_at: list[Identifier] = Field(
        default_factory=list, description="Stage or step ids: the duty is owed only when the "
        "disagreement was resolved at one of them ('a letter only if resolved at this "
        "stage'); empty: whatever the outcome.")

    def owed_for_outcome(self, stage_id: str | None, step_id: str | None) -> bool:
        """Whether a case resolved at this stage and step (None: not resolved) owes the
        duty: always, unless ``if_resolved_at`` names other stages or steps."""
        if not self.if_resolved_at:
            return True
        return bool({stage_id, step_id} & set(self.if_resolved_at) - {None})

    @model_validator(mode="after")
    def _action_needs_words(self) -> Duty:
        if self.judge == "action" and not (self.satisfied_by and self.expected and self.missing):
            raise ValueError("an 'action' duty needs satisfied_by, expected and missing")
        return self


class Rule(Strict):
    """A rule of the catalogue with the clause it comes from, quoted verbatim."""

    id: Identifier = Field(pattern=r"^[A-Z]+[0-9]+$")
    title: str
    clause: str = Field(description="Where in the source the quote is found.")
    quote: str = Field(min_length=10)
    extra_quotes: list[str] = Field(default_factory=list)
    severity: Severity = "major"
    basis: Literal["policy", "guidance"] = Field(
        default="policy", description="'guidance': the policy is silent and the duty rests on "
        "national guidance (`guidance` names it); the quote is the guidance's, shown as an "
        "assumption in the debrief and not checked against the policy's source.")
    guidance: str | None = Field(default=None, description="The guidance quoted, e.g. "
                                 "'Working Together to Safeguard Children 2023, chapter 2'.")
    judged_with: Identifier | None = Field(
        default=None, description="A rule with no duty of its own because another rule's "
        "duty judges it (e.g. a Stage 2 immediate-risk route judged with the emergency route).")


class Category(Strict):
    id: Identifier = Field(pattern=ID_PATTERN)
    text: str
    terms: list[str] = Field(
        default_factory=list, description="Words that name this category in a trainee's "
        "record (any one, case-insensitive), each taken from `text`; without them the "
        "category's id words are used.")

    @property
    def names(self) -> list[str]:
        """What counts as naming the category: its terms, else its id's longer words."""
        return self.terms or [w for w in self.id.split("_") if len(w) > 3]


class Assumption(Strict):
    id: Identifier
    text: str
    affects: list[str] = Field(default_factory=list)


class Distribution(Strict):
    """A delay in working hours. Lognormal by default: most replies quick, a long tail."""

    dist: Literal["lognormal", "exponential", "fixed", "never"] = "lognormal"
    median: float = Field(default=8.0, ge=0)
    sigma: float = Field(default=1.0, ge=0)
    mean: float | None = Field(default=None, ge=0, description="For 'exponential'.")


class ModelEvent(Strict):
    """How often, and how long after the concern, an event happens in a generated case: a
    child protection conference held (it starts a sub-procedure), new information that
    needs a fresh referral, an allegation against staff coming to light. Scenarios script
    their own events; these let `stress` put the duties they start to the test."""

    chance: float = Field(ge=0, le=1, description="Share of generated cases it happens in.")
    after_hours: Distribution = Field(
        default_factory=lambda: Distribution(median=40.0, sigma=0.8),
        description="Working hours from the concern being raised to the event.")
    text: str = Field(min_length=3, description="What the trainee is told when it happens.")
    referral_needed: bool = Field(default=False, description="New information that signals "
                                  "significant harm: a fresh referral is owed.")
    matter: RouteMatter | None = Field(default=None, description="It makes known a matter "
                                       "with a route of its own (`outside_routes`).")


class Behaviour(Strict):
    """Model defaults for the other professionals; every number can be swept by path."""

    reply_hours: Distribution = Field(default_factory=Distribution)
    meeting_hours: Distribution = Field(
        default_factory=lambda: Distribution(median=16.0, sigma=0.8)
    )
    reply_factor_by_role: dict[Identifier, Annotated[float, Field(ge=0)]] = Field(
        default_factory=dict,
        description="Role id → multiplier of that role's turnaround (reply_hours, or "
        "meeting_hours at a meeting or panel step); unlisted roles 1. Read by the stress "
        "engines.",
    )
    resolve_chance: dict[Identifier, float] = Field(
        default_factory=dict,
        description="Stage id → chance the disagreement is resolved within that stage (shared "
        "evenly over its steps), or step id → chance at that step alone.",
    )
    category_factor: dict[Identifier, float] = Field(default_factory=dict)
    risk_per_working_day: float = Field(default=0.0, ge=0, le=1)
    absence_chance: float = Field(default=0.05, ge=0, le=1)
    absence_days: float = Field(default=3.0, ge=0)
    out_of_hours_reply_minutes: float = Field(default=20.0, ge=0)
    phone_answer_chance: float = Field(
        default=0.6, ge=0, le=1, description="Chance an in-hours phone call is answered at once."
    )
    events: dict[Identifier, ModelEvent] = Field(
        default_factory=dict, description="Event name (e.g. a sub-procedure's `starts_on`) "
        "→ how often and when it happens in a generated case.")
    priority_mix: dict[Identifier, Annotated[float, Field(ge=0)]] = Field(
        default_factory=dict, description="Priority id → its share of generated cases (a case "
        "draws its priority from these shares; none: every generated case has the default "
        "priority).")
    alongside: dict[Identifier, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=dict, description="Matter of an alongside route → the share of "
        "generated cases it applies to (e.g. private-law proceedings), so `stress` tests "
        "that route's clock.")


class SourceDocument(Strict):
    """The document a policy file encodes. Its adopter (a real school or nursery provider) is
    named as the source on the policy screen only; fictional cases never happen there."""

    file: str
    title: str
    adopted_by: str | None = Field(
        default=None, description="The organisation whose copy of the procedure this is.")
    date: str | None = Field(
        default=None, description="The document's date in its own words (approved, reviewed, "
        "due for review), so a trainee can see how old it is.")

    @property
    def dated(self) -> str:
        return f"Document date: {self.date}" if self.date else "The document gives no date"


class Policy(Strict):
    """A whole escalation procedure as data."""

    id: Identifier = Field(pattern=ID_PATTERN)
    version: int = Field(ge=1)
    title: str
    source: SourceDocument
    ladder_is_assumption: bool = False
    day_reading: DayReading
    office_hours: OfficeHours = Field(default_factory=OfficeHours)
    agencies: list[Agency] = Field(min_length=1)
    roles: list[Role] = Field(min_length=1)
    categories: list[Category] = Field(default_factory=list)
    priorities: list[Priority] = Field(
        default_factory=list, description="Case priorities that pick a deadline's tier "
        "(`Deadline.by_priority`).")
    stages: list[Stage] = Field(min_length=1)
    procedures: list[Procedure] = Field(default_factory=list)
    total_cap: Deadline | None = Field(
        default=None, description="A limit on the whole procedure, across every stage.")
    total_cap_rules: list[Identifier] = Field(
        default_factory=list, description="Rules whose clause states the total cap; a "
        "deadline-reading duty citing one of them holds the trainee to it.")
    skip_rights: list[SkipRight] = Field(default_factory=list)
    emergency_routes: list[EmergencyRoute] = Field(default_factory=list)
    outside_routes: list[OutsideRoute] = Field(default_factory=list)
    notifications: list[Notification] = Field(default_factory=list)
    records: list[RecordType] = Field(default_factory=list)
    rules: list[Rule] = Field(min_length=1)
    duties: list[Duty] = Field(default_factory=list)
    assumptions: list[Assumption] = Field(default_factory=list)
    behaviour: Behaviour = Field(default_factory=Behaviour)

    def model_post_init(self, context: object, /) -> None:
        """Tell every step whose roles are whose, so a "*" row reads per agency; add the
        practice duties the policy is silent on (`scenarios.implied`)."""
        add_practice_duties(self)
        agency_of = {r.id: r.agency for r in self.roles}
        for stage in [*self.stages, *(s for p in self.procedures for s in p.stages)]:
            for step in stage.steps:
                step._role_agency = agency_of

    # Lookups used throughout the model; cheap enough to build on demand.
    def role(self, role_id: str) -> Role:
        return next(r for r in self.roles if r.id == role_id)

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)

    def stage(self, stage_id: str) -> Stage:
        return next(s for s in self.stages if s.id == stage_id)

    def priority(self, priority_id: str | None) -> Priority | None:
        """A priority by id; None for none (or an id the policy does not have)."""
        return next((p for p in self.priorities if p.id == priority_id), None)

    @property
    def default_priority(self) -> str | None:
        """The priority of a case that names none."""
        return next((p.id for p in self.priorities if p.default), None)

    def agency(self, agency_id: str) -> Agency:
        return next(a for a in self.agencies if a.id == agency_id)

    def record(self, record_id: str) -> RecordType:
        return next(r for r in self.records if r.id == record_id)

    def steps(self) -> list[tuple[Stage, Step]]:
        return [(stage, step) for stage in self.stages for step in stage.steps]

    def role_ids(self) -> set[str]:
        return {r.id for r in self.roles}

    def local_check_note(self) -> str:
        """Why a trainee must check their current local procedure: the training copy has a
        date, and numbers and opening hours change."""
        phones = "; ".join(f"{r.title} {r.phone}" for r in self.roles if r.phone)
        hours = f"{self.office_hours.start:%H:%M}–{self.office_hours.end:%H:%M}, Mon–Fri"
        what = (f"The numbers printed in it ({phones}) and front-door hours" if phones
                else "Front-door hours")
        return (f"{self.source.dated}. {what} (taken as {hours}) may have changed: check your "
                "current local procedure before you act.")
