"""The bundled policies say what their source texts say.

Every check reads the source document itself (the shared copy when present, otherwise the
bundled one), so a transcription slip in the YAML fails here rather than in a trainee's
debrief.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from scenarios import citations
from scenarios.policy_schema import Policy
from sim.verdicts import governing

ROOT = Path(__file__).resolve().parents[1]
POLICY_DIR = ROOT / "scenarios" / "policies"
BUNDLED_SOURCES = ROOT / "scenarios" / "sources"
SHARED_SOURCES = Path(__file__).resolve().parents[2] / "shared" / "policies"

# policy id -> (source file name in shared/policies, bundled copy name)
SOURCES = {
    "liverpool-lscb": "barlows-primary-liverpool-lscb-escalation-procedure.txt",
    "bs3-early-years": "bs3-early-years-escalation-policy.txt",
}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
TABLE_TITLE = "LSCB Resolution & Escalation: Agency Representation"
TABLE_AGENCIES = ("school", "health", "childrens_services", "police")
# Rows of the representation table, top to bottom, and the steps that encode them.
TABLE_STEPS = (
    ("Stage 1", "Attempt resolution", "stage1.attempt"),
    ("", "Escalate to line manager", "stage1.line_manager"),
    ("Stage 2", "Escalate to agency safeguarding representative", "stage2.representative"),
    ("Stage 3", "LSCB Representative", "stage3.lscb"),
)
DAY_TARGETS = {  # stage → (day, the flow chart's words); each written once, on the stage
    "stage1": (2, "(Day 1 -2)"),
    "stage2": (9, "(To be concluded by Day 9)"),
    "stage3": (16, "(To be concluded by Day 16)"),
    "stage4": (23, "(To be concluded by day 23)"),
}


def normalise(text: str) -> str:
    """One line of plain text: Markdown emphasis and heading marks dropped (formatting, not
    words), whitespace collapsed — as `escalate check` compares quotes."""
    return citations.normalise(text)


def source_path(policy_id: str) -> Path:
    shared = SHARED_SOURCES / SOURCES[policy_id]
    return shared if shared.exists() else BUNDLED_SOURCES / f"{policy_id}.txt"


def source_text(policy_id: str) -> str:
    return source_path(policy_id).read_text(encoding="utf-8")


def load(policy_id: str) -> Policy:
    data = yaml.safe_load((POLICY_DIR / f"{policy_id}.yaml").read_text(encoding="utf-8"))
    return Policy.model_validate(data)


@pytest.fixture(scope="module")
def liverpool() -> Policy:
    return load("liverpool-lscb")


@pytest.fixture(scope="module")
def bs3() -> Policy:
    return load("bs3-early-years")


def representation_table() -> list[list[str]]:
    """The tab-separated rows after the table's own heading (not the contents-page entry)."""
    lines = source_text("liverpool-lscb").splitlines()
    start = max(i for i, line in enumerate(lines) if line.strip() == TABLE_TITLE)
    rows = [line.split("\t") for line in lines[start + 1:] if "\t" in line]
    assert rows[0][2:] == ["School", "Health", "Children's Services", "Merseyside Police"]
    return rows[1:]


def titles(policy: Policy, role_ids: list[str]) -> str:
    return " / ".join(policy.role(role_id).title for role_id in role_ids)


def strings_in(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in (*strings_in(key), *strings_in(value))]
    if isinstance(node, list):
        return [s for item in node for s in strings_in(item)]
    return []


# --- Sources ---------------------------------------------------------------------------


@pytest.mark.parametrize("policy_id", sorted(SOURCES))
def test_bundled_source_is_a_byte_identical_copy(policy_id: str) -> None:
    bundled = BUNDLED_SOURCES / f"{policy_id}.txt"
    assert bundled.exists()
    shared = SHARED_SOURCES / SOURCES[policy_id]
    if not shared.exists():
        pytest.skip("shared/policies is not present; the bundled copy is the source")
    assert bundled.read_bytes() == shared.read_bytes()


