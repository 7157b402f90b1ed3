"""The aggregator: merges agreeing hypotheses across agents and ranks them.

Grouping
    Two hypotheses match when their labels contain one another (case-insensitive, after
    trimming), or when they name the same category other than `unknown` and some suspect of
    one matches some suspect of the other. What makes two suspects match is the vertical's
    rule, injected as `suspects_match` (the SRE vertical matches SHA prefixes and contained
    names); by default, suspects match when equal ignoring case. Matching is closed
    transitively: if A matches B and B matches C, all three form one group.

Merging
    A group is represented by its most confident hypothesis (the earliest on ties, in the
    order agents were given then the order of their hypotheses), which supplies the label,
    the description and `contributing_agent`. The category is the representative's, or the
    first known category among the others by confidence when the representative's is
    `unknown`. The severity is the highest
    in the group (an agent seeing high impact is worth surfacing). Contributing agents,
    supporting signals, suspects and the rules that produced them are merged without
    duplicates, representative first, then by decreasing confidence (suspects are
    deduplicated case-insensitively).

Score
    ``score = min(1.0, max_confidence + bonus * (distinct_agents - 1))`` with bonus 0.1 by
    default: the confidence of the best-supported statement of the cause, raised for each
    additional independent agent that reached the same conclusion. It is a ranking score on a
    [0, 1] scale, not a calibrated probability. Several agents agreeing can saturate it at
    1.0; ties (at the cap or elsewhere) are broken by more distinct agents, then higher raw
    confidence, then more supporting signals, then the label (case-insensitive, then exact),
    so the order never depends on anything but the input.

The aggregator is pure: no clock, no I/O, no randomness, no set-order dependence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from alpha.judge.judge import JudgedResult
from alpha.schemas import SEVERITIES, UNKNOWN_CATEGORY, Hypothesis, RankedHypothesis

__all__ = ["DEFAULT_AGREEMENT_BONUS", "DEFAULT_TOP_N", "Aggregator", "SuspectMatcher"]

SuspectMatcher = Callable[[str, str], bool]
"""Whether two suspects (already trimmed and lower-cased) name the same thing."""

DEFAULT_TOP_N = 5
DEFAULT_AGREEMENT_BONUS = 0.1
_SEVERITY_ORDER: dict[str, int] = {severity: rank for rank, severity in enumerate(SEVERITIES)}
# Agreement bonuses are rounded so that 0.8 + 0.1 equals 0.9 (not 0.9000000000000001) and
# ties with a lone 0.9 are broken by the documented rule, not by float noise.
_SCORE_DIGITS = 9


def _equal(a: str, b: str) -> bool:
    return a == b


@dataclass(frozen=True)
class _Entry:
    """One hypothesis with where it came from."""

    index: int
    agent: str
    hypothesis: Hypothesis
    label_key: str
    suspect_keys: tuple[str, ...]


class _UnionFind:
    def __init__(self, size: int) -> None:
        self._parent = list(range(size))

    def find(self, item: int) -> int:
        root = item
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[item] != root:
            self._parent[item], item = root, self._parent[item]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # The smaller index stays root, so groups are keyed by first appearance.
            self._parent[max(ra, rb)] = min(ra, rb)


class Aggregator:
    """Groups, merges, scores and ranks hypotheses from several agents.

    Args:
        top_n: How many ranked hypotheses to return (at least 1).
        agreement_bonus: Score added per additional distinct agent in a group.
        suspects_match: The vertical's rule for two suspects naming the same thing.
    """

    def __init__(
        self,
        *,
        top_n: int = DEFAULT_TOP_N,
        agreement_bonus: float = DEFAULT_AGREEMENT_BONUS,
        suspects_match: SuspectMatcher = _equal,
    ) -> None:
        if top_n < 1:
            raise ValueError(f"top_n must be at least 1, got {top_n!r}")
        if agreement_bonus < 0:
            raise ValueError(f"agreement_bonus must not be negative, got {agreement_bonus!r}")
        self.top_n = top_n
        self.agreement_bonus = agreement_bonus
        self.suspects_match = suspects_match

    def aggregate(self, results: Sequence[JudgedResult]) -> list[RankedHypothesis]:
        """Merge the hypotheses the judge accepted into the top N, ranked 1..N.

        Only `result.hypotheses` of each verdict are read: the judge has already removed the
        hypotheses it refused, and a result refused whole holds none.
        """
        entries = _entries(results)
        groups = _group(entries, self.suspects_match)
        merged = [self._merge(group) for group in groups]
        merged.sort(key=_sort_key)
        return [
            item.model_copy(update={"rank": rank})
            for rank, item in enumerate(merged[: self.top_n], 1)
        ]

    def _merge(self, group: list[_Entry]) -> RankedHypothesis:
        members = sorted(group, key=lambda e: (-e.hypothesis.confidence, e.index))
        best = members[0].hypothesis
        agents = _unique(e.agent for e in members)
        category = best.category
        if category == UNKNOWN_CATEGORY:
            known = [e.hypothesis.category for e in members if e.hypothesis.category != category]
            category = known[0] if known else category
        severity = max(
            (e.hypothesis.severity for e in members), key=lambda s: _SEVERITY_ORDER.get(s, -1)
        )
        score = best.confidence
        if len(agents) > 1:
            boosted = best.confidence + self.agreement_bonus * (len(agents) - 1)
            score = max(score, round(min(1.0, boosted), _SCORE_DIGITS))
        return RankedHypothesis(
            label=best.label,
            description=best.description,
            confidence=best.confidence,
            severity=severity,
            supporting_signals=_unique(s for e in members for s in e.hypothesis.supporting_signals),
            category=category,
            suspects=_unique_casefold(s for e in members for s in e.hypothesis.suspects),
            rules=_unique(r for e in members for r in e.hypothesis.rules),
            contributing_agent=members[0].agent,
            score=min(1.0, score),
            contributing_agents=agents,
        )


def _entries(verdicts: Sequence[JudgedResult]) -> list[_Entry]:
    entries: list[_Entry] = []
    for verdict in verdicts:
        for hypothesis in verdict.result.hypotheses:
            entries.append(
                _Entry(
                    index=len(entries),
                    agent=verdict.result.agent_name,
                    hypothesis=hypothesis,
                    label_key=hypothesis.label.strip().casefold(),
                    suspect_keys=tuple(s.strip().lower() for s in hypothesis.suspects),
                )
            )
    return entries


def _group(entries: list[_Entry], suspects_match: SuspectMatcher) -> list[list[_Entry]]:
    """Transitive closure of the matching rule, groups in order of first appearance."""
    union = _UnionFind(len(entries))
    # Identical (label, category, suspects) always match: compare one representative each,
    # which keeps the pairwise pass small when many agents agree verbatim.
    distinct: dict[tuple[str, str, tuple[str, ...]], int] = {}
    for entry in entries:
        key = (entry.label_key, entry.hypothesis.category, entry.suspect_keys)
        first = distinct.setdefault(key, entry.index)
        union.union(first, entry.index)
    reps = [entries[i] for i in distinct.values()]
    for i, a in enumerate(reps):
        for b in reps[i + 1 :]:
            if _matches(a, b, suspects_match):
                union.union(a.index, b.index)
    groups: dict[int, list[_Entry]] = {}
    for entry in entries:
        groups.setdefault(union.find(entry.index), []).append(entry)
    return list(groups.values())


def _matches(a: _Entry, b: _Entry, suspects_match: SuspectMatcher) -> bool:
    if a.label_key and b.label_key and (a.label_key in b.label_key or b.label_key in a.label_key):
        return True
    category = a.hypothesis.category
    if category == UNKNOWN_CATEGORY or category != b.hypothesis.category:
        return False
    return any(suspects_match(x, y) for x in a.suspect_keys for y in b.suspect_keys)


def _sort_key(item: RankedHypothesis) -> tuple[float, int, float, int, str, str]:
    return (
        -item.score,
        -len(item.contributing_agents),
        -item.confidence,
        -len(item.supporting_signals),
        item.label.casefold(),
        item.label,
    )


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _unique_casefold(values: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(value.strip().casefold(), value)
    return list(seen.values())
