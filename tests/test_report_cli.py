"""`escalate report`: every format from a saved session; bad input is one clean line."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tui.cli import main


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("s") / "session.json"
    assert main(["autoplay", "talk-first-school-dsl", "--player", "late", "--seed", "2",
                 "--save", str(path)]) == 0
    return str(path)


@pytest.mark.parametrize("fmt", ["md", "html", "csv", "appendix1", "appendix1-md",
                                 "appendix2", "appendix2-html", "xapi", "completion"])
def test_every_format_renders(saved, fmt, capsys):
    capsys.readouterr()
    assert main(["report", saved, "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert out.strip()
    if fmt == "xapi":
        statement = json.loads(out)
        assert statement["actor"]["account"]["name"] == "trainee"
    if fmt == "appendix1":  # captured output is not a terminal: the CSV has its BOM
        assert out.startswith("\ufeff")
        assert next(csv.reader(io.StringIO(out[1:])))[0] == \
            "Agency / School & Escalation Number"
    if fmt == "html":
        assert out.startswith("<!DOCTYPE html>")


def test_output_file_and_actor(saved, tmp_path):
    target = tmp_path / "x.json"
    assert main(["report", saved, "--format", "xapi", "--actor", "emp-1", "-o",
                 str(target)]) == 0
    assert json.loads(target.read_text())["actor"]["account"]["name"] == "emp-1"


def test_missing_file_exits_1(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["report", str(tmp_path / "none.json")])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("content", [
    "not json", "[1, 2]", '{"x": 1}',
    '{"format": 1, "scenario": "no-such", "seed": 1, "actions": []}',
    '{"format": 9, "scenario": "talk-first-school-dsl", "seed": 1, "actions": []}',
    '{"format": 1, "scenario": "talk-first-school-dsl", "seed": 1, "actions": [{"kind": "x"}]}',
    '{"format": 1, "scenario": "talk-first-school-dsl", "seed": 1, "actions": '
    '[{"kind": "finish"}, {"kind": "finish"}]}',
])
def test_bad_session_files_exit_2_with_one_line(tmp_path, capsys, content):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(SystemExit) as exit_info:
        main(["report", str(path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("escalate: error:") and err.count("\n") == 1


def test_policy_without_the_form_exits_2(tmp_path, capsys):
    path = tmp_path / "bs3.json"
    main(["autoplay", "bs3-early-years", "--seed", "1", "--save", str(path)])
    with pytest.raises(SystemExit) as exit_info:
        main(["report", str(path), "--format", "appendix2"])
    assert exit_info.value.code == 2
    assert "Appendix 2" in capsys.readouterr().err


def test_unknown_format_is_an_argparse_error(saved, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["report", saved, "--format", "pdf"])
    assert exit_info.value.code == 2
