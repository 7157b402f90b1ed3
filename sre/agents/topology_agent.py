"""TopologyAgent: which service, pod, node or resource is at fault, across entities.

In a system of many services, the loudest one is often a victim: its callers log the
callee's failures, and its latency moves with theirs. The agent builds a profile of every
entity the evidence names (`entity_logs` for what its own logs did, `metric_anomaly` for the
series measuring it, `dependency_errors` and the names in error lines for the callees,
`signature` for platform events) and ranks them by how much of the anomalous evidence each
explains. Every piece of evidence is weighed by its strength and by how rare it is across
the system (a symptom every service shows says nothing about which one is at fault):

    strength(e) = log1p(excess(e))                       errors beyond its own volume
                + chronic * log1p(errors_after(e))       errors it logs at all
                + pattern * shift(e) / n_shift           its log pattern shifted
                + silenced * log1p(surprise(e)) / n_sil  a steady template of it stopped
                + sum_k w_k * score_k(e) / n_k           departed series of kind k
                + saturation / n_sat if a bounded resource of it saturated
                + named * log1p(named(e))                callers' errors naming it
                                                         (or, unnamed, pointing at it)
                + symptom * min(1, symptoms(e))          crash loops, failing probes
                + replaced * min(1, replaced(e))         a pod of it replaced (killed,
                                                         evicted, crashed for good)

`score_k` is the departure score (`sre.extractors.departure`) of its harmful series of kind
`k`, `n_k` the number of entities with such a series, and `w_k` is 1 for resources running
out (CPU, memory, disk, connections, throttling, credits, lag) and `symptom_kind` for what
usually follows a fault elsewhere (latency, errors, traffic, network volume, a queue's
backlog, which its consumer causes). A caller whose
errors name the top entity is explained by it: its strength keeps `explained` of itself.
A caller whose errors report failed outbound calls (`call_failures`) but name no entity
points at whichever entities show trouble of their own that is not a caller's (their own
error or latency series, their own non-call errors): each is credited an equal share of
those errors, as if named, and explains the caller the same way; the errors of its own
callers that name it pass on with them (what names a relay names the path through it: a
load generator's failures all name the front door), and its own error and latency series
are its view of those calls, no trouble of its own. Callers are also read from series: a
caller-side series about a callee (Istio's `source_workload`, Application Insights'
`cloud/roleName` beside `dependency/target`) that departed the harmful way makes its
caller the callee's caller, and the caller's own error, latency and connection series its
view of those calls; a caller's own series about the calls it makes (a client span naming
the procedure called, `peer_service`, `server_address`: `series_callees`) are the callee's
latency and errors as its callers see them, and make the caller its caller the same way.
A load balancer (a `LoadBalancer` or `TargetGroup` dimension, an ELB namespace) passes on
what its targets do: its 5xx and latency series are no trouble of its own while another
entity shows some.
Errors that name no host name the one workload they spell out after a word pointing at a
callee (`Failed to read posts from post-storage-service`), else the one whose distinctive
word they use (`failed to retrieve ads` -> `adservice`, `sre.agents.hosts.stem_named`). A
workload whose pod was replaced (`pod_replaced`) has trouble of its own.

The top entities (at least `min_relative` of the best) become hypotheses whose confidence
follows their dominance over the strongest `CONTENDERS`:
`0.2 + DOMINANCE_WEIGHT * strength(e) / sum(top strengths)`, capped at `MAX_CONFIDENCE`, so a
weaker entity never outranks a stronger one. The weights are `Weights`, fitted on the
development sets with cross-validation (`tools/fit_weights.py`; `docs/accuracy.md`);
`replaced` (1.0) was set by hand, not fitted.

The category follows what the entity's evidence says: a decisive platform signature about
it (strength 1, new or rising: its pods OOMKilled, its failover) -> that signature's
category; else a bounded resource saturated, or
resources making up at least `RESOURCE_SHARE` of its departures (latency, errors and other
symptoms counted at `symptom_kind`, as in `strength`) -> `resource_exhaustion`
(for a database: `database`, unless only its memory or disk ran out, which the taxonomy
calls `resource_exhaustion`); lag -> `database`; a request surge at an edge entity ->
`traffic_surge`; otherwise the entity is failing -> `dependency_failure`, or `database` for
a database (with no change to blame, "this service is failing" is the honest system-level
answer). A load generator (`is_synthetic_client`) is the system's client: its errors are
all failed calls, and it is never a hypothesis. An entry service (`frontend`, `gateway`,
`webui`) whose errors name no callee surfaces every backend failure: its errors are read as
failed calls too. The service that was just deployed is left to the change agents; a failing
entity that a recent change touching it can explain (its Service's selector, its client's
settings: `sre.agents.relations.change_touching_host`) keeps `CHANGED_PATH_FACTOR` of its
strength, the change agents arguing for the change. With one
entity or none there is nothing to localise (the payload's logs and metric names show a
single entity), and the agent says nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Container
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
from sre.agents.hosts import (
    GENERIC_NAME_WORDS,
    address_owners,
    is_synthetic_client,
    known_stems,
    known_workloads,
    name_words,
    stem_named,
)
from sre.agents.relations import change_touching_host
from sre.extractors.entities import measures_balancer, metric_entity, pod_workload
from sre.extractors.measures import measure_of
from sre.signals import (
    DependencyErrorsSignal,
    EntityLogsSignal,
    MetricAnomalySignal,
    MetricSaturationSignal,
    SignatureSignal,
)

DOMINANCE_WEIGHT = 0.6
CONTENDERS = 5
# What a failing entity keeps when a recent change to the path to it can cause its symptoms.
CHANGED_PATH_FACTOR = 0.5
MAX_CONFIDENCE = 0.85
MAX_HYPOTHESES = 3
RESOURCE_SHARE = 0.3
_REPLACED = "pod_replaced"
_CAPACITY_KINDS = frozenset({"memory", "free_memory", "disk", "free_disk"})

RESOURCE_KINDS = frozenset(
    {"cpu", "memory", "free_memory", "disk", "free_disk", "connections", "throttling", "gc"}
    | {"credits", "lag"}
)
_DB_WORDS = frozenset(
    {"db", "database", "rds", "aurora", "postgres", "postgresql", "pg", "mysql", "mariadb"}
    | {"mongo", "mongodb", "redis", "dynamodb", "cassandra", "sql", "elasticache"}
    | {"memcached", "elasticsearch", "opensearch", "table", "replica", "primary", "cluster"}
    # Managed database products, by the names their instances are commonly given.
    | {"sqldb", "mssql", "sqlserver", "cosmos", "cosmosdb", "spanner", "alloydb", "docdb"}
    | {"documentdb", "firestore", "bigtable", "cloudsql", "neptune", "couchbase", "cockroach"}
)
_EDGE_WORDS = frozenset(
    {"ingress", "alb", "elb", "nlb", "lb", "gateway", "edge", "cdn", "frontend", "front"}
    | {"entry", "nginx", "envoy", "proxy", "web", "storefront", "public", "api"}
)


@dataclass(frozen=True)
class Weights:
    """The tunable weights of `strength` (see the module docstring for each)."""

    chronic: float = 0.3
    pattern: float = 1.5
    silenced: float = 1.0
    symptom_kind: float = 0.5
    saturation: float = 2.0
    named: float = 0.5
    symptom: float = 0.3
    replaced: float = 1.0
    explained: float = 0.5
    min_relative: float = 0.35


DEFAULT_WEIGHTS = Weights()


def is_database(name: str) -> bool:
    """Whether an entity's name says it is a database (`orders-db`, `payments-aurora`)."""
    return bool(name_words(name) & _DB_WORDS)


