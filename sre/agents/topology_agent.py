"""TopologyAgent: which service, pod, node or resource is at fault, across entities.

In a system of many services, the loudest one is often a victim: its callers log the
callee's failures, and its latency moves with theirs. The agent builds a profile of every
entity the evidence names (`entity_logs` for the emitters of rising errors,
`metric_anomaly` for the series' subjects, `dependency_errors` and the names in error lines
for the callees, `signature` for platform events) and ranks them by how much of the
anomalous evidence each explains. Every piece of evidence is weighed by its strength and by
how rare it is across the system (a symptom every service shows says nothing about which
one is at fault):

    strength(e) = log1p(excess(e))                      rising errors beyond its own volume
                + PATTERN_WEIGHT * shift(e) / n_shift   its log pattern shifted
                + sum over kinds k of score_k(e) / n_k  departed series (`departure.score`)
                + SATURATION_BONUS if a bounded resource of it saturated
                + NAMED_WEIGHT * log1p(named(e))        callers' errors naming it
                + SYMPTOM_WEIGHT * symptoms(e)          crash loops, failing probes

where `n_k` is the number of entities with a harmful departure of kind `k` (and `n_shift`
with a shifted pattern). A caller whose errors name the top entity is explained by it: its
own strength is halved (`EXPLAINED_DISCOUNT`). The top entities (at least `MIN_RELATIVE`
of the best) become hypotheses whose confidence grows with their dominance over the
strongest `CONTENDERS`: `0.2 + DOMINANCE_WEIGHT * strength(e) / sum(top strengths)`, capped
at `MAX_CONFIDENCE`; confidence follows strength, so a weaker entity never outranks a
stronger one.

The category follows what the entity's evidence says: bounded resources (CPU, memory, disk,
connections, throttling, credits) -> `resource_exhaustion`, or `database` for a database;
lag or database signatures -> `database`; a request surge at an edge entity ->
`traffic_surge`; otherwise the entity is failing -> `dependency_failure` (with no change to
blame, "this service is failing" is the honest system-level answer). The service that was
just deployed is left to the change agents. With one entity or none, there is nothing to
localise and the agent says nothing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from alpha.schemas import Hypothesis, Signal
from sre.agents.base import (
    CONFIDENCE_FLOOR,
    AgentBrief,
    Evidence,
    SpecialistAgent,
    hypothesis,
    merge_candidates,
)
from sre.extractors.entities import metric_entity, pod_workload
from sre.signals import (
    DependencyErrorsSignal,
    EntityLogsSignal,
    MetricAnomalySignal,
    MetricSaturationSignal,
    SignatureSignal,
)

NAMED_WEIGHT = 0.5
SYMPTOM_WEIGHT = 0.3
PATTERN_WEIGHT = 1.5
SATURATION_BONUS = 2.0
EXPLAINED_DISCOUNT = 0.5
MIN_RELATIVE = 0.35
DOMINANCE_WEIGHT = 0.6
CONTENDERS = 5
MAX_CONFIDENCE = 0.85
MAX_HYPOTHESES = 3

_RESOURCE_KINDS = frozenset(
    {"cpu", "memory", "free_memory", "disk", "free_disk", "connections", "throttling", "gc"}
    | {"credits"}
)
_DB_WORDS = frozenset(
    {"db", "database", "rds", "aurora", "postgres", "postgresql", "pg", "mysql", "mariadb"}
    | {"mongo", "mongodb", "redis", "dynamodb", "cassandra", "sql", "elasticache"}
    | {"memcached", "elasticsearch", "opensearch", "table", "replica", "primary", "cluster"}
)
_EDGE_WORDS = frozenset(
    {"ingress", "alb", "elb", "nlb", "lb", "gateway", "edge", "cdn", "frontend", "front"}
    | {"entry", "nginx", "envoy", "proxy", "web", "storefront", "public", "api"}
)


def _words(name: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", name.lower()) if w}


def is_database(name: str) -> bool:
    """Whether an entity's name says it is a database (`orders-db`, `payments-aurora`)."""
    return bool(_words(name) & _DB_WORDS)


def _is_edge(name: str) -> bool:
    return bool(_words(name) & _EDGE_WORDS)


@dataclass
class Profile:
    """Everything the evidence says about one entity."""

    name: str
    log_excess: float = 0.0
    pattern_shift: float = 0.0
    new_templates: int = 0
    top_template: str = ""
    metric_score: float = 0.0
    kinds: dict[str, float] = field(default_factory=dict)
    traffic_up: float = 0.0
    named: float = 0.0
    callers: set[str] = field(default_factory=set)
    symptoms: float = 0.0
    signals: dict[str, float] = field(default_factory=dict)
    best_metric: MetricAnomalySignal | None = None
    pods: list[str] = field(default_factory=list)

    def cite(self, signal: Signal, weight: float) -> None:
        self.signals[signal.id] = self.signals.get(signal.id, 0.0) + weight

    @property
    def modalities(self) -> int:
        logs = self.log_excess + self.pattern_shift
        return sum(1 for x in (logs, self.metric_score, self.named) if x > 0)


