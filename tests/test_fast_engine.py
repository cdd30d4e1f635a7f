"""The numpy engine against the SimPy engine and the calendar it vectorises."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scenarios.loader import get_policy
from sim.fast_race import due_vec, run_block
from sim.metrics import Z95
from sim.montecarlo import run_stress
from sim.race import run_chunk
from sim.race_model import CHUNK, RunParams, VectorClock, compile_model, prepare, raw_draws
from sim.whatif import build_variants

FIELDS = ("outcome", "stage", "reached", "breach", "by_final", "risk_late", "verdict")


@pytest.mark.parametrize("policy_id", ["liverpool-lscb", "bs3-early-years"])
@pytest.mark.parametrize("player", ["perfect", "late", "passive"])
def test_without_queues_the_engines_agree_case_by_case(policy_id, player):
    model = compile_model(get_policy(policy_id), player, RunParams(cases_per_year=0))
    u, z = raw_draws(21, 0, model.n_steps)
    draws = prepare(model, u, z, 1500)
    slow, fast = run_chunk(model, draws), run_block(model, prepare(model, u, z, 1500, lazy=True))
    for name in FIELDS:
        assert np.array_equal(getattr(slow, name), getattr(fast, name)), name
    for name in ("days", "risk_wait"):
        assert np.allclose(getattr(slow, name), getattr(fast, name), equal_nan=True), name
    assert np.array_equal(slow.contacts, fast.contacts)
    assert np.array_equal(slow.contacts_sq, fast.contacts_sq)


def test_distributions_agree_within_their_cis_on_default_parameters():
    """Default Liverpool (SimPy with role queues at 12 cases a year) vs the fast engine."""
    policy = get_policy("liverpool-lscb")
    variants = build_variants(policy, [], None, None)
    simpy_run = run_stress(variants, 7200, seed=4, engine="simpy")
    fast_run = run_stress(variants, 7200, seed=40, engine="fast")
    fast = {m.name: m for m in fast_run.metrics}
    checked = 0
    for m in simpy_run.metrics:
        if not m.name.startswith(("resolved.", "reached.", "outcome.", "working_days")):
            continue
        other = fast[m.name]
        se = math.hypot(m.ci_high - m.ci_low, other.ci_high - other.ci_low) / (2 * Z95)
        assert abs(m.mean - other.mean) <= 3.3 * se + 1e-9, (m.name, m.mean, other.mean)
        checked += 1
    assert checked >= 12


def test_vector_clock_matches_the_calendar():
    model = compile_model(get_policy("liverpool-lscb"))
    cal, clock = model.cal, VectorClock(model.cal)
    rng = np.random.default_rng(0)
    lo, hi = cal.to_minutes(cal.from_minutes(0).replace(year=2025)), cal._max_m - 60 * 24 * 400
    minutes = np.concatenate([rng.uniform(lo, hi, 3000), np.array(cal._open[2000:2050]),
                              np.array(cal._close[2000:2050]), np.floor(rng.uniform(lo, hi, 500))])
    assert np.array_equal(clock.working_at(minutes), [cal.working_at(m) for m in minutes])
    assert np.array_equal(clock.is_office(minutes), [cal.is_office_minute(m) for m in minutes])
    assert np.array_equal(clock.next_opening(minutes), [cal.next_opening_m(m) for m in minutes])
    work = np.concatenate([rng.exponential(600, 3000), np.zeros(50), np.full(50, 480.0),
                           np.floor(rng.uniform(0, 5000, 500))])
    expected = [cal.add_working_minutes_m(m, w) for m, w in zip(minutes, work, strict=True)]
    assert np.array_equal(clock.add_working(minutes, work), expected)
    targets = clock.working_at(minutes)
    assert np.array_equal(clock.calendar_at(targets), [cal.calendar_at(w) for w in targets])


def test_vectorised_deadlines_match_due_rules():
    for policy_id in ("liverpool-lscb", "bs3-early-years"):
        model = compile_model(get_policy(policy_id))
        u, z = raw_draws(8, 0, model.n_steps)
        starts = prepare(model, u, z, 400).start
        clock = VectorClock(model.cal)
        anchors = {"start": starts, **{s.id: starts + 3000.0 for s in model.steps}}
        # Each deadline is written once: a stage's last step has none of its own.
        rules = [s.due for s in model.steps] + [s.due for s in model.stages]
        assert all(s.due is not None for s in model.stages)
        for rule in [r for r in rules if r is not None]:
            got = due_vec(rule, anchors, clock, starts.size)
            want = [rule.due({k: float(v[i]) for k, v in anchors.items()})
                    for i in range(starts.size)]
            assert np.allclose(got, [np.nan if w is None else w for w in want],
                               equal_nan=True)


def test_fast_engine_results_do_not_depend_on_blocking():
    model = compile_model(get_policy("liverpool-lscb"))
    u, z = raw_draws(2, 0, model.n_steps)
    whole = run_block(model, prepare(model, u, z, CHUNK))
    half = run_block(model, prepare(model, u[CHUNK // 2:], z[CHUNK // 2:], CHUNK // 2))
    assert np.array_equal(whole.outcome[CHUNK // 2:], half.outcome)
    assert np.allclose(whole.days[CHUNK // 2:], half.days, equal_nan=True)


def test_a_late_yes_still_resolves_in_both_engines():
    """A reply that outruns the cut-off is not lost: with replies that always come after
    the player moves on and certain agreement at Stage 1 only, cases still end resolved —
    above Stage 1, where they stood when the yes landed — and both engines agree."""
    policy = get_policy("liverpool-lscb")
    variants = build_variants(policy, ["behaviour.reply_hours.median=40",
                                       "behaviour.reply_hours.sigma=0.01",
                                       "behaviour.phone_answer_chance=0",
                                       "behaviour.absence_chance=0",
                                       "behaviour.resolve_chance.stage1=1",
                                       "behaviour.resolve_chance.stage2=0",
                                       "behaviour.resolve_chance.stage3=0",
                                       "behaviour.resolve_chance.stage4=0",
                                       "behaviour.risk_per_working_day=0",
                                       "run.cases_per_year=0"], None, None)
    fast = run_stress(variants, 600, seed=4, engine="fast").metrics
    simpy = run_stress(variants, 600, seed=4, engine="simpy").metrics

    def mean(metrics, name):
        return next(m.mean for m in metrics if m.name == name)

    for metrics in (fast, simpy):
        assert mean(metrics, "resolved.stage1") == 0.0
        assert mean(metrics, "outcome.resolved") == 1.0  # nobody above Stage 1 ever agrees
        assert mean(metrics, "resolved.stage2") > 0.9
    assert [m.to_dict() for m in fast if m.name.startswith("resolved.")] == [
        m.to_dict() for m in simpy if m.name.startswith("resolved.")]


def _one_case(model, start, *, answered, work, agree, other=2):
    """A single hand-built case (no randomness): what each step's counterpart does."""
    from sim.race_model import ChunkDraws

    return ChunkDraws(start=np.array([start]), other=np.array([other]),
                      category=np.array([0]), risk=np.array([np.inf]),
                      answered=np.array([answered]), work=np.array([work], dtype=float),
                      agree=np.array([agree]))