_ENTRY_WORDS = frozenset({"frontend", "front", "webui", "ui", "gateway", "bff", "storefront"})


# A public host name (`api.geolookup.io`, `hooks.slack.com`), not a cluster or private one.
_EXTERNAL_HOST = re.compile(r"^(?:[a-z0-9-]+\.)+[a-z]{2,6}$")
_PRIVATE_SUFFIXES = ("local", "internal", "svc", "lan", "corp", "intranet", "cluster", "home")


def is_external_host(name: str) -> bool:
    """Whether an entity's name is a public host: a third party's endpoint."""
    low = name.lower()
    return bool(_EXTERNAL_HOST.match(low)) and not low.endswith(_PRIVATE_SUFFIXES)


def _is_entry(name: str) -> bool:
    """Whether an entity's name says it is the entry service users hit first."""
    return bool(name_words(name) & _ENTRY_WORDS)


def _is_edge(name: str) -> bool:
    return bool(name_words(name) & _EDGE_WORDS)


@dataclass
class Profile:
    """Everything the evidence says about one entity."""

    name: str
    log_excess: float = 0.0
    errors_after: int = 0
    pattern_shift: float = 0.0
    silenced: float = 0.0
    silenced_line: str = ""
    new_templates: int = 0
    metric_score: float = 0.0
    kinds: dict[str, float] = field(default_factory=dict)
    traffic_up: float = 0.0
    named: float = 0.0
    callers: set[str] = field(default_factory=set)
    call_excess: float = 0.0
    names_others: bool = False
    saturated_kinds: set[str] = field(default_factory=set)
    symptoms: float = 0.0
    replaced: int = 0
    decisive: dict[str, float] = field(default_factory=dict)
    signals: dict[str, float] = field(default_factory=dict)
    best_metric: MetricAnomalySignal | None = None
    pods: list[str] = field(default_factory=list)

    def cite(self, signal: Signal, weight: float) -> None:
        self.signals[signal.id] = self.signals.get(signal.id, 0.0) + weight


