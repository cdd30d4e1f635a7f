"""The stage race vectorised with numpy: every case advances one ladder step per pass.

Same model as `sim.race` (same `RaceModel`, same per-chunk draws, same player rules), with
one simplification: desks never queue (unlimited capacity, as `run.cases_per_year = 0` in
the SimPy engine). Without queues a case's path is a pure function of its own draws, so
the race can be played step by step on arrays: at step k, for every case still there,
take the earliest of reply, escalation time, risk and horizon.
"""

from __future__ import annotations

import numpy as np

from sim.race_model import (
    CONVERSATION_MINUTES,
    LATE_MINUTES,
    MEETING_MINUTES,
    REFER_MINUTES,
    SPARE_WORKING_MINUTES,
    ChunkDraws,
    ChunkResult,
    DueRule,
    RaceModel,
    VectorClock,
)
from sim.verdicts import verdict_codes

RESOLVED, EMERGENCY, OPEN = 0, 1, 2
NAN = np.nan


def due_vec(rule: DueRule | None, anchors: dict[str, np.ndarray], clock: VectorClock,
            n: int) -> np.ndarray:
    """`DueRule.due` for arrays of anchors (nan: anchor missing or no deadline)."""
    out = np.full(n, NAN)
    if rule is None:
        return out
    a = anchors.get(rule.after)
    if a is not None and rule.unit is not None:
        ok = ~np.isnan(a)
        if ok.any():
            av = a[ok]
            if rule.unit == "working_hours":
                out[ok] = clock.add_working(av, np.full(av.shape, rule.amount * 60))
            elif rule.unit == "hours":
                out[ok] = av + rule.amount * 60
            else:
                day = np.floor(av / 1440.0)
                key = (day * 2 + ((av - day * 1440.0) < rule._close)).astype(np.int64)
                base, table = rule.table(int(key.min()), int(key.max()))
                out[ok] = table[key - base]
    for option in rule.options:
        out = np.fmin(out, due_vec(option, anchors, clock, n))
    return out


def _from_start(rule: DueRule) -> bool:
    return rule.after == "start" and all(_from_start(o) for o in rule.options)


class _Dues:
    """Dues per case, for the cases ``idx`` still on the ladder. A rule counted from the
    start alone (every Liverpool deadline) is computed once per block for all cases and
    indexed, instead of once per step; others (counted from a step) as they come."""

    def __init__(self, clock: VectorClock, start: np.ndarray) -> None:
        self.clock, self.start = clock, start
        self.full: dict[int, np.ndarray] = {}

    def __call__(self, rule: DueRule | None, anchors: dict[str, np.ndarray],
                 idx: np.ndarray) -> np.ndarray:
        if rule is None:
            return np.full(idx.size, NAN)
        if not _from_start(rule):
            return due_vec(rule, anchors, self.clock, idx.size)
        full = self.full.get(id(rule))
        if full is None:
            full = self.full[id(rule)] = due_vec(rule, {"start": self.start}, self.clock,
                                                 self.start.size)
        return full if idx.size == self.start.size else full[idx]


