"""The evaluation harness behind `alpha eval` (see `shared/spec/scenario-format.md`).

A case's rank is the 1-based rank of the first ranked hypothesis that matches the
scenario's expected answer by the taxonomy's rule: its category is one of the expected
categories, and, where suspects are expected, one of its suspects matches one of them
(`sre.taxonomy.suspects_match`). Matching and scoring are pure; only `evaluate` runs
investigations.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from alpha.core.errors import InputError
from alpha.schemas import ExecutionResult, IncidentInput, RankedHypothesis
from sre.payload import Expected, Scenario, load_scenario
from sre.taxonomy import suspects_match

Investigator = Callable[[IncidentInput], Awaitable[ExecutionResult]]


class Prediction(BaseModel):
    """One ranked hypothesis as reported in an eval case."""

    label: str
    category: str
    suspects: list[str]
    score: float


class CaseResult(BaseModel):
    """The outcome of one scenario."""

    name: str
    rank: int | None
    expected: Expected
    predicted: list[Prediction] = Field(default_factory=list)
    elapsed_ms: float


class CategoryScore(BaseModel):
    """Accuracy over the cases of one expected (primary) category."""

    cases: int
    top1: float
    top3: float


class EvalReport(BaseModel):
    """The `alpha eval --json` document."""

    cases: list[CaseResult]
    top1: float
    top3: float
    by_category: dict[str, CategoryScore]


@dataclass(frozen=True)
class FileProblem:
    """A path that could not be evaluated, with the one-line reason."""

    path: str
    message: str


def hypothesis_matches(hypothesis: RankedHypothesis, expected: Expected) -> bool:
    """Whether a hypothesis names the expected answer (category, then any suspect)."""
    if hypothesis.category not in expected.categories:
        return False
    if not expected.suspects:
        return True
    return any(
        suspects_match(mine, theirs) for mine in hypothesis.suspects for theirs in expected.suspects
    )


def match_rank(hypotheses: Sequence[RankedHypothesis], expected: Expected) -> int | None:
    """The 1-based position of the first matching hypothesis, or None.

    Positions follow the list order (the runtime's ranking), not the `rank` field, so a
    result with unset ranks is still scored by what was shown first.
    """
    for position, hypothesis in enumerate(hypotheses, start=1):
        if hypothesis_matches(hypothesis, expected):
            return position
    return None


def score_case(scenario: Scenario, result: ExecutionResult, elapsed_ms: float) -> CaseResult:
    """Turn one investigation into a case of the report."""
    return CaseResult(
        name=scenario.name,
        rank=match_rank(result.ranked_hypotheses, scenario.expected),
        expected=scenario.expected,
        predicted=[
            Prediction(label=h.label, category=h.category, suspects=h.suspects, score=h.score)
            for h in result.ranked_hypotheses
        ],
        elapsed_ms=round(elapsed_ms, 1),
    )


def _share(cases: Sequence[CaseResult], limit: int) -> float:
    if not cases:
        return 0.0
    hits = sum(1 for case in cases if case.rank is not None and case.rank <= limit)
    return round(hits / len(cases), 4)


def summarize(cases: Sequence[CaseResult]) -> EvalReport:
    """Compute top-1, top-3 and the per-category scores (categories sorted by name)."""
    grouped: dict[str, list[CaseResult]] = {}
    for case in cases:
        grouped.setdefault(case.expected.primary_category, []).append(case)
    return EvalReport(
        cases=list(cases),
        top1=_share(cases, 1),
        top3=_share(cases, 3),
        by_category={
            category: CategoryScore(
                cases=len(members), top1=_share(members, 1), top3=_share(members, 3)
            )
            for category, members in sorted(grouped.items())
        },
    )


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[FileProblem]]:
    """Every `*.json` file under the given files and folders (recursively), sorted.

    A path given explicitly is taken whatever its extension; a missing path or a folder
    without scenario files is a problem.
    """
    found: set[Path] = set()
    problems: list[FileProblem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            inside = [p for p in path.rglob("*.json") if p.is_file()]
            if not inside:
                problems.append(FileProblem(str(raw), f"{raw}: no *.json files in this folder"))
            found.update(inside)
        elif path.is_file():
            found.add(path)
        else:
            problems.append(FileProblem(str(raw), f"{raw}: no such file or folder"))
    return sorted(found), problems


def _default_investigator() -> Investigator:
    # Imported here: the engine wires every agent, which the pure functions above never need.
    from sre.engine import investigate

    async def run(incident: IncidentInput) -> ExecutionResult:
        return await investigate(incident)

    return run


async def evaluate(
    paths: Iterable[str | Path],
    *,
    investigator: Investigator | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> tuple[EvalReport, list[FileProblem]]:
    """Investigate every scenario under `paths` and score the results.

    Files are run one after the other so that each case's `elapsed_ms` is its own.
    Invalid files are returned as problems and the rest still run.

    Args:
        paths: scenario files and folders.
        investigator: runs one investigation; defaults to `sre.engine.investigate`.
        clock: a monotonic clock in seconds, for the per-case elapsed time.
    """
    files, problems = discover(paths)
    run = investigator
    cases: list[CaseResult] = []
    seen: dict[str, str] = {}
    for path in files:
        try:
            scenario = load_scenario(path)
        except InputError as exc:
            problems.append(FileProblem(str(path), str(exc)))
            continue
        if scenario.name in seen:
            problems.append(
                FileProblem(
                    str(path),
                    f"{path}: name: {scenario.name!r} is also used by {seen[scenario.name]}",
                )
            )
            continue
        seen[scenario.name] = str(path)
        if run is None:
            # Resolved late so that a run with no valid file needs no engine at all.
            run = _default_investigator()
        started = clock()
        result = await run(scenario.incident)
        cases.append(score_case(scenario, result, (clock() - started) * 1000.0))
    return summarize(cases), problems


def report_json(report: EvalReport) -> dict[str, Any]:
    """The report as the spec's JSON object (expected keeps only the keys it was given)."""
    document = report.model_dump(mode="json")
    for case, model in zip(document["cases"], report.cases, strict=True):
        case["expected"] = model.expected.model_dump(mode="json", exclude_unset=True)
    return document
