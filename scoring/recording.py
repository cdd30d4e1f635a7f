"""Recording judged by what the trainee wrote: explainable checks on each record's words.

A record counts as made only if it holds the trainee's own words (`RecordType.holds_writing`;
the `records` judge). This judge (`record_content`) then reads what was written on the
forms whose record type cites the duty's rule, one step at a time, and names each check
that failed: dated facts in the concern, the decision challenged, the disagreement's
category, the outcome as it stood, the next steps; and, on the chronology (the case file
where a policy keeps none), a dated entry for each significant event of the case. The
checks look for plain things (a date, the other professional's role, a word of the
category, an outcome word), so a finding says exactly what was missing
(docs/scoring.md, Recording).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from scenarios.policy_schema import RecordType
from scoring.context import Ctx
from scoring.model import Finding
from sim.model_records import chronology_record
from sim.timeline import significant

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
NUMERIC_DATE = re.compile(r"(?<![\d/])(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}|\d{2}))?(?![\d/])")
WORDED_DATE = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(" + "|".join(MONTHS)
                         + r")[a-z]*\.?(?:\s+(\d{4}))?", re.IGNORECASE)
DECISION_WORDS = re.compile(
    r"\b(decid\w*|decision\w*|clos(?:e|ed|ing|ure)|declin\w*|refus\w*|no further action|nfa|"
    r"not to|will not|won't|did not|didn't|has not|hasn't|have not|not (?:accept|meet|share|"
    r"attend|agree|visit|act)\w*|step(?:ped)? down|reject\w*|threshold\w*|end(?:ed)?|"
    r"withdr\w*|delay\w*|drift\w*)\b", re.IGNORECASE)
UNRESOLVED = re.compile(r"\b(unresolved|not (?:been )?(?:resolved|agreed|settled|accepted)|"
                        r"no agreement|disagree\w*|escalat\w*|maintain\w*|refus\w*|declin\w*)\b",
                        re.IGNORECASE)
RESOLVED = re.compile(r"\b(resolved|agreed|agreement|accepted|settled)\b", re.IGNORECASE)
REFERRED = re.compile(r"\brefer(?:red|ral)\b", re.IGNORECASE)
PENDING = re.compile(r"\b(await\w*|pending|ongoing|still open)\b", re.IGNORECASE)
NEXT = re.compile(r"\b(will|shall|next|plan\w*|review\w*|escalat\w*|follow\w*|monitor\w*|"
                  r"await\w*|going to|to be|meeting)\b", re.IGNORECASE)


def dates_in(text: str, year: int) -> set[date]:
    """Every calendar date written in ``text`` (dd/mm/yyyy, d/m/yy, d/m, "13 March 2026");
    a date without a year is read in ``year``."""
    found: set[date] = set()
    for day, month, yr in NUMERIC_DATE.findall(text):
        _add(found, int(day), int(month), yr, year)
    for day, month, yr in WORDED_DATE.findall(text):
        _add(found, int(day), MONTHS.index(month[:3].lower()) + 1, yr, year)
    return found


def _add(found: set[date], day: int, month: int, yr: str, year: int) -> None:
    full = int(yr) + 2000 if len(yr) == 2 else int(yr) if yr else year
    with suppress(ValueError):  # 31/02 is not a date
        found.add(date(full, month, day))


def _plain(text: str) -> str:
    return text.replace("\u2019", "'").casefold()


@dataclass(frozen=True)
class Check:
    """One recording check: which written parts it reads and what a miss is called."""

    name: str
    reads: tuple[str, ...]  # the first written part the form has is read
    expected: str
    missed: str  # "did not …", after "Your <record> (<step>)"
    test: Callable[[Ctx, dict[str, Any], str], bool]


def _dated_fact(ctx: Ctx, entry: dict[str, Any], text: str) -> bool:
    made = datetime.fromisoformat(entry["at"]).date()
    words = len(NUMERIC_DATE.sub(" ", text).split())
    return words >= 3 and any(d <= made for d in dates_in(text, made.year))


def _other_names(ctx: Ctx) -> list[str]:
    """How the trainee may name the other professional: the seat's title, the role titles
    of the other agency on the ladder, or the agency's name."""
    other = ctx.scenario.other
    names = {other.title or "", ctx.role_title(other.role),
             ctx.policy.agency(other.agency).name}
    for index in range(len(ctx.ladder)):
        names.update(ctx.role_title(r) for r in ctx.theirs(index))
    # "Front line staff / social worker" is named by either half.
    parts = {p.strip() for n in names for p in re.split(r"[/(),]", n)}
    return sorted({_plain(p) for p in parts | names if len(p.strip()) > 2})


def _decision(ctx: Ctx, entry: dict[str, Any], text: str) -> bool:
    plain = _plain(text)
    return any(n in plain for n in _other_names(ctx)) and bool(DECISION_WORDS.search(text))


def _category(ctx: Ctx, entry: dict[str, Any], text: str) -> bool:
    category = next((c for c in ctx.policy.categories if c.id == ctx.scenario.category), None)
    names = category.names if category else [ctx.scenario.category.replace("_", " ")]
    plain = _plain(text)
    return any(_plain(n) in plain for n in names)


def outcome_at(ctx: Ctx, step_id: str) -> tuple[set[str], str]:
    """The outcome words a record at this step should carry, and the outcome in words."""
    session = ctx.session
    if session.resolved_at == step_id:
        return {"resolved"}, "resolved"
    if session.status == "referred" and step_id == session.step.id:
        return {"referred", "unresolved"}, "referred as immediate risk"
    if step_id in session.concluded:
        return {"unresolved"}, "not resolved, escalated"
    return {"unresolved", "referred", "pending"}, "still open"