@pytest.mark.parametrize("policy_id", sorted(SOURCES))
def test_loader_accepts_policy_with_its_cross_reference_checks(policy_id: str) -> None:
    loader = pytest.importorskip("scenarios.loader")
    assert loader.load_policy(POLICY_DIR / f"{policy_id}.yaml") == load(policy_id)


@pytest.mark.parametrize("policy_id", sorted(SOURCES))
def test_policy_names_its_bundled_source(policy_id: str) -> None:
    policy = load(policy_id)
    assert policy.id == policy_id
    assert (ROOT / "scenarios" / policy.source.file).exists()


# --- Liverpool representation table ------------------------------------------------------


def test_table_has_the_rows_we_encode() -> None:
    rows = representation_table()
    assert [(row[0], row[1]) for row in rows[:4]] == [(s, a) for s, a, _ in TABLE_STEPS]
    assert rows[4][0] == "Stage 4 Escalation to LSCB Chair"
    assert len(rows) == 5


@pytest.mark.parametrize("index", range(len(TABLE_STEPS)))
def test_representation_matches_table_row(liverpool: Policy, index: int) -> None:
    row = representation_table()[index]
    step = next(step for _, step in liverpool.steps() if step.id == TABLE_STEPS[index][2])
    cells = dict(zip(TABLE_AGENCIES, row[2:6], strict=True))
    for agency, cell in cells.items():
        assert titles(liverpool, step.representation[agency]) == cell, (step.id, agency)


def test_stage4_is_the_independent_chair_for_every_agency(liverpool: Policy) -> None:
    row = representation_table()[4]
    step = liverpool.stage("stage4").steps[0]
    assert step.id == "stage4.chair"
    assert step.representation == {"*": ["partnership.chair"]}
    for agency in TABLE_AGENCIES:
        assert titles(liverpool, step.roles_for(agency)) == row[1]
    assert step.kind == "panel"
    assert step.carried_out_by is None


# --- Rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy_id", "expected"),
    [
        # L31-L33 / B31, B33: respect views, complaints, the LADO (issue 14 item 15)
        ("liverpool-lscb", [f"L{n}" for n in range(1, 19)] + ["L31", "L32", "L33"]),
        ("bs3-early-years", [f"B{n}" for n in range(1, 11)] + ["B31", "B33"]),
    ],
)
def test_rule_catalogue_is_complete(policy_id: str, expected: list[str]) -> None:
    assert [rule.id for rule in load(policy_id).rules] == expected


@pytest.mark.parametrize("policy_id", sorted(SOURCES))
def test_every_quote_is_verbatim_in_the_source(policy_id: str) -> None:
    text = normalise(source_text(policy_id))
    for rule in load(policy_id).rules:
        if rule.basis == "guidance":
            assert rule.guidance, rule.id  # national guidance, named; not the policy's text
            continue
        for quote in (rule.quote, *rule.extra_quotes):
            assert "*" not in quote and "#" not in quote, (rule.id, quote)
            assert citations.missing_part(quote, text) is None, (rule.id, quote)


@pytest.mark.parametrize("policy_id", sorted(SOURCES))
def test_every_clause_is_a_heading_of_the_source(policy_id: str) -> None:
    text = normalise(source_text(policy_id))
    for rule in load(policy_id).rules:
        if rule.basis == "guidance":
            continue
        assert normalise(rule.clause) in text, (rule.id, rule.clause)


@pytest.mark.parametrize("policy_id", sorted(SOURCES))
def test_every_rule_governs_something(policy_id: str) -> None:
    policy = load(policy_id)
    cited = {r for stage in policy.stages for r in stage.rules}
    cited |= {r for _, step in policy.steps() for r in step.rules}
    cited |= {r for route in policy.emergency_routes for r in route.rules}
    cited |= {n.rule for n in policy.notifications} | {r.rule for r in policy.records}
    cited |= {d.rule for d in policy.duties}
    assert {rule.id for rule in policy.rules} <= cited


