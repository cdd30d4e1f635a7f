"""The stage race as a lean SimPy model: many autonomous cases in one Environment.

Each case climbs the policy's ladder: at every step the raiser contacts the counterpart
role, whose reply (a draw in working hours, laid onto the calendar) races the player's
escalation time, the hidden risk and the horizon. Roles are SimPy resources: a
counterpart works on at most ``capacity`` escalations at once (a reply's turnaround holds a
desk), so with many cases a year contacts queue. Cases of one chunk are split into
"partnership years" of ``run.cases_per_year`` cases that share desks; 0 means unlimited
desks (no queues), the assumption of the fast numpy engine.

The SimPy clock counts calendar minutes since `WorkingCalendar.EPOCH`, like `Session`;
delays are working minutes converted with `add_working_minutes_m`, deadlines are minutes.
No pydantic object or datetime is touched per case: everything comes from `RaceModel`.
"""

from __future__ import annotations

import math

import simpy

from sim.race_model import (
    CONVERSATION_MINUTES,
    LATE_MINUTES,
    MEETING_MINUTES,
    REFER_MINUTES,
    SPARE_WORKING_MINUTES,
    ChunkDraws,
    ChunkResult,
    RaceModel,
)
from sim.verdicts import BREACHED, CODES, verdict

INF = math.inf
RESOLVED, EMERGENCY, OPEN = 0, 1, 2


def run_chunk(model: RaceModel, draws: ChunkDraws, verdicts: bool = True) -> ChunkResult:
    """Play every case of a chunk in one Environment; each case ends exactly once.

    ``verdicts=False`` leaves each stage's debrief verdict out (``result.verdict`` is
    None), as `sim.fast_race.run_block`: a stress run tallies breaches only.
    """
    env = simpy.Environment()
    result = ChunkResult.empty(draws.n, len(model.stages), len(model.roles), len(model.items))
    race = _Race(model, draws, env, result)
    race.verdicts = verdicts
    race.start()
    env.run()
    if not verdicts:
        result.verdict = result.item_verdict = None
    result.contacts[:] = race.contacts
    result.contacts_sq[:] = race.contacts_sq
    if (result.outcome < 0).any():  # pragma: no cover - guarded by the conservation test
        raise RuntimeError("a case did not end")
    return result


