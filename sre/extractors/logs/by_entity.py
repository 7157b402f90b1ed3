"""Per-entity log counts: how many records each service emitted, and its error templates.

The log pipeline counts templates over the whole payload; an incident in a system of many
services needs the same counts per emitter (the service, pod or host a line came from,
`sre.extractors.entities.line_entity`). `EntityTally` keeps, per entity, its records before
and after the split, and per (entity, template) the counts, the level (ERROR, WARN or INFO)
and the first time seen after the split. Memory is bounded by `MAX_ENTITIES` and
`MAX_ENTITY_TEMPLATES`, whatever the input size.

Two measures of trouble are used downstream:

- `excess`: for each error/warning template of an entity, the records after the split beyond
  what its baseline rate, scaled by the entity's own change in volume, predicts. Scaling by
  the entity's volume (not by time) keeps a warning that simply follows traffic (twice the
  requests, twice the "not found") from looking like a fault; with no baseline records for
  the entity, its volume is unknown and every record after the split counts.
- `pattern_shift`: how far the entity's mix of templates (all levels) moved, as the total
  variation distance between its before and after distributions (0: same mix, 1: nothing in
  common), with the G statistic `pattern_g` that says whether the move is more than chance.
  An exception thrown in a request path rarely logs an error in the service itself, but the
  statements after it stop appearing: its own INFO lines change their mix.
- `silenced`: the strongest evidence that one of the entity's steady templates (any level)
  stopped: a template whose baseline rate, scaled by the whole system's change in volume (the
  system's traffic is the clock: the entity's own volume falls with the template), predicts at
  least `MIN_SILENCED_EXPECTED` records after the split, of which at most `SILENCED_SHARE`
  came. The evidence is the Poisson surprise `-log P(X = after | expected)`. A failing
  operation often logs nothing at all; the statements on its normal path simply stop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["MAX_ENTITIES", "EntityCounts", "EntityTally", "TemplateTally"]

MAX_ENTITIES = 2_000
MAX_ENTITY_TEMPLATES = 20_000
MIN_NEW = 2
MIN_RISE = 2.0
MIN_LLR = 6.0
MIN_SILENCED_EXPECTED = 8.0
SILENCED_SHARE = 0.1


@dataclass(slots=True)
class TemplateTally:
    """One error/warning template of one entity."""

    cluster_id: int
    level: str
    before: int = 0
    after: int = 0
    first_seen: float | None = None


@dataclass(slots=True)
class EntityCounts:
    """What one entity emitted."""

    name: str
    kind: str
    workload: str
    records_before: int = 0
    records_after: int = 0
    templates: dict[int, TemplateTally] = field(default_factory=dict)

    def expected_after(self, before: int) -> float:
        """Records after the split a template with `before` baseline records would have if
        it followed the entity's own volume (0 without a baseline volume)."""
        if self.records_before == 0:
            return 0.0
        return before * self.records_after / self.records_before

    def excess(self, tally: TemplateTally) -> float:
        """Records of a template after the split beyond what its baseline predicts, when the
        rise is significant (a new template of at least `MIN_NEW` records, or at least
        `MIN_RISE` times the prediction with a Poisson log-likelihood ratio of `MIN_LLR`);
        0 otherwise, so the ordinary wobble of a busy template adds nothing."""
        expected = self.expected_after(tally.before)
        after = tally.after
        if tally.before == 0 or self.records_before == 0:
            return float(after) if after >= MIN_NEW else 0.0
        if after < MIN_RISE * expected or _poisson_llr(after, expected) < MIN_LLR:
            return 0.0
        return after - expected

    def pattern_shift(self) -> tuple[float, float, int]:
        """(total variation distance, G statistic, degrees of freedom) of the template mix
        before against after the split; (0, 0, 0) without records on both sides.

        G is the likelihood-ratio test of the 2 x k table (window x template): large when
        the mix moved more than sampling noise allows.
        """
        before, after = self.records_before, self.records_after
        if before == 0 or after == 0:
            return 0.0, 0.0, 0
        total = before + after
        distance = 0.0
        g = 0.0
        for tally in self.templates.values():
            distance += abs(tally.after / after - tally.before / before)
            column = tally.before + tally.after
            for observed, row in ((tally.before, before), (tally.after, after)):
                if observed:
                    g += observed * math.log(observed * total / (row * column))
        return distance / 2.0, 2.0 * g, max(1, len(self.templates) - 1)

    def silenced(self, volume_ratio: float) -> tuple[float, TemplateTally | None]:
        """(Poisson surprise, template) of the steady template that went most surely
        silent, given the system's `volume_ratio` (records after / before); (0, None) when
        none did (see the module docstring)."""
        best: tuple[float, TemplateTally | None] = (0.0, None)
        for tally in self.templates.values():
            expected = tally.before * volume_ratio
            if expected < MIN_SILENCED_EXPECTED or tally.after > SILENCED_SHARE * expected:
                continue
            surprise = _poisson_surprise(tally.after, expected)
            if surprise > best[0]:
                best = (surprise, tally)
        return best


def _poisson_surprise(observed: int, expected: float) -> float:
    """-log of the Poisson probability of `observed` records when `expected` were due."""
    return expected - observed * math.log(expected) + math.lgamma(observed + 1)


def _poisson_llr(observed: int, expected: float) -> float:
    if observed <= expected or expected <= 0:
        return 0.0
    return observed * math.log(observed / expected) - (observed - expected)


@dataclass
class EntityTally:
    """Per-entity record and error-template counts (see the module docstring)."""

    entities: dict[str, EntityCounts] = field(default_factory=dict)
    _templates: int = 0

    def volume_ratio(self) -> float:
        """The system's records after the split over its records before (0 without a
        baseline): what a steady template's baseline count is scaled by."""
        before = sum(c.records_before for c in self.entities.values())
        after = sum(c.records_after for c in self.entities.values())
        return after / before if before else 0.0

    def entity(self, name: str, kind: str, workload: str) -> EntityCounts | None:
        """The counts of an entity (created on first sight, up to `MAX_ENTITIES`)."""
        found = self.entities.get(workload)
        if found is None:
            if len(self.entities) >= MAX_ENTITIES:
                return None
            found = self.entities[workload] = EntityCounts(name, kind, workload)
        return found

    def count_template(
        self,
        counts: EntityCounts,
        cluster_id: int,
        level: str,
        after: bool,
        ts: float | None,
    ) -> None:
        """Count one error/warning record of `counts`' entity under its template."""
        tally = counts.templates.get(cluster_id)
        if tally is None:
            if self._templates >= MAX_ENTITY_TEMPLATES:
                return
            self._templates += 1
            tally = counts.templates[cluster_id] = TemplateTally(cluster_id, level)
        if after:
            tally.after += 1
            if tally.first_seen is None and ts is not None:
                tally.first_seen = ts
        else:
            tally.before += 1
