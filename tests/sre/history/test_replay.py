"""Ranking comparison between a stored run and its replay."""

from __future__ import annotations

from sre.history.replay import compare
from tests.sre.history.conftest import ranked

POOL = ranked("pool_size lowered", "config_change", ["database.pool_size"], 0.9, 1)
COMMIT = ranked("commit abc1234 regressed", "code_regression", ["abc1234"], 0.4, 2)


def test_identical_rankings_are_unchanged() -> None:
    """The same conclusions at the same ranks and scores: nothing changed."""
    diff = compare([POOL, COMMIT], [POOL, COMMIT])
    assert [c.change for c in diff.changes] == ["same", "same"]
    assert not diff.changed and not diff.top_changed


def test_swapped_conclusions_moved_and_the_top_changed() -> None:
    """Two conclusions trading places are both 'moved', and the top changed."""
    swapped = [COMMIT.model_copy(update={"rank": 1}), POOL.model_copy(update={"rank": 2})]
    diff = compare([POOL, COMMIT], swapped)
    assert [(c.label, c.before_rank, c.after_rank, c.change) for c in diff.changes] == [
        ("commit abc1234 regressed", 2, 1, "moved"),
        ("pool_size lowered", 1, 2, "moved"),
    ]
    assert diff.top_changed


def test_new_gone_and_rescored() -> None:
    """A new conclusion, a vanished one and a score change are each named."""
    host = ranked("payments host down", "dependency_failure", ["payments.internal"], 0.5, 2)
    rescored = POOL.model_copy(update={"score": 0.7, "label": "Pool shrunk to 5"})
    diff = compare([POOL, COMMIT], [rescored, host])
    assert [(c.change, c.before_score, c.after_score) for c in diff.changes] == [
        ("rescored", 0.9, 0.7),
        ("new", None, 0.5),
        ("gone", 0.4, None),
    ]
    assert diff.changed and not diff.top_changed


def test_a_sha_prefix_is_the_same_suspect() -> None:
    """Suspects match by the taxonomy's rule: a short SHA is the same commit as the long one."""
    longer = COMMIT.model_copy(update={"suspects": ["abc1234def5678"], "label": "Commit regressed"})
    diff = compare([COMMIT], [longer])
    assert [c.change for c in diff.changes] == ["same"]
