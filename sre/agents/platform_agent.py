"""PlatformAgent: decisive platform signatures (Kubernetes, databases, DNS, TLS, runtimes).

One `OOMKilled`, one `x509: certificate has expired`, a run of `NXDOMAIN` decide a cause on
their own, with no baseline and no change to blame (`sre.extractors.signatures`). The agent
turns the `signature` findings into hypotheses, one per kind:

- the category is the signature's; a full disk or storage of a database entity is
  `database`, of anything else `resource_exhaustion`;
- the suspects are what to act on: the objects the lines name (the host that does not
  resolve, the missing Secret, the service with no instances), then the workloads emitting
  lines that name none, then the hosts the lines point at; DNS failures add `dns`; a
  missing variable or object that a recent commit mentions adds that commit; metric
  series of the same resource that departed or saturated (a disk filling beside `No space
  left on device`) corroborate it: they are cited and named, and add `CORROBORATION`; an
  image that cannot be pulled puts a changed config key naming an image or tag
  (`catalog-api.image.tag`) and its commit first;
- a database signature that names no database takes the database hosts the errors talk
  to, or the service is configured with (`sre.agents.hosts`);
- callers that find no instance of a service they do not name (Envoy's `upstream connect
  error`, `no healthy upstream`) are not that service: their own names are no suspects; the
  one workload the lines name by what it serves is (`could not retrieve cart` ->
  `cartservice`, `sre.agents.hosts.stem_named`);
- a service the lines say is gone (no instances, no healthy upstream) that kept logging at
  its usual rate is up: the callers' view is stale or partial, and the signature keeps
  `UP_FACTOR`;
- a hypothesis with nothing more precise to act on (no object, emitter, host or series)
  names the incident's service (lines with no emitter are its own) and keeps
  `UNNAMED_FACTOR` of its confidence: it says what happened, not where;
- confidence: `0.45 + 0.35 * strength`, plus `VOLUME_BONUS` for at least `MANY` lines;
  a signature no more frequent than before the split (`steady`, chronic) keeps
  `CHRONIC_FACTOR` of it, one whose rise is unclear `UNCLEAR_FACTOR`;
- a signature a recent change can explain (a pool, memory or threads running out, locks
  piling up after a deploy) is the change's symptom, not its cause: it keeps
  `CHANGE_FACTOR` and the change agents decide;
- an application's pool of connections or threads running out while the database shows
  trouble of its own (locks, a failover, replica lag, throttling or full storage in its
  lines; a database entity's latency, CPU, lag or locks departing in the harmful way), or
  while a service it calls times out or answers 5xx, is the slow party's symptom:
  connections and threads are held for as long as it makes them wait; so is one whose
  logins are newly refused (a rotated password): no connection it opens is kept. It keeps
  `DB_SYMPTOM_FACTOR`, and the slow party's own hypotheses lead;
- names of pods behind a headless Service (`redis-0.redis.shop.svc.cluster.local`) that
  stop resolving while nodes go NotReady or pods are evicted say those pods are gone (their
  records leave with them), not that DNS fails: the DNS hypothesis keeps
  `GONE_POD_FACTOR`, and the node or eviction leads;
- certificates "expired" and credentials refused while a host's clock is wrong (its
  lines say so, or a clock-offset series departed) are judged against that clock: they
  keep `CLOCK_SYMPTOM_FACTOR`, and the clock leads.

Symptom signatures (a crash loop, failing probes) have no category: they say an entity is
in trouble, not why, and are left to the TopologyAgent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from alpha.schemas import Hypothesis
from sre.agents.base import AgentBrief, Evidence, SpecialistAgent, hypothesis, merge_candidates
from sre.agents.credentials import credential_refs
from sre.agents.hosts import config_db_hosts, host_tokens, is_db_host, known_stems, stem_named
from sre.agents.patterns import tokens
from sre.agents.topology_agent import is_database
from sre.extractors.entities import metric_entity, pod_workload
from sre.extractors.measures import measure_of
from sre.signals import (
    CommitSignal,
    ConfigChangeSignal,
    DependencyErrorsSignal,
    MetricAnomalySignal,
    MetricGrowthSignal,
    MetricSaturationSignal,
    SignatureSignal,
)

VOLUME_BONUS = 0.05
# How a steadily growing memory series ranks among departures (robust z) as corroboration.
GROWTH_SCORE = 2.0
MANY = 5
CHRONIC_FACTOR = 0.25
UNCLEAR_FACTOR = 0.7
CHANGE_FACTOR = 0.6
UNNAMED_FACTOR = 0.5
UP_FACTOR = 0.4
DB_SYMPTOM_FACTOR = 0.6
CLOCK_SYMPTOM_FACTOR = 0.5
GONE_POD_FACTOR = 0.5
# A StatefulSet pod's own DNS name under its headless Service: `<name>-<ordinal>.<service>.
# <namespace>.svc[.cluster.local]`.
_POD_DNS_NAME = re.compile(r"^[a-z0-9-]+-\d+\.[a-z0-9-]+\.[a-z0-9-]+\.svc(?:\.cluster\.local)?\.?$")
# Signatures that take pods away.
_PODS_GONE_KINDS = frozenset({"node_not_ready", "evicted"})
CORROBORATION = 0.05
# Signatures its callers log about a service (no instances, no healthy upstream).
_DISCOVERY = "discovery"
# The metric kinds (`sre.extractors.measures`) that show the same resource running out.
# Series of a clock's offset or synchronisation (node_exporter's `node_timex_*`, chrony's
# and NTP exporters'): the kind `_series_by_kind` files them under.
_CLOCK = "clock"
_CLOCK_SERIES = re.compile(r"timex|clock_?(?:skew|offset|drift)|(?:^|[._])ntp|chrony", re.I)
# Signatures that judge time: a wrong clock makes valid certificates and tokens look bad.
_CLOCK_SYMPTOMS = frozenset({"tls_expired", "auth_failed"})
_CORROBORATING_KINDS: dict[str, frozenset[str]] = {
    "disk_full": frozenset({"disk", "free_disk"}),
    "db_storage_full": frozenset({"disk", "free_disk"}),
    "evicted": frozenset({"disk", "free_disk", "memory", "free_memory"}),
    "oom_killed": frozenset({"memory", "free_memory"}),
    "runtime_oom": frozenset({"memory", "free_memory", "gc"}),
    "fd_exhausted": frozenset({"connections"}),
    "threads_exhausted": frozenset({"connections"}),
    "pool_exhausted": frozenset({"connections"}),
    "db_connections_maxed": frozenset({"connections"}),
    "db_replica_lag": frozenset({"lag"}),
    "db_xid_wraparound": frozenset({"xid"}),
    "db_throttled": frozenset({"throttling"}),
    "cpu_throttling": frozenset({"throttling", "cpu"}),
    "failed_scheduling": frozenset({"cpu", "memory"}),
    "clock_skew": frozenset({_CLOCK}),
}
_STORAGE_KINDS = frozenset({"disk_full", "db_storage_full"})
# Pools that empty when the database makes every borrower wait.
_POOL_KINDS = frozenset({"pool_exhausted", "threads_exhausted"})
# The database's own trouble: signatures it logs or that are logged about it, and the kinds
# of a database entity's series that show it struggling.
_DB_TROUBLE_KINDS = frozenset(
    {
        "db_locks",
        "db_failover",
        "db_replica_lag",
        "db_throttled",
        "db_storage_full",
        "db_xid_wraparound",
    }
)
_DB_TROUBLE_SERIES = frozenset({"latency", "cpu", "lag", "throttling", "disk", "free_disk", "xid"})
# What a recent change commonly causes (a smaller pool, a lower limit, a leak, a migration
# holding locks): after a deploy these are the change's symptoms.
_CHANGE_SENSITIVE = frozenset(
    {"pool_exhausted", "db_connections_maxed", "threads_exhausted", "runtime_oom", "oom_killed"}
    | {"fd_exhausted", "event_loop_blocked", "cpu_throttling", "db_locks"}
)


@dataclass
class _Group:
    """The signature findings of one kind."""

    kind: str
    category: str
    strength: float
    summary: str
    signals: list[SignatureSignal] = field(default_factory=list)

    @property
    def after(self) -> int:
        return sum(s.value.count_after for s in self.signals)

    @property
    def before(self) -> int:
        return sum(s.value.count_before for s in self.signals)

    def objects(self) -> list[str]:
        """What the lines name, most frequent first: the objects they are about, then the
        emitters of lines that name none (a client refused by a full cluster logs more than
        the node that filled), then hosts."""
        seen: dict[str, None] = {}
        ordered = sorted(self.signals, key=lambda s: -s.value.count_after)
        named = [s.value.obj for s in ordered if s.value.obj]
        # A caller that finds no instance of a service it does not name is not that service.
        callers = self.signals[0].value.family == _DISCOVERY
        emitters = [
            s.value.emitter for s in ordered if not s.value.obj and s.value.emitter and not callers
        ]
        for name in named + emitters:
            seen.setdefault(pod_workload(name) or name, None)
        for signal in ordered:
            for host in signal.value.hosts:
                seen.setdefault(host, None)
        return list(seen)


class PlatformAgent(SpecialistAgent):
    """Hypotheses from decisive platform signatures (see the module docstring)."""

    name = "PlatformAgent"
    model = "google/gemini-2.0-flash"
    brief = AgentBrief(
        "platform events: Kubernetes, managed databases, DNS, TLS and runtime signatures",
        ("logs",),
    )

    def candidates_from(self, evidence: Evidence) -> list[Hypothesis]:
        """Signature hypotheses from the run's evidence index (pure)."""
        groups: dict[str, _Group] = {}
        for signal in evidence.of(SignatureSignal):
            value = signal.value
            if value.category is None or value.count_after == 0:
                continue
            group = groups.setdefault(
                value.kind, _Group(value.kind, value.category, value.strength, value.summary)
            )
            group.signals.append(signal)
        commits = evidence.of(CommitSignal)
        deploy = evidence.incident.deployed_at is not None or bool(commits)
        series = _series_by_kind(evidence)
        databases = _database_hosts(evidence)
        changes = evidence.of(ConfigChangeSignal)
        slow_party = (
            _database_trouble(groups, evidence)
            or _callee_failing(evidence)
            or ("auth_failed" in groups and not _chronic(groups["auth_failed"]))
        )
        clock = "clock_skew" in groups and not _chronic(groups["clock_skew"])
        clock_trouble = clock or _CLOCK in series
        pods_gone = any(k in groups and not _chronic(groups[k]) for k in _PODS_GONE_KINDS)
        stems = known_stems(evidence)
        return merge_candidates(
            [
                _with_credential_ref(
                    _with_changed_keys(
                        _hypothesis(
                            g,
                            commits,
                            deploy,
                            series,
                            databases,
                            evidence.incident.service,
                            slow_party=slow_party,
                            clock_trouble=clock_trouble,
                            pods_gone=pods_gone,
                            stems=stems,
                        ),
                        g,
                        changes,
                    ),
                    g,
                    evidence,
                )
                for g in groups.values()
            ]
        )