def test_a_late_yes_landing_while_the_late_player_waits_resolves_there():
    """Stage 1's yes is still on its way when the late player escalates after Day 2; at
    Stage 2 a quick "no" makes them wait for Day 9, and the Stage 1 yes lands during that
    wait. The case is resolved at Stage 2 when the yes lands (as the Session's late
    player, whose wait is cut short by the reply), not escalated to Stage 3 at Day 9 and
    resolved there back in time."""
    from datetime import datetime

    model = compile_model(get_policy("liverpool-lscb"), "late", RunParams(cases_per_year=0))
    cal = model.cal
    start = cal.to_minutes(datetime(2026, 3, 2, 10, 0))  # Monday
    day = cal._day_length
    # Step 0's reply takes 4 working days and agrees; step 1 replies never come; step 2
    # (Stage 2) answers the next morning with a no.
    work = [4 * day, np.inf, 60.0, np.inf, np.inf]
    draws = _one_case(model, start, answered=[False] * 5, work=work,
                      agree=[True, False, False, False, False])
    yes_at = cal.add_working_minutes_m(start, 4 * day)
    stage2_due = model.stages[1].due.due({"start": start})
    assert yes_at < stage2_due  # the yes lands during the late player's wait for Day 9
    for result in (run_chunk(model, draws), run_block(model, draws)):
        assert result.outcome[0] == 0  # resolved
        assert result.stage[0] == 1  # at Stage 2, where the case stood
        assert result.days[0] == pytest.approx(4.0)
        assert list(result.breach[0]) == [True, False, False, False]


def _codes(result, i=0):
    from sim.verdicts import VERDICTS

    return [VERDICTS[c] for c in result.verdict[i]]


def test_a_risk_known_before_a_deadline_makes_it_moot_even_for_the_passive_player():
    """The debrief does not hold staged deadlines falling after immediate risk was known
    against the trainee (the risk route is the duty then); the engines kept the passive
    player's case on the ladder to the horizon and counted every later deadline breached."""
    from datetime import datetime

    model = compile_model(get_policy("liverpool-lscb"), "passive", RunParams(cases_per_year=0))
    cal = model.cal
    start = cal.to_minutes(datetime(2026, 3, 2, 10, 0))
    draws = _one_case(model, start, answered=[False] * 5, work=[np.inf] * 5,
                      agree=[False] * 5)
    draws.risk[0] = cal.add_working_minutes_m(start, 60.0)  # an hour in, before Day 2
    for result in (run_chunk(model, draws), run_block(model, draws)):
        assert result.outcome[0] == 2  # open: the passive player never refers
        assert result.risk_late[0]
        assert not result.breach[0].any()
        assert _codes(result) == ["moot"] * 4


