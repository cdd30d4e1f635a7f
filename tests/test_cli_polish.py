"""The command line as a user meets it: --version, --json everywhere a script needs it,
tables that fit an 80-column terminal, help that shows defaults, no internal ids."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tui.cli import build_parser, main


def _run(capsys, *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert re.fullmatch(r"escalate \(escalation-trainer\) \d+\.\d+\.\d+\S*\n",
                        capsys.readouterr().out)


def test_policy_list_json(capsys):
    rows = json.loads(_run(capsys, "policy", "list", "--json"))
    assert {r["id"] for r in rows} == {"liverpool-lscb", "bs3-early-years"}
    assert next(r for r in rows if r["id"] == "bs3-early-years")["ladder_is_assumption"]


def test_check_json(capsys, tmp_path):
    good = next(p for p in __import__("pathlib").Path("scenarios/policies").glob("*.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [\n", encoding="utf-8")
    assert main(["check", "--json", str(good), str(bad)]) == 1
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["ok"] and rows[0]["kind"] == "policy" and rows[0]["id"]
    assert not rows[1]["ok"] and rows[1]["errors"] and rows[1]["file"] == str(bad)


def test_workshop_new_and_list_json(capsys, tmp_path):
    db = str(tmp_path / "w.db")
    made = json.loads(_run(capsys, "workshop", "new", "talk-first-school-dsl", "--db", db,
                           "--seed", "4", "--json"))
    assert made["code"] and made["key"] and made["seed"] == 4
    assert made["scenario"] == "talk-first-school-dsl" and made["state"] == "lobby"
    listed = json.loads(_run(capsys, "workshop", "list", "--db", db, "--json"))
    assert [w["code"] for w in listed] == [None]  # join codes only when asked for
    assert "key" not in listed[0] and listed[0]["trainees"] == 0
    shown = json.loads(_run(capsys, "workshop", "list", "--db", db, "--json", "--codes"))
    assert [w["code"] for w in shown] == [made["code"]]


def test_scenario_list_json(capsys):
    assert json.loads(_run(capsys, "scenario", "list", "--json"))


INTERNAL_ID = re.compile(
    r"\b(school|health|cs|police)\.[a-z_]+|(?<![-\w])stage\d(?![-\w])|\bload\.")
WIDE_TABLES = [
    ("deadlines", "liverpool-lscb", "--start", "2025-12-19T16:40"),
    ("deadlines", "bs3-early-years", "--start", "2025-12-19T16:40"),
    ("scenario", "list"),
    ("stress", "liverpool-lscb", "--cases", "200", "--engine", "fast"),
    ("stress", "liverpool-lscb", "--cases", "100", "--engine", "fast",
     "--sweep", "stages.stage2.deadline.day=8:12:2"),
    ("policy", "show", "liverpool-lscb"),
]


@pytest.mark.parametrize("argv", WIDE_TABLES, ids=lambda a: "-".join(a[:2]))
def test_tables_fit_80_columns_and_show_no_internal_ids(argv):
    """As a user sees it: its own process, output piped, an 80-column terminal."""
    env = {"COLUMNS": "80", "PATH": "/usr/bin:/bin", "HOME": "/nonexistent-home"}
    import os

    env.update({k: v for k, v in os.environ.items() if k.startswith(("ESCALATE_", "XDG_"))})
    done = subprocess.run([sys.executable, "-m", "tui.cli", *argv], capture_output=True,
                          text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    too_wide = [line for line in lines if len(line) > 80]
    assert not too_wide, "\n".join(too_wide)
    if argv[0] != "policy":
        # role and stage ids (school.dsl, stage2, load.x.y) stay in JSON and CSV; a
        # sweep's path is the user's own words
        shown = done.stdout.replace("stages.stage2.deadline.day", "")
        assert not INTERNAL_ID.search(shown), shown


def test_stress_help_shows_a_plain_percent_and_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["stress", "--help"])
    out = capsys.readouterr().out
    assert "95% confidence" in " ".join(out.split()) and "95%%" not in out
    assert "(default: 10000)" in out and "(default: population)" in out


def _options(parser):
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _options(sub)
        elif action.option_strings and action.default not in (
                None, False, [], argparse.SUPPRESS) and action.nargs != 0:
            yield parser, action


def test_every_option_with_a_default_says_it_in_help():
    for parser, action in _options(build_parser()):
        if action.help == "==SUPPRESS==":
            continue
        text = " ".join(parser.format_help().split())
        assert f"default: {action.default}" in text or \
            f"default {action.default}" in text, (parser.prog, action.option_strings)


def test_trainer_notes_use_names_not_ids(capsys):
    rows = json.loads(_run(capsys, "scenario", "list", "--json"))
    for row in rows:
        shown = _run(capsys, "scenario", "show", row["id"], "--trainer")
        body = shown.replace(row["id"], "")
        assert not INTERNAL_ID.search(body), (row["id"], INTERNAL_ID.search(body))
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", body.split("Trainer's notes")[1]), \
            row["id"]