def _database_trouble(groups: dict[str, _Group], evidence: Evidence) -> bool:
    """Whether the database shows trouble of its own (see the module docstring)."""
    if any(kind in _DB_TROUBLE_KINDS and not _chronic(g) for kind, g in groups.items()):
        return True
    return any(
        anomaly.value.bad
        and anomaly.value.kind in _DB_TROUBLE_SERIES
        and anomaly.value.entity is not None
        and is_database(anomaly.value.entity)
        for anomaly in evidence.of(MetricAnomalySignal)
    )


def _callee_failing(evidence: Evidence) -> bool:
    """Whether a service the pool's owner calls times out or answers 5xx more than before:
    a pool of threads or connections empties while each borrower waits on it."""
    return any(
        failing.value.count_after > max(1, 2 * failing.value.count_before)
        and {"timeout", "http_5xx"} & set(failing.value.error_kinds)
        for failing in evidence.of(DependencyErrorsSignal)
    )


def _chronic(group: _Group) -> bool:
    return {s.value.trend for s in group.signals} <= {"steady"}


def _database_hosts(evidence: Evidence) -> list[str]:
    """Databases the service talks to: failing database hosts first, then configured ones."""
    found: dict[str, None] = {}
    for failing in evidence.of(DependencyErrorsSignal):
        if is_db_host(failing.value.host):
            found.setdefault(failing.value.host, None)
    for host in config_db_hosts(evidence):
        found.setdefault(host, None)
    return list(found)


