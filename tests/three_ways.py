"""One set of cases played three ways, for the differential tests: the Session with a
scripted player on the stress engines' draws, the SimPy race and the numpy engine."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from scenarios.policy_schema import Policy
from sim.fast_race import run_block
from sim.players import play
from sim.race import run_chunk
from sim.race_model import ChunkResult, RaceModel, RunParams, compile_model, prepare, raw_draws
from sim.session import Session
from sim.verdicts import VERDICTS, session_verdicts


@dataclass(frozen=True)
class Played:
    case: int
    session: Session
    mine: list[str]  # the Session's verdict on each dated ladder item (`model.items`)
    simpy: list[str]
    numpy: list[str]
    slow: ChunkResult  # the SimPy race's results for the whole chunk
    model: RaceModel


def three_ways(policy: Policy, player: str, cases: int, seed: int) -> Iterator[Played]:
    """Each case of chunk 0 under ``seed``, with the verdicts of all three."""
    model = compile_model(policy, player, RunParams(cases_per_year=0))
    u, z = raw_draws(seed, 0, model.n_steps)
    draws = prepare(model, u, z, cases)
    slow, fast = run_chunk(model, draws), run_block(model, draws)
    for i in range(cases):
        session = play(Session.from_draws(policy, draws.case(model, i)), player)
        states = {item: state for item, state, _ in
                  session_verdicts(session, now=session.finished_at)}
        yield Played(i, session, [states[item.id] for item in model.items],
                     [VERDICTS[c] for c in slow.item_verdict[i]],
                     [VERDICTS[c] for c in fast.item_verdict[i]], slow, model)
