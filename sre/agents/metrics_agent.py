"""MetricsAgent: what the metric shifts say about the cause.

Metrics rarely name a culprit on their own; they say which resource moved and when. The
rules tie that to the other sources: a metric pinned at a config limit that just changed,
a metric family a changed key governs moving after the deploy, database load rising with
request rate flat right after data-access code changed; and, with nothing changed, a
request surge followed by saturation, memory or disk running out, or the database
degrading on its own.
"""

from __future__ import annotations

import re

from alpha.schemas import Hypothesis
from sre.agents.base import (
    MEDIUM,
    STRONG,
    WEAK,
    AgentBrief,
    Evidence,
    SpecialistAgent,
    hypothesis,
    merge_candidates,
)
from sre.agents.bumps import bump_links
from sre.agents.dimensions import PEER_FACTOR, shared_unit
from sre.agents.hosts import (
    configured_peers,
    failing_hosts,
    host_tokens,
    is_db_host,
    only_load_generators_fail_on,
    url_host,
)
from sre.agents.patterns import DEPENDENCY_FAULTS, metric_families, tokens
from sre.agents.reading import flatten_items, fmt_value, metric_direction, metric_name, short_sha
from sre.agents.relations import (
    SURGE_RATIO,
    change_touching_host,
    changed_keys_explaining,
    config_links,
    growth_ratio,
    rising_metrics,
    surging_traffic,
)
from sre.extractors.entities import metric_entity
from sre.extractors.measures import measure_of, series_measure
from sre.signals import (
    MetricAnomalySignal,
    MetricGrowthSignal,
    MetricSaturationSignal,
    MetricSignal,
    MetricValueSignal,
)

# Families whose rise after a surge shows the service saturating under the load.
_SATURATION = frozenset({"cpu", "latency", "connections", "queue", "errors", "threads", "memory"})
_RESOURCE = {
    "memory": "Memory",
    "disk": "Disk",
    "fd": "File descriptors",
    "threads": "Threads",
    "cpu": "CPU",
}
_RESOURCE_SYMPTOM = {"memory": "oom", "disk": "disk", "fd": "fd", "threads": "thread_pool"}
# Lag, locks and long transactions; a node entering or leaving recovery, or a promotion, is a
# failover: the database's own event.
_DB_STRONG_WORDS = (
    *("lag", "replication", "lock", "deadlock", "slow", "transaction", "wait"),
    *("recovery", "failover", "promot"),
)
_FULL = 0.9
_INFRA_FAMILIES = frozenset({"dns", "node", "network"})


class MetricsAgent(SpecialistAgent):
    """Rules over metric anomalies, saturation, growth and notable values."""

    name = "MetricsAgent"
    model = "google/gemini-2.0-flash"
    brief = AgentBrief("metrics: latency, errors, saturation and growth", ("metrics",))

    def candidates_from(self, evidence: Evidence) -> list[Hypothesis]:
        """Hypotheses from the metric evidence, cross-referenced with config and commits."""
        surge = _traffic_surge(evidence)
        found: list[Hypothesis] = []
        found += config_links(evidence, logs=False)
        found += surge
        found += _resources(evidence, surge=bool(surge))
        found += _depleted(evidence)
        found += _infrastructure_by_unit(evidence)
        found += _dependencies(evidence)
        if not surge:
            found += _unnamed_dependency(evidence)
            found += _query_amplification(evidence)
            found += _database(evidence)
        return merge_candidates(found)


def _changed_key_explains(evidence: Evidence, metric_family: str) -> bool:
    return bool(changed_keys_explaining(evidence, metric_family=metric_family))


# Series of requests arriving at the system's front door (API Gateway, a load balancer, an
# ingress or CDN), and of work a function or consumer does inside it.
_ENTRY_TRAFFIC = re.compile(
    r"api_?gateway|apigw|requestcount|loadbalancer|\b[ae]lb\b|ingress|cloudfront|nginx|envoy"
    r"|istio_requests|frontend|front-end|\bedge\b",
    re.I,
)
_INTERNAL_TRAFFIC = re.compile(r"invocations|lambda|consumed|messages", re.I)


