"""Values that validate but cannot be played are refused by `check` at file:line, and what
`check` accepts plays: time zones, numbers for dates, years outside the holiday calendar,
huge or infinite durations and spreads, and `!!map` on a list."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scenarios.checks import MAX_DAYS, MAX_HOURS, MAX_SIGMA, PLAYABLE_FIRST, PLAYABLE_LAST
from scenarios.loader import LIBRARY_DIR, POLICY_DIR, LoadError, load_policy, load_scenario
from sim.calendar import WorkingCalendar
from sim.players import play
from sim.session import HORIZON_DAYS, Session
from tui.cli import main

SCENARIO = (LIBRARY_DIR / "talk-first-school-dsl.yaml").read_text(encoding="utf-8")
POLICY = (POLICY_DIR / "liverpool-lscb.yaml").read_text(encoding="utf-8")
START = re.search(r"^start:.*$", SCENARIO, re.M).group(0)  # type: ignore[union-attr]


def with_start(value: str) -> str:
    return SCENARIO.replace(START, f"start: {value}")


def with_fixed(extra: str) -> str:
    return SCENARIO.replace("fixed:\n", f"fixed:\n{extra}", 1).replace(
        "  risk_after_hours: never\n", "" if "risk_after_hours" in extra else
        "  risk_after_hours: never\n")


def appended(extra: str) -> str:
    return SCENARIO + extra


REFUSED = {
    "time zone": (with_start("2026-03-10T09:30:00+05:00"), "start", "time zone"),
    "UTC Z": (with_start("2026-03-10T09:30:00Z"), "start", "time zone"),
    "a number": (with_start("1741597200"), "start", "time zone"),
    "year 1800": (with_start("1800-03-10T09:00"), "start", "working calendar"),
    "year 2200": (with_start("2200-03-10T09:00"), "start", "working calendar"),
    "end of calendar": (with_start("2035-12-30T09:00"), "start", "working calendar"),
    "event after 1e308 h": (appended("events:\n  - {id: e1, after_hours: 1e308, text: hi}\n"),
                            "events[0].after_hours", "too large"),
    "event at tz": (appended("events:\n  - {id: e1, at: '2026-03-11T09:00+01:00', text: hi}\n"),
                    "events[0].at", "time zone"),
    "risk 1e308": (with_fixed("  risk_after_hours: 1e308\n"), "fixed.risk_after_hours",
                   "too large"),
    "risk inf": (with_fixed("  risk_after_hours: 1e999\n"), "fixed.risk_after_hours",
                 "not a number"),
    "reply 1e308": (with_fixed("  reply_hours: {cs.social_worker: 1e308}\n"),
                    "fixed.reply_hours.cs.social_worker", "too large"),
    "reply negative": (with_fixed("  reply_hours: {cs.social_worker: -1e30}\n"),
                       "fixed.reply_hours.cs.social_worker", "before the contact"),
    "sigma 1e308": (appended("behaviour:\n  reply_hours: {median: 8, sigma: 1e308}\n"),
                    "behaviour.reply_hours.sigma", "too large"),
    "median 1e308": (appended("behaviour:\n  meeting_hours: {median: 1e308}\n"),
                     "behaviour.meeting_hours.median", "too large"),
    "absence 1e308": (appended("behaviour:\n  absence_days: 1e308\n"),
                      "behaviour.absence_days", "too large"),
    "!!map on a list": (appended("behaviour: !!map [1, 2]\n"), "behaviour", "mapping"),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_check_refuses_unplayable_scenario_values_at_a_line(tmp_path, capsys, name):
    text, field, words = REFUSED[name]
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["check", "--no-lint", str(path)]) == 1
    err = capsys.readouterr().err
    found = re.search(rf"^{re.escape(str(path))}:(\d+):(\d+): {re.escape(field)}: .*{words}",
                      err, re.M)
    assert found, err


@pytest.mark.parametrize(("old", "new", "field"), [
    ("day: 9", "day: 100000000", "day"),
    ("median: 8.0", "median: 1.0e308", "median"),
])
def test_check_refuses_unplayable_policy_values(tmp_path, old, new, field):
    if old not in POLICY:
        pytest.skip(f"the bundled policy has no '{old}'")
    path = tmp_path / "p.yaml"
    path.write_text(POLICY.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(LoadError, match="too large") as caught:
        load_policy(path)
    problem = caught.value.problems[0]
    assert problem.line and problem.field.endswith(field)


ACCEPTED = {
    "first day": with_start(f"{PLAYABLE_FIRST:%Y-%m-%dT%H:%M}"),
    "last day": with_start(f"{PLAYABLE_LAST:%Y-%m-%dT09:00}"),
    "a date alone": with_start("2026-03-10"),
    "longest event": appended(f"events:\n  - {{id: e1, after_hours: {MAX_HOURS:g}, text: hi}}\n"),
    "longest replies": with_fixed(f"  reply_hours: {{cs.social_worker: {MAX_HOURS:g}}}\n"),
    "widest spread": appended(f"behaviour:\n  reply_hours: {{median: {MAX_HOURS:g}, sigma: "
                              f"{MAX_SIGMA:g}}}\n  absence_days: {MAX_DAYS}\n"
                              "  absence_chance: 1\n"),
}


@pytest.mark.parametrize("name", list(ACCEPTED))
def test_what_check_accepts_plays(tmp_path, name):
    path = tmp_path / "s.yaml"
    path.write_text(ACCEPTED[name], encoding="utf-8")
    scenario = load_scenario(path)
    for seed in (1, 2, 3):
        for player in ("perfect", "passive"):
            play(Session(scenario, seed), player)


def test_the_playable_window_fits_the_calendar():
    cal = WorkingCalendar()
    assert PLAYABLE_FIRST.year >= cal.first_year
    # the last start, plus the longest case, plus the longest delay, stays in the calendar
    from datetime import timedelta

    end = PLAYABLE_LAST + timedelta(days=HORIZON_DAYS)
    assert cal.add_working_hours(end, MAX_HOURS).year <= cal.last_year


def test_bundled_files_still_pass():
    for path in sorted(LIBRARY_DIR.glob("*.yaml")):
        load_scenario(path)
    for path in sorted(POLICY_DIR.glob("*.yaml")):
        load_policy(Path(path))
