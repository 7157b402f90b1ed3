"""Mutation score per module from mutmut's last run (`.venv/bin/mutmut run`, README).

Reads `mutmut results --all true` and prints, per mutated module, how many mutants the
tests killed, how many survived, how many no test reached, and the score:
killed / (killed + survived + no tests), with timeouts counted as killed (a mutant that
makes a test hang is caught by the suite's hang guard). Mutants not checked yet are shown
apart and left out of the score.

Usage: .venv/bin/python tools/mutation_scores.py [--survivors] [--retest-survivors]
       [--retest-timeouts]

`--retest-survivors` forgets the verdict of every surviving (and untested) mutant, so that
the next `mutmut run` tries them against the tests added since; mutmut itself keeps a
verdict until the mutated function changes. It uses mutmut's own (private) reset helper,
so it is tied to the mutmut 3.x this project pins.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# `alpha.judge.judge.xǁJudgeLayerǁvalidate__mutmut_7` -> module `alpha.judge.judge`.
_MODULE = re.compile(r"^(?P<module>.+?)\.x(?:ǁ|_)")
KILLED = {"killed", "timeout", "caught by type check", "segfault"}
# A timeout is a kill only when the machine was not loaded: mutmut's limit is a multiple of
# the clean run's duration. They are shown apart; `--retest-timeouts` tries them again.
TIMEOUTS = {"timeout"}
MISSED = {"survived", "no tests"}


def results() -> list[tuple[str, str]]:
    """(mutant name, status) for every mutant mutmut knows."""
    out = subprocess.run(
        [str(Path(sys.executable).parent / "mutmut"), "results", "--all", "true"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    pairs = []
    for line in out.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name:
            pairs.append((name, status))
    return pairs


def main() -> int:
    """Print the per-module table (and the survivors with --survivors)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--survivors", action="store_true", help="list surviving mutants")
    parser.add_argument(
        "--retest-survivors", action="store_true", help="make the next run retest survivors"
    )
    parser.add_argument(
        "--retest-timeouts", action="store_true", help="make the next run retest timeouts"
    )
    args = parser.parse_args()
    if args.retest_survivors or args.retest_timeouts:
        statuses = (MISSED if args.retest_survivors else set()) | (
            TIMEOUTS if args.retest_timeouts else set()
        )
        return retest(statuses)
    by_module: dict[str, Counter[str]] = defaultdict(Counter)
    survivors: list[str] = []
    for name, status in results():
        match = _MODULE.match(name)
        by_module[match.group("module") if match else name][status] += 1
        if status in MISSED:
            survivors.append(f"{status:<9} {name}")
    print(
        f"{'module':<34} {'killed':>6} {'t/out':>6} {'surv.':>6} {'no test':>7} {'unrun':>6} "
        f"{'score':>6}"
    )
    totals: Counter[str] = Counter()
    for module in sorted(by_module):
        counts = by_module[module]
        totals.update(counts)
        killed = sum(counts[s] for s in KILLED)
        decided = killed + counts["survived"] + counts["no tests"]
        score = f"{killed / decided:.0%}" if decided else "-"
        unrun = counts["not checked"]
        print(
            f"{module:<34} {killed - counts['timeout']:>6} {counts['timeout']:>6} "
            f"{counts['survived']:>6} {counts['no tests']:>7} {unrun:>6} {score:>6}"
        )
    killed = sum(totals[s] for s in KILLED)
    decided = killed + totals["survived"] + totals["no tests"]
    if decided:
        print(
            f"{'all':<34} {killed - totals['timeout']:>6} {totals['timeout']:>6} "
            f"{totals['survived']:>6} {totals['no tests']:>7} {totals['not checked']:>6} "
            f"{killed / decided:>6.0%}"
        )
    if args.survivors:
        print("\n".join(survivors))
    return 0


def retest(statuses: set[str]) -> int:
    """Forget the verdicts of mutants with these statuses (see the module docstring)."""
    import os

    from mutmut.__main__ import _reset_mutant_results  # mutmut 3.x
    from mutmut.stats import status_by_exit_code

    os.chdir(ROOT)
    count = _reset_mutant_results(lambda _key, code: status_by_exit_code[code] in statuses)
    print(f"{count} mutants will be retested by the next `mutmut run`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