def run_block(model: RaceModel, draws: ChunkDraws, verdicts: bool = True) -> ChunkResult:
    """Play a block of cases (any number of whole chunks) with array operations.

    ``verdicts=False`` leaves each stage's debrief verdict out (``result.verdict`` is
    None): a stress run tallies breaches only, and the verdicts cost a fifth of the time.
    """
    m, n = model, draws.n
    clock = VectorClock.of(m.cal)
    res = ChunkResult.empty(n, len(m.stages), len(m.roles), len(m.items))
    start, risk = draws.start, draws.risk.copy()
    end = start + m.horizon_minutes
    risk[risk >= end] = np.inf
    anchors: dict[str, np.ndarray] = {"start": start}
    for item in [s.id for s in m.steps] + [s.id for s in m.stages]:
        anchors[item] = np.full(n, NAN)
    contacts: list[tuple[np.ndarray, set[int]]] = []  # (case * n_roles + role, roles)
    needed = _anchor_names(m)
    leave = np.full(n, NAN)  # when the case left the ladder
    last_k = np.zeros(n, dtype=np.int64)
    emergency = np.zeros(n, dtype=bool)
    pending = np.full(n, np.inf)  # an earlier step's yes still on its way (as sim.race)
    idx = np.arange(n)
    now = start.copy()
    dues = _Dues(clock, start)
    for k, step in enumerate(m.steps):
        if idx.size == 0:
            break
        full = idx.size == n  # every case is still here (the first step): no gathering
        last_k[idx] = k
        t_now = now.copy() if full else now[idx]
        sub = {key: anchors[key] if full else anchors[key][idx] for key in needed}
        role = np.asarray(step.counterpart)[draws.other if full else draws.other[idx]]
        if m.player == "passive":  # never raises it with anyone (as sim.players.passive)
            role = np.full(idx.size, -1)
        has = role >= 0
        contacts.append((idx[has] * len(m.roles) + role[has], set(step.counterpart) - {-1}))
        answered, work, agree = draws.step(m, k, idx)
        w_now, office, nxt = clock.probe(t_now)
        reply = _reply(m, clock, step, answered, work, role, t_now, w_now, office, nxt)
        cut = _cutoff(m, clock, k, t_now, w_now, sub, dues, idx)
        r, e, p = (risk, end, pending.copy()) if full else (risk[idx], end[idx], pending[idx])
        t = np.minimum(np.minimum(reply, cut), np.minimum(r, e))
        has_p = np.isfinite(p)
        if has_p.any():  # an earlier step's yes is on its way for some cases
            t = np.minimum(t, p)
            late_yes = (t == p) & has_p
        else:
            late_yes = np.zeros(t.size, dtype=bool)
        replied = (t == reply) & np.isfinite(reply) & ~late_yes
        no = replied & ~agree
        if m.player == "perfect" and k + 1 < m.n_steps:
            # escalates at once after a no (later = t): t is already the earliest of
            # everything, so nothing else lands first (at the last step it waits on)
            yes_in_wait, esc_after_no = np.zeros(t.size, dtype=bool), no
        else:
            later = _after_no(m, k, t, sub, dues, idx)
            # After a no the player may wait (late: until the deadline); an earlier step's
            # yes landing during that wait ends the case there, as in the Session.
            t2 = np.where(no, np.minimum(np.minimum(later, p), np.minimum(r, e)), t)
            yes_in_wait = no & (t2 == p) & has_p
            t = np.where(no, t2, t)
            esc_after_no = no & ~yes_in_wait & (t2 == later) & np.isfinite(later)
        done = (replied & agree) | late_yes | yes_in_wait
        res.outcome[idx[done]] = RESOLVED
        leave[idx[done]] = t[done]
        cut_off = ~replied & ~late_yes & (t == cut) & np.isfinite(cut)
        esc = esc_after_no | cut_off
        still_coming = cut_off & agree & np.isfinite(reply)
        pending[idx[still_coming]] = np.minimum(p[still_coming], reply[still_coming])
        gone = ~done & ~esc
        risky = gone & (t == r) & np.isfinite(r)
        emergency[idx[risky]] = True
        leave[idx[risky]] = e[risky] if m.player == "passive" else r[risky]
        opened = gone & ~risky
        res.outcome[idx[opened]] = OPEN
        leave[idx[opened]] = e[opened]
        moving = idx[esc]
        anchors[step.id][moving] = t[esc]
        if step.last_in_stage:
            anchors[m.stages[step.stage].id][moving] = t[esc]
        now[moving] = t[esc]
        idx = moving
    _emergencies(m, clock, res, emergency, risk, end, contacts)
    _finish(m, clock, res, anchors, leave, last_k, contacts, np.where(emergency, risk, NAN),
            dues, verdicts)
    return res


def _reply(m: RaceModel, clock: VectorClock, step, answered: np.ndarray, work: np.ndarray,
           role: np.ndarray, now: np.ndarray, w_now: np.ndarray, in_office: np.ndarray,
           nxt: np.ndarray) -> np.ndarray:
    hours = np.asarray(m.role_hours)[np.maximum(role, 0)]
    delay = clock.add_from(w_now, nxt, work)
    if step.meeting:
        delay = delay + MEETING_MINUTES
    quick = now + CONVERSATION_MINUTES
    reply = np.where(answered & in_office, quick, delay)
    office_roles = hours == 0
    if not office_roles.all():  # EDT, police: answer at once in their hours, never outside
        other_hours = np.where((hours == 1) | ~in_office, quick, np.inf)
        reply = np.where(office_roles, reply, other_hours)
    return reply if (role >= 0).all() else np.where(role >= 0, reply, np.inf)


def _current_due(m: RaceModel, k: int, anchors: dict[str, np.ndarray], dues: _Dues,
                 idx: np.ndarray) -> np.ndarray:
    step = m.steps[k]
    stage_due = m.stages[step.stage].due
    rule = step.due or stage_due
    if step.due is not None and step.due.is_asap and stage_due is not None:
        rule = stage_due
    return dues(rule, anchors, idx)


