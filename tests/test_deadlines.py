"""Policy deadlines through the calendar, and the `escalate deadlines` command."""

from __future__ import annotations

import json
from datetime import datetime

from scenarios.loader import get_policy
from scenarios.policy_schema import Deadline
from sim.deadlines import due_at, policy_deadlines, with_reading
from sim.emergency import emergency_deadlines
from tui.cli import main

FRIDAY_BEFORE_CHRISTMAS = datetime(2025, 12, 19, 16, 40)


def _dues(policy, start):
    return {(i.stage, i.step): i.due for i in policy_deadlines(policy, start)}


def test_liverpool_day_targets_across_christmas_2025():
    # Working days from Fri 19 Dec 2025 (Day 1): 22(2) 23(3) 24(4) 29(5) 30(6) 31(7)
    # 2 Jan(8) 5 Jan(9) ... 12 Jan(14) 13(15) 14(16) ... 21(21) 22(22) 23 Jan(23).
    # 25, 26 Dec and 1 Jan are bank holidays.
    dues = _dues(get_policy("liverpool-lscb"), FRIDAY_BEFORE_CHRISTMAS)
    assert dues[("stage1", None)] == datetime(2025, 12, 22, 17)
    # Each deadline is written once: a stage's last step has no row of its own.
    assert ("stage1", "stage1.line_manager") not in dues
    assert dues[("stage2", None)] == datetime(2026, 1, 5, 17)
    assert dues[("stage3", None)] == datetime(2026, 1, 14, 17)
    assert dues[("stage4", None)] == datetime(2026, 1, 23, 17)


def test_calendar_reading_of_day_n():
    policy = with_reading(get_policy("liverpool-lscb"), "calendar_days")
    dues = _dues(policy, FRIDAY_BEFORE_CHRISTMAS)
    # Day 9 counting Friday as Day 1 is Saturday 27 Dec; due at the midnight ending it.
    assert dues[("stage2", None)] == datetime(2025, 12, 28, 0, 0)


def test_units_and_anchors():
    policy = get_policy("liverpool-lscb")
    anchors = {"start": datetime(2026, 4, 2, 10, 0), "stage1": datetime(2026, 4, 2, 15, 0)}
    # Thu 2 Apr 2026; Good Friday 3 Apr and Easter Monday 6 Apr are bank holidays.
    two_wd = Deadline(within=2, unit="working_days", after="stage1")
    assert due_at(two_wd, policy, anchors) == datetime(2026, 4, 8, 17)
    assert due_at(Deadline(unit="same_working_day"), policy, anchors) == datetime(2026, 4, 2, 17)
    eight_wh = Deadline(within=8, unit="working_hours")
    assert due_at(eight_wh, policy, anchors) == datetime(2026, 4, 7, 10)
    assert due_at(Deadline(within=48, unit="hours"), policy, anchors) == datetime(2026, 4, 4, 10)
    sooner = Deadline(within=5, unit="working_days",
                      earliest_of=[Deadline(within=48, unit="hours")])
    assert due_at(sooner, policy, anchors) == datetime(2026, 4, 4, 10)
    unanchored = Deadline(within=1, unit="working_days", after="stage9")
    assert due_at(unanchored, policy, anchors) is None


def test_bs3_chained_steps_follow_each_other():
    dues = policy_deadlines(get_policy("bs3-early-years"), datetime(2026, 3, 2, 10, 0))
    timed = [i.due for i in dues if i.due is not None]
    assert timed == sorted(timed)
    assert len(timed) >= 3


def test_deadlines_cli_json(capsys):
    assert main(["deadlines", "liverpool-lscb", "--start", "2025-12-19T16:40", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["day_unit"] == "working_days"
    stage2 = next(d for d in data["deadlines"] if d["stage"] == "stage2" and d["step"] is None)
    assert stage2["due"] == "2026-01-05T17:00:00"


def test_deadlines_cli_text_and_reading(capsys):
    assert main(["deadlines", "liverpool-lscb", "--start", "2025-12-19T16:40",
                 "--reading", "calendar"]) == 0
    out = capsys.readouterr().out
    assert "calendar days" in out and "Sun 28 Dec 2025" in out


def test_deadlines_cli_bad_input(capsys):
    import pytest

    with pytest.raises(SystemExit) as exc:
        main(["deadlines", "liverpool-lscb", "--start", "19/12/2025"])
    assert exc.value.code == 2
    assert "expected a date and time like 2025-12-19T16:40" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["deadlines", "no-such-policy", "--start", "2025-12-19T16:40"])
    assert exc.value.code == 1
    assert "unknown policy 'no-such-policy'" in capsys.readouterr().err


def test_the_emergency_route_is_due_by_the_hour_the_risk_is_known(capsys):
    """Known in office hours: immediately (within the hour, an assumption), the same working
    day being the outer limit, Careline (police where a crime or an emergency); known on a
    Friday evening: the EDT, within the hour, 2 hours being the out-of-hours outer limit —
    checked by hand."""
    policy = get_policy("liverpool-lscb")
    (day,) = emergency_deadlines(policy, datetime(2025, 12, 19, 10, 40))
    assert day.due == datetime(2025, 12, 19, 11, 40)
    assert day.label.startswith("Immediate risk: Careline (Children's Services front door)")
    assert "where a crime or an emergency" in day.label
    assert "ON THE SAME WORKING DAY" in day.rule_text
    (night,) = emergency_deadlines(policy, datetime(2025, 12, 19, 18, 40))
    assert night.due == datetime(2025, 12, 19, 19, 40)
    assert "20:40" in night.rule_text
    assert "Emergency Duty Team" in night.label
    assert main(["deadlines", "liverpool-lscb", "--start", "2025-12-19T18:40", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["emergency"] == [{"route": "immediate_risk", "label": night.label,
                                  "rule": night.rule_text, "due": "2025-12-19T19:40:00"}]
