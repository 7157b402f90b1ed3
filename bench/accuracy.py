"""Root-cause accuracy per scenario set: Alpha beside two trivial baselines, in one run.

Run: `python bench/accuracy.py [SET ...] [--extra DIR ...] [--no-defaults] [--json]`

Sets: the folders given, plus (unless `--no-defaults`) the bundled `sre/scenarios` and every
`tests/sre/heldout*`, plus each `--extra DIR` (converted development data, written outside
the project by `tools/datasets/*.py`; see docs/accuracy.md). For every scenario file of a
set, three rankings are scored with the matching rule of `alpha eval`
(`sre.evaluation.match_rank`):

- Alpha: the deterministic engine (`sre.engine.investigate`, no LLM);
- A, most ERROR lines by entity, and B, most anomalous metric by robust z
  (`bench/baselines.py` documents both).

Prints one row per set: cases, then top-1 / top-3 of Alpha, A and B; `--json` prints one
JSON object with the same figures and every case's three ranks. A file that is not a valid
scenario is reported on stderr and left out; the exit status is 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baselines import most_anomalous_metric, most_error_lines

from alpha.core.errors import InputError
from sre.engine import investigate
from sre.evaluation import discover, match_rank
from sre.payload import load_scenario

ROOT = Path(__file__).resolve().parents[1]
RANKERS = ("alpha", "errors_by_entity", "metric_robust_z")


@dataclass
class CaseRanks:
    """The 1-based rank of the first matching hypothesis of each ranker (None: no match)."""

    name: str
    alpha: int | None
    errors_by_entity: int | None
    metric_robust_z: int | None
    alpha_ms: float


@dataclass
class SetResult:
    """One set's cases and problems."""

    path: str
    cases: list[CaseRanks] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def share(self, ranker: str, limit: int) -> float:
        """Share of cases whose `ranker` rank is at most `limit` (0.0 for an empty set)."""
        if not self.cases:
            return 0.0
        hits = sum(1 for case in self.cases if (rank := getattr(case, ranker)) and rank <= limit)
        return round(hits / len(self.cases), 4)

    def summary(self) -> dict[str, Any]:
        """The set's figures as a JSON-ready object."""
        return {
            "set": self.path,
            "cases": len(self.cases),
            **{
                ranker: {"top1": self.share(ranker, 1), "top3": self.share(ranker, 3)}
                for ranker in RANKERS
            },
            "problems": self.problems,
            "per_case": [asdict(case) for case in self.cases],
        }


def default_sets() -> list[Path]:
    """The bundled scenarios and every held-out set of the repository."""
    return [ROOT / "sre" / "scenarios", *sorted((ROOT / "tests" / "sre").glob("heldout*"))]


async def measure_set(path: Path) -> SetResult:
    """Investigate and score every scenario file under `path`."""
    result = SetResult(path=_display(path))
    files, problems = discover([path])
    result.problems.extend(problem.message for problem in problems)
    for file in files:
        try:
            scenario = load_scenario(file)
        except InputError as exc:
            result.problems.append(str(exc))
            continue
        started = time.perf_counter()
        investigated = await investigate(scenario.incident)
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        expected = scenario.expected
        result.cases.append(
            CaseRanks(
                name=scenario.name,
                alpha=match_rank(investigated.ranked_hypotheses, expected),
                errors_by_entity=match_rank(most_error_lines(scenario.incident), expected),
                metric_robust_z=match_rank(most_anomalous_metric(scenario.incident), expected),
                alpha_ms=round(elapsed_ms, 1),
            )
        )
    return result


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def render_table(results: Sequence[SetResult]) -> str:
    """The figures as a fixed-width table, one row per set."""
    header = (
        f"{'set':44s} {'cases':>5s}   {'Alpha':>11s}   {'A: errors':>11s}   {'B: metric z':>11s}"
    )
    lines = [header, f"{'':44s} {'':>5s}   " + "   ".join([f"{'top1  top3':>11s}"] * 3)]
    for result in results:
        cells = "   ".join(
            f"{result.share(ranker, 1):5.2f} {result.share(ranker, 3):5.2f}" for ranker in RANKERS
        )
        lines.append(f"{result.path[-44:]:44s} {len(result.cases):5d}   {cells}")
    return "\n".join(lines)


async def run(paths: Sequence[Path]) -> list[SetResult]:
    """Measure every set, one after the other (each case's time is its own)."""
    return [await measure_set(path) for path in paths]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; always returns 0 (a benchmark prints figures)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("sets", nargs="*", type=Path, help="scenario folders to measure")
    parser.add_argument(
        "--extra", action="append", type=Path, default=[], help="a converted dev set (repeatable)"
    )
    parser.add_argument(
        "--no-defaults", action="store_true", help="skip sre/scenarios and tests/sre/heldout*"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    paths = [*args.sets, *([] if args.no_defaults else default_sets()), *args.extra]
    results = asyncio.run(run(paths))
    for result in results:
        for problem in result.problems:
            print(f"accuracy: {problem}", file=sys.stderr)
    if args.json:
        print(json.dumps({"sets": [result.summary() for result in results]}, indent=1))
    else:
        print(render_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
