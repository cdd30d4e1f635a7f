"""The worked example of docs/policies.md: a procedure written from scratch, with its own
rule ids, checked, dated, played and stress-tested with no Python of its own."""

from __future__ import annotations

import json
from pathlib import Path

from scenarios.checks import check_policy
from scenarios.loader import load_policy
from scoring import evaluate, judgeable
from sim.players import play
from sim.session import Session
from tui.cli import main

EXAMPLE = Path(__file__).parent.parent / "docs" / "examples" / "riverside-partnership.yaml"


def test_the_example_checks_with_its_quotes_found_in_its_source(capsys):
    assert main(["check", "--no-lint", str(EXAMPLE)]) == 0
    assert "quotes not checked" not in capsys.readouterr().out
    policy = load_policy(EXAMPLE)
    assert check_policy(policy) == []
    assert {r.id for r in policy.rules} <= judgeable(policy)


def test_deadlines_lists_every_dated_step_stage_and_the_emergency_route(capsys):
    assert main(["deadlines", str(EXAMPLE), "--start", "2025-12-19T10:00", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    text = json.dumps(data, ensure_ascii=False)
    # Each deadline is written once, on its stage: listed as the stage concluded.
    for label in ("Level 1 – Practitioners concluded", "Level 2 – Managers concluded",
                  "Immediate risk"):
        assert label in text
    # Immediate risk at 10:00 on a Friday: "without delay" (30 minutes) governs.
    assert data["emergency"][0]["due"] == "2025-12-19T10:30:00"


def test_passive_is_caught_by_the_examples_own_rules_and_perfect_scores_100():
    policy = load_policy(EXAMPLE)
    for seed in (1, 2, 3):
        passive = evaluate(play(Session.generate(policy, seed), "passive"))
        assert passive.score < 100
        assert {f.rule for f in passive.findings} <= {r.id for r in policy.rules}
        assert "R7" in passive.rule_ids  # never taking the difference up
        perfect = evaluate(play(Session.generate(policy, seed), "perfect"))
        assert perfect.score == 100, [(f.rule, f.observed) for f in perfect.findings]


def test_stress_reports_a_breach_rate_for_each_stage(capsys):
    assert main(["stress", str(EXAMPLE), "--cases", "400", "--engine", "fast",
                 "--json"]) == 0
    names = {m["name"] for m in json.loads(capsys.readouterr().out)["metrics"]}
    assert {"breach.level1", "breach.level2"} <= names