Metric = MetricAnomalySignal | MetricSaturationSignal | MetricGrowthSignal


def _series_by_kind(evidence: Evidence) -> dict[str, list[tuple[float, Metric]]]:
    """Metric signals that moved the harmful way, by kind, strongest first."""
    found: dict[str, list[tuple[float, Metric]]] = {}
    for anomaly in evidence.of(MetricAnomalySignal):
        if anomaly.value.bad:
            kind = _CLOCK if _CLOCK_SERIES.search(anomaly.value.metric) else anomaly.value.kind
            found.setdefault(kind, []).append((anomaly.value.score, anomaly))
    for full in evidence.of(MetricSaturationSignal):
        kind = measure_of(full.value.metric, None).kind
        found.setdefault(kind, []).append((5.0 * full.value.utilization, full))
    for growing in evidence.of(MetricGrowthSignal):
        # Memory that climbed steadily (to a kill, or a reset) is memory running out.
        kind = measure_of(growing.value.metric, growing.value.unit).kind
        if kind == "memory":
            found.setdefault(kind, []).append((GROWTH_SCORE, growing))
    for items in found.values():
        items.sort(key=lambda item: (-item[0], item[1].id))
    return found


def _corroborating(group: _Group, series: dict[str, list[tuple[float, Metric]]]) -> list[Metric]:
    kinds = _CORROBORATING_KINDS.get(group.kind, frozenset())
    ranked = sorted(
        (item for kind in kinds for item in series.get(kind, [])),
        key=lambda item: (-item[0], item[1].id),
    )
    return [metric for _, metric in ranked[:2]]


