"""The docs cite only what ships with the project (issue 14, item 19): no file under docs/
or README.md links or points outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
# [text](target), <scheme:…> autolinks and reference definitions "[id]: target".
LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)"
                  r"|<([a-z][a-z0-9+.-]*:[^>\s]+)>"
                  r"|^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE | re.IGNORECASE)
# A path that leaves the repository, however it is written (link, code span or prose).
OUTSIDE = re.compile(r"(?<![\w.])(\.\./|~/|/work/|shared/(?:policies|EVIDENCE|PRACTICE|DESIGN))"
                     r"|(?<![\w/])(EVIDENCE|PRACTICE|DESIGN|STYLE)\.md")


def links(text: str) -> list[str]:
    return [next(g for g in m.groups() if g) for m in LINK.finditer(text)]


def outside(doc: Path, target: str) -> bool:
    """Whether a link target is not a file (or anchor) of this repository."""
    if target.startswith("#"):
        return False
    if re.match(r"[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
        return True  # http:, https:, file:, mailto: … all leave the repository
    path = (doc.parent / target.split("#", 1)[0]).resolve()
    return not path.is_relative_to(ROOT) or not path.exists()


def test_the_link_finder_finds_links_of_every_form():
    text = ("see [a](evidence.md) and [b](<../x.md> \"t\"), <https://example.org>\n"
            "[ref]: ../../shared/EVIDENCE.md\n")
    assert links(text) == ["evidence.md", "../x.md", "https://example.org",
                           "../../shared/EVIDENCE.md"]
    doc = ROOT / "docs" / "model.md"
    assert [outside(doc, t) for t in links(text)] == [False, True, True, True]
    assert OUTSIDE.search("`shared/EVIDENCE.md`") and OUTSIDE.search("as EVIDENCE.md says")
    assert not OUTSIDE.search("[evidence.md](evidence.md) and docs/practice.md")


@pytest.mark.parametrize("doc", DOCS, ids=[str(d.relative_to(ROOT)) for d in DOCS])
def test_no_doc_links_outside_the_repository(doc: Path):
    text = doc.read_text(encoding="utf-8")
    bad = [t for t in links(text) if outside(doc, t)]
    assert not bad, f"{doc.relative_to(ROOT)} links outside the repository: {bad}"
    named = [m.group(0) for m in OUTSIDE.finditer(text)]
    assert not named, f"{doc.relative_to(ROOT)} points outside the repository: {named}"


def test_the_reference_copies_ship_and_say_what_they_are():
    for name in ("evidence.md", "practice.md"):
        text = (ROOT / "docs" / name).read_text(encoding="utf-8")
        assert "reference copy" in text.lower()