class TopologyAgent(SpecialistAgent):
    """Localises the fault to an entity (see the module docstring)."""

    name = "TopologyAgent"
    model = "anthropic/claude-sonnet-4-6"
    brief = AgentBrief(
        "which service, pod, node or resource is at fault across a system of services",
        ("logs", "metrics"),
    )
    weights: Weights = DEFAULT_WEIGHTS

    def candidates_from(self, evidence: Evidence) -> list[Hypothesis]:
        """Entity hypotheses from the run's evidence index (pure)."""
        profiles = build_profiles(evidence)
        if not profiles or len(set(profiles) | _metric_subjects(evidence)) < 2:
            return []  # one entity (or none): nothing to localise
        ranked = rank_profiles(profiles, self.weights)
        deployed = (evidence.incident.service or "").lower() if _has_deploy(evidence) else ""
        total = sum(score for _, score in ranked[:CONTENDERS]) or 1.0
        best = ranked[0][1]
        symptoms = evidence.symptoms()
        found = []
        for profile, score in ranked[:MAX_HYPOTHESES]:
            if score < self.weights.min_relative * best or not profile.signals:
                continue
            if is_synthetic_client(profile.name):
                continue  # the load generator only reports what the system did to it
            category = category_of(profile)
            if deployed and profile.name.lower() == deployed and category == "dependency_failure":
                continue  # the deployed service failing is the change agents' question
            share = score / total
            if category == "dependency_failure" and change_touching_host(
                profile.name, evidence, symptoms
            ):
                # A recent change to the path to it (its Service's selector, its client's
                # settings) that can cause what it shows is the likelier culprit: the change
                # agents argue for it; the entity stays as where it shows.
                share *= CHANGED_PATH_FACTOR
            found.append(_hypothesis(profile, share, category))
        return merge_candidates(found)


def _metric_subjects(evidence: Evidence) -> set[str]:
    """Every entity the payload's metric names measure (lower case)."""
    found = set()
    for name in evidence.incident.metrics:
        subject = metric_entity(name).entity
        if subject is not None:
            found.add(subject.workload.lower())
    return found


def _has_deploy(evidence: Evidence) -> bool:
    incident = evidence.incident
    return incident.deployed_at is not None or bool(incident.recent_commits)