def _internal_surge(evidence: Evidence, top: MetricSignal) -> bool:
    """Whether a surge is work inside the system the front door did not see: a function's
    invocations rising while the entry's request series exist and did not surge (retries of
    failing batches, a backlog draining, a fan-out), which is no demand from outside."""
    if not _INTERNAL_TRAFFIC.search(metric_name(top)):
        return False
    entries = {
        n
        for n in evidence.incident.metrics
        if _ENTRY_TRAFFIC.search(n) and series_measure(n, None).kind == "traffic"
    }
    surged = any(
        metric_name(s) in entries and metric_direction(s) == "up" and growth_ratio(s) >= SURGE_RATIO
        for s in evidence.of(MetricAnomalySignal, MetricGrowthSignal)
    )
    return bool(entries) and not surged


def _traffic_surge(evidence: Evidence) -> list[Hypothesis]:
    surges = surging_traffic(evidence)
    if not surges:
        return []
    top = max(surges, key=growth_ratio)
    saturated = [s for s in rising_metrics(evidence, _SATURATION) if s.id != top.id]
    weights = [STRONG if growth_ratio(top) >= 2 * SURGE_RATIO else MEDIUM]
    if saturated:
        weights.append(MEDIUM if len(saturated) == 1 else MEDIUM + WEAK)
    shed = evidence.symptom_signals("load_shed") + evidence.symptom_signals("rate_limited")
    if shed:
        weights.append(WEAK)
    if _changed_key_explains(evidence, "traffic") or _internal_surge(evidence, top):
        weights = [WEAK]
    return [
        hypothesis(
            label=f"Request surge: {metric_name(top)} {growth_ratio(top):.1f}x baseline",
            description=(
                f"{metric_name(top)} rose from {fmt_value(_start(top))} to "
                f"{fmt_value(_end(top))}"
                + (
                    f"; {', '.join(metric_name(s) for s in saturated[:3])} followed"
                    if saturated
                    else ""
                )
                + "."
            ),
            category="traffic_surge",
            suspects=[metric_name(top)],
            weights=weights,
            signals=[top.id, *(s.id for s in saturated[:3]), *(s.id for s in shed[:2])],
        )
    ]


def _resources(evidence: Evidence, *, surge: bool) -> list[Hypothesis]:
    found = []
    for family, title in _RESOURCE.items():
        # CPU pinned under a request surge is the surge's effect, not a cause of its own.
        if family == "cpu" and surge:
            continue
        # The service's own CPU or worker threads pinned are more often an effect (of load,
        # of a slow dependency) than a cause, so they weigh less than memory or disk.
        cap = MEDIUM if family in ("cpu", "threads") else STRONG
        mine = [
            s
            for s in evidence.of(
                MetricGrowthSignal, MetricSaturationSignal, MetricValueSignal, MetricAnomalySignal
            )
            # A database's own resources belong to the database rule.
            if family in (families := metric_families(metric_name(s))) and "db" not in families
        ]
        growth = [
            s for s in mine if isinstance(s, MetricGrowthSignal) and s.value.monotonic_share >= 0.7
        ]
        full = [
            s for s in mine if not isinstance(s, MetricGrowthSignal) and _utilization(s) >= _FULL
        ]
        jumped = [
            s
            for s in mine
            if isinstance(s, MetricAnomalySignal)
            and s.value.direction == "up"
            and growth_ratio(s) >= 2
            and s not in full
        ]
        if not growth and not full and not jumped:
            continue
        weights = []
        if growth:
            weights.append(MEDIUM)
        if full:
            weights.append(cap if not growth else MEDIUM)
        if jumped and not weights:
            weights.append(WEAK)
        logs = (
            evidence.symptom_signals(_RESOURCE_SYMPTOM[family])
            if family in _RESOURCE_SYMPTOM
            else []
        )
        if logs:
            weights.append(WEAK)
        if _changed_key_explains(evidence, family):
            weights = [WEAK]
        signals: list[MetricSignal] = [*growth, *full, *jumped]
        state = "grows steadily" if growth else "is at its limit" if full else "jumped"
        found.append(
            hypothesis(
                label=f"{title} running out ({metric_name(signals[0])})",
                description=(
                    f"{metric_name(signals[0])} {state}"
                    + (" and the logs confirm it" if logs else "")
                    + "."
                ),
                category="resource_exhaustion",
                suspects=_entities_first(signals),
                weights=weights,
                signals=[s.id for s in signals[:4]] + [s.id for s in logs[:2]],
            )
        )
    return found


