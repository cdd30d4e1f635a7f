"""Policy lab (#18): the policy measured by a population of practitioners, role-specific
turnaround, the shortest timescale meeting a target, flat-memory streaming."""

from __future__ import annotations

import json
import math
import tracemalloc

import numpy as np
import pytest

from scenarios.loader import get_policy
from scenarios.policy_schema import Policy
from sim.montecarlo import run_stress
from sim.population import DEFAULT_MIX, assign, type_uniforms
from sim.race_model import CHUNK, compile_model
from sim.target import parse_target, search
from sim.whatif import WhatIfError, build_variants
from tui.cli import main

LIVERPOOL = get_policy("liverpool-lscb")


def _paired(run, stage: int) -> tuple[float, float]:
    """Mean and standard error of (variant 0 − variant 1) breaches on the same cases."""
    diff = (run.results[0].breach[:, stage].astype(float)
            - run.results[1].breach[:, stage].astype(float))
    return diff.mean(), diff.std(ddof=1) / math.sqrt(diff.size)


def _breach(run, variant: int, stage: str) -> float:
    label = run.variants[variant].label
    return next(m.mean for m in run.metrics
                if m.name == f"breach.{stage}" and m.variant == label)


# ---------------------------------------------------------------- population


def test_the_default_population_measures_the_policy_not_a_script():
    """The perfect player meets every deadline by escalating in time (0 breaches); the
    population of practitioners does not, so the breach rate carries information."""
    variants = build_variants(LIVERPOOL, [], None, None)
    perfect = run_stress(variants, 4 * CHUNK, seed=2, engine="fast", player="perfect")
    population = run_stress(variants, 4 * CHUNK, seed=2, engine="fast", player="population")
    get = {m.name: m for m in population.metrics}
    assert next(m for m in perfect.metrics if m.name == "breach.stage2").mean < 0.005
    for stage in ("stage1", "stage2"):
        assert get[f"breach.{stage}"].ci_low > 0.02, get[f"breach.{stage}"]
    assert population.mixes == [DEFAULT_MIX]


def test_population_types_follow_the_mix_and_are_coupled_across_mixes():
    u = type_uniforms(5, 0)
    assert u.shape == (CHUNK,)
    kinds = assign({"prompt": 0.5, "typical": 0.3, "stretched": 0.2}, u)
    shares = np.bincount(kinds, minlength=3) / CHUNK
    assert np.allclose(shares, [0.5, 0.3, 0.2], atol=0.04)
    more = assign({"prompt": 0.5, "typical": 0.1, "stretched": 0.4}, u)
    changed = kinds != more
    assert np.all(kinds[changed] == 1) and np.all(more[changed] == 2)  # typical → stretched


def test_a_later_deadline_strictly_lowers_its_breach_rate_under_the_population():
    for engine, cases in (("fast", 4 * CHUNK), ("simpy", CHUNK)):
        variants = build_variants(LIVERPOOL, [], "stages.stage2.deadline.day=7:12:5", None)
        run = run_stress(variants, cases, seed=13, engine=engine, player="population")
        drop, se = _paired(run, 1)
        assert drop > 3 * se, (engine, drop, se)


def test_slower_replies_raise_breach_rates_under_the_population():
    variants = build_variants(LIVERPOOL, [], "behaviour.reply_hours.median=8:16:8", None)
    run = run_stress(variants, 4 * CHUNK, seed=12, engine="fast", player="population")
    for stage in (0, 1):
        drop, se = _paired(run, stage)
        assert -drop > 3 * se, (stage, drop, se)


def test_more_stretched_practitioners_raise_breaches():
    variants = build_variants(LIVERPOOL, [], "population.stretched=0:0.3:0.3", None)
    assert variants[1].mix == pytest.approx({"prompt": 0.6, "typical": 0.1,
                                             "stretched": 0.3})
    run = run_stress(variants, 2 * CHUNK, seed=3, engine="fast", player="population")
    # Stage 2: a typical practitioner may settle it before Day 9, a stretched one never
    # gets there. (At Stage 1 both miss Day 2 alike unless the first reply agrees: a risk
    # known before a deadline makes it moot for either, as the debrief judges it.)
    drop, se = _paired(run, 1)
    assert -drop > 3 * se


@pytest.mark.parametrize("sets, needle", [
    (["population.typical=0.2"], "remainder"),
    (["population.stretched=0.7"], "must not exceed 1"),
    (["population.prompt=1.5"], "between 0 and 1"),
    (["population.lazy=0.1"], "unknown path"),
])
def test_bad_population_shares_are_one_line(sets, needle):
    with pytest.raises(WhatIfError, match=needle):
        build_variants(LIVERPOOL, sets, None, None)