def build_profiles(evidence: Evidence) -> dict[str, Profile]:
    """One profile per entity the evidence names (keys: workload names, lower case)."""
    profiles: dict[str, Profile] = {}
    _add_log_trouble(evidence, profiles)
    _add_metric_trouble(evidence, profiles)
    _add_replaced_pods(evidence, profiles)
    _discount_balancers(evidence, profiles)
    _link_metric_edges(evidence, profiles)
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
        # A load generator's errors are all failed calls: it is the system's client. An entry
        # service (frontend, gateway) surfaces every backend failure in its own error lines:
        # when it names no callee, its errors are read as failed calls too.
        entry = _is_entry(value.workload) and not value.names
        share = 1.0 if is_synthetic_client(value.workload) or entry else value.call_failures
        own.call_excess += value.excess * share
        own.names_others = own.names_others or bool(value.names)
        own.errors_after += value.errors_after
        own.pattern_shift = max(own.pattern_shift, value.pattern_shift)
        gone = value.silenced_template
        if gone is not None and value.silenced > own.silenced:
            own.silenced = value.silenced
            own.silenced_line = f"'{gone.template[:80]}' ({gone.before} before, {gone.after} after)"
        own.new_templates += value.new_templates
        if value.kind == "pod" and value.entity not in own.pods:
            own.pods.append(value.entity)
        own.cite(
            signal,
            value.excess
            + value.pattern_shift
            + math.log1p(value.errors_after)
            + math.log1p(value.silenced),
        )


def _add_metric_trouble(evidence: Evidence, profiles: dict[str, Profile]) -> None:
    callees = series_callees(evidence)
    for anomaly in evidence.of(MetricAnomalySignal):
        value = anomaly.value
        if value.entity is None or not value.bad:
            continue
        # A caller's series about the calls it makes (`span_kind="SPAN_KIND_CLIENT"`,
        # `peer_service=...`) measures its callee, as the caller sees it.
        own = _profile(profiles, callees.get(anomaly.id, value.entity))
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
            measure = measure_of(metric_entity(full.value.metric).measure, None)
            owner.saturated_kinds.add(measure.kind)
            owner.cite(full, 1.0)


# Labels naming the caller of a caller-side series about a callee (Istio's
# `source_workload`, Application Insights' `cloud/roleName`, service graphs' `client`).
_CALLER_LABELS = ("source_workload", "source_app", "source_service", "rolename", "client")


def _link_metric_edges(evidence: Evidence, profiles: dict[str, Profile]) -> None:
    """A caller whose series about a callee (`dependencies/failed{cloud/roleName="web",
    dependency/target="api.pay.io"}`) departed the harmful way is that callee's caller, and
    its own error, latency and connection series are its view of those calls, no trouble
    of its own."""
    edges: dict[str, set[str]] = {}
    named = series_callees(evidence)
    for anomaly in evidence.of(MetricAnomalySignal):
        value = anomaly.value
        if not value.bad or value.kind not in _OWN_TROUBLE_KINDS or value.entity is None:
            continue
        caller: str | None
        if anomaly.id in named:
            caller, callee = value.entity.lower(), named[anomaly.id]
        else:
            labels = metric_entity(value.metric).labels
            caller = next((labels[k].lower() for k in _CALLER_LABELS if labels.get(k)), None)
            callee = value.entity.lower()
        if caller and caller != callee and caller in profiles and callee in profiles:
            edges.setdefault(caller, set()).add(callee)
    for caller, callees in edges.items():
        for callee in callees:
            profiles[callee].callers.add(caller)
        # Its threads and connections are held as long as the callee makes them wait.
        for kind in (*_OWN_TROUBLE_KINDS, "connections"):
            profiles[caller].metric_score -= profiles[caller].kinds.pop(kind, 0.0)


