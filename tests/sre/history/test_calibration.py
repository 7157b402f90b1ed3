"""Calibration from feedback and eval reports: labels, bins, expected calibration error."""

from __future__ import annotations

import pytest

from alpha.core.errors import InputError
from sre.history.calibration import (
    Label,
    calibrate,
    labels_for_run,
    labels_from_eval,
    real_cause,
)
from tests.sre.history.conftest import judged_run as _run


def test_confirmation_labels_every_hypothesis_by_the_confirmed_cause() -> None:
    """'Correct' on #1 makes #1 right and the unrelated #2 wrong."""
    labels = labels_for_run(_run({"verdict": "correct"}))
    assert [(x.score, x.correct) for x in labels] == [(0.9, True), (0.4, False)]


def test_a_correction_with_the_real_cause_labels_by_matching() -> None:
    """'Wrong, it was the commit abc1234': #1 wrong, #2 (that commit) right."""
    run = _run({"verdict": "wrong", "category": "code_regression", "suspects": ["abc1234"]})
    assert [(x.score, x.correct) for x in labels_for_run(run)] == [(0.9, False), (0.4, True)]


def test_a_bare_wrong_labels_only_the_judged_hypothesis() -> None:
    """'Wrong' with no real cause says nothing about the other hypotheses."""
    assert [
        (x.score, x.correct) for x in labels_for_run(_run({"verdict": "wrong", "rank": 2}))
    ] == [(0.4, False)]


def test_the_judged_hypothesis_of_a_wrong_is_never_right() -> None:
    """A 'wrong' naming #1's own category still labels #1 wrong."""
    run = _run({"verdict": "wrong", "category": "config_change"})
    assert labels_for_run(run)[0].correct is False


def test_the_latest_verdict_counts() -> None:
    """A later confirmation replaces an earlier correction."""
    run = _run({"verdict": "wrong"}, {"verdict": "correct"})
    assert real_cause(run, run.feedback[-1]) is not None
    assert labels_for_run(run)[0].correct is True


def test_bins_and_ece_by_hand() -> None:
    """Four labels in two bins: accuracy and ECE as computed by hand."""
    labels = [
        Label(score=0.9, correct=True, source="feedback"),
        Label(score=0.9, correct=False, source="feedback"),
        Label(score=0.1, correct=False, source="eval"),
        Label(score=1.0, correct=True, source="eval"),
    ]
    report = calibrate(labels, bins=10)
    top = report.bins[9]
    assert (top.count, top.mean_score, top.accuracy) == (3, pytest.approx(0.9333, abs=1e-4), 0.6667)
    low = report.bins[1]
    assert (low.count, low.mean_score, low.accuracy) == (1, 0.1, 0.0)
    # ECE = 3/4 * |0.6667 - 0.9333| + 1/4 * |0 - 0.1| = 0.2 + 0.025
    assert report.ece == pytest.approx(0.225, abs=1e-3)
    assert report.by_source == {"eval": 2, "feedback": 2}


def test_no_labels_give_no_ece() -> None:
    """Without labels there is nothing to measure, and the report says so."""
    report = calibrate([], bins=5)
    assert report.ece is None and report.samples == 0 and len(report.bins) == 5


def test_eval_reports_are_labelled_by_expected_answer() -> None:
    """Each predicted hypothesis of an eval case is right when it matches the expected answer."""
    report = {
        "cases": [
            {
                "expected": {"category": "config_change", "suspects": ["database.pool_size"]},
                "predicted": [
                    {
                        "label": "a",
                        "category": "config_change",
                        "suspects": ["database.pool_size"],
                        "score": 0.8,
                    },
                    {"label": "b", "category": "database", "suspects": [], "score": 0.3},
                ],
            }
        ]
    }
    assert [(x.score, x.correct) for x in labels_from_eval(report)] == [(0.8, True), (0.3, False)]


def test_a_malformed_eval_report_names_the_field() -> None:
    """A report that is not one fails with the file and the field."""
    with pytest.raises(InputError, match=r"r.json: cases.0.predicted"):
        labels_from_eval({"cases": [{"expected": {"category": "database"}}]}, "r.json")
    with pytest.raises(InputError, match="cases"):
        labels_from_eval({"top1": 1.0}, "r.json")