@pytest.mark.parametrize(("policy_id", "rule_id"), [
    ("liverpool-lscb", "L1"), ("bs3-early-years", "B1"), ("bs3-early-years", "B2"),
])
def test_immediate_harm_rules_are_critical(policy_id: str, rule_id: str) -> None:
    assert load(policy_id).rule(rule_id).severity == "critical"


# --- Liverpool timescales, categories and records -----------------------------------------


def test_day_targets_come_from_the_source(liverpool: Policy) -> None:
    text = normalise(source_text("liverpool-lscb"))
    for stage_id, (day, words) in DAY_TARGETS.items():
        stage = liverpool.stage(stage_id)
        assert stage.deadline is not None and stage.deadline.day == day
        assert stage.deadline.text == words
        assert words in text
        # Written once: the stage's last step is held to it (`sim.verdicts.governing`),
        # not given a copy of its own.
        assert stage.steps[-1].deadline is None
        assert governing(stage, stage.steps[-1]) is stage.deadline


def test_day_reading_is_stated_as_an_assumption(liverpool: Policy) -> None:
    reading = liverpool.day_reading
    assert (reading.day_unit, reading.day_one) == ("working_days", "start_day")
    assert "assumption" in reading.text.lower()
    assert "day_reading" in {a.id for a in liverpool.assumptions}


def test_stage1_attempt_is_as_soon_as_possible(liverpool: Policy) -> None:
    attempt = liverpool.stage("stage1").steps[0]
    assert attempt.id == "stage1.attempt"
    assert attempt.deadline is not None and attempt.deadline.unit == "asap"


def test_stage3_needs_appendix2_and_allows_mediation(liverpool: Policy) -> None:
    step = liverpool.stage("stage3").steps[0]
    assert step.kind == "meeting"
    assert "appendix2" in step.requires
    assert "L9" in step.rules


def test_iro_is_notified_for_cpp_and_cla(liverpool: Policy) -> None:
    (iro,) = liverpool.notifications
    assert (iro.id, iro.role, iro.by_step, iro.rule) == (
        "iro", "cs.iro", "stage1.line_manager", "L5")
    assert sorted(iro.when_plan_status) == ["CLA", "CPP"]


def test_categories_are_the_procedures_nine_examples(liverpool: Policy) -> None:
    bullets = set(re.findall(r"^- (.+)$", source_text("liverpool-lscb"), re.MULTILINE))
    assert [c.id for c in liverpool.categories] == [
        "threshold_at_referral", "action_inaction", "decision_making", "conference_dissent",
        "information_sharing", "assessment", "provision_of_services", "drift_delay",
        "cp_procedures",
    ]
    for category in liverpool.categories:
        assert category.text in bullets, category.id


def test_appendix_fields_are_the_forms_own_labels(liverpool: Policy) -> None:
    text = normalise(source_text("liverpool-lscb"))
    log, report = liverpool.record("escalation_log"), liverpool.record("appendix2")
    assert (log.kind, log.appendix, report.kind, report.appendix) == (
        "summary_log", "1", "stage_report", "2")
    header = next(line for line in source_text("liverpool-lscb").splitlines()
                  if line.startswith("**Agency / School & Escalation Number"))
    assert log.fields == header.lstrip("*").split("\t")
    for field in report.fields:
        assert field in text, field
    for label in ("Name of Child / young Person", "Please indicate level of need",
                  "Disagreement resolved at", "Methodology used to resolve conflict"):
        assert label in report.fields


@pytest.mark.parametrize("policy_id", sorted(SOURCES))
def test_immediate_risk_route(policy_id: str) -> None:
    policy = load(policy_id)
    route = next(r for r in policy.emergency_routes if r.id == "immediate_risk")
    assert route.deadline.unit == "same_working_day"
    assert route.in_hours == ["cs.front_door", "police.emergency"]
    assert route.out_of_hours == ["cs.edt", "police.emergency"]
    assert policy.role("cs.edt").hours == "out_of_hours"
    assert policy.role("police.emergency").hours == "always"
    assert policy.role("cs.front_door").hours == "office"


