"""What a dated ladder item's deadline means: met, breached, open, moot or pending.

One function decides, from the facts of a case, the verdict on a step's or a stage's
deadline. The deadline bar (`sim.observation`), the debrief (`scoring.checks`) and both
stress engines (`sim.race`, `sim.fast_race`, vectorised there and tested equal) ask it, so
a trainee's bar, their debrief and a stress run never disagree on what a deadline means.

The rules, in order (scoring's, which is what trainees are judged on):

1. no due time (its anchor, e.g. an earlier stage's conclusion, not reached): pending;
2. done by the due time — concluded (resolved, or escalated past it), or for an "as soon as
   possible" step and the last step of the ladder (nothing lies above it) taken up — and
   before any immediate risk was known (a referral that ends the staged process concludes
   nothing on time): met;
3. the case closed (resolved, or the immediate-risk route taken) or immediate risk known by
   the due time — the staged process stopped before the deadline came: moot;
4. the due time is still ahead (of now, or of the end of the exercise): open;
5. out of the case's reach — beyond the step after the furthest it reached (a case stuck at
   Stage 1 is held to Stage 1 and the next step, not to every stage above): pending;
6. otherwise: breached.

A deadline the policy gives "as a guide" (``advisory``) gets the same verdict — stress
counts its breaches — but a breached guide is shown as "guide" (`shown`) and never
penalised (`penalised`): scoring reports it as a note.

Times are whatever the caller counts in (datetimes in the Session, calendar minutes in the
engines), as long as they are comparable.
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np

from scenarios.policy_schema import Deadline, Policy, Procedure, Stage, Step

MET, BREACHED, OPEN, MOOT, PENDING = "met", "breached", "open", "moot", "pending"
VERDICTS = (MET, BREACHED, OPEN, MOOT, PENDING)
CODES = {v: i for i, v in enumerate(VERDICTS)}  # int8 codes in the engines' results
GUIDE = "guide"  # how a breached guide is shown: passed, not missed


def penalised(deadline: Deadline) -> bool:
    """Whether breaching the deadline costs the trainee: not for a guide."""
    return not deadline.advisory


def shown(state: str, deadline: Deadline) -> str:
    """The verdict as the trainee sees it: a breached guide reads "guide", not "breached"."""
    return GUIDE if state == BREACHED and not penalised(deadline) else state

T = TypeVar("T")


def verdict(due: T | None, done: T | None, closed: T | None, risk: T | None, now: T,
            in_reach: bool = True) -> str:
    """The verdict on one deadline (see the module docstring for the rules)."""
    if due is None:
        return PENDING
    if done is not None and done <= due and (risk is None or done < risk):
        return MET
    if (closed is not None and closed <= due) or (risk is not None and risk <= due):
        return MOOT
    if due > now:
        return OPEN
    return BREACHED if in_reach else PENDING


def verdict_codes(due: np.ndarray, done: np.ndarray, closed: np.ndarray, risk: np.ndarray,
                  now: np.ndarray, in_reach: np.ndarray) -> np.ndarray:
    """`verdict` for arrays (nan: none), as int8 codes into `VERDICTS`: the rules applied
    from the last to the first, so the first that holds wins."""
    code = np.where(in_reach, CODES[BREACHED], CODES[PENDING]).astype(np.int8)
    code[due > now] = CODES[OPEN]
    code[(closed <= due) | (risk <= due)] = CODES[MOOT]
    code[(done <= due) & ~(risk <= done)] = CODES[MET]
    code[np.isnan(due)] = CODES[PENDING]
    return code


def taken_up_counts(deadline: Deadline, final: bool) -> bool:
    """Whether taking the step up (not concluding it) meets the deadline: an "as soon as
    possible" step, or the last step of the ladder, where nothing lies above it."""
    return deadline.unit == "asap" or final


def governing(stage: Stage, step: Step) -> Deadline | None:
    """The deadline a step is held to: its own, else — at the last step of a stage — the
    stage's. A stage's deadline is written once, on the stage ("Each deadline is written
    once in YAML"), yet it is the deadline of the step that concludes the stage: the walk-
    away judgement, a notification "by the step's deadline", the players and the ladder
    table all read it here."""
    if step.deadline is not None:
        return step.deadline
    return stage.deadline if step is stage.steps[-1] else None


def dated_items(ladder: list[tuple[Stage, Step]]
                ) -> list[tuple[str, Stage, Step, int, Deadline, bool]]:
    """Every dated item of the ladder in order: (item id, stage, step, ladder index of the
    step — or of the stage's first step for a stage's own deadline —, deadline, final)."""
    last = len(ladder) - 1
    first_of: dict[str, int] = {}
    items: list[tuple[str, Stage, Step, int, Deadline, bool]] = []
    for index, (stage, step) in enumerate(ladder):
        first_of.setdefault(stage.id, index)
        if step.deadline is not None:
            items.append((step.id, stage, step, index, step.deadline, index == last))
        if stage.deadline is not None and step is stage.steps[-1]:
            items.append((stage.id, stage, step, first_of[stage.id], stage.deadline,
                          index == last))
    return items


def session_verdicts(session: Any, now: Any = None, closed: Any = None
                     ) -> list[tuple[str, str, Any]]:
    """(item id, verdict, due) for every dated item of a Session, at ``now`` (default the
    session's clock); ``closed`` overrides when the staged process stopped."""
    now = session.now if now is None else now
    closed = session.closed_at() if closed is None else closed
    reach = session.step_index + 1
    out = []
    for item, _stage, step, index, deadline, final in dated_items(session.ladder):
        due = session.due(deadline)
        done = (session.engaged.get(step.id) if taken_up_counts(deadline, final)
                else session.concluded.get(item))
        state = verdict(due, done, closed, session.risk_known_at, now, index <= reach)
        if not session.ladder_applies and state != PENDING:
            state = MOOT  # an allegation or a complaint: no ladder clock runs (as scoring)
        out.append((item, state, due))
    return out


def procedure_items(policy: Policy) -> list[tuple[Procedure, str, Stage, Deadline]]:
    """Every dated item of the policy's sub-procedures: (procedure, item id — a step's or
    a stage's —, its stage, deadline). A sub-procedure runs on its own clock from the event
    that starts it, beside the ladder (e.g. dissent at a child protection conference)."""
    items: list[tuple[Procedure, str, Stage, Deadline]] = []
    for procedure in policy.procedures:
        for stage in procedure.stages:
            items += [(procedure, step.id, stage, step.deadline) for step in stage.steps
                      if step.deadline is not None]
            if stage.deadline is not None:
                items.append((procedure, stage.id, stage, stage.deadline))
    return items


def procedure_verdicts(session: Any, now: Any = None
                       ) -> list[tuple[Procedure, str, str, Any, Any]]:
    """(procedure, item id, verdict, due, done) for every dated sub-procedure item of a
    Session at ``now``. Pending until its event started the procedure; met when the trainee
    took the step (or every step of the stage) by the due time. Resolving the ladder does not
    close a sub-procedure (its clock is its own); a known immediate risk moots what falls
    due after it, as on the ladder."""
    now = session.now if now is None else now
    out = []
    for procedure, item, _stage, deadline in procedure_items(session.policy):
        due = session.procedure_due(procedure, deadline)
        done = session.procedure_taken.get(item)
        state = verdict(due, done, None, session.risk_known_at, now)
        out.append((procedure, item, state, due, done))
    return out
