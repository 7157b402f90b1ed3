"""Calibration: how often a hypothesis with a given score was the real cause.

A score is a ranking score, not a probability (see the README). This module measures how
far apart the two are, from labelled outcomes:

- feedback (`labels_from_feedback`): each judged run's latest verdict labels its ranked
  hypotheses. A verdict that names the real cause (a confirmation, or a "wrong" with the
  real category) labels every hypothesis by the taxonomy's matching rule, as `alpha eval`
  does; a bare "wrong" labels only the hypothesis judged. The judged hypothesis of a
  "wrong" is always incorrect, whatever it shares with the real cause.
- `alpha eval --json` reports (`labels_from_eval`): each predicted hypothesis of a case is
  labelled by matching it against the case's expected answer.

`calibrate` puts the labels in equal-width score bins and reports, per bin, the mean score
and the observed accuracy, and the expected calibration error
ECE = sum over bins of (bin count / total) * |accuracy - mean score|.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from alpha.core.errors import InputError
from alpha.schemas import RankedHypothesis
from sre.evaluation import hypothesis_matches
from sre.history.records import FeedbackRecord, StoredRun
from sre.payload import Expected

Source = Literal["feedback", "eval"]


class Label(BaseModel):
    """One scored hypothesis and whether it was the real cause."""

    model_config = ConfigDict(extra="forbid")

    score: float
    correct: bool
    source: Source


class CalibrationBin(BaseModel):
    """One score bin: [lower, upper), the last one closed."""

    model_config = ConfigDict(extra="forbid")

    lower: float
    upper: float
    count: int
    mean_score: float | None
    accuracy: float | None


class CalibrationReport(BaseModel):
    """The `alpha calibration --json` document."""

    model_config = ConfigDict(extra="forbid")

    bins: list[CalibrationBin]
    ece: float | None
    samples: int
    by_source: dict[str, int]


def real_cause(run: StoredRun, feedback: FeedbackRecord) -> Expected | None:
    """The real cause a verdict names, as a scenario's expected answer; None if it names none."""
    if feedback.verdict == "correct":
        hypotheses = run.result.ranked_hypotheses
        if not 1 <= feedback.rank <= len(hypotheses):
            return None
        confirmed = hypotheses[feedback.rank - 1]
        return Expected(category=confirmed.category, suspects=list(confirmed.suspects))
    if feedback.category is None:
        return None
    return Expected(category=feedback.category, suspects=list(feedback.suspects))


def labels_for_run(run: StoredRun) -> list[Label]:
    """The labels one judged run gives (its latest verdict)."""
    feedback = run.latest_feedback
    if feedback is None:
        return []
    hypotheses = run.result.ranked_hypotheses
    expected = real_cause(run, feedback)
    labels = []
    for position, hypothesis in enumerate(hypotheses, start=1):
        judged = position == feedback.rank
        if expected is not None:
            correct = hypothesis_matches(hypothesis, expected)
            if judged and feedback.verdict == "wrong":
                correct = False
        elif judged:
            correct = feedback.verdict == "correct"
        else:
            continue
        labels.append(Label(score=hypothesis.score, correct=correct, source="feedback"))
    return labels


def labels_from_feedback(runs: Iterable[StoredRun]) -> list[Label]:
    """Labels from every judged run."""
    return [label for run in runs for label in labels_for_run(run)]


class _EvalPrediction(BaseModel):
    label: str
    category: str
    suspects: list[str]
    score: float


class _EvalCase(BaseModel):
    expected: Expected
    predicted: list[_EvalPrediction]


def labels_from_eval(report: Any, name: str = "eval report") -> list[Label]:
    """Labels from an `alpha eval --json` document.

    Raises:
        InputError: the document is not an eval report (the message names the field).
    """
    if not isinstance(report, dict) or not isinstance(report.get("cases"), list):
        raise InputError(f"{name}: cases: expected the list of an `alpha eval --json` report")
    labels = []
    for index, raw in enumerate(report["cases"]):
        try:
            case = _EvalCase.model_validate(raw)
        except ValidationError as error:
            first = error.errors(include_url=False)[0]
            where = ".".join(str(p) for p in ("cases", index, *first["loc"]))
            raise InputError(f"{name}: {where}: {first['msg']}") from None
        for prediction in case.predicted:
            hypothesis = RankedHypothesis(
                label=prediction.label,
                category=prediction.category,
                suspects=prediction.suspects,
                score=prediction.score,
                confidence=prediction.score,
            )
            labels.append(
                Label(
                    score=prediction.score,
                    correct=hypothesis_matches(hypothesis, case.expected),
                    source="eval",
                )
            )
    return labels


def calibrate(labels: Sequence[Label], bins: int = 10) -> CalibrationReport:
    """Observed accuracy per score bin and the expected calibration error.

    Args:
        labels: scored, labelled hypotheses.
        bins: equal-width bins over [0, 1]; a score of exactly 1.0 falls in the last one.

    Raises:
        InputError: `bins` is not between 1 and 100.
    """
    if not 1 <= bins <= 100:
        raise InputError(f"bins: expected 1 to 100, got {bins!r}")
    members: list[list[Label]] = [[] for _ in range(bins)]
    for label in labels:
        score = min(max(label.score, 0.0), 1.0)
        members[min(int(score * bins), bins - 1)].append(label)
    report_bins = []
    ece = 0.0
    for index, group in enumerate(members):
        mean = accuracy = None
        if group:
            mean = sum(min(max(g.score, 0.0), 1.0) for g in group) / len(group)
            accuracy = sum(g.correct for g in group) / len(group)
            ece += len(group) / len(labels) * abs(accuracy - mean)
        report_bins.append(
            CalibrationBin(
                lower=round(index / bins, 4),
                upper=round((index + 1) / bins, 4),
                count=len(group),
                mean_score=None if mean is None else round(mean, 4),
                accuracy=None if accuracy is None else round(accuracy, 4),
            )
        )
    by_source: dict[str, int] = {}
    for label in labels:
        by_source[label.source] = by_source.get(label.source, 0) + 1
    return CalibrationReport(
        bins=report_bins,
        ece=round(ece, 4) if labels else None,
        samples=len(labels),
        by_source=dict(sorted(by_source.items())),
    )