# Labels naming the callee of a series whose entity label names its caller: OpenTelemetry's
# `peer.service` and `server.address`, Istio's `destination_*` beside the reporting pod.
_CALLEE_LABELS = (
    "peer_service",
    "peer.service",
    "server_address",
    "server.address",
    "net_peer_name",
    "net.peer.name",
    "destination_workload",
    "destination_service_name",
    "destination_service",
    "destination_app",
    "upstream_cluster",
)
# Labels naming the remote procedure a client called (`grpc_service="ledger.v1.Ledger"`,
# a client span's `span_name="hipstershop.CartService/GetCart"`): read only on client-side
# series, where they name the callee, not the service itself.
_RPC_LABELS = ("grpc_service", "rpc_service", "rpc.service", "span_name")
_VERSION_PART = re.compile(r"^v\d+\w*$")


def series_callees(evidence: Evidence) -> dict[str, str]:
    """Metric anomalies (by signal id) of a caller's own series about its calls to another
    entity -> the callee's entity key; once per run.

    The callee is named by a callee label beside the caller's own (`{service="checkout",
    peer_service="pricing-api"}`), or, on a client-side series (`span_kind` CLIENT, a
    `*client*` measure), by the remote procedure called (`hipstershop.CartService/GetCart`
    -> `cartservice`, `/geo.Geo/Nearby` -> `geo`), which counts only when it is a known
    workload. Only latency and error series count: they are what the callee does to its
    callers."""
    if "series_callees" in evidence.memo:
        memo: dict[str, str] = evidence.memo["series_callees"]
        return memo
    known = known_workloads(evidence)
    stems = known_stems(evidence)
    found: dict[str, str] = {}
    for anomaly in evidence.of(MetricAnomalySignal):
        value = anomaly.value
        if value.entity is None or value.kind not in _OWN_TROUBLE_KINDS:
            continue
        callee = _series_callee(value.metric, known, stems)
        if callee is not None and callee != value.entity.lower():
            found[anomaly.id] = callee
    evidence.memo["series_callees"] = found
    return found


def _series_callee(metric: str, known: set[str], stems: dict[str, str]) -> str | None:
    parsed = metric_entity(metric)
    labels = parsed.labels
    if parsed.entity is None:
        return None
    for key in _CALLEE_LABELS:
        host = labels.get(key, "").strip().lower()
        # Istio's `unknown` and a selector's alternatives (`a|b`) name no one callee.
        if host and host != parsed.entity.name.lower() and host != "unknown" and "|" not in host:
            return _entity_key(host, known) or _host_key(host)
    client = "client" in labels.get("span_kind", "").lower() or "client" in parsed.measure.lower()
    if not client:
        return None
    for key in _RPC_LABELS:
        procedure = labels.get(key, "").strip().lower().lstrip("/")
        if not procedure:
            continue
        named = _procedure_callee(procedure, known, stems)
        if named is not None:
            return named
    return None


def _procedure_callee(procedure: str, known: set[str], stems: dict[str, str]) -> str | None:
    """The workload a called procedure names: a part of its service
    (`hipstershop.cartservice/getcart` -> `cartservice`), else the workload with the most
    name words all in it (`post_storage_read_posts_client` -> `post-storage-service`,
    `home_timeline_redis_find_client` -> `home-timeline-redis` rather than
    `home-timeline-service`), else the one workload whose distinctive word it uses."""
    service = procedure.split("/")[0]
    parts = [p for p in re.split(r"[.\s]", service) if p and not _VERSION_PART.match(p)]
    for part in reversed(parts):
        if part in known:
            return part
    words = set(re.split(r"[^a-z0-9]+", procedure))
    best: list[str] = []
    size = 0
    for workload in known:
        own = name_words(workload) - GENERIC_NAME_WORDS
        if own and own <= words:
            if len(own) > size:
                best, size = [workload], len(own)
            elif len(own) == size:
                best.append(workload)
    if len(best) == 1:
        return best[0]
    return stem_named(" ".join(parts), stems) if not best else None