def _infrastructure_by_unit(evidence: Evidence) -> list[Hypothesis]:
    """Infrastructure metrics that moved, named by the zone or node they share when one
    stands out: the unit explains them, so the two are one hypothesis naming the unit."""
    generic = _infrastructure(evidence)
    unit = _shared_unit(evidence)
    if not unit or not generic:
        return generic + unit
    mine, other = unit[0], generic[0]
    signals = list(dict.fromkeys(mine.supporting_signals + other.supporting_signals))
    confidence = max(mine.confidence, other.confidence)
    return [mine.model_copy(update={"confidence": confidence, "supporting_signals": signals})]


def _shared_unit(evidence: Evidence) -> list[Hypothesis]:
    """One zone or node that most harmful departures share while its siblings stay healthy
    (`sre.agents.dimensions`): that unit is failing, whichever services it carries."""
    unit = shared_unit(evidence)
    if unit is None:
        return []
    if unit.led:
        why = (
            f"in {unit.led} famil{'y' if unit.led == 1 else 'ies'} of like series, its "
            f"departure is at least {PEER_FACTOR:g}x its sibling {unit.kind}s'"
        )
        sure = unit.led >= 2
    else:
        why = (
            f"{unit.anomalous} of its {unit.total} series departed harmfully "
            f"({unit.share:.0%} of such departures among series naming a {unit.kind}), "
            f"{unit.contrast:.0%} more often than the series of the other {unit.kind}s"
        )
        sure = unit.share >= 0.8
    return [
        hypothesis(
            label=f"{unit.kind.capitalize()} {unit.value} is degraded",
            description=f"{why}: the trouble follows the {unit.kind}, not a service.",
            category="infrastructure",
            suspects=[unit.value],
            weights=[STRONG if sure else MEDIUM],
            signals=list(unit.signals[:6]),
        )
    ]


def _entities_first(signals: list[MetricSignal]) -> list[str]:
    """The entities the series measure (the thing to act on), then the series themselves."""
    names = list(dict.fromkeys(metric_name(s) for s in signals))
    owners = [e.workload for n in names if (e := metric_entity(n).entity) is not None]
    return list(dict.fromkeys(owners))[:2] + names[:3]


def _depleted(evidence: Evidence) -> list[Hypothesis]:
    """Free space or credits run down to almost nothing of their own peak: the entity they
    measure ran out (a database out of storage, an instance out of CPU credits), whatever
    the symptoms elsewhere. One hypothesis per entity, the entity named first."""
    by_entity: dict[str, list[MetricSaturationSignal]] = {}
    for signal in evidence.of(MetricSaturationSignal):
        # A nameless series names nothing to act on.
        if signal.value.depleted and signal.value.metric.strip():
            subject = metric_entity(signal.value.metric).entity
            owner = subject.workload if subject is not None else signal.value.metric
            by_entity.setdefault(owner, []).append(signal)
    found = []
    for owner, signals in by_entity.items():
        names = [s.value.metric for s in signals]
        found.append(
            hypothesis(
                label=f"{owner} ran out ({', '.join(metric_entity(n).measure for n in names)})",
                description="; ".join(s.description for s in signals) + ".",
                # Storage or credits used up: a resource ran out (the taxonomy's
                # resource_exhaustion), a database's or not.
                category="resource_exhaustion",
                suspects=[owner, *names],
                weights=[STRONG],
                signals=[s.id for s in signals],
            )
        )
    return found


def _utilization(
    signal: MetricAnomalySignal | MetricSaturationSignal | MetricValueSignal,
) -> float:
    if isinstance(signal, MetricSaturationSignal):
        return signal.value.utilization
    # An anomaly or a bare value is "full" only when it is a percentage or a ratio.
    current = signal.value.current
    unit = signal.value.unit or ""
    name = metric_name(signal).lower()
    if "%" in unit or "percent" in name or "pct" in name:
        return current / 100.0
    if "ratio" in name or "utilization" in name:
        return current if current <= 1.5 else current / 100.0
    return 0.0