def stated_outcome(text: str) -> set[str]:
    """The outcomes a record's words state (unresolved wins over the 'resolved' inside it)."""
    found = set()
    if UNRESOLVED.search(text):
        found.add("unresolved")
    elif RESOLVED.search(text):
        found.add("resolved")
    if REFERRED.search(text):
        found.add("referred")
    if PENDING.search(text):
        found.add("pending")
    return found


def _outcome(ctx: Ctx, entry: dict[str, Any], text: str) -> bool:
    wanted, _ = outcome_at(ctx, entry["step"])
    return bool(stated_outcome(text) & wanted)


def _next_steps(ctx: Ctx, entry: dict[str, Any], text: str) -> bool:
    return bool(NEXT.search(text))


CHECKS = (
    Check("dated facts", ("concern", "disagreement"),
          "The concern with dated facts: what happened to the child and when (dd/mm/yyyy).",
          "did not put the facts of the concern with their dates", _dated_fact),
    Check("decision challenged", ("disagreement",),
          "The decision you challenged named: who decided what (e.g. 'the social worker "
          "closed the case with no further action').",
          "did not name the decision you challenged", _decision),
    Check("disagreement category", ("disagreement",),
          "The kind of disagreement named in the policy's own terms.",
          "did not name the kind of disagreement", _category),
    Check("outcome", ("outcome",),
          "The outcome at this step as it stood (resolved, not resolved and escalated, "
          "referred).", "did not record the outcome as it stood", _outcome),
    Check("next steps", ("next_steps", "outcome"),
          "The next steps: who will do what next (escalate, review, a meeting).",
          "did not say what happens next", _next_steps),
)


def _text(record: RecordType, entry: dict[str, Any], reads: tuple[str, ...]) -> str | None:
    """The words the trainee wrote in the first of ``reads`` the form has (None: none)."""
    for part in reads:
        keys = record.written_keys(part)
        if keys:
            fields = entry.get("fields") or {}
            return " ".join(str(fields.get(k, "")) for k in keys)
    return None


def content_findings(ctx: Ctx, rule_id: str) -> list[Finding]:
    """Each check that no entry at a step passed, for forms citing ``rule_id``; and the
    chronology's dated entries, where the chronology (or case file) cites it."""
    findings: list[Finding] = []
    for record in ctx.policy.records:
        if record.rule != rule_id or not record.written:
            continue
        steps: dict[str, list[dict[str, Any]]] = {}
        for entry in ctx.written:
            if entry["record"] == record.id:
                steps.setdefault(entry["step"], []).append(entry)
        for step_id, entries in steps.items():
            findings.extend(_step_findings(ctx, rule_id, record, step_id, entries))
    carrier = chronology_record(ctx.policy)
    if carrier is not None and ctx.policy.record(carrier).rule == rule_id:
        findings.extend(chronology_findings(ctx, rule_id, carrier))
    return findings


def _step_findings(ctx: Ctx, rule_id: str, record: RecordType, step_id: str,
                   entries: list[dict[str, Any]]) -> list[Finding]:
    out = []
    last = entries[-1]
    for check in CHECKS:
        texts = [(e, _text(record, e, check.reads)) for e in entries]
        if any(t is None for _, t in texts):
            continue  # the form has no field for it
        if any(check.test(ctx, e, t or "") for e, t in texts):
            continue
        observed = f"Your {record.title} ({ctx.label(step_id)}) {check.missed}."
        if check.name == "outcome":
            observed += f" At this step the disagreement was {outcome_at(ctx, step_id)[1]}."
        finding = ctx.finding(rule_id, "recording", datetime.fromisoformat(last["at"]),
                              check.expected, observed, stage=last["stage"],
                              severity="minor")
        if check.name in ("outcome", "next steps"):
            finding = _cite_outcome(ctx, rule_id, finding)
        out.append(finding)
    return out


def _cite_outcome(ctx: Ctx, rule_id: str, finding: Finding) -> Finding:
    """Outcome checks cite the rule's own sentence on recording the outcome, if it has one."""
    rule = ctx.policy.rule(rule_id)
    quote = next((q for q in rule.extra_quotes if "outcome" in q.lower()), None)
    return replace(finding, citation=quote) if quote else finding


def chronology_findings(ctx: Ctx, rule_id: str, carrier: str) -> list[Finding]:
    """A dated entry, made at or after it, for each significant event of the case."""
    record = ctx.policy.record(carrier)
    entries = [e for e in ctx.written if e["record"] == carrier]
    findings = []
    for event in significant(ctx.session.timeline):
        if event.at > ctx.end:
            continue
        covered = False
        for entry in entries:
            made = datetime.fromisoformat(entry["at"])
            words = " ".join([entry.get("text") or "",
                              *map(str, (entry.get("fields") or {}).values())])
            if made >= event.at and event.at.date() in dates_in(words, event.at.year):
                covered = True
                break
        if covered:
            continue
        what = " ".join(event.text.split())
        what = what if len(what) <= 90 else what[:89] + "…"
        findings.append(ctx.finding(
            rule_id, "recording", event.at,
            f"A dated entry on the {record.title} for each significant event of the case.",
            f"Your {record.title} has no entry dated {event.at:%d/%m/%Y} for: {what}",
            severity="minor"))
    return findings