# ---------------------------------------------------------------- role-specific replies


def test_role_factors_follow_the_evidence_rule_half_the_stage_allowance():
    """Senior representatives (Stage 2, Day 3–9: 7 working days) reply in a median of
    about half of it, 28 working hours; front line keeps reply_hours (8)."""
    beh = LIVERPOOL.behaviour
    for role in ("cs.service_manager", "health.named_nurse", "police.di", "school.sil"):
        assert beh.reply_hours.median * beh.reply_factor_by_role[role] == 28.0
    assert "cs.social_worker" not in beh.reply_factor_by_role
    assert beh.meeting_hours.median * beh.reply_factor_by_role["partnership.chair"] == 28.0
    model = compile_model(LIVERPOOL)
    assert model.role_factor[model.roles.index("cs.social_worker")] == 1.0


def test_a_slower_senior_tier_slows_resolution_on_the_same_cases():
    variants = build_variants(
        LIVERPOOL, [], "behaviour.reply_factor_by_role.cs.service_manager=1:7:6", None)
    run = run_stress(variants, 4 * CHUNK, seed=4, engine="fast", player="perfect")
    fast, slow = (np.nan_to_num(r.days.astype(float)) for r in run.results)
    diff = slow - fast
    assert diff.mean() > 3 * diff.std(ddof=1) / math.sqrt(diff.size)


# ---------------------------------------------------------------- --target


def _exponential_policy(mean: float, deadline: float) -> Policy:
    """One stage, one step, exponential replies of mean m working hours, a deadline of d
    working hours: the breach rate is exactly exp(−d/m)."""
    data = LIVERPOOL.model_dump()
    stage = data["stages"][0]
    due = {"within": deadline, "unit": "working_hours", "after": "start"}
    stage["deadline"] = due
    stage["steps"] = [dict(stage["steps"][0], deadline=due)]
    data["stages"], data["notifications"] = [stage], []
    data["behaviour"].update({
        "reply_hours": {"dist": "exponential", "mean": mean}, "reply_factor_by_role": {},
        "resolve_chance": {"stage1": 1.0}, "phone_answer_chance": 0.0,
        "absence_chance": 0.0, "risk_per_working_day": 0.0})
    return Policy.model_validate(data)


def test_target_search_finds_the_analytic_shortest_deadline():
    mean = 8.0
    policy = _exponential_policy(mean, 4.0)
    target = parse_target("stage1.breach<=0.10", policy)
    assert (target.metric, target.op, target.value) == ("breach.stage1", "<=", 0.10)

    def evaluate(variants):
        return run_stress(variants, 40 * CHUNK, seed=8, engine="fast",
                          player="perfect").metrics

    result = search(policy, target, evaluate, lo=1, hi=40, step=1)
    assert result.path == "stages.stage1.deadline.within"
    exact = mean * math.log(10)  # 18.42 working hours
    assert result.value == math.ceil(exact) == 19
    assert result.low <= result.value <= result.high
    assert result.low <= math.ceil(exact) <= result.high
    at = result.at(result.value)
    assert at.ci_low <= math.exp(-19 / mean) <= at.ci_high
    assert len(result.probes) <= 20  # bisection, not a full sweep


@pytest.mark.parametrize("text, needle", [
    ("stage2.breach", "METRIC<=SHARE"),
    ("stage9.breach<=0.1", "not a stage share"),
    ("stage2.breach<=1.5", "between 0 and 1"),
])
def test_bad_targets_are_one_line(text, needle):
    with pytest.raises(WhatIfError, match=needle):
        parse_target(text, LIVERPOOL)