def _discount_balancers(evidence: Evidence, profiles: dict[str, Profile]) -> None:
    """A load balancer passes on what its targets do: its 5xx and latency series, and its
    connections filling up, are their symptoms, no trouble of its own, when another entity
    shows trouble."""
    balancers = {
        a.value.entity.lower()
        for a in evidence.of(MetricAnomalySignal)
        if a.value.entity
        and a.value.kind in _OWN_TROUBLE_KINDS
        and measures_balancer(a.value.metric)
    }
    if not any(p.signals for k, p in profiles.items() if k not in balancers):
        return
    for key in balancers & set(profiles):
        profile = profiles[key]
        for kind in _OWN_TROUBLE_KINDS:
            profile.metric_score -= profile.kinds.pop(kind, 0.0)
        if profile.saturated_kinds <= {"connections"}:
            # Connections pile up at a balancer whose targets answer slowly: theirs too.
            profile.kinds.pop("saturation", None)
            profile.saturated_kinds.clear()


def _add_replaced_pods(evidence: Evidence, profiles: dict[str, Profile]) -> None:
    """A workload that lost a pod during the incident is in trouble of its own, even when
    nothing else names it (`sre.extractors.replaced`)."""
    for found in evidence.of(SignatureSignal):
        value = found.value
        if value.kind == _REPLACED and value.emitter and value.count_after > 0:
            _profile(profiles, value.emitter).replaced += value.count_after


def _add_signatures(evidence: Evidence, profiles: dict[str, Profile]) -> None:
    for found in evidence.of(SignatureSignal):
        value = found.value
        where = _entity_key(value.obj, profiles) or _entity_key(value.emitter, profiles)
        if where is None or value.count_after == 0:
            continue
        if value.category is None:
            if value.kind != _REPLACED:  # a replaced pod weighs in its own term
                profiles[where].symptoms += value.strength
        elif value.strength >= 1.0 and value.count_after > value.count_before:
            decisive = profiles[where].decisive
            decisive[value.category] = decisive.get(value.category, 0.0) + value.strength
        profiles[where].cite(found, value.strength)


def _entity_key(name: str | None, profiles: Container[str]) -> str | None:
    """The profile (or known workload) a name refers to: itself, its workload, or a host of
    it (`svc:8080`, `svc.ns.svc.cluster.local`)."""
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
    """Credit each entity with the errors of the callers whose lines name it (a bare
    address by the workload behind it, `sre.agents.hosts.address_owner`)."""
    owners = address_owners(evidence)
    stems = known_stems(evidence)
    known = known_workloads(evidence)
    for signal in evidence.of(EntityLogsSignal):
        caller = signal.value.workload.lower()
        named = (
            signal.value.names
            or _workload_named(signal, known, caller)
            or _stem_named(signal, stems, caller)
        )
        for name in named:
            callee = _entity_key(name, profiles) or _owner_key(name, owners, profiles)
            if callee is None or callee == caller:
                continue
            profiles[callee].named += signal.value.excess
            profiles[callee].callers.add(caller)
            profiles[callee].cite(signal, signal.value.excess)
    for failing in evidence.of(DependencyErrorsSignal):
        weight = float(max(0, failing.value.count_after - failing.value.count_before))
        if weight <= 0:
            continue
        # A host the errors point at is an entity even when it has no logs or series here.
        host = failing.value.host
        callee = (
            _entity_key(host, profiles) or _owner_key(host, owners, profiles) or _host_key(host)
        )
        _profile(profiles, callee).named += weight
        profiles[callee].cite(failing, weight)
    _link_unnamed_callers(evidence, profiles)


def _workload_named(signal: EntityLogsSignal, known: set[str], caller: str) -> list[str]:
    """The one other workload its rising error templates name as the party called
    (`Failed to read posts from post-storage-service`), when they name no host. Only names
    of two words or more count (a one-word name, `search`, is too often an ordinary word),
    and only after a word that points at a callee (a database's `user@db/app` prefix names
    its client)."""
    text = " ".join(t.template for t in signal.value.templates).lower()
    called = {m.group(1) for m in _CALLED.finditer(text)}
    named = [w for w in called if w in known and w != caller and len(name_words(w)) >= 2]
    return named if len(named) == 1 else []