def _series_entity(metrics: list[Metric]) -> str | None:
    """The workload of the first series that belongs to a pod or container."""
    for metric in metrics:
        subject = metric_entity(metric.value.metric).entity
        if subject is not None and subject.kind in ("pod", "container", "service"):
            return subject.workload
    return None


def _category(group: _Group, objects: list[str]) -> str:
    if group.kind in _STORAGE_KINDS:
        return "database" if any(is_database(o) for o in objects) else "resource_exhaustion"
    return group.category


def _factor(
    group: _Group, deploy: bool, slow_party: bool, clock_trouble: bool, pods_gone: bool
) -> float:
    trends = {s.value.trend for s in group.signals}
    factor = 1.0
    if _chronic(group):
        factor = CHRONIC_FACTOR
    elif trends <= {"steady", "unclear"}:
        factor = UNCLEAR_FACTOR
    if deploy and group.kind in _CHANGE_SENSITIVE:
        factor *= CHANGE_FACTOR
    if any(s.value.obj_active for s in group.signals):
        factor *= UP_FACTOR
    if slow_party and group.kind in _POOL_KINDS:
        factor *= DB_SYMPTOM_FACTOR
    if clock_trouble and group.kind in _CLOCK_SYMPTOMS:
        factor *= CLOCK_SYMPTOM_FACTOR
    if pods_gone and group.kind == "dns_failure":
        # The name most lines fail on is what the incident is about.
        names = group.objects()
        if names and _POD_DNS_NAME.match(names[0]):
            factor *= GONE_POD_FACTOR
    return factor