def _start(signal: MetricAnomalySignal | MetricGrowthSignal) -> float:
    """Where a moved metric started: a shift's baseline, a growth's first point."""
    return signal.value.baseline if isinstance(signal, MetricAnomalySignal) else signal.value.first


def _end(signal: MetricAnomalySignal | MetricGrowthSignal) -> float:
    """Where a moved metric ended: a shift's current level, a growth's last point."""
    return signal.value.current if isinstance(signal, MetricAnomalySignal) else signal.value.last


def _baseline(signal: MetricSignal) -> float | None:
    """A level shift's baseline (None for other metric signals)."""
    return signal.value.baseline if isinstance(signal, MetricAnomalySignal) else None


def _current(signal: MetricSignal) -> float | None:
    """The current level of a shift, a saturation or a lone value (None for a growth)."""
    return None if isinstance(signal, MetricGrowthSignal) else signal.value.current


def _db_load(evidence: Evidence) -> list[MetricSignal]:
    return rising_metrics(evidence, frozenset({"db"}))


def _query_amplification(evidence: Evidence) -> list[Hypothesis]:
    """Database load up after data-access code changed, with request rate flat: a query
    regression (N+1, missing index, longer transactions) shipped in that commit."""
    load = _db_load(evidence)
    # A query regression loads the database with the first real traffic, not a day later.
    if not load or evidence.is_very_stale():
        return []
    # Credits that were already running out before the deploy throttle the database's CPU
    # whatever shipped: every query then takes longer, and its load rises on its own.
    drained = _credits_drained_before_deploy(evidence)
    found = []
    for commit in evidence.data_access_commits():
        sha = commit.value.sha
        weights = [MEDIUM, WEAK] if max(growth_ratio(s) for s in load) >= 3 else [MEDIUM]
        weights.extend(evidence.staleness())
        if drained:
            weights = [WEAK]
        found.append(
            hypothesis(
                label=f"Commit {short_sha(sha)} raised database load",
                description=(
                    f"{', '.join(metric_name(s) for s in load[:3])} rose after the deploy while "
                    f"request rate stayed flat; commit {short_sha(sha)} changed data-access code."
                ),
                category="code_regression",
                suspects=[sha],
                weights=weights,
                signals=[commit.id, *(s.id for s in load[:3])],
            )
        )
    return found


def _credits_drained_before_deploy(evidence: Evidence) -> bool:
    """Whether a CPU-credit or burst balance that ran out was already below half its peak
    when the deploy landed (its drain began before the change)."""
    deployed = evidence.incident.deployed_at
    if deployed is None:
        return False
    for full in evidence.of(MetricSaturationSignal):
        name = full.value.metric
        if not full.value.depleted or series_measure(name, None).kind != "credits":
            continue
        metric = evidence.incident.metrics.get(name)
        points = getattr(metric, "points", None)
        if not points:
            continue
        peak = max(v for _, v in points)
        before = [v for t, v in points if t <= deployed]
        if before and peak > 0 and before[-1] < 0.5 * peak:
            return True
    return False


def _database(evidence: Evidence) -> list[Hypothesis]:
    # The most telling series first: locks, lag and long transactions, then the biggest moves.
    load = sorted(_db_load(evidence), key=lambda s: (not _db_strong(s), -growth_ratio(s)))
    if not load:
        return []
    strong = [s for s in load if _db_strong(s)]
    weights = [STRONG if strong else MEDIUM]
    if len(load) >= 2:
        weights.append(WEAK)
    changed = _changed_key_explains(evidence, "db") or _changed_key_explains(
        evidence, "connections"
    )
    # Same rule as the LogAgent's: logging-only changes, or any change long before the
    # trouble began, do not explain the database degrading; a bumped library that the new
    # trouble names is a recent change on the path too.
    if changed or evidence.data_access_changed() or bump_links(evidence):
        weights = [WEAK]
    names = list(dict.fromkeys(metric_name(s) for s in load[:3]))
    return [
        hypothesis(
            label=f"Database degraded ({', '.join(names)} up)",
            description=(
                "Database metrics rose with request rate flat: "
                + ", ".join(
                    f"{metric_name(s)} {fmt_value(_baseline(s))} -> {fmt_value(_current(s))}"
                    for s in load[:3]
                )
                + "."
            ),
            category="database",
            suspects=names,
            weights=weights,
            signals=[s.id for s in load[:4]],
        )
    ]