# A name after a word that points at the party called (`from X`, `calling X`, `to X`).
_CALLED = re.compile(
    r"\b(?:from|to|on|calling|call|reach|reaching|contact|contacting|connect|connecting"
    r"|upstream)\s+([a-z0-9][a-z0-9_.-]*[a-z0-9])"
)


def _stem_named(signal: EntityLogsSignal, stems: dict[str, str], caller: str) -> list[str]:
    """The callee a caller's failed calls name by what it serves (`stem_named`), when
    its errors name no host: `failed to retrieve ads` from the frontend names `adservice`."""
    if signal.value.call_failures < CALLER_SHARE:
        return []
    text = " ".join(t.template for t in signal.value.templates)
    named = stem_named(text, stems, caller)
    return [named] if named else []


def _owner_key(address: str, owners: dict[str, str], profiles: dict[str, Profile]) -> str | None:
    owner = owners.get(address)
    if owner is None:
        return None
    _profile(profiles, owner)
    return owner


# Share of a caller's excess that must be failed calls for it to count as a caller, and the
# kinds of an entity's own series that show trouble of its own.
CALLER_SHARE = 0.5
_OWN_TROUBLE_KINDS = frozenset({"errors", "latency"})


def _is_caller(profile: Profile) -> bool:
    return profile.log_excess > 0 and profile.call_excess >= CALLER_SHARE * profile.log_excess


def _link_unnamed_callers(evidence: Evidence, profiles: dict[str, Profile]) -> None:
    """Credit the entities with trouble of their own with the failed calls of callers whose
    errors name no one (see the module docstring)."""
    callers = [k for k, p in profiles.items() if _is_caller(p) and not p.names_others]
    if not callers:
        return
    own = [
        k
        for k, p in profiles.items()
        if not _is_caller(p)
        and (
            p.log_excess > 0
            or p.replaced > 0
            or any(p.kinds.get(kind, 0.0) > 0 for kind in _OWN_TROUBLE_KINDS)
        )
    ]
    if not own:
        return
    by_id = {s.id: s for s in evidence.of(EntityLogsSignal)}
    for caller in callers:
        # What names a relay names the path through it: its callers' errors pass on too.
        share = (profiles[caller].call_excess + profiles[caller].named) / len(own)
        # Its failed calls are the callees' evidence now, not its own trouble.
        profiles[caller].log_excess -= profiles[caller].call_excess
        profiles[caller].named = 0.0
        # Its error rate and latency are its view of those calls too.
        for kind in _OWN_TROUBLE_KINDS:
            profiles[caller].metric_score -= profiles[caller].kinds.pop(kind, 0.0)
        cited = [sid for sid in profiles[caller].signals if sid in by_id]
        for callee in own:
            profiles[callee].named += share
            profiles[callee].callers.add(caller)
            for sid in cited:
                profiles[callee].cite(by_id[sid], share)


def _host_key(host: str) -> str:
    """A host's entity name: without its port (`prod-db:3333` -> `prod-db`)."""
    return host.lower().rsplit(":", 1)[0] if host.count(":") == 1 else host.lower()


def rank_profiles(
    profiles: dict[str, Profile], weights: Weights = DEFAULT_WEIGHTS
) -> list[tuple[Profile, float]]:
    """Profiles with their strength, best first (see the module docstring)."""
    spread: dict[str, int] = {}
    for profile in profiles.values():
        for kind, score in profile.kinds.items():
            if score > 0:
                spread[kind] = spread.get(kind, 0) + 1
    spread["pattern"] = sum(1 for p in profiles.values() if p.pattern_shift > 0) or 1
    spread["silenced"] = sum(1 for p in profiles.values() if p.silenced > 0) or 1
    raw = {key: strength(p, spread, weights) for key, p in profiles.items()}
    top = max(raw, key=lambda k: (raw[k], k))
    for caller in profiles[top].callers:
        if caller in raw and caller != top:
            raw[caller] *= weights.explained
    return sorted(((profiles[k], v) for k, v in raw.items()), key=lambda kv: (-kv[1], kv[0].name))