def _cutoff(m: RaceModel, clock: VectorClock, k: int, now: np.ndarray, now_w: np.ndarray,
            anchors: dict[str, np.ndarray], dues: _Dues, idx: np.ndarray) -> np.ndarray:
    n = now.size
    if k + 1 >= m.n_steps or m.player == "passive":
        return np.full(n, np.inf)
    step = m.steps[k]
    asap = step.due is not None and step.due.is_asap
    rules = [r for r in (None if asap else step.due, m.stages[step.stage].due)
             if r is not None]
    passed = np.zeros(n, dtype=bool)
    first = np.full(n, np.inf)
    for rule in dict.fromkeys(rules):  # a step and its stage often share one rule's dues
        due = dues(rule, anchors, idx)
        passed |= due <= now
        first = np.where(due > now, np.minimum(first, due), first)
    none = ~np.isfinite(first) & ~passed
    if none.any():
        for j in range(k + 1, m.n_steps):
            for rule in (m.steps[j].due, m.stages[m.steps[j].stage].due):
                later = dues(rule, anchors, idx)
                first = np.where(none & (later > now), np.minimum(first, later), first)
    finite = np.isfinite(first)
    first_w = clock.working_at(np.where(finite, first, now))
    target = (now_w + first_w) / 2 if asap else first_w - SPARE_WORKING_MINUTES
    cut = np.where(target <= now_w, now, clock.calendar_at(np.maximum(target, 0.0)))
    cut = np.where(finite, cut, np.inf)
    cut = np.where(passed, now, cut)
    if m.player == "late":
        due = _current_due(m, k, anchors, dues, idx)
        wait = ~np.isnan(due) & (cut <= due)
        cut = np.where(wait, np.maximum(now, due + LATE_MINUTES), cut)
    return _auto_first(m, k, cut, now, anchors, dues, idx)


def _auto_first(m: RaceModel, k: int, when: np.ndarray, now: np.ndarray,
                anchors: dict[str, np.ndarray], dues: _Dues, idx: np.ndarray) -> np.ndarray:
    """As `sim.race.Race.auto_first`: the policy's automatic escalation if sooner."""
    rule = m.steps[k].auto
    if rule is None:
        return when
    auto = dues(rule, anchors, idx)
    return np.where(np.isnan(auto), when, np.minimum(when, np.maximum(now, auto)))


def _after_no(m: RaceModel, k: int, t: np.ndarray, anchors: dict[str, np.ndarray],
              dues: _Dues, idx: np.ndarray) -> np.ndarray:
    n = t.size
    if k + 1 >= m.n_steps or m.player == "passive":
        return np.full(n, np.inf)
    if m.player == "late":
        due = _current_due(m, k, anchors, dues, idx)
        later = np.where(~np.isnan(due) & (t <= due), due + LATE_MINUTES, t)
        return _auto_first(m, k, later, t, anchors, dues, idx)
    return t


def _emergencies(m: RaceModel, clock: VectorClock, res: ChunkResult, emergency: np.ndarray,
                 risk: np.ndarray, end: np.ndarray,
                 contacts: list[tuple[np.ndarray, set[int]]]) -> None:
    idx = np.flatnonzero(emergency)
    if idx.size == 0:
        return
    r = risk[idx]
    if m.player == "passive" or not m.route_in:
        res.outcome[idx] = OPEN
        res.risk_wait[idx] = (end[idx] - r) / 1440.0
        res.risk_late[idx] = True
        return
    res.outcome[idx] = EMERGENCY
    due = due_vec(m.route_due, {"start": r}, clock, idx.size)
    if m.route_due_ooh is not None:  # as sim.race: known out of hours, its own deadline
        ooh = ~clock.is_office(r)
        if ooh.any():
            due[ooh] = due_vec(m.route_due_ooh, {"start": r[ooh]}, clock, int(ooh.sum()))
    act = r.copy()
    if m.player == "late":
        act = np.where(~np.isnan(due) & (r <= due), due + LATE_MINUTES, r)
    office = clock.is_office(act)
    for roles, mask in ((m.route_in, office), (m.route_out, ~office)):
        for role in roles:
            contacts.append((idx[mask] * len(m.roles) + role, {role}))
        res.risk_wait[idx[mask]] = (act[mask] + REFER_MINUTES * len(roles) - r[mask]) / 1440.0
    res.risk_late[idx] = ~np.isnan(due) & (act > due)


