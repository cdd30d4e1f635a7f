"""Scenario lint: play a scenario with the scripted players and check it teaches what it says.

Used by `escalate check`. Returns plain problem strings; an empty list means the scenario is
fine.
"""

from __future__ import annotations

from scenarios.loader import LoadError, policy_of
from scenarios.scenario_schema import Scenario
from scoring import evaluate, judgeable
from sim.players import play
from sim.session import Session, SessionError

LINT_SEEDS = (1, 2, 3)


def lint_scenario(scenario: Scenario) -> list[str]:
    """Perfect scores 100 on seeds 1–3; passive is caught by every rule in ``teaches``;
    every objective and ``teaches`` id is a rule of the policy that scoring can judge."""
    try:
        policy = policy_of(scenario)
    except (KeyError, LoadError):
        return [f"unknown policy '{scenario.policy}'"]
    known = {r.id for r in policy.rules}
    can_judge = judgeable(policy)
    problems: list[str] = []
    for number, objective in enumerate(scenario.objectives, start=1):
        for rule_id in objective.rules:
            if rule_id not in known:
                problems.append(f"objective {number} cites rule {rule_id}, which policy "
                                f"'{policy.id}' does not have")
            elif rule_id not in can_judge:
                problems.append(f"objective {number} cites rule {rule_id}, which scoring "
                                "cannot judge")
    for rule_id in scenario.teaches:
        if rule_id not in known:
            problems.append(f"teaches {rule_id}, which policy '{policy.id}' does not have")
    if problems:
        return problems
    held = 0
    try:
        for seed in LINT_SEEDS:
            good = play(Session(scenario, seed, policy), "perfect")
            problems.extend(f"seed {seed}: {p}" for p in unperformed_duties(good))
            problems.extend(f"seed {seed}: {p}" for p in conversation_problems(good))
            problems.extend(f"seed {seed}: the model answer lets '{event_id}' happen: acting in "
                            "time should avert a consequence of delay"
                            for event_id, happened in good.consequences if happened)
            held += any(c["authored"] for c in good.conversations)
            result = evaluate(good)
            if result.score < 100:
                found = ", ".join(f"{f.rule} ({f.observed})" for f in result.problems)
                problems.append(f"the perfect player scores {result.score:g} on seed {seed}, "
                                f"not 100: {found}")
        if scenario.conversation is not None and not held:
            problems.append("the perfect player never holds the authored conversation on "
                            f"seeds {LINT_SEEDS} (is the counterpart reached at one of its "
                            "'steps', and do they answer?)")
        missed = set(scenario.teaches) - evaluate(
            play(Session(scenario, LINT_SEEDS[0], policy), "passive")).rule_ids
        if missed:
            problems.append("the passive player is not caught by "
                            f"{', '.join(sorted(missed))} (listed in 'teaches')")
    except (SessionError, ValueError, KeyError) as exc:
        problems.append(f"the scenario could not be played: {exc}")
    return problems


def unperformed_duties(good: Session) -> list[str]:
    """What the scenario's events made due that the model answer did not do: a fresh
    referral after each piece of new information that signals significant harm, the
    emergency route after immediate risk, a matter's own route (LADO, complaints), and
    accepting a view the scenario makes sound."""
    from sim import actions as A

    problems = []
    referrals = [when for when, action in good.actions if isinstance(action, A.Refer)]
    for when in good.new_harm_known:
        if not any(r >= when for r in referrals):
            problems.append(f"the model answer makes no fresh referral after the new "
                            f"information at {when:%a %d %b %H:%M}")
    if good.risk_known_at is not None and good.emergency_route is not None \
            and not any(r >= good.risk_known_at for r in referrals):
        problems.append("the model answer never takes the immediate-risk route")
    own = [r.id for r in good.policy.outside_routes if r.matter == good.scenario.matter]
    if own and not any(route in good.routes_used for route in own):
        problems.append(f"the model answer never takes the case's own route ({', '.join(own)})")
    routes = [(when, a.route) for when, a in good.actions if isinstance(a, A.UseRoute)]
    for when, matter in good.matters_known:
        wanted = {r.id for r in good.policy.outside_routes if r.matter == matter}
        if not any(r in wanted and at >= when for at, r in routes):
            problems.append(f"the model answer takes no route for the {matter.replace('_', ' ')} "
                            f"made known at {when:%a %d %b %H:%M}")
    if good.scenario.other_view_sound and good.accepted_at is None:
        problems.append("the model answer never accepts the other professional's sound view")
    return problems


def conversation_problems(good: Session) -> list[str]:
    """Where the perfect player's model challenge is answered, it must reach the
    conversation's best ending. (The structure — reachable nodes, scored endings, known
    facts — is checked on loading.)"""
    conversation = good.scenario.conversation
    if conversation is None:
        return []
    best = max(n.ending.score for n in conversation.nodes if n.ending is not None)
    held = [c for c in good.conversations if c["authored"]]
    if not held:
        return []  # no answer on this seed (an absence, a slow reply): checked across seeds
    first = held[0]
    if first["score"] != best:
        return [f"the model challenge reaches '{first['path'][-1]}' (score {first['score']}), "
                f"not the best ending (score {best})"]
    return []