def _db_strong(signal: MetricSignal) -> bool:
    """Whether a database series is one of the most telling (locks, lag, failover, ...)."""
    return any(w in metric_name(signal).lower() for w in _DB_STRONG_WORDS)


def _volume_only(signal: MetricAnomalySignal | MetricGrowthSignal) -> bool:
    """Whether a series only measures how much goes through a network (bytes, packets,
    requests): it moves with load for innocent reasons, so it says nothing of a fault
    below the application by itself (drops, retransmits and DNS errors do)."""
    name = metric_entity(metric_name(signal))
    return measure_of(name.measure, signal.value.unit).kind in (
        "network",
        "traffic",
    )


def _infrastructure(evidence: Evidence) -> list[Hypothesis]:
    """DNS, node or network metrics degrading: a fault below the application."""
    moved = [
        s
        for s in evidence.of(MetricAnomalySignal, MetricGrowthSignal)
        if metric_families(metric_name(s)) & _INFRA_FAMILIES and not _volume_only(s)
    ]
    if not moved:
        return []
    drastic = any(growth_ratio(s) >= 3 or growth_ratio(s) <= 0.5 for s in moved)
    weights = [STRONG if drastic else MEDIUM]
    if len(moved) >= 2:
        weights.append(WEAK)
    return [
        hypothesis(
            label=f"Infrastructure degraded ({', '.join(metric_name(s) for s in moved[:2])})",
            description=(
                "Infrastructure metrics moved: "
                + ", ".join(
                    f"{metric_name(s)} {fmt_value(_start(s))} -> {fmt_value(_end(s))}"
                    for s in moved[:3]
                )
                + "."
            ),
            category="infrastructure",
            suspects=[metric_name(s) for s in moved[:3]],
            weights=weights,
            signals=[s.id for s in moved[:4]],
        )
    ]


def _dependencies(evidence: Evidence) -> list[Hypothesis]:
    """A failing dependency (from the logs) whose own latency or error metric jumped."""
    found = []
    for trouble in failing_hosts(evidence):
        host = trouble.hosts[0]
        symptoms = trouble.symptoms()
        if any(is_db_host(h) or change_touching_host(h, evidence, symptoms) for h in trouble.hosts):
            continue
        if only_load_generators_fail_on(trouble):
            continue  # the front door: the system's failure, located behind it
        # A failed TLS handshake is the certificate's fault even when it surfaces as
        # `Unavailable`: the peer's error metric rising does not make the peer the cause.
        if not symptoms & DEPENDENCY_FAULTS or "tls" in symptoms:
            continue
        words = host_tokens(host)
        named = [
            s
            for s in evidence.of(MetricAnomalySignal)
            if words & tokens(metric_name(s).replace(".", "_")) and s.value.direction == "up"
        ]
        if not named:
            continue
        found.append(
            hypothesis(
                label=f"{host} degraded ({metric_name(named[0])} {growth_ratio(named[0]):.1f}x)",
                description=(
                    f"{metric_name(named[0])} rose from "
                    f"{fmt_value(named[0].value.baseline)} "
                    f"to {fmt_value(named[0].value.current)}, and the logs show errors "
                    f"to {host}."
                ),
                category="dependency_failure",
                suspects=[host],
                weights=[MEDIUM, WEAK] if growth_ratio(named[0]) >= 3 else [MEDIUM],
                signals=[*(s.id for s in named[:2]), trouble.signals[0].id],
            )
        )
    return found


# `<peer>_<marker>_...` metric names measure one downstream peer (`geo_client_p99_ms`,
# `tax_service_call_latency`, `upstream_ledger_errors`): the marker says it is outbound.
_PEER_MARKER = re.compile(
    r"^(?:(?:upstream|downstream|outbound|dependency|dep|external)_)?(?P<peer>[a-z][a-z0-9]*"
    r"(?:_[a-z][a-z0-9]*){0,2}?)_(?:client|call|calls|rpc|upstream)(?:_|$)",
)
# Prefixes that name a protocol or the service itself, not a peer (`http_client_errors`).
_NOT_PEERS = frozenset({"http", "https", "grpc", "rpc", "api", "app", "service", "server", "total"})
_PEER_SYMPTOMS = ("timeout", "http_5xx", "refused", "circuit_open")