def strength(profile: Profile, spread: dict[str, int], weights: Weights = DEFAULT_WEIGHTS) -> float:
    """How much anomalous evidence one entity accounts for (see the module docstring).

    `spread` counts the entities showing each kind of evidence (metric kinds, `pattern`,
    `silenced`): the rarer a kind across the system, the more it says about one entity.
    """
    metrics = 0.0
    for kind, score in profile.kinds.items():
        if kind == "saturation" or score <= 0:
            continue
        weight = 1.0 if kind in RESOURCE_KINDS else weights.symptom_kind
        metrics += weight * score / spread[kind]
    if profile.kinds.get("saturation", 0.0) > 0:
        metrics += weights.saturation / spread.get("saturation", 1)
    return (
        math.log1p(profile.log_excess)
        + weights.chronic * math.log1p(profile.errors_after)
        + weights.pattern * profile.pattern_shift / spread.get("pattern", 1)
        + weights.silenced * math.log1p(profile.silenced) / spread.get("silenced", 1)
        + metrics
        + weights.named * math.log1p(profile.named)
        + weights.symptom * min(1.0, profile.symptoms)
        + weights.replaced * min(1.0, profile.replaced)
    )


def category_of(profile: Profile) -> str:
    """The category the entity's evidence points at (see the module docstring)."""
    resource = sum(v for k, v in profile.kinds.items() if k in RESOURCE_KINDS)
    saturated = profile.kinds.get("saturation", 0.0) > 0
    database = is_database(profile.name)
    if is_external_host(profile.name) and not database:
        # A third party's API has no resources of ours to run out of: its throttling and
        # slowness are a dependency failing us.
        return "dependency_failure"
    if profile.decisive:
        # A decisive signature about it (its pods OOMKilled, its failover) says why.
        return max(sorted(profile.decisive), key=lambda c: profile.decisive[c])
    # A database out of memory or disk ran out of a resource (the taxonomy's
    # resource_exhaustion); its connections, locks, lag or load are the database's own.
    capacity_only = profile.saturated_kinds and profile.saturated_kinds <= _CAPACITY_KINDS
    if database and saturated and capacity_only:
        return "resource_exhaustion"
    if database and (resource > 0 or saturated):
        return "database"
    # Symptom kinds (latency, errors) weigh `symptom_kind` here as in `strength`: a
    # CPU-throttled service's slowness is what its throttling does.
    symptoms = sum(v for k, v in profile.kinds.items() if k not in RESOURCE_KINDS | {"saturation"})
    weighted = resource + DEFAULT_WEIGHTS.symptom_kind * symptoms
    if saturated or (resource > 0 and resource >= RESOURCE_SHARE * weighted):
        return "resource_exhaustion"
    surge = profile.traffic_up > 0 and profile.traffic_up >= 0.5 * profile.metric_score
    if surge and (_is_edge(profile.name) or profile.log_excess == 0):
        return "traffic_surge"
    # A database failing is the database itself (the taxonomy's `database`), whether its own
    # logs say so or only its callers do.
    return "database" if database else "dependency_failure"


def _hypothesis(profile: Profile, dominance: float, category: str) -> Hypothesis:
    weight = min(DOMINANCE_WEIGHT * dominance, MAX_CONFIDENCE - CONFIDENCE_FLOOR)
    label, description = _describe(profile, category)
    cited = sorted(profile.signals, key=lambda sid: -profile.signals[sid])[:6]
    metric = profile.best_metric
    series = (
        [metric.value.metric] if metric is not None and category != "dependency_failure" else []
    )
    return hypothesis(
        label=label,
        description=description,
        category=category,
        suspects=[profile.name, *profile.pods[:2], *series],
        weights=[weight],
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
    elif profile.errors_after:
        parts.append(f"{profile.errors_after} error records")
    if profile.pattern_shift > 0:
        parts.append(f"its log pattern shifted ({profile.pattern_shift:.0%} of its lines moved)")
    if profile.silenced_line:
        parts.append(f"its steady {profile.silenced_line} lines stopped")
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
