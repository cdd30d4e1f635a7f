"""Fuzz the YAML loader and `check` with mutated copies of the bundled files.

    uv run python benchmarks/fuzz_yaml.py [--files 10000] [--seed 1] [--no-play] [--keep DIR]

Each file is a bundled policy or scenario with one to three mutations: alias and merge-key
(`<<`) bombs, explicit tags (`!!map`, `!!python/object`, `!!binary` …), time zones and
numbers in dates, huge, tiny, infinite and non-numbers, undecodable bytes, control
characters, deep nesting, duplicate keys, truncation, swapped indentation. For every file:

* the loader raises nothing but `LoadError` (anything else is a crash);
* reading and checking it takes under 2 s (`SLOW_SECONDS`; playing is not timed);
* every problem names file:line:column;
* a scenario it accepts plays (the perfect player, one seed), as does a policy it accepts
  under each bundled scenario of that policy that still checks against it.

Prints counts by outcome and the slowest file. Exit status 1 when any rule was broken.
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scenarios.catalogue import LIBRARY_DIR, POLICY_DIR  # noqa: E402

SLOW_SECONDS = 2.0
HANG_SECONDS = 20  # a file still running after this is stopped and counted as a hang

HOSTILE_SCALARS = [
    "1e308", "-1e308", "1e999", "9" * 400, "-" + "9" * 30, ".inf", "-.inf", ".nan", "nan",
    "0", "-1", "0.0", "1e-320", "0x7fffffffffffffff", "~", "null", "''", '""', "[]", "{}",
    "2026-03-10T09:30:00+05:00", "2026-03-10T09:30:00Z", "1741597200", "1800-01-01T00:00",
    "2200-12-31T23:59", "9999-12-31", "0001-01-01", "2035-12-31T23:59", "24:61",
    "!!map [1, 2]", "!!seq {a: 1}", "!!str [1]", "!!int abc", "!!float x", "!!bool maybe",
    "!!binary aGVsbG8=", "!!timestamp 2026-02-30", "!!python/object:os.system ls",
    "!!python/name:os.system", "!!set {a, b}", "!!omap [a: 1]", "!custom x", "*nowhere",
    "&a [*a]", "'[@click=app.quit]x[/]'", "'=HYPERLINK(\"x\")'", "\"\\u202e\\u0000\"",
    "yes", "on", "True", "17:00", "1_000", "+12", "0o17", "1:20:30",
]


def bomb(levels: int, width: int, merge: bool) -> str:
    lines = ["zz0: &zz0 {x: 1, y: [1, 2, 3]}"]
    for i in range(1, levels + 1):
        refs = ", ".join([f"*zz{i - 1}"] * width)
        lines.append(f"zz{i}: &zz{i}\n  <<: [{refs}]" if merge else f"zz{i}: &zz{i} [{refs}]")
    return "\n".join(lines) + "\n"


def _lines(text: str) -> list[str]:
    return text.split("\n")


def _value_lines(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if ": " in line and not line.lstrip().startswith("#")]


def m_scalar(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    spots = _value_lines(lines)
    if not spots:
        return text
    i = rng.choice(spots)
    head = lines[i].split(": ", 1)[0]
    lines[i] = f"{head}: {rng.choice(HOSTILE_SCALARS)}"
    return "\n".join(lines)


def m_list_item(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    spots = [i for i, line in enumerate(lines) if line.lstrip().startswith("- ")]
    if not spots:
        return text
    i = rng.choice(spots)
    indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
    lines[i] = f"{indent}- {rng.choice(HOSTILE_SCALARS)}"
    return "\n".join(lines)


def m_bomb(text: str, rng: random.Random) -> str:
    levels, width = rng.choice([(9, 9), (6, 12), (20, 2), (4, 40), (3, 3)])
    return text + "\n" + bomb(levels, width, merge=rng.random() < 0.5)


def m_merge_into(text: str, rng: random.Random) -> str:
    """A merge key inside a real mapping, pointing at an anchor defined at the top."""
    lines = _lines(text)
    spots = [i for i, line in enumerate(lines) if line.endswith(":") and line.startswith("  ")]
    if not spots:
        return text
    i = rng.choice(spots)
    indent = " " * (len(lines[i]) - len(lines[i].lstrip()) + 2)
    lines.insert(i + 1, f"{indent}<<: [*zz3, *zz3, *zz3]")
    return bomb(3, rng.choice([3, 30]), merge=True) + "\n".join(lines)


def m_bytes(text: str, rng: random.Random) -> bytes:
    raw = bytearray(text.encode("utf-8"))
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(raw) or 1)
        raw[at:at] = bytes([rng.choice([0x80, 0xC3, 0xE9, 0xFF, 0xFE, 0x00, 0x07, 0x1B])])
    return bytes(raw)


def m_control(text: str, rng: random.Random) -> str:
    at = rng.randrange(len(text) or 1)
    junk = rng.choice(["\x00", "\x07", "\ufeff", "\u202e", "\x1b[31m", "\r"])
    return text[:at] + junk + text[at:]


def m_deep(text: str, rng: random.Random) -> str:
    depth = rng.choice([50, 70, 500, 5000, 60_000])
    kind = rng.choice(["[", "{a: "])
    close = "]" if kind == "[" else "}"
    return text + f"\nzzdeep: {kind * depth}1{close * depth}\n"


def m_duplicate(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    spots = _value_lines(lines)
    if not spots:
        return text
    i = rng.choice(spots)
    lines.insert(i + 1, lines[i])
    return "\n".join(lines)


def m_truncate(text: str, rng: random.Random) -> str:
    return text[: rng.randrange(len(text) or 1)]


def m_indent(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    if not lines:
        return text
    i = rng.randrange(len(lines))
    lines[i] = rng.choice(["\t", " ", "   "]) + lines[i]
    return "\n".join(lines)


def m_start(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    for i, line in enumerate(lines):
        if line.startswith(("start:", "  at:", "    at:")) or " at: " in line:
            head = line.split(":", 1)[0]
            lines[i] = f"{head}: {rng.choice(HOSTILE_SCALARS[20:28])}"
            return "\n".join(lines)
    return text + f"\nstart: {rng.choice(HOSTILE_SCALARS[20:28])}\n"


def m_behaviour(text: str, rng: random.Random) -> str:
    key = rng.choice(["reply_hours", "meeting_hours"])
    part = rng.choice(["median", "sigma", "mean"])
    value = rng.choice(["1e308", "1e999", "1e6", "50", "2000", "5", "0", ".nan"])
    extra = f"  {key}: {{{part}: {value}}}\n" if rng.random() < 0.7 else \
        f"  absence_days: {value}\n  absence_chance: 1\n"
    if "\nbehaviour:\n" in text:
        return text.replace("\nbehaviour:\n", "\nbehaviour:\n" + extra, 1)
    return text + "\nbehaviour:\n" + extra


MUTATIONS: list[Callable[[str, random.Random], str | bytes]] = [
    m_scalar, m_scalar, m_scalar, m_list_item, m_bomb, m_merge_into, m_bytes, m_control,
    m_deep, m_duplicate, m_truncate, m_indent, m_start, m_start, m_behaviour, m_behaviour,
]


def mutate(text: str, rng: random.Random) -> bytes:
    out: str | bytes = text
    for _ in range(rng.choice([1, 1, 2, 3])):
        if isinstance(out, bytes):
            break
        out = rng.choice(MUTATIONS)(out, rng)
    return out if isinstance(out, bytes) else out.encode("utf-8")


class Hang(Exception):
    """A file still running after `HANG_SECONDS`."""


def _alarm(signum: int, frame: object) -> None:
    raise Hang()


@dataclass
class Report:
    outcomes: Counter[str] = field(default_factory=Counter)
    broken: list[str] = field(default_factory=list)
    slowest: tuple[float, str] = (0.0, "")
    elapsed: float = 0.0

    @property
    def files(self) -> int:
        return sum(self.outcomes.values())


def _play_scenario(scenario: object) -> None:
    from sim.players import play
    from sim.session import Session

    play(Session(scenario, 1), "perfect")  # type: ignore[arg-type]


def _play_policy(policy: object) -> int:
    from scenarios.checks import check_scenario
    from scenarios.loader import bundled_scenarios
    from sim.players import play
    from sim.session import Session

    played = 0
    for scenario in bundled_scenarios().values():
        if scenario.policy == policy.id and not check_scenario(scenario, policy):  # type: ignore[attr-defined]
            play(Session(scenario, 1, policy), "perfect")  # type: ignore[arg-type]
            played += 1
    return played


def warm_up() -> None:
    """Imports, the bundled files and the bank-holiday tables, so file 1 is not timed
    with them."""
    from scenarios.loader import bundled_policies, bundled_scenarios

    bundled_policies()
    _play_scenario(next(iter(bundled_scenarios().values())))


def check_one(path: Path, report: Report, play: bool) -> None:
    from scenarios.loader import LoadError, load_any
    from scenarios.scenario_schema import Scenario

    start = time.perf_counter()
    took: float | None = None
    outcome = "accepted"
    signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
    try:
        loaded = load_any(path)
        took = time.perf_counter() - start  # the 2 s rule is for reading and checking
        if play:
            if isinstance(loaded, Scenario):
                _play_scenario(loaded)
                outcome = "accepted, played"
            elif _play_policy(loaded):
                outcome = "accepted, played"
    except LoadError as error:
        outcome = "refused"
        for problem in error.problems:
            if problem.line is None or problem.column is None or problem.file != str(path):
                report.broken.append(f"{path}: problem without file:line:column: {problem}")
                break
    except Hang:
        outcome = "HANG"
        report.broken.append(f"{path}: still running after {HANG_SECONDS} s")
    except Exception:  # the point of the harness: anything else is a bug to report
        outcome = "CRASH"
        report.broken.append(f"{path}: {traceback.format_exc(limit=6)}")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    if took is None:
        took = time.perf_counter() - start
    if took > SLOW_SECONDS and outcome != "HANG":
        report.broken.append(f"{path}: took {took:.2f} s")
        outcome = "SLOW"
    report.outcomes[outcome] += 1
    if took > report.slowest[0]:
        report.slowest = (took, str(path))


def fuzz(files: int, seed: int, folder: Path, play: bool = True,
         progress: bool = False) -> Report:
    sources = sorted(POLICY_DIR.glob("*.yaml")) + sorted(LIBRARY_DIR.glob("*.yaml"))
    texts = [(p.stem, p.read_text(encoding="utf-8")) for p in sources]
    rng = random.Random(seed)
    report = Report()
    warm_up()
    previous = signal.signal(signal.SIGALRM, _alarm)
    began = time.perf_counter()
    try:
        for number in range(files):
            stem, text = rng.choice(texts)
            path = folder / f"{number:06d}-{stem}.yaml"
            path.write_bytes(mutate(text, rng))
            seen = len(report.broken)
            check_one(path, report, play)
            if progress:
                for line in report.broken[seen:]:
                    print(f"BROKEN {line}", file=sys.stderr)
            if progress and number and number % 500 == 0:
                print(f"  {number:,} files, {dict(report.outcomes)}", file=sys.stderr)
    finally:
        signal.signal(signal.SIGALRM, previous)
    report.elapsed = time.perf_counter() - began
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-play", action="store_true", help="only load and check")
    parser.add_argument("--keep", type=Path, help="write the mutated files here and keep them")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        report = fuzz(args.files, args.seed, folder, play=not args.no_play, progress=True)
    print(f"{report.files:,} files in {report.elapsed:.1f} s "
          f"({report.elapsed / max(report.files, 1) * 1000:.1f} ms each, seed {args.seed})")
    for outcome, count in sorted(report.outcomes.items()):
        print(f"  {outcome:<18} {count:>7,}")
    print(f"  slowest: {report.slowest[0]:.2f} s ({Path(report.slowest[1]).name})")
    for line in report.broken[:20]:
        print(f"BROKEN {line}")
    print(f"{len(report.broken)} broken" if report.broken else "no rule broken")
    return 1 if report.broken else 0


if __name__ == "__main__":
    sys.exit(main())