class _Race:
    """The per-chunk state shared by its case processes (locals bound for speed)."""

    def __init__(self, model: RaceModel, draws: ChunkDraws, env: simpy.Environment,
                 result: ChunkResult) -> None:
        self.m = model
        self.env = env
        self.res = result
        self.cal = model.cal
        self.start_ = draws.start.tolist()
        self.other = draws.other.tolist()
        self.risk = draws.risk.tolist()
        self.answered = draws.answered.tolist()
        self.work = draws.work.tolist()
        self.agree = draws.agree.tolist()
        self.world_size = model.run.cases_per_year
        self.verdicts = True  # each stage's debrief verdict too (run_chunk's choice)
        self.desks: dict[tuple[int, int], simpy.Resource] = {}
        self.contacts = [0.0] * len(model.roles)
        self.contacts_sq = [0.0] * len(model.roles)

    def start(self) -> None:
        process = self.env.process
        for i in range(len(self.start_)):
            process(self.case(i))

    def desk(self, i: int, role: int) -> simpy.Resource | None:
        if not self.world_size:
            return None
        key = (i // self.world_size, role)
        desk = self.desks.get(key)
        if desk is None:
            desk = self.desks[key] = simpy.Resource(self.env, self.m.role_capacity[role])
        return desk

    # ------------------------------------------------------------------ player timing

    def cutoff(self, k: int, now: float, anchors: dict[str, float]) -> float:
        """When the player escalates without a reply (inf: never; at the last step never)."""
        m = self.m
        if k + 1 >= m.n_steps or m.player == "passive":
            return INF
        perfect = self.perfect_cutoff(k, now, anchors)
        if m.player == "late":
            due = self.current_due(k, anchors)
            if due is not None and perfect <= due:
                return self.auto_first(k, max(now, due + LATE_MINUTES), now, anchors)
        return self.auto_first(k, perfect, now, anchors)

    def auto_first(self, k: int, when: float, now: float, anchors: dict[str, float]) -> float:
        """The player's own escalation time, or the policy's automatic one if sooner (a
        stage that escalates on timeout; see `StepSpec.auto`)."""
        rule = self.m.steps[k].auto
        auto = rule.due(anchors) if rule is not None else None
        return when if auto is None else min(when, max(now, auto))

    def current_due(self, k: int, anchors: dict[str, float]) -> float | None:
        """The deadline the `late` player waits out (as sim.players._current_due)."""
        step = self.m.steps[k]
        stage_due = self.m.stages[step.stage].due
        rule = step.due or stage_due
        if step.due is not None and step.due.is_asap and stage_due is not None:
            rule = stage_due
        return rule.due(anchors) if rule is not None else None

    def perfect_cutoff(self, k: int, now: float, anchors: dict[str, float]) -> float:
        """Two working hours before the first deadline ahead (half-way for an asap step).

        A deadline of the current step or stage already passed means: escalate at once.
        """
        m = self.m
        step = m.steps[k]
        asap = step.due is not None and step.due.is_asap
        dues = []
        for rule in (None if asap else step.due, m.stages[step.stage].due):
            if rule is not None:
                due = rule.due(anchors)
                if due is not None:
                    if due <= now:
                        return now
                    dues.append(due)
        if not dues:
            dues = [d for j in range(k + 1, m.n_steps) for rule in
                    (m.steps[j].due, m.stages[m.steps[j].stage].due)
                    if rule is not None and (d := rule.due(anchors)) is not None and d > now]
            if not dues:
                return INF
        cal = self.cal
        now_w = cal.working_at(now)
        first_w = cal.working_at(min(dues))
        target = (now_w + first_w) / 2 if asap else first_w - SPARE_WORKING_MINUTES
        return now if target <= now_w else cal.calendar_at(target)

    def escalate_after_no(self, k: int, now: float, anchors: dict[str, float]) -> float:
        """When the player escalates after the counterpart says no."""
        m = self.m
        if k + 1 >= m.n_steps or m.player == "passive":
            return INF
        if m.player == "late":
            due = self.current_due(k, anchors)
            if due is not None and now <= due:
                return self.auto_first(k, due + LATE_MINUTES, now, anchors)
        return now

    def reply_at(self, i: int, k: int, role: int, now: float) -> float:
        """When the counterpart's answer lands (as sim.world.World.reply, by phone)."""
        m = self.m
        hours = m.role_hours[role]
        in_office = self.cal.is_office_minute(now)
        if hours:  # always (1) or out of hours (2): answer now or never
            if hours == 1 or not in_office:
                return now + CONVERSATION_MINUTES
            return INF
        if self.answered[i][k] and in_office:
            return now + CONVERSATION_MINUTES
        work = self.work[i][k]
        if work == INF:
            return INF
        at = self.cal.add_working_minutes_m(now, work)
        return at + MEETING_MINUTES if m.steps[k].meeting else at

    # ------------------------------------------------------------------ one case

    def case(self, i: int):
        env, m = self.env, self.m
        start = self.start_[i]
        yield env.timeout(start)
        risk = self.risk[i]
        end = start + m.horizon_minutes
        if risk >= end:
            risk = INF
        other = self.other[i]
        anchors = {"start": start}
        counts: dict[int, int] = {}
        pending = INF  # an earlier step's yes still on its way (it resolves where it lands)
        k = 0
        while True:
            step = m.steps[k]
            now = env.now
            # The passive player (as sim.players.passive) never raises it with anyone.
            role = step.counterpart[other] if m.player != "passive" else -1
            req = desk = None
            reply = INF
            if role >= 0:
                counts[role] = counts.get(role, 0) + 1
                desk = self.desk(i, role)
                if desk is not None:
                    req = desk.request()
                    if not req.triggered:  # every desk busy: wait for one, or move on
                        limit = min(self.cutoff(k, now, anchors), risk, end)
                        yield req | env.timeout(limit - now)
                        if not req.triggered:
                            req.cancel()
                            req = None
                        now = env.now
                        if req is not None:
                            work = self.work[i][k]
                            reply = INF if work == INF else self.cal.add_working_minutes_m(
                                now, work) + (MEETING_MINUTES if step.meeting else 0.0)
                    else:
                        reply = self.reply_at(i, k, role, now)
                else:
                    reply = self.reply_at(i, k, role, now)
            cutoff = self.cutoff(k, now, anchors)
            t = min(reply, cutoff, risk, end, pending)
            if t > now:
                yield env.timeout(t - now)
            if req is not None:
                desk.release(req)
            if t == pending and pending < INF:
                return self.finish(i, RESOLVED, t, k, anchors, counts)
            if t == reply and reply < INF:
                if self.agree[i][k]:
                    return self.finish(i, RESOLVED, t, k, anchors, counts)
                later = self.escalate_after_no(k, t, anchors)
                # An earlier step's yes landing while the player waits ends the case here.
                t = min(later, risk, end, pending)
                if t > env.now:
                    yield env.timeout(t - env.now)
                if t == pending and pending < INF:
                    return self.finish(i, RESOLVED, t, k, anchors, counts)
                if t == later and later < INF:
                    k = self.escalate(k, t, anchors)
                    continue
            elif t == cutoff and cutoff < INF:
                if self.agree[i][k] and reply < INF:
                    pending = min(pending, reply)
                k = self.escalate(k, t, anchors)
                continue
            if t == risk and risk < INF:
                yield from self.emergency(i, risk, end, counts)
                return self.finish(i, EMERGENCY if m.player != "passive" else OPEN,
                                   risk if m.player != "passive" else end, k, anchors, counts,
                                   risk)
            return self.finish(i, OPEN, end, k, anchors, counts)

    def escalate(self, k: int, t: float, anchors: dict[str, float]) -> int:
        step = self.m.steps[k]
        anchors[step.id] = t
        if step.last_in_stage:
            anchors[self.m.stages[step.stage].id] = t
        return k + 1

    def emergency(self, i: int, risk: float, end: float, counts: dict[int, int]):
        """The right referrals for the hour the player acts; records the child's wait."""
        env, m = self.env, self.m
        res = self.res
        rule = m.route_due
        if m.route_due_ooh is not None and not self.cal.is_office_minute(risk):
            rule = m.route_due_ooh
        due = rule.due({"start": risk}) if rule is not None else None
        if m.player == "passive" or not m.route_in:
            res.risk_wait[i] = (end - risk) / 1440.0
            res.risk_late[i] = True
            yield env.timeout(end - env.now)
            return
        act = risk
        if m.player == "late" and due is not None and risk <= due:
            act = due + LATE_MINUTES
        if act > env.now:
            yield env.timeout(act - env.now)
        roles = m.route_in if self.cal.is_office_minute(act) else m.route_out
        if self.world_size:
            for role in roles:
                desk = self.desk(i, role)
                req = desk.request()
                if not req.triggered:
                    yield req
                yield env.timeout(REFER_MINUTES)
                desk.release(req)
        else:
            yield env.timeout(REFER_MINUTES * len(roles))
        for role in roles:
            counts[role] = counts.get(role, 0) + 1
        res.risk_wait[i] = (env.now - risk) / 1440.0
        res.risk_late[i] = due is not None and act > due

    # ------------------------------------------------------------------ the single exit

    def finish(self, i: int, outcome: int, t: float, k: int, anchors: dict[str, float],
               counts: dict[int, int], risk: float | None = None) -> None:
        """Record how case i ended at minute t at step k (``risk``: when immediate risk was
        known, if it took the case off the ladder), with each stage's verdict."""
        m, res = self.m, self.res
        if res.outcome[i] >= 0:  # pragma: no cover - conservation guard
            raise RuntimeError(f"case {i} ended twice")
        step = m.steps[k]
        res.outcome[i] = outcome
        res.reached[i] = step.stage
        res.at_step[i] = k
        start = anchors["start"]
        if outcome == RESOLVED:
            res.stage[i] = step.stage
            for j in range(k + 1):
                anchors.setdefault(m.steps[j].id, t)
            for s in range(step.stage + 1):
                anchors.setdefault(m.stages[s].id, t)
            cal = self.cal
            res.days[i] = (cal.working_at(t) - cal.working_at(start)) / m.day_len
            final = m.final_due.due(anchors) if m.final_due is not None else None
            res.by_final[i] = final is None or t <= final
        elif outcome == EMERGENCY:  # the referral concludes what it stops (as the Session)
            for j in range(k + 1):
                anchors.setdefault(m.steps[j].id, t)
            for stage in m.stages:
                if stage.steps[-1] <= k:
                    anchors.setdefault(stage.id, t)
        breach, codes = res.breach[i], res.verdict[i]
        closed = t if outcome == RESOLVED else None
        for s, stage in enumerate(m.stages):
            if stage.due is None:
                continue
            due = stage.due.due(anchors)
            if due is None:
                continue
            concluded = done = anchors.get(stage.id)
            # Stress asks whether the procedure concluded in time, at any stage reached or
            # not; the debrief's verdict holds the trainee to what they could do, in reach.
            stress = verdict(due, concluded, closed, risk, t)
            breach[s] = stress == BREACHED
            if not self.verdicts:
                continue
            last = stage.steps[-1]
            if stage.due.is_asap or last == m.n_steps - 1:  # the debrief: taken up suffices
                done = None if k < last else (
                    start if last == 0 else anchors.get(m.steps[last - 1].id))
            reach = stage.steps[0] <= k + 1
            codes[s] = CODES[stress if done is concluded and reach else
                             verdict(due, done, closed, risk, t, reach)]
        if self.verdicts:
            self.item_verdicts(i, k, t, anchors, closed, risk)
        for role, count in counts.items():
            self.contacts[role] += count
            self.contacts_sq[role] += count * count

    def item_verdicts(self, i: int, k: int, t: float, anchors: dict[str, float],
                      closed: float | None, risk: float | None) -> None:
        """The debrief's verdict on every dated ladder item of case i, ended at minute t at
        step k (as `sim.verdicts.session_verdicts` gives it for a Session)."""
        m = self.m
        codes = self.res.item_verdict[i]
        for j, item in enumerate(m.items):
            due = item.due.due(anchors)
            if item.taken_up:  # at once on entering it; the passive player never does
                done = None if k < item.step or m.player == "passive" else (
                    anchors["start"] if item.step == 0 else anchors.get(m.steps[item.step - 1].id))
            else:
                done = anchors.get(item.id)
            codes[j] = CODES[verdict(due, done, closed, risk, t, item.first <= k + 1)]
