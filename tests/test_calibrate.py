"""`escalate calibrate`: records format, recovery of known parameters, back-test, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenarios.loader import get_policy
from sim.calibrate import (
    RecordsError,
    backtest,
    fit,
    read_records,
    synthesise,
    write_records,
)
from tui.cli import main

LIVERPOOL = get_policy("liverpool-lscb")
EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "liverpool-records.csv"
TRUTH = {"median": 12.0, "sigma": 0.8, "phone": 0.45}


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    rows = synthesise(LIVERPOOL, 3000, seed=11, reply_median=TRUTH["median"],
                      sigma=TRUTH["sigma"], phone=TRUTH["phone"])
    path = tmp_path_factory.mktemp("records") / "records.csv"
    write_records(rows, path)
    records = read_records(path, LIVERPOOL)
    return records, fit(records, LIVERPOOL)


def _covers(estimate, truth: float) -> bool:
    return estimate.ci_low <= truth <= estimate.ci_high


def test_fit_recovers_known_parameters_within_their_cis(fitted):
    _, result = fitted
    assert _covers(result.get("behaviour.phone_answer_chance"), TRUTH["phone"])
    assert _covers(result.get("behaviour.reply_hours.median"), TRUTH["median"])
    assert _covers(result.get("behaviour.reply_hours.sigma"), TRUTH["sigma"])
    factors = [e for e in result.estimates if e.roles]
    assert {e.current for e in factors} == {1.0, 3.5, 1.75}
    for e in factors:  # the synthetic records used the policy's own factors
        if e.n >= 30:
            assert _covers(e, e.current), e
    for step in ("stage1.attempt", "stage1.line_manager", "stage2.representative"):
        e = result.get(f"behaviour.resolve_chance.{step}")
        assert _covers(e, e.current), e  # records drawn with the policy's chances


def test_backtest_on_held_back_cases_mostly_passes(fitted):
    records, _ = fitted
    model, rows = backtest(records, LIVERPOOL)
    # 9 checks at 95%: three or more failures would happen by chance < 1% of the time
    assert len(rows) >= 8 and sum(not r["ok"] for r in rows) <= 2, rows
    assert model.records < len(records)  # fitted on the kept cases only


def test_example_file_and_cli(capsys):
    assert main(["calibrate", "liverpool-lscb", str(EXAMPLE), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["records"] > 400
    median = next(e for e in data["estimates"] if e["name"] == "behaviour.reply_hours.median")
    assert median["ci_low"] <= 10.0 <= median["ci_high"]  # the example's known median
    assert all("nan" not in s for s in data["sets"])
    assert main(["calibrate", "liverpool-lscb", str(EXAMPLE)]) == 0
    printed = capsys.readouterr().out
    assert "Back-test" in printed and "--set behaviour.reply_hours.median=" in printed
    # the fit feeds straight into escalate stress
    sets = [a for s in data["sets"][:3] for a in ("--set", s)]
    assert main(["stress", "liverpool-lscb", "--engine", "fast", "--cases", "500", *sets,
                 "--json"]) == 0


@pytest.mark.parametrize("content, needle", [
    ("case,step\nA,stage1.attempt\n", "missing column"),
    ("case,step,role,sent,replied,outcome\nA,stage9,school.dsl,2026-01-05T10:00,,no_reply\n",
     ":2: step: unknown step"),
    ("case,step,role,sent,replied,outcome\n"
     "A,stage1.attempt,school.dsl,2026-01-05T10:00,,agreed\n", "replied: empty"),
    ("case,step,role,sent,replied,outcome\n"
     "A,stage1.attempt,school.dsl,yesterday,,no_reply\n", "sent/replied"),
])
def test_bad_records_are_one_line_with_the_row(tmp_path, content, needle):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RecordsError, match=needle):
        read_records(path, LIVERPOOL)


def test_bad_records_exit_1_from_the_cli(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("nope\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main(["calibrate", "liverpool-lscb", str(path)])
    assert exit_info.value.code == 1
    assert "missing column" in capsys.readouterr().err