class TopologyAgent(SpecialistAgent):
    """Localises the fault to an entity (see the module docstring)."""

    name = "TopologyAgent"
    model = "anthropic/claude-sonnet-4-6"
    brief = AgentBrief(
        "which service, pod, node or resource is at fault across a system of services",
        ("logs", "metrics"),
    )

    def candidates_from(self, evidence: Evidence) -> list[Hypothesis]:
        """Entity hypotheses from the run's evidence index (pure)."""
        profiles = build_profiles(evidence)
        if len(profiles) < 2:
            return []
        ranked = rank_profiles(profiles)
        deployed = (evidence.incident.service or "").lower() if _has_deploy(evidence) else ""
        found = []
        total = sum(score for _, score in ranked[:CONTENDERS]) or 1.0
        best = ranked[0][1] if ranked else 0.0
        for profile, score in ranked[:MAX_HYPOTHESES]:
            if score < MIN_RELATIVE * best or not profile.signals:
                continue
            category = category_of(profile)
            if deployed and profile.name.lower() == deployed and category == "dependency_failure":
                continue  # the deployed service failing is the change agents' question
            found.append(_hypothesis(profile, score / total, category))
        return merge_candidates(found)


def _has_deploy(evidence: Evidence) -> bool:
    incident = evidence.incident
    return incident.deployed_at is not None or bool(incident.recent_commits)


def build_profiles(evidence: Evidence) -> dict[str, Profile]:
    """One profile per entity the evidence names (keys: workload names, lower case)."""
    profiles: dict[str, Profile] = {}
    _add_log_trouble(evidence, profiles)
    _add_metric_trouble(evidence, profiles)
    _link_callers(evidence, profiles)
    _add_signatures(evidence, profiles)
    return {k: p for k, p in profiles.items() if p.signals}


def _profile(profiles: dict[str, Profile], name: str) -> Profile:
    key = name.lower()
    if key not in profiles:
        profiles[key] = Profile(name)
    return profiles[key]


def _add_log_trouble(evidence: Evidence, profiles: dict[str, Profile]) -> None:
    for signal in evidence.of(EntityLogsSignal):
        value = signal.value
        own = _profile(profiles, value.workload)
        own.log_excess += value.excess
        own.pattern_shift = max(own.pattern_shift, value.pattern_shift)
        own.new_templates += value.new_templates
        if value.templates and not own.top_template:
            own.top_template = value.templates[0].template
        if value.kind == "pod" and value.entity not in own.pods:
            own.pods.append(value.entity)
        own.cite(signal, value.excess + value.pattern_shift)


def _add_metric_trouble(evidence: Evidence, profiles: dict[str, Profile]) -> None:
    for anomaly in evidence.of(MetricAnomalySignal):
        value = anomaly.value
        if value.entity is None or not value.bad:
            continue
        own = _profile(profiles, value.entity)
        own.metric_score += value.score
        own.kinds[value.kind] = own.kinds.get(value.kind, 0.0) + value.score
        if value.kind == "traffic" and value.direction == "up":
            own.traffic_up += value.score
        if own.best_metric is None or value.score > own.best_metric.value.score:
            own.best_metric = anomaly
        own.cite(anomaly, value.score)
    for full in evidence.of(MetricSaturationSignal):
        subject = metric_entity(full.value.metric).entity
        if subject is not None and subject.workload.lower() in profiles:
            owner = profiles[subject.workload.lower()]
            owner.kinds["saturation"] = 1.0
            owner.cite(full, 1.0)


def _add_signatures(evidence: Evidence, profiles: dict[str, Profile]) -> None:
    for found in evidence.of(SignatureSignal):
        value = found.value
        where = _entity_key(value.obj, profiles) or _entity_key(value.emitter, profiles)
        if where is None or value.count_after == 0:
            continue
        if value.category is None:
            profiles[where].symptoms += value.strength
        profiles[where].cite(found, value.strength)


def _entity_key(name: str | None, profiles: dict[str, Profile]) -> str | None:
    """The profile a name refers to: itself, its workload, or a host of it (`svc:8080`,
    `svc.ns.svc.cluster.local`)."""
    if not name:
        return None
    low = name.lower()
    candidates = [low, (pod_workload(low) or "")]
    head = re.split(r"[:/]", low)[0]
    candidates += [head, head.split(".")[0]]
    for candidate in candidates:
        if candidate and candidate in profiles:
            return candidate
    return None