def _hypothesis(
    group: _Group,
    commits: list[CommitSignal],
    deploy: bool,
    series: dict[str, list[tuple[float, Metric]]],
    databases: list[str],
    service: str | None,
    *,
    slow_party: bool,
    clock_trouble: bool,
    pods_gone: bool,
    stems: dict[str, str],
) -> Hypothesis:
    objects = group.objects()
    if not objects and group.signals[0].value.family == "database":
        objects = databases[:2]
    if not objects and group.signals[0].value.family == _DISCOVERY:
        # `could not retrieve cart: ... upstream connect error`: the service by what it serves.
        named = {
            n
            for s in group.signals
            if (n := stem_named(s.value.example, stems, (s.value.emitter or "").lower()))
        }
        objects = sorted(named)[:1] if len(named) == 1 else []
    backing = _corroborating(group, series)
    if group.kind == "oom_killed" and not any(s.value.obj for s in group.signals):
        # A kernel's OOM kill (`Memory cgroup out of memory: Killed process 25544 (server)`)
        # is logged by the node it ran on: the container killed is the one whose memory
        # rose, what to act on; the node is only where it ran.
        killed = _series_entity(backing)
        if killed is not None and killed not in objects:
            objects = [killed, *objects]
    category = _category(group, objects)
    suspects = list(objects[:3])
    if group.kind == "dns_failure":
        suspects = ["dns", *suspects]
    mentioning = [c for c in commits if any(_mentions(c, o) for o in objects[:3])]
    suspects += [c.value.sha for c in mentioning[:1]]
    suspects += [_metric_name(m) for m in backing]
    weights = [0.25 + 0.35 * group.strength]
    if group.after >= MANY:
        weights.append(VOLUME_BONUS)
    if backing:
        weights.append(CORROBORATION)
    factor = _factor(group, deploy, slow_party, clock_trouble, pods_gone)
    factor *= 1.0 if suspects else UNNAMED_FACTOR
    if not suspects and service:
        suspects = [service]  # a blank one is dropped by `hypothesis`
    weights = [w * factor for w in weights]
    # In parentheses, not after a colon: "registry credentials: orders-api" reads as an
    # assignment to the redaction boundary, which would hide the name everywhere.
    where = f" ({', '.join(objects[:3])})" if objects else ""
    example = group.signals[0].value.example
    return hypothesis(
        label=f"{group.summary[0].upper()}{group.summary[1:]}{where}",
        description=(
            f"{group.after} line(s) show it after the split ({group.before} before), "
            f"e.g. '{example[:200]}'."
        ),
        category=category,
        suspects=suspects,
        weights=weights,
        signals=[s.id for s in group.signals[:5]]
        + [c.id for c in mentioning[:1]]
        + [m.id for m in backing],
        rule=f"platform.{group.kind}",
    )


# The config words a signature is about: a changed key holding them is what to roll back.
_KEY_WORDS = {"image_pull": frozenset({"image", "tag"})}


def _with_changed_keys(
    found: Hypothesis, group: _Group, changes: list[ConfigChangeSignal]
) -> Hypothesis:
    """An image that cannot be pulled right after its tag changed: the changed key (and its
    commit) come first among the suspects, and the change is cited."""
    words = _KEY_WORDS.get(group.kind)
    if not words:
        return found
    keys = [c for c in changes if set(re.split(r"[._\-/]+", c.value.key.lower())) & words]
    if not keys:
        return found
    first = [keys[0].value.key, *keys[0].value.commit_shas[:1]]
    return found.model_copy(
        update={
            "suspects": list(dict.fromkeys([*first, *found.suspects])),
            "supporting_signals": [*found.supporting_signals, keys[0].id],
        }
    )


def _with_credential_ref(found: Hypothesis, group: _Group, evidence: Evidence) -> Hypothesis:
    """A refused credential or certificate names the secret behind it first
    (`sre.agents.credentials`): what the lines name, who logged them, and their text say
    which."""
    if found.category != "certificate_or_credentials":
        return found
    words: set[str] = set()
    for signal in group.signals:
        value = signal.value
        for name in (value.obj, value.emitter, *value.hosts):
            if name:
                words |= host_tokens(name)
        words |= tokens(value.example)
    refs = credential_refs(evidence, words)
    if not refs:
        return found
    return found.model_copy(update={"suspects": list(dict.fromkeys([refs[0], *found.suspects]))})


def _metric_name(metric: Metric) -> str:
    return metric.value.metric


def _mentions(commit: CommitSignal, name: str) -> bool:
    """Whether a commit's message or patches name `name` (a variable, a Secret)."""
    if len(name) < 4:
        return False
    text = commit.value.message
    return name.lower() in text.lower()