def test_liverpool_behaviour_defaults(liverpool: Policy) -> None:
    behaviour = liverpool.behaviour
    assert (behaviour.reply_hours.dist, behaviour.reply_hours.median) == ("lognormal", 8.0)
    assert behaviour.reply_hours.sigma == 1.0
    assert behaviour.resolve_chance == {
        "stage1": 0.94, "stage2": 0.6, "stage3": 0.7, "stage4": 1.0}  # stage1 calibrated:
    # tests/test_stress.py::test_defaults_reproduce_most_escalations_resolving_at_stage_1
    assert behaviour.risk_per_working_day == 0.01


# --- BS3 ----------------------------------------------------------------------------------


def test_bs3_phone_numbers_are_as_printed(bs3: Policy) -> None:
    text = source_text("bs3-early-years")
    front_door, edt = bs3.role("cs.front_door"), bs3.role("cs.edt")
    assert (front_door.title, front_door.phone) == ("First Response", "0117 903 6444")
    assert (edt.title, edt.phone) == ("Emergency Duty Social Worker", "01454 615 165")
    assert "First Response - 0117 903 6444" in text
    assert "Emergency Duty Social Worker via **01454 615 165" in text


def test_bs3_marks_its_ladder_as_an_assumption(bs3: Policy) -> None:
    assert bs3.ladder_is_assumption
    for stage in bs3.stages:
        assert stage.assumed, stage.id
        assert stage.deadline is not None and stage.deadline.text
        assert stage.deadline.text.startswith("Assumed")
        for step in stage.steps:
            assert step.assumed, step.id
            deadline = governing(stage, step)
            assert deadline is not None and deadline.text
            assert deadline.text.startswith("Assumed")
    ladder = next(a for a in bs3.assumptions if a.id == "ladder")
    assert "flow chart" in ladder.text and "missing" in ladder.text


def test_bs3_ladder_chains_its_steps(bs3: Policy) -> None:
    steps = [step for _, step in bs3.steps()]
    # Each stage has one step, and its deadline is written once, on the stage.
    first = bs3.stages[0].deadline
    assert first is not None and steps[0].deadline is None
    assert (first.unit, first.within, first.asap) == ("working_days", 2, True)
    for before, stage in zip(steps, bs3.stages[1:], strict=False):
        assert stage.deadline is not None and stage.deadline.after == before.id
    # EYFS: the setting's DSL leads on safeguarding; taking it to them first is no skip.
    assert steps[0].representation["early_years"] == ["early_years.practitioner",
                                                      "early_years.dsl"]
    assert steps[1].representation["early_years"] == ["early_years.manager"]
    assert steps[2].representation["early_years"] == ["early_years.dsl"]


def test_bs3_records(bs3: Policy) -> None:
    kinds = {record.id: record.kind for record in bs3.records}
    assert kinds["chronology"] == "chronology"
    assert kinds["written_confirmation"] == "written_confirmation"
    assert bs3.record("written_confirmation").rule == "B5"


# --- No people ----------------------------------------------------------------------------


@pytest.mark.parametrize("policy_id", sorted(SOURCES))
def test_no_email_addresses_anywhere(policy_id: str) -> None:
    raw = (POLICY_DIR / f"{policy_id}.yaml").read_text(encoding="utf-8")
    assert not EMAIL.search(raw)
    for value in strings_in(yaml.safe_load(raw)):
        assert not EMAIL.search(value), value
    for role in load(policy_id).roles:
        assert "@" not in role.title and "@" not in (role.short or "")


@pytest.mark.parametrize("policy_id", sorted(SOURCES))
def test_phones_only_on_public_services(policy_id: str) -> None:
    with_phone = {role.id for role in load(policy_id).roles if role.phone}
    assert with_phone <= {"cs.front_door", "cs.edt"}
