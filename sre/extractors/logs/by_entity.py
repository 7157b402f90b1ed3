"""Per-entity log counts: how many records each service emitted, and its error templates.

The log pipeline counts templates over the whole payload; an incident in a system of many
services needs the same counts per emitter (the service, pod or host a line came from,
`sre.extractors.entities.line_entity`). `EntityTally` keeps, per entity, its records before
and after the split, and per (entity, template) of error and warning level, the counts and
the first time seen after the split. Memory is bounded by `MAX_ENTITIES` and
`MAX_ENTITY_TEMPLATES`, whatever the input size.

`excess` is the measure of trouble used downstream: for each error/warning template of an
entity, the records after the split beyond what its baseline rate, scaled by the entity's
own change in volume, predicts. Scaling by the entity's volume (not by time) keeps a warning
that simply follows traffic (twice the requests, twice the "not found") from looking like a
fault; with no baseline records for the entity, its volume is unknown and every record after
the split counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["MAX_ENTITIES", "EntityCounts", "EntityTally", "TemplateTally"]

MAX_ENTITIES = 2_000
MAX_ENTITY_TEMPLATES = 20_000


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
        """Records of a template after the split beyond what its baseline predicts."""
        return max(0.0, tally.after - self.expected_after(tally.before))


@dataclass
class EntityTally:
    """Per-entity record and error-template counts (see the module docstring)."""

    entities: dict[str, EntityCounts] = field(default_factory=dict)
    _templates: int = 0

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
