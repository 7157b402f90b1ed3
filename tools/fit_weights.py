"""Fit the TopologyAgent's weights on development sets, with cross-validation.

    python tools/fit_weights.py DIR [DIR ...] [--folds 5] [--json]

Every scenario under the given folders (the bundled set, the held-out sets, the converted
development sets of `docs/accuracy.md`; never a blind set before its first run) is extracted
once; the other agents' hypotheses are computed once; then each candidate `Weights` of a
small grid (`GRID`) re-runs only the TopologyAgent, the judge and the aggregator, and
scores top-1 with `alpha eval`'s matching rule.

Cross-validation: cases are dealt round-robin into `--folds` folds (sorted by name, so the
split is reproducible); for each fold, the weights with the best top-1 on the other folds
(ties: the smallest change from the current defaults) are scored on the held-out fold. The
mean held-out top-1 is the honest estimate; the weights best on all cases are the ones to
adopt. Standard library and the project only; prints a table (or `--json`).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alpha.judge.judge import JudgedResult
from alpha.schemas import AgentResult, Hypothesis
from sre.agents.base import Evidence
from sre.agents.roster import SPECIALISTS
from sre.agents.topology_agent import DEFAULT_WEIGHTS, TopologyAgent, Weights
from sre.engine import sre_aggregator, sre_judge
from sre.evaluation import discover, match_rank
from sre.extractors.signal_extractor import extract_signals
from sre.payload import Scenario, load_scenario

GRID: dict[str, tuple[float, ...]] = {
    "chronic": (0.0, 0.3, 0.6),
    "pattern": (0.0, 0.75, 1.5),
    "silenced": (0.0, 0.5, 1.0, 2.0),
    "symptom_kind": (0.25, 0.5, 1.0),
    "saturation": (1.0, 2.0, 3.0),
    "named": (0.25, 0.5, 1.0),
    "explained": (0.5, 1.0),
}


@dataclass
class Case:
    """One scenario, prepared: its evidence and the other agents' hypotheses."""

    name: str
    scenario: Scenario
    evidence: Evidence
    signal_ids: set[str]
    others: list[tuple[str, list[Hypothesis]]]


def prepare(paths: list[str]) -> list[Case]:
    """Extract every scenario once and run every agent but the TopologyAgent."""
    files, problems = discover(paths)
    for problem in problems:
        print(f"skipped {problem.path}: {problem.message}", file=sys.stderr)
    cases = []
    for path in files:
        scenario = load_scenario(path)
        signals = extract_signals(scenario.incident)
        evidence = Evidence.build(signals, scenario.incident)
        others = [
            (agent.name, agent().candidates_from(evidence)[: agent.max_hypotheses])
            for agent in SPECIALISTS
            if agent is not TopologyAgent
        ]
        cases.append(
            Case(
                f"{path.parent.name}/{path.stem}",
                scenario,
                evidence,
                {s.id for s in signals},
                others,
            )
        )
    return sorted(cases, key=lambda c: c.name)


def rank(case: Case, weights: Weights) -> int | None:
    """The case's rank (as `alpha eval` computes it) with these topology weights."""
    agent = TopologyAgent()
    agent.weights = weights
    judge = sre_judge()
    results = [*case.others, (agent.name, agent.candidates_from(case.evidence)[:4])]
    verdicts: list[JudgedResult] = [
        judge.validate(AgentResult(agent_name=name, hypotheses=found), case.signal_ids, name)
        for name, found in results
    ]
    return match_rank(sre_aggregator().aggregate(verdicts), case.scenario.expected)


def candidates() -> list[Weights]:
    keys = list(GRID)
    return [
        replace(DEFAULT_WEIGHTS, **dict(zip(keys, values, strict=True)))
        for values in itertools.product(*(GRID[k] for k in keys))
    ]


def _distance(weights: Weights) -> float:
    return sum(
        abs(getattr(weights, f.name) - getattr(DEFAULT_WEIGHTS, f.name)) for f in fields(Weights)
    )


def top1(ranks: dict[str, int | None], names: list[str]) -> float:
    return sum(1 for n in names if ranks[n] == 1) / len(names) if names else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    cases = prepare(args.paths)
    grid = candidates()
    ranks = {weights: {c.name: rank(c, weights) for c in cases} for weights in grid}
    names = [c.name for c in cases]
    folds = [names[i :: args.folds] for i in range(args.folds)]
    held_out = []
    for fold in folds:
        train = [n for n in names if n not in fold]
        best = max(grid, key=lambda w: (top1(ranks[w], train), -_distance(w)))
        held_out.append(top1(ranks[best], fold))
    chosen = max(grid, key=lambda w: (top1(ranks[w], names), -_distance(w)))
    report = {
        "cases": len(cases),
        "defaults_top1": top1(ranks[DEFAULT_WEIGHTS], names) if DEFAULT_WEIGHTS in ranks else None,
        "cv_top1": sum(held_out) / len(held_out),
        "cv_folds": held_out,
        "chosen": asdict(chosen),
        "chosen_top1": top1(ranks[chosen], names),
        "by_set": {
            s: top1(ranks[chosen], [n for n in names if n.startswith(s + "/")])
            for s in sorted({n.split("/")[0] for n in names})
        },
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{report['cases']} cases, {len(grid)} candidate weights, {args.folds} folds")
    print(f"current defaults: top-1 {report['defaults_top1']}")
    print(f"cross-validated top-1 (held-out folds): {report['cv_top1']:.3f} {held_out}")
    print(f"chosen on all cases: {report['chosen']} -> top-1 {report['chosen_top1']:.3f}")
    for name, value in report["by_set"].items():
        print(f"  {name:36s} {value:.2f}")


if __name__ == "__main__":
    main()