def test_the_last_stage_is_met_by_taking_it_up_but_stress_asks_for_its_conclusion():
    """Replies never come: the perfect player reaches Stage 4 before Day 23 and the case is
    still open at Day 23. The debrief's verdict is met (nothing lies above the last stage;
    taking it up in time is all the trainee can do), the stress breach counts Day 23 passed
    without a conclusion; Stage 2 lies in reach and is met by escalating in time."""
    from datetime import datetime

    model = compile_model(get_policy("liverpool-lscb"), "perfect", RunParams(cases_per_year=0))
    start = model.cal.to_minutes(datetime(2026, 3, 2, 10, 0))
    draws = _one_case(model, start, answered=[False] * 5, work=[np.inf] * 5,
                      agree=[False] * 5)
    for result in (run_chunk(model, draws), run_block(model, draws)):
        assert list(result.breach[0]) == [False, False, False, True]
        assert _codes(result) == ["met"] * 4


def test_a_case_stuck_at_stage_1_is_not_judged_on_stages_out_of_reach():
    """The passive player never leaves Stage 1: Stage 1 breached, Stage 2 and above beyond
    the next step are pending in the verdict (as the debrief), breached for stress."""
    from datetime import datetime

    model = compile_model(get_policy("liverpool-lscb"), "passive", RunParams(cases_per_year=0))
    start = model.cal.to_minutes(datetime(2026, 3, 2, 10, 0))
    draws = _one_case(model, start, answered=[False] * 5, work=[np.inf] * 5,
                      agree=[False] * 5)
    for result in (run_chunk(model, draws), run_block(model, draws)):
        assert result.breach[0].all()
        assert _codes(result) == ["breached", "pending", "pending", "pending"]


def _slow_clock(cal):
    """The clock on its bisect-table path (the code before the per-day tables)."""
    import copy

    slow = copy.copy(VectorClock.of(cal))
    slow.exact = False
    return slow


def test_the_clock_per_day_tables_equal_the_bisect_path_at_every_edge():
    from sim.race_model import _floor_days

    cal = compile_model(get_policy("liverpool-lscb")).cal
    fast, slow = VectorClock.of(cal), _slow_clock(cal)
    assert fast.exact
    rng = np.random.default_rng(4)
    edges = np.concatenate([np.array(cal._open[1000:3000]), np.array(cal._close[1000:3000]),
                            np.floor(np.array(cal._open[1000:3000]) / 1440) * 1440])
    minutes = np.concatenate([edges, np.nextafter(edges, 0), np.nextafter(edges, np.inf),
                              rng.uniform(edges.min(), edges.max(), 20000)])
    assert np.array_equal(_floor_days(minutes), (minutes // 1440).astype(np.int64))
    assert np.array_equal(fast.working_at(minutes), slow.working_at(minutes))
    for a, b in zip(fast.probe(minutes), slow.probe(minutes), strict=True):
        assert np.array_equal(a, b)
    work = fast.working_at(minutes)
    work = np.concatenate([work, np.nextafter(work, 0), np.nextafter(work, np.inf),
                           np.arange(1000, 3000) * fast.day_len])
    assert np.array_equal(fast.calendar_at(work), slow.calendar_at(work))


@pytest.mark.parametrize("player", ["perfect", "late", "passive"])
def test_the_numpy_engine_gives_the_same_results_on_either_clock_path(player, monkeypatch):
    """Same seed, same output before and after the speed work: every result of a run on
    the per-day tables equals the run on the bisect path it replaced."""
    from sim import fast_race, race_model

    for policy_id in ("liverpool-lscb", "bs3-early-years"):
        model = compile_model(get_policy(policy_id), player)
        u, z = raw_draws(3, 1, model.n_steps)
        fast = run_block(model, prepare(model, u, z, CHUNK, lazy=True))
        slow_clock = _slow_clock(model.cal)
        assert fast_race.VectorClock is race_model.VectorClock
        with monkeypatch.context() as patch:
            patch.setattr(VectorClock, "of", classmethod(lambda cls, cal, c=slow_clock: c))
            assert VectorClock.of(model.cal) is slow_clock
            slow = run_block(model, prepare(model, u, z, CHUNK, lazy=True))
        for name in (*race_model.RESULT_FIELDS, "contacts", "contacts_sq"):
            assert np.array_equal(getattr(fast, name), getattr(slow, name), equal_nan=True), name
