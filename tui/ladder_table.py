"""The policy ladder as a rich table: stages x agencies, with roles and day targets."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from scenarios.checks import unhonoured
from scenarios.policy_schema import Deadline, Policy
from sim.deadlines import carried_words, describe_deadline
from sim.verdicts import governing


def ladder_table(policy: Policy, agencies: list[str] | None = None) -> Table:
    shown = agencies or [a.id for a in policy.agencies if _appears(policy, a.id)]
    title = Text(policy.title)  # policy text is shown as written, never read as markup
    if policy.ladder_is_assumption:
        title.append("\nASSUMED LADDER: the source's flow chart is missing", "bold yellow")
    table = Table(title=title, show_lines=True)
    table.add_column("Stage")
    table.add_column("Action")
    table.add_column("Due")
    for agency_id in shown:
        table.add_column(escape(policy.agency(agency_id).name))
    for stage in policy.stages:
        for index, step in enumerate(stage.steps):
            label = f"{stage.name}{' (assumed)' if stage.assumed else ''}" if index == 0 else ""
            if index == 0 and stage.decided_by:
                who = " or ".join(policy.role(r).title for r in stage.decided_by)
                label += f"\nDecided by: {who}"
            due = _due(governing(stage, step))
            if index == len(stage.steps) - 1 and stage.on_timeout == "escalate":
                due += "\nIf no response: escalates automatically"
            cells = [" / ".join(policy.role(r).title for r in step.roles_for(a)) for a in shown]
            condition = step.only_if or stage.only_if
            action = step.action + carried_words(policy, step)
            action = f"{action} ({condition.words})" if condition else action
            table.add_row(*(Text(cell) for cell in (label, action, due, *cells)))
    return table


def step_guidance_lines(policy: Policy) -> list[str]:
    """What the policy says is done at each step, in its words (too long for a table cell
    at 80 columns, so it follows the table)."""
    return [f"{stage.name} · {step.action}: {' '.join(step.guidance.split())}"
            for stage, step in policy.steps() if step.guidance]


def assumption_lines(policy: Policy) -> list[str]:
    """What the trainer assumes where the policy is silent or unclear: the file's own
    assumptions (with what each affects), then every rule judged from national guidance."""
    lines = [f"{a.text}" + (f" (affects: {', '.join(a.affects)})" if a.affects else "")
             for a in policy.assumptions]
    lines += [f"{rule.id} {rule.title}: judged from {rule.guidance or 'national guidance'}, "
              "as the policy is silent." for rule in policy.rules if rule.basis == "guidance"]
    lines += [f"Not fully honoured by this trainer yet: {note}." for note in unhonoured(policy)]
    return lines


def _due(deadline: Deadline | None) -> str:
    return describe_deadline(deadline) if deadline else ""


def _appears(policy: Policy, agency_id: str) -> bool:
    return any(agency_id in step.representation for _, step in policy.steps())