def _unnamed_dependency(evidence: Evidence) -> list[Hypothesis]:
    """New timeouts, 5xx or throttling that name no host, while the latency or errors of
    calls to one peer (by its metric's name) jumped: that peer is failing.

    A metric names a peer by an outbound marker (`geo_client_p99_ms`) or by leading with the
    name of a dependency the config gives an endpoint to (`s3_request_latency_p99_ms` with
    `s3.endpoint_url` configured). Fills the gap the log rules leave when error lines only
    say "request timed out"; it stays out when the logs name a failing host (the log rules
    own that) or a recent change touches the peer.
    """
    if failing_hosts(evidence):
        return []
    kinds = _PEER_SYMPTOMS if surging_traffic(evidence) else (*_PEER_SYMPTOMS, "rate_limited")
    symptoms = list({s.id: s for k in kinds for s in evidence.symptom_signals(k)}.values())
    if not symptoms:
        return []
    own = evidence.service_tokens()
    configured = configured_peers(evidence)
    by_peer: dict[str, list[MetricAnomalySignal]] = {}
    for signal in evidence.of(MetricAnomalySignal):
        name = metric_name(signal).lower()
        families = metric_families(name)
        if "db" in families or not families & {"latency", "errors"}:
            continue
        peer = _peer_of(name, configured)
        if peer is None or peer in _NOT_PEERS or set(peer.split("-")) <= own:
            continue
        if _jumped(signal) and not change_touching_host(peer, evidence):
            by_peer.setdefault(peer, []).append(signal)
    found = []
    for peer, moved in by_peer.items():
        top = moved[0]
        hosts = configured.get(peer) or _configured_hosts(evidence, peer)
        found.append(
            hypothesis(
                label=f"{peer} failing ({metric_name(top)} {_jump_text(top)})",
                description=(
                    f"Calls to {peer} degraded: "
                    + ", ".join(
                        f"{metric_name(m)} {fmt_value(m.value.baseline)} -> "
                        f"{fmt_value(m.value.current)}"
                        for m in moved[:3]
                    )
                    + " while new timeouts, server errors or throttling appeared; no recent "
                    "change touches it."
                ),
                category="dependency_failure",
                suspects=[*hosts[:1], peer, metric_name(top)],
                # Its latency and its errors both jumping is more than one series moving.
                weights=[MEDIUM, WEAK, WEAK] if len(moved) >= 2 else [MEDIUM, WEAK],
                signals=[*(m.id for m in moved[:3]), *(s.id for s in symptoms[:3])],
            )
        )
    return sorted(found, key=lambda h: -h.confidence)[:2]


def _peer_of(name: str, configured: dict[str, list[str]]) -> str | None:
    """The peer a metric measures calls to, or None when its name names none."""
    match = _PEER_MARKER.match(name)
    if match is not None:
        return match.group("peer").replace("_", "-")
    lead = name.split("_", 1)[0]
    return lead if lead in configured else None


def _jumped(signal: MetricAnomalySignal) -> bool:
    """Up at least 3x, or up from zero (an error series that had none)."""
    if signal.value.direction != "up":
        return False
    return growth_ratio(signal) >= 3 or (signal.value.baseline == 0 and signal.value.current > 0)


def _jump_text(signal: MetricAnomalySignal) -> str:
    ratio = growth_ratio(signal)
    return f"{ratio:.1f}x" if ratio else f"from {fmt_value(signal.value.baseline)}"


def _configured_hosts(evidence: Evidence, peer: str) -> list[str]:
    """Hosts in the service's config (URLs, addresses) whose name contains every token of
    the peer (`fx-rates` -> `https://fx-rates.internal`): the name a responder pages."""
    wanted = tokens(peer.replace("-", "_"))
    found: dict[str, None] = {}
    for _, value in flatten_items(evidence.incident.config_snapshot):
        if not isinstance(value, str) or "." not in value:
            continue
        host = url_host(value)
        if host and "." in host and wanted <= host_tokens(host):
            found.setdefault(host, None)
    return list(found)