def _finish(m: RaceModel, clock: VectorClock, res: ChunkResult,
            anchors: dict[str, np.ndarray], leave: np.ndarray, last_k: np.ndarray,
            contacts: list[tuple[np.ndarray, set[int]]], risk_known: np.ndarray,
            dues: _Dues, verdicts: bool = True) -> None:
    n = res.n
    stage_of = np.array([s.stage for s in m.steps])
    res.reached[:] = stage_of[last_k]
    res.at_step[:] = last_k
    resolved = res.outcome == RESOLVED
    res.stage[resolved] = stage_of[last_k[resolved]]
    start = anchors["start"]
    # A case left the ladder at step last_k: every step below it, and every stage below
    # its stage, was escalated and has its time already. What it left from is concluded
    # then: by resolution (the step and its stage) or by the risk referral (the step, and
    # its stage if it is the stage's last step), as sim.race.finish.
    referred = res.outcome == EMERGENCY
    for j, step in enumerate(m.steps):
        stage = m.stages[step.stage]
        at = last_k == j
        fill = (resolved | referred) & at
        anchors[step.id][fill] = leave[fill]
        if stage.steps[-1] != j:
            fill = resolved & at
        anchors[stage.id][fill] = leave[fill]
    work = clock.working_at(leave[resolved]) - clock.working_at(start[resolved])
    res.days[resolved] = work / m.day_len
    all_cases = np.arange(n)
    if m.final_due is not None:
        final = dues(m.final_due, anchors, all_cases)
        res.by_final[:] = resolved & (np.isnan(final) | (leave <= final))
    else:
        res.by_final[:] = resolved
    closed = np.where(resolved, leave, NAN)
    risky = bool((~np.isnan(risk_known)).any())
    if not verdicts:
        res.verdict = res.item_verdict = None
    else:
        _item_verdicts(m, res, anchors, last_k, closed, risk_known, leave, dues)
    for s, stage in enumerate(m.stages):
        if stage.due is None:
            continue
        due = dues(stage.due, anchors, all_cases)
        concluded = anchors[stage.id]
        # as sim.race.finish: stress asks whether the procedure concluded in time, in reach
        # or not (the verdict below with reach everywhere, written out: no case is pending)
        stopped = (closed <= due) | (due > leave)
        met = concluded <= due
        if risky:
            stopped |= risk_known <= due
            met &= ~(risk_known <= concluded)
        res.breach[:, s] = ~np.isnan(due) & ~met & ~stopped
        if verdicts:
            done = concluded
            last = stage.steps[-1]
            if stage.due.is_asap or last == m.n_steps - 1:  # the debrief: taken up suffices
                entered = start if last == 0 else anchors[m.steps[last - 1].id]
                done = np.where(last_k >= last, entered, NAN)
            res.verdict[:, s] = verdict_codes(due, done, closed, risk_known, leave,
                                              last_k + 1 >= stage.steps[0])
    res.contacts[:], res.contacts_sq[:] = _contact_sums(contacts, len(m.roles))


def _item_verdicts(m: RaceModel, res: ChunkResult, anchors: dict[str, np.ndarray],
                   last_k: np.ndarray, closed: np.ndarray, risk_known: np.ndarray,
                   leave: np.ndarray, dues: _Dues) -> None:
    """The debrief's verdict on every dated ladder item, as `sim.race` gives it per case."""
    all_cases = np.arange(res.n)
    for j, item in enumerate(m.items):
        due = dues(item.due, anchors, all_cases)
        if item.taken_up:
            entered = anchors["start"] if item.step == 0 else anchors[m.steps[item.step - 1].id]
            # taken up at once on entering it; the passive player never takes it up
            done = np.where((last_k >= item.step) & (m.player != "passive"), entered, NAN)
        else:
            done = anchors[item.id]
        res.item_verdict[:, j] = verdict_codes(due, done, closed, risk_known, leave,
                                               last_k + 1 >= item.first)


def _contact_sums(contacts: list[tuple[np.ndarray, set[int]]], n_roles: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Per-role sums of contacts and of squared per-case contacts.

    Each array of keys (case * n_roles + role) is sorted and has no repeats, so a case
    meets a role twice only across two arrays whose roles overlap: sum c^2 = sum c + 2 * pairs.
    """
    total = np.zeros(n_roles)
    for keys, _ in contacts:
        total += np.bincount(keys % n_roles, minlength=n_roles)
    squares = total.copy()
    for a, (keys_a, roles_a) in enumerate(contacts):
        for keys_b, roles_b in contacts[a + 1:]:
            if roles_a & roles_b:
                both = np.intersect1d(keys_a, keys_b, assume_unique=True)
                squares += 2 * np.bincount(both % n_roles, minlength=n_roles)
    return total, squares


def _anchor_names(m: RaceModel) -> set[str]:
    names = {"start"}
    rules = [s.due for s in m.steps] + [s.due for s in m.stages]
    while rules:
        rule = rules.pop()
        if rule is not None:
            names.add(rule.after)
            rules.extend(rule.options)
    return names