def test_target_cli_reports_the_shortest_day_with_a_ci(capsys):
    assert main(["stress", "liverpool-lscb", "--engine", "fast", "--cases", "4800",
                 "--target", "stage2.breach<=12%", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    found = data["target"]
    assert found["path"] == "stages.stage2.deadline.day"
    assert found["value"] is not None
    assert found["ci_low"] <= found["value"] <= found["ci_high"]
    assert found["at_value"]["mean"] <= 0.12


# ---------------------------------------------------------------- flat memory


def test_metrics_stream_in_flat_memory():
    """Ten times the cases, (nearly) the same peak memory: tallies, not per-case arrays."""
    variants = build_variants(LIVERPOOL, [], None, None)

    def peak(cases: int) -> int:
        tracemalloc.start()
        run_stress(variants, cases, seed=1, engine="fast", player="population",
                   keep_cases=False)
        top = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return top

    peak(CHUNK)  # warm caches
    small, large = peak(20 * CHUNK), peak(200 * CHUNK)
    assert large < 1.3 * small, (small, large)


def test_population_metrics_identical_for_one_two_jobs_and_a_local_dask_cluster():
    """Streamed tallies merge in chunk order: the same seed gives bit-identical metrics
    however the work is spread (a Dask LocalCluster of processes bound to 127.0.0.1)."""
    from distributed import LocalCluster

    variants = build_variants(LIVERPOOL, [], "population.stretched=0:0.2:0.2", None)
    cases = 25 * CHUNK + 77  # three fast-engine tasks, the last one partial

    def metrics(**kwargs):
        run = run_stress(variants, cases, seed=17, engine="fast", player="population",
                         keep_cases=False, **kwargs)
        return [m.to_dict() for m in run.metrics]

    one, two = metrics(jobs=1), metrics(jobs=2)
    assert one == two
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        assert metrics(scheduler=cluster.scheduler_address) == one


# ---------------------------------------------------------------- sensitivity, season


def test_tornado_ranks_inputs_on_common_random_numbers(capsys, tmp_path):
    page = tmp_path / "t.html"
    assert main(["stress", "liverpool-lscb", "--engine", "fast", "--cases", "4800",
                 "--tornado", "breach.stage2", "--report", str(page), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    tornado = data["tornado"]
    assert tornado["metric"] == "breach.stage2"
    swings = [abs(i["change_high"] - i["change_low"]) for i in tornado["inputs"]]
    assert swings == sorted(swings, reverse=True)
    stretched = next(i for i in tornado["inputs"] if i["input"] == "stretched practitioners")
    # more stretched practitioners, more breaches — beyond the paired CI
    assert stretched["change_high"] > stretched["paired_ci_high"] > 0
    assert stretched["change_low"] < -stretched["paired_ci_low"] < 0
    assert data["variants"] == ["base"]  # tables and plots show the base
    assert "Which assumptions matter" in page.read_text(encoding="utf-8")


def test_breaches_by_start_month_add_up_to_the_whole(capsys):
    assert main(["stress", "liverpool-lscb", "--engine", "fast", "--cases", "4800",
                 "--reading", "calendar", "--by-month", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    season = [m for m in data["season"] if m["name"].endswith("breach.stage2")]
    assert len(season) == 12 and sum(m["n"] for m in season) == 4800
    whole = next(m for m in data["metrics"] if m["name"] == "breach.stage2")
    breached = sum(round(m["mean"] * m["n"]) for m in season)
    assert breached == round(whole["mean"] * 4800)


@pytest.mark.parametrize("argv, needle", [
    (["--target", "stage2.breach"], "METRIC<=SHARE"),
    (["--target", "stage2.breach<=0.1", "--target-range", "9:3:1"], "--target-range expects"),
    (["--target", "stage2.breach<=0.1", "--target-path", "stages.nowhere.day"],
     "unknown path"),
    (["--tornado", "--sweep", "behaviour.reply_hours.median=4:8:4"], "one input at a time"),
    (["--set", "population.typical=0.5"], "remainder"),
])
def test_bad_lab_flags_are_one_line_and_exit_2(capsys, argv, needle):
    with pytest.raises(SystemExit) as exit_info:
        main(["stress", "liverpool-lscb", "--engine", "fast", "--cases", "100", *argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err, err


def test_streamed_tallies_equal_metrics_from_all_cases_at_once():
    """Merging per-task tallies gives the counts of the whole, sums to rounding, and the
    histogram median and 90th percentile within one 5-minute bin of the exact ones."""
    from sim.metrics import BINS_PER_DAY, Tally

    variants = build_variants(LIVERPOOL, [], None, None)
    run = run_stress(variants, 25 * CHUNK, seed=6, engine="fast", player="population",
                     keep_cases=True)
    whole = Tally.of(run.models[0], run.results[0])
    merged = run.tallies[0]
    for name in ("resolved_at", "reached", "breach", "outcome", "days_hist", "contacts"):
        assert np.array_equal(getattr(whole, name), getattr(merged, name)), name
    assert merged.days_sum == pytest.approx(whole.days_sum, rel=1e-12)
    days = run.results[0].days[~np.isnan(run.results[0].days)]
    got = {m.name: m for m in run.metrics}
    for label, q in (("median", 0.5), ("p90", 0.9)):
        exact = float(np.quantile(days, q))
        metric = got[f"working_days_to_resolution.{label}"]
        assert abs(metric.mean - exact) <= 1.0 / BINS_PER_DAY
        assert metric.ci_low <= exact <= metric.ci_high
