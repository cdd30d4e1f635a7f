"""`escalate check` finds every rule quote in the policy's source document.

Markdown emphasis and headings in the source are formatting: the check compares without
them and with whitespace collapsed; "…" splits a quote into parts that must appear in order.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scenarios.citations import missing_part, normalise, plain, quote_parts
from scenarios.loader import LoadError, get_policy, load_policy, source_raw, source_text
from tui.cli import main

MINIMAL = Path(__file__).parent / "fixtures" / "policies" / "minimal.yaml"
SOURCE = """# Minimal procedure

## Section 1
Where a child is at **immediate risk**, contact the front door
at once.

### Section 2
*Discuss the concern with the other professional as soon as possible.*

Section 3. Every step is recorded on the child's case record. Then the next step follows.
"""


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    shutil.copy(MINIMAL, tmp_path / "minimal.yaml")
    (tmp_path / "minimal.txt").write_text(SOURCE, encoding="utf-8")
    return tmp_path


def _replace_quote(path: Path, old: str, new: str) -> int:
    """Swap a quote in the YAML; the 1-based line it is on."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines) if old in line)
    lines[number] = lines[number].replace(old, new)
    path.write_text("".join(lines), encoding="utf-8")
    return number + 1


def test_plain_drops_emphasis_and_heading_marks_only():
    assert normalise("#### **First Response - 0117**\n*In an* emergency #1") == (
        "First Response - 0117 In an emergency #1")
    assert plain("a\n\n## b").splitlines() == ["a", "", "b"]
    assert quote_parts("… one two … three") == ["one two", "three"]


def test_quotes_found_in_a_source_with_markdown_and_line_breaks(policy_dir: Path):
    assert load_policy(policy_dir / "minimal.yaml").id == "minimal-test"
    assert main(["check", "--no-lint", str(policy_dir / "minimal.yaml")]) == 0


def test_a_quote_not_in_the_source_is_reported_at_its_line(policy_dir: Path):
    path = policy_dir / "minimal.yaml"
    line = _replace_quote(path, "as soon as possible.", "within two working days.")
    with pytest.raises(LoadError) as raised:
        load_policy(path)
    (problem,) = raised.value.problems
    assert (problem.file, problem.line, problem.field) == (str(path), line, "rules[1].quote")
    assert "not in the source minimal.txt" in problem.message


def test_excerpt_parts_must_each_occur_in_order(policy_dir: Path):
    path = policy_dir / "minimal.yaml"
    good = "… Every step is recorded … Then the next step follows."
    _replace_quote(path, "Every step is recorded on the child's case record.", good)
    assert load_policy(path).rule("T3").quote == good
    backwards = "Then the next step follows. … Every step is recorded"
    line = _replace_quote(path, good, backwards)
    with pytest.raises(LoadError) as raised:
        load_policy(path)
    (problem,) = raised.value.problems
    assert problem.line == line and '"Every step is recorded"' in problem.message


def test_an_extra_quote_is_checked_and_located(policy_dir: Path, capsys):
    path = policy_dir / "minimal.yaml"
    line = _replace_quote(path, "    severity: minor\n", (
        "    extra_quotes:\n      - \"A sentence the source never had.\"\n"
        "    severity: minor\n"))
    assert main(["check", "--no-lint", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:{line + 1}:" in err and "rules[2].extra_quotes[0]" in err


def test_markdown_in_a_quote_is_refused_even_without_the_source(tmp_path: Path):
    path = tmp_path / "minimal.yaml"
    shutil.copy(MINIMAL, path)
    _replace_quote(path, "contact the front door at once.", "contact the front door **at once**.")
    with pytest.raises(LoadError, match="Markdown marker"):
        load_policy(path)


def test_without_the_source_the_check_says_quotes_were_not_checked(capsys):
    assert main(["check", "--no-lint", str(MINIMAL)]) == 0
    assert "quotes not checked: source file 'minimal.txt' not found" in capsys.readouterr().out


@pytest.mark.parametrize("policy_id", ["liverpool-lscb", "bs3-early-years"])
def test_bundled_quotes_are_in_their_sources(policy_id: str):
    policy = get_policy(policy_id)
    text = normalise(source_raw(policy))
    assert "*" in source_raw(policy) and "*" not in source_text(policy)
    for rule in policy.rules:
        if rule.basis == "guidance":
            continue  # quotes national guidance, not the policy
        for quote in (rule.quote, *rule.extra_quotes):
            assert missing_part(quote, text) is None, (rule.id, quote)


def test_a_rule_resting_on_national_guidance_is_not_looked_for_in_the_source(policy_dir):
    path = policy_dir / "minimal.yaml"
    _replace_quote(path, "    severity: minor\n", (
        "    severity: minor\n    basis: guidance\n"
        "    guidance: Working Together to Safeguard Children 2023\n"))
    _replace_quote(path, "Every step is recorded on the child's case record.",
                   "Words of the guidance, not of the policy.")
    assert load_policy(path).rule("T3").basis == "guidance"
