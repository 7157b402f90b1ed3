"""What changed in a ranking between a stored run and its replay (pure functions).

Two hypotheses are the same conclusion when they share a category and either a suspect
(by the taxonomy's matching rule) or their label; each stored hypothesis is paired with the
best-ranked unpaired one of the replay. The change of each is then:

    same      same rank, score within 0.005
    rescored  same rank, another score
    moved     another rank
    new       only in the replay
    gone      only in the stored run
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from alpha.schemas import RankedHypothesis
from sre.taxonomy import suspects_match

Change = Literal["same", "rescored", "moved", "new", "gone"]
_SCORE_TOLERANCE = 0.005


class RankChange(BaseModel):
    """One conclusion, before and after."""

    model_config = ConfigDict(extra="forbid")

    label: str
    category: str
    suspects: list[str]
    before_rank: int | None
    after_rank: int | None
    before_score: float | None
    after_score: float | None
    change: Change


class RankingDiff(BaseModel):
    """The comparison of two rankings, in the replay's order, then what is gone."""

    model_config = ConfigDict(extra="forbid")

    changes: list[RankChange]

    @property
    def changed(self) -> bool:
        """Whether anything but nothing changed."""
        return any(c.change != "same" for c in self.changes)

    @property
    def top_changed(self) -> bool:
        """Whether the conclusion ranked first is another one."""
        return any((c.before_rank == 1) != (c.after_rank == 1) for c in self.changes)


def same_conclusion(a: RankedHypothesis, b: RankedHypothesis) -> bool:
    """Same category, and a shared suspect or the same label."""
    if a.category != b.category:
        return False
    if a.label.strip().lower() == b.label.strip().lower():
        return True
    return any(suspects_match(x, y) for x in a.suspects for y in b.suspects)


def _position(hypotheses: list[RankedHypothesis], index: int) -> int:
    rank = hypotheses[index].rank
    return rank if rank > 0 else index + 1


def compare(before: list[RankedHypothesis], after: list[RankedHypothesis]) -> RankingDiff:
    """Pair the conclusions of two rankings and say how each one changed."""
    paired: dict[int, int] = {}  # after index -> before index
    taken: set[int] = set()
    for b_index, old in enumerate(before):
        for a_index, new in enumerate(after):
            if a_index not in paired and same_conclusion(old, new):
                paired[a_index] = b_index
                taken.add(b_index)
                break
    changes: list[RankChange] = []
    for a_index, new in enumerate(after):
        after_rank = _position(after, a_index)
        if a_index not in paired:
            changes.append(_change(new, None, after_rank, None, new.score, "new"))
            continue
        b_index = paired[a_index]
        old = before[b_index]
        before_rank = _position(before, b_index)
        if before_rank != after_rank:
            kind: Change = "moved"
        elif abs(old.score - new.score) > _SCORE_TOLERANCE:
            kind = "rescored"
        else:
            kind = "same"
        changes.append(_change(new, before_rank, after_rank, old.score, new.score, kind))
    for b_index, old in enumerate(before):
        if b_index not in taken:
            rank = _position(before, b_index)
            changes.append(_change(old, rank, None, old.score, None, "gone"))
    return RankingDiff(changes=changes)


def _change(
    hypothesis: RankedHypothesis,
    before_rank: int | None,
    after_rank: int | None,
    before_score: float | None,
    after_score: float | None,
    change: Change,
) -> RankChange:
    return RankChange(
        label=hypothesis.label,
        category=hypothesis.category,
        suspects=list(hypothesis.suspects),
        before_rank=before_rank,
        after_rank=after_rank,
        before_score=before_score,
        after_score=after_score,
        change=change,
    )
