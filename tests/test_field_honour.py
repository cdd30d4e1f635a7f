"""No policy field validates that the trainer ignores in silence (issue #13).

Every field of the policy schema is listed here with the module that reads it (and the
expression it is read by), or with the note `escalate check` prints for it because the
trainer does not yet play it. A new field fails this test until someone says which code
honours it; a reader that disappears fails it too.
"""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from scenarios.checks import unhonoured
from scenarios.loader import load_policy
from scenarios.policy_schema import Policy
from tui.cli import main

# field path -> (module that honours it, the expression it is read by there)
READERS: dict[str, tuple[str, str]] = {
    "id": ("scenarios/catalogue.py", ".id"),
    "version": ("sim/provenance.py", ".version"),
    "title": ("tui/ladder_table.py", "policy.title"),
    "source": ("tui/screens/policy.py", "policy.source"),
    "source.file": ("scenarios/loader.py", ".source.file"),
    "source.title": ("tui/screens/policy.py", "source.title"),
    "source.adopted_by": ("tui/screens/policy.py", "source.adopted_by"),
    "source.date": ("scenarios/policy_schema.py", "self.source.date"),
    "ladder_is_assumption": ("tui/ladder_table.py", "policy.ladder_is_assumption"),
    "day_reading": ("sim/deadlines.py", ".day_reading"),
    "day_reading.day_unit": ("sim/deadlines.py", ".day_unit"),
    "day_reading.day_one": ("sim/calendar.py", "day_one"),
    "day_reading.asap_working_days": ("sim/deadlines.py", ".asap_working_days"),
    "day_reading.text": ("tui/screens/policy.py", "day_reading.text"),
    "office_hours": ("sim/deadlines.py", ".office_hours"),
    "office_hours.start": ("sim/deadlines.py", "office_hours.start"),
    "office_hours.end": ("sim/deadlines.py", "office_hours.end"),
    "agencies": ("sim/case.py", ".agencies"),
    "agencies.id": ("tui/ladder_table.py", "a.id"),
    "agencies.name": ("tui/ladder_table.py", ".name"),
    "agencies.kind": ("scoring/judges.py", ".kind"),
    "roles": ("scenarios/policy_schema.py", "self.roles"),
    "roles.id": ("scenarios/policy_schema.py", "r.id == role_id"),
    "roles.title": ("tui/ladder_table.py", ".title"),
    "roles.short": ("tui/screens/case.py", "policy.role(r).label"),
    "roles.agency": ("sim/case.py", ".agency"),
    "roles.level": ("sim/case.py", ".level"),
    "roles.hours": ("sim/world.py", "role.hours"),
    "roles.phone": ("scenarios/policy_schema.py", "r.phone"),  # the local-check note
    "roles.capacity": ("sim/world.py", ".capacity"),
    "categories": ("sim/case.py", ".categories"),
    "categories.id": ("sim/case.py", ".id"),
    "categories.text": ("scoring/forms.py", ".text"),
    "categories.terms": ("scoring/recording.py", "category.names"),
    # Priority tiers: the case's priority picks each deadline's tier (tests/
    # test_vocabulary_priority_set_by.py).
    "priorities": ("sim/session.py", "self.policy.priority(self.priority)"),
    "priorities.id": ("scenarios/policy_schema.py", "p.id == priority_id"),
    "priorities.title": ("scenarios/case_deadlines.py", ".title"),
    "priorities.text": ("sim/session.py", "priority.text"),
    "priorities.default": ("scenarios/policy_schema.py", "p.default"),
    "stages": ("sim/deadlines.py", "policy.stages"),
    "stages.id": ("sim/labels.py", "stage.id"),
    "stages.number": ("sim/players.py", ".number"),
    "stages.name": ("sim/labels.py", "stage.name"),
    "stages.steps": ("sim/labels.py", "stage.steps"),
    "stages.steps.id": ("sim/labels.py", "step.id"),
    "stages.steps.action": ("sim/labels.py", "step.action"),
    "stages.steps.guidance": ("tui/ladder_table.py", "step.guidance"),
    "stages.steps.kind": ("sim/session.py", ".kind"),
    "stages.steps.representation": ("tui/ladder_table.py", "step.representation"),
    "stages.steps.deadline": ("sim/session.py", "step.deadline"),
    "stages.steps.deadline.day": ("sim/deadlines.py", "deadline.day"),
    "stages.steps.deadline.within": ("sim/deadlines.py", "deadline.within"),
    "stages.steps.deadline.unit": ("sim/deadlines.py", "deadline.unit"),
    "stages.steps.deadline.after": ("sim/deadlines.py", "deadline.after"),
    "stages.steps.deadline.asap": ("sim/deadlines.py", "deadline.asap"),
    "stages.steps.deadline.earliest_of": ("sim/deadlines.py", "deadline.earliest_of"),
    "stages.steps.deadline.advisory": ("sim/verdicts.py", "deadline.advisory"),
    "stages.steps.deadline.text": ("sim/labels.py", "deadline.text"),
    "stages.steps.deadline.by_priority": ("scenarios/case_deadlines.py",
                                          "deadline.by_priority.get(chosen)"),
    "stages.steps.deadline.set_by": ("sim/session.py", "deadline.set_by"),
    "stages.steps.records": ("scoring/checks.py", "step.records"),
    "stages.steps.requires": ("scoring/checks.py", ".requires"),
    "stages.steps.rules": ("scoring/checks.py", "step.rules"),
    "stages.steps.assumed": ("tui/ladder_table.py", "stage.assumed"),
    "stages.steps.only_if": ("scenarios/conditions.py", "facts.meets(step.only_if)"),
    "stages.steps.only_if.plan_status": ("scenarios/policy_schema.py", "self.plan_status"),
    "stages.steps.only_if.allocated_social_worker": ("scenarios/policy_schema.py",
                                                     "self.allocated_social_worker"),
    "stages.steps.only_if.level_of_need": ("scenarios/policy_schema.py", "self.level_of_need"),
    "stages.steps.only_if.police_matter": ("scenarios/policy_schema.py", "self.police_matter"),
    "stages.steps.only_if.text": ("scenarios/policy_schema.py", "self.text"),
    "stages.only_if": ("scenarios/conditions.py", "facts.meets(stage.only_if)"),
    "stages.deadline": ("sim/session.py", "stage.deadline"),
    "stages.rules": ("scoring/checks.py", "stage.rules"),
    "stages.assumed": ("tui/ladder_table.py", "stage.assumed"),
    # Structure vocabulary: tests/test_vocabulary_stage_rules.py.
    "stages.on_timeout": ("sim/session.py", "stage.on_timeout"),
    "stages.on_timeout_rule": ("sim/session_deadlines.py", "stage.on_timeout_rule"),
    "stages.decided_by": ("sim/session.py", ".decided_by"),
    # Sub-procedures: played by the Session, judged by the deadline duties, stressed on the
    # events behaviour.events models (`check` notes one it does not, tests/test_duty_rates.py).
    "procedures": ("sim/session.py", "self.policy.procedures"),
    "procedures.id": ("sim/session_procedures.py", "self.procedures_started[procedure.id]"),
    "procedures.title": ("sim/labels.py", "procedure.title"),
    "procedures.starts_on": ("sim/session.py", "procedure.starts_on in (event.id, event.kind)"),
    "procedures.stages": ("sim/verdicts.py", "procedure.stages"),
    "total_cap": ("scoring/checks.py", "policy.total_cap"),
    "total_cap_rules": ("scoring/checks.py", "policy.total_cap_rules"),
    "skip_rights": ("scoring/checks.py", "policy.skip_rights"),
    "skip_rights.roles": ("scoring/checks.py", "s.roles"),
    "skip_rights.to_stage": ("scoring/checks.py", "s.to_stage"),
    "skip_rights.when": ("scoring/checks.py", "s.when"),
    "skip_rights.rule": ("scenarios/checks.py", "skip"),
    "outside_routes": ("sim/session.py", "policy.outside_routes"),
    "outside_routes.id": ("sim/session_actions.py", "r.id == route_id"),
    "outside_routes.matter": ("scoring/judges.py", "route.matter"),
    "outside_routes.action": ("sim/observation.py", "route.action"),
    "outside_routes.to": ("sim/session.py", "route.to"),
    "outside_routes.response": ("sim/session_actions.py", "route.response"),
    "outside_routes.deadline": ("scoring/judges.py", "route.deadline"),
    "outside_routes.rule": ("scoring/judges.py", "route.rule"),
    "outside_routes.alongside": ("sim/session.py", "route.alongside"),
    "emergency_routes": ("scenarios/conditions.py", "policy.emergency_routes"),
    "emergency_routes.id": ("scenarios/checks.py", "route"),
    "emergency_routes.when": ("scenarios/conditions.py", "policy.emergency_routes"),
    "emergency_routes.deadline": ("sim/emergency.py", "route.deadline"),
    "emergency_routes.out_of_hours_deadline": ("scenarios/policy_schema.py",
                                               "self.out_of_hours_deadline"),
    "emergency_routes.immediately": ("sim/emergency.py", "route.immediately"),
    "emergency_routes.immediately.within_minutes": ("sim/emergency.py", "within_minutes"),
    "emergency_routes.immediately.text": ("sim/emergency.py", ".text"),
    "emergency_routes.in_hours": ("sim/emergency.py", "route.in_hours"),
    "emergency_routes.out_of_hours": ("sim/emergency.py", "route.out_of_hours"),
    "emergency_routes.only_if_police_matter": ("sim/emergency.py", "only_if_police_matter"),
    "emergency_routes.rules": ("scoring/__init__.py", "rules"),
    "emergency_routes.only_if": ("scenarios/conditions.py", "facts.meets(r.only_if)"),
    "emergency_routes.out_of_hours_rule": ("scoring/judges.py", "out_of_hours_rule"),
    "notifications": ("scoring/judges.py", "policy.notifications"),
    "notifications.id": ("scoring/judges.py", "note.id"),
    "notifications.role": ("scoring/judges.py", "note.role"),
    "notifications.when_plan_status": ("scoring/judges.py", "note.when_plan_status"),
    "notifications.by_step": ("scoring/judges.py", "note.by_step"),
    "notifications.at_stage": ("scoring/judges.py", "note.at_stage"),
    "notifications.rule": ("scoring/judges.py", "note.rule"),
    "records": ("scoring/forms.py", "records"),
    "records.id": ("scoring/checks.py", "record"),
    "records.title": ("tui/screens/case.py", "record.title"),
    "records.kind": ("scoring/judges.py", ".kind"),
    "records.appendix": ("tui/screens/record_form.py", ".appendix"),
    "records.fields": ("scoring/forms.py", ".fields"),
    "records.rule": ("scoring/checks.py", ".rule"),
    "records.written": ("scoring/recording.py", ".written_keys("),
    "rules": ("scoring/context.py", "rule"),
    "rules.id": ("scoring/context.py", "rule"),
    "rules.title": ("scoring/context.py", ".title"),
    "rules.clause": ("scoring/context.py", ".clause"),
    "rules.quote": ("scoring/context.py", ".quote"),
    "rules.extra_quotes": ("scoring/judges.py", ".extra_quotes"),
    "rules.severity": ("scoring/context.py", ".severity"),
    "rules.basis": ("tui/ladder_table.py", "rule.basis"),
    "rules.guidance": ("tui/ladder_table.py", "rule.guidance"),
    "rules.judged_with": ("scoring/__init__.py", "judged_with"),
    "duties": ("scoring/__init__.py", "duties"),
    "duties.id": ("scenarios/checks.py", "duty"),
    "duties.rule": ("scoring/judges.py", "duty.rule"),
    "duties.judge": ("scoring/judges.py", "duty.judge"),
    "duties.seat": ("scoring/judges.py", "duty.seat"),
    "duties.trigger": ("scoring/judges.py", "duty.trigger"),
    "duties.satisfied_by": ("sim/duty_clock.py", "duty.satisfied_by"),
    "duties.by": ("sim/duty_clock.py", "duty.by"),
    "duties.severity": ("scoring/judges.py", "duty.severity"),
    "duties.theme": ("scoring/judges.py", "duty.theme"),
    "duties.expected": ("scoring/judges.py", "duty.expected"),
    "duties.missing": ("scoring/judges.py", "duty.missing"),
    "duties.if_resolved_at": ("scoring/judges.py", "duty.owed_for_outcome("),
    "duties.roles": ("sim/duty_clock.py", "duty.roles"),
    "duties.agencies": ("sim/duty_clock.py", "duty.agencies"),
    "duties.only_if": ("sim/duty_clock.py", "case_meets(session, duty.only_if)"),
    "assumptions": ("tui/ladder_table.py", "policy.assumptions"),
    "assumptions.id": ("scenarios/implied.py", "a.id"),
    "assumptions.text": ("tui/ladder_table.py", "a.text"),
    "assumptions.affects": ("tui/ladder_table.py", "a.affects"),
    "stages.steps.carried_out_by": ("sim/session.py", ".carried_out_by"),
    "behaviour": ("sim/world.py", "behaviour"),
    "behaviour.reply_hours": ("sim/world.py", "reply_hours"),
    "behaviour.reply_hours.dist": ("sim/world.py", ".dist"),
    "behaviour.reply_hours.median": ("sim/world.py", ".median"),
    "behaviour.reply_hours.sigma": ("sim/world.py", ".sigma"),
    "behaviour.reply_hours.mean": ("sim/world.py", ".mean"),
    "behaviour.meeting_hours": ("sim/world.py", "meeting_hours"),
    "behaviour.reply_factor_by_role": ("sim/world.py", "reply_factor_by_role"),
    "behaviour.resolve_chance": ("sim/session.py", "resolve_chance"),
    "behaviour.category_factor": ("sim/world.py", "category_factor"),
    "behaviour.risk_per_working_day": ("sim/world.py", "risk_per_working_day"),
    "behaviour.absence_chance": ("sim/world.py", "absence_chance"),
    "behaviour.absence_days": ("sim/world.py", "absence_days"),
    "behaviour.out_of_hours_reply_minutes": ("sim/world.py", "out_of_hours_reply_minutes"),
    "behaviour.phone_answer_chance": ("sim/world.py", "phone_answer_chance"),
    "behaviour.events": ("sim/case.py", "policy.behaviour.events"),
    "behaviour.alongside": ("sim/case.py", "policy.behaviour.alongside"),
    "behaviour.events.chance": ("sim/case.py", "model.chance"),
    "behaviour.events.after_hours": ("sim/case.py", "model.after_hours"),
    "behaviour.events.text": ("sim/case.py", "model.text"),
    "behaviour.events.referral_needed": ("sim/case.py", "model.referral_needed"),
    "behaviour.events.matter": ("sim/case.py", "model.matter"),
    "behaviour.priority_mix": ("sim/case.py", "behaviour.priority_mix"),
}