def _link_callers(evidence: Evidence, profiles: dict[str, Profile]) -> None:
    """Credit each entity with the errors of the callers whose lines name it."""
    for signal in evidence.of(EntityLogsSignal):
        caller = signal.value.workload.lower()
        for name in signal.value.names:
            callee = _entity_key(name, profiles)
            if callee is None or callee == caller:
                continue
            profiles[callee].named += signal.value.excess
            profiles[callee].callers.add(caller)
            profiles[callee].cite(signal, signal.value.excess * NAMED_WEIGHT)
    for failing in evidence.of(DependencyErrorsSignal):
        callee = _entity_key(failing.value.host, profiles)
        if callee is not None:
            weight = float(max(0, failing.value.count_after - failing.value.count_before))
            profiles[callee].named += weight
            profiles[callee].cite(failing, weight * NAMED_WEIGHT)


def rank_profiles(profiles: dict[str, Profile]) -> list[tuple[Profile, float]]:
    """Profiles with their strength, best first (see the module docstring)."""
    spread: dict[str, int] = {}
    for profile in profiles.values():
        for kind, score in profile.kinds.items():
            if score > 0:
                spread[kind] = spread.get(kind, 0) + 1
    shifted = sum(1 for p in profiles.values() if p.pattern_shift > 0) or 1
    raw = {key: _strength(p, spread, shifted) for key, p in profiles.items()}
    top = max(raw, key=lambda k: (raw[k], k))
    for caller in profiles[top].callers:
        if caller in raw and caller != top:
            raw[caller] *= EXPLAINED_DISCOUNT
    return sorted(((profiles[k], v) for k, v in raw.items()), key=lambda kv: (-kv[1], kv[0].name))


def _strength(profile: Profile, spread: dict[str, int], shifted: int) -> float:
    metrics = sum(
        score / spread[kind]
        for kind, score in profile.kinds.items()
        if kind != "saturation" and score > 0
    )
    if profile.kinds.get("saturation", 0.0) > 0:
        metrics += SATURATION_BONUS / spread.get("saturation", 1)
    return (
        math.log1p(profile.log_excess)
        + PATTERN_WEIGHT * profile.pattern_shift / shifted
        + metrics
        + NAMED_WEIGHT * math.log1p(profile.named)
        + SYMPTOM_WEIGHT * min(1.0, profile.symptoms)
    )


def category_of(profile: Profile) -> str:
    """The category the entity's evidence points at (see the module docstring)."""
    resource = sum(v for k, v in profile.kinds.items() if k in _RESOURCE_KINDS)
    resource += profile.kinds.get("saturation", 0.0)
    database = is_database(profile.name)
    if database and (resource > 0 or profile.kinds.get("lag", 0.0) > 0):
        return "database"
    if resource > 0 and resource >= 0.5 * profile.metric_score:
        return "database" if database else "resource_exhaustion"
    surge = profile.traffic_up > 0 and profile.traffic_up >= 0.5 * profile.metric_score
    if surge and (_is_edge(profile.name) or profile.log_excess == 0):
        return "traffic_surge"
    return "database" if database and profile.log_excess == 0 else "dependency_failure"


def _hypothesis(profile: Profile, dominance: float, category: str) -> Hypothesis:
    weights = [DOMINANCE_WEIGHT * dominance]
    label, description = _describe(profile, category)
    cited = sorted(profile.signals, key=lambda sid: -profile.signals[sid])[:6]
    return hypothesis(
        label=label,
        description=description,
        category=category,
        suspects=[profile.name, *profile.pods[:2]],
        weights=[min(w, MAX_CONFIDENCE - CONFIDENCE_FLOOR) for w in weights],
        signals=cited,
        rule="topology.localise",
    )


def _describe(profile: Profile, category: str) -> tuple[str, str]:
    parts = []
    if profile.log_excess > 0:
        parts.append(
            f"{profile.log_excess:.0f} more error records than its own traffic explains"
            + (f" ({profile.new_templates} new template(s))" if profile.new_templates else "")
        )
    metric = profile.best_metric
    if metric is not None:
        v = metric.value
        parts.append(f"{v.measure} {v.direction} from {v.baseline:g} to {v.current:g}")
    if profile.callers:
        parts.append(f"named by the errors of {', '.join(sorted(profile.callers)[:3])}")
    what = {
        "resource_exhaustion": "is running out of resources",
        "database": "(database) is degraded",
        "traffic_surge": "takes a surge of requests",
        "dependency_failure": "is failing",
    }.get(category, "is at fault")
    label = f"{profile.name} {what}"
    if metric is not None and category in ("resource_exhaustion", "database"):
        label += f" ({metric.value.measure} {metric.value.direction})"
    description = f"{profile.name}: " + "; ".join(parts) + "." if parts else label
    return label, description