# Accepted, not yet played: `escalate check` prints a note and the policy screen lists it.
NOT_YET: dict[str, str] = {}


def schema_fields(model: type[BaseModel], prefix: str = "",
                  seen: set[type] | None = None) -> list[str]:
    seen = set() if seen is None else seen
    out: list[str] = []
    for name, field in model.model_fields.items():
        out.append(prefix + name)
        for outer in (field.annotation, *typing.get_args(field.annotation)):
            for inner in (outer, *typing.get_args(outer)):
                if isinstance(inner, type) and issubclass(inner, BaseModel) and inner not in seen:
                    seen.add(inner)
                    out += schema_fields(inner, f"{prefix}{name}.", seen)
    return out


def test_every_schema_field_is_listed_once():
    fields = schema_fields(Policy)
    listed = set(READERS) | set(NOT_YET)
    assert sorted(set(fields) - listed) == [], "new fields: say which code honours them"
    assert sorted(listed - set(fields)) == [], "listed fields the schema no longer has"
    assert not set(READERS) & set(NOT_YET)


@pytest.mark.parametrize("field", sorted(READERS))
def test_the_listed_reader_reads_it(field):
    module, expression = READERS[field]
    assert expression in Path(module).read_text(encoding="utf-8"), (field, module)


def with_unplayed_parts() -> Policy:
    data = load_policy("tests/fixtures/policies/minimal.yaml").model_dump()
    data["procedures"] = [{
        "id": "dissent", "title": "Conference dissent", "starts_on": "conference_dissent",
        "stages": [{"id": "pstage1", "number": 1, "name": "Dissent", "rules": ["T2"],
                    "steps": [{"id": "p1", "action": "Dissent recorded",
                               "representation": {"school": ["dsl"]}}]}]}]
    return Policy.model_validate(data)


def test_what_is_not_yet_played_is_said_not_ignored(tmp_path, capsys):
    policy = with_unplayed_parts()
    notes = unhonoured(policy)
    for field, words in NOT_YET.items():
        assert any(words in note for note in notes), field
    path = tmp_path / "unplayed.yaml"
    import yaml

    path.write_text(yaml.safe_dump(policy.model_dump(mode="json", exclude_none=True)),
                    encoding="utf-8")
    assert main(["check", "--no-lint", str(path)]) == 0
    out = capsys.readouterr().out
    assert "note: sub-procedure 'Conference dissent'" in out
    assert "so `stress` cannot test its clock" in out


def test_the_bundled_policies_use_nothing_unplayed():
    for path in sorted(Path("scenarios/policies").glob("*.yaml")):
        assert unhonoured(load_policy(path)) == [], path
