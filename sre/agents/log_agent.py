"""LogAgent: what the new and rising log evidence says broke.

Reads log templates, exceptions and failing dependencies, and cross-references them with
the commits (stack frames in changed files) and the config diff (symptoms a changed key
governs). A symptom that a recent change explains is attributed to the change; the
"nothing changed" categories (resource, database, dependency, infrastructure, credentials)
are only asserted at full strength when no recent change explains the failing path.
"""

from __future__ import annotations

from collections.abc import Sequence

from alpha.schemas import Hypothesis, Signal
from sre.agents.base import (
    MEDIUM,
    STRONG,
    WEAK,
    AgentBrief,
    Evidence,
    SpecialistAgent,
    hypothesis,
    merge_candidates,
    nobody,
)
from sre.agents.bumps import bump_links
from sre.agents.credentials import credential_refs
from sre.agents.hosts import (
    HostTrouble,
    address_owners,
    config_db_hosts,
    configured_peers,
    dns_servers,
    failing_hosts,
    host_tokens,
    hosts_of,
    is_db_host,
    node_names,
    only_load_generators_fail_on,
    unique_hosts,
)
from sre.agents.patterns import DEPENDENCY_FAULTS, metric_families, metric_label_values, tokens
from sre.agents.reading import (
    app_files,
    commit_kind_files,
    count_after,
    exception_types,
    is_cosmetic,
    is_dependency_only,
    is_docs_only,
    is_error_level,
    is_innocuous,
    is_ip,
    metric_direction,
    metric_name,
    short_sha,
    signal_symptoms,
    signal_text,
)
from sre.agents.relations import (
    change_touching_host,
    changed_keys_explaining,
    config_keys_about,
    config_links,
    surging_traffic,
)
from sre.agents.topology_agent import CALLER_SHARE, is_database
from sre.extractors.entities import line_entity, pod_workload
from sre.extractors.fmt import clip
from sre.signals import (
    CommitSignal,
    DependencyErrorsSignal,
    EntityLogsSignal,
    LogSignal,
    LogTemplateSignal,
    MetricAnomalySignal,
    MetricGrowthSignal,
    MetricSaturationSignal,
    MetricSignal,
    MetricValueSignal,
    SignatureSignal,
    TroubleSignal,
)

_RESOURCE = {
    "oom": ("memory", "Memory exhausted", frozenset({"memory"})),
    "fd": ("file descriptors", "File descriptors exhausted", frozenset({"fd"})),
    "disk": ("disk", "Disk full", frozenset({"disk"})),
    "thread_pool": ("thread pool", "Thread pool exhausted", frozenset({"threads"})),
}
_DATABASE = (
    "lock",
    "slow_query",
    "replication",
    "db_connection_lost",
    "too_many_connections",
    "conn_pool",
)
_INFRA = ("dns", "node", "network")
# Distinct failing hosts beyond which the network, not each dependency, is the suspect.
_MANY_HOSTS = 3


class LogAgent(SpecialistAgent):
    """Rules over log templates, exceptions and dependency errors."""

    name = "LogAgent"
    model = "anthropic/claude-sonnet-4-6"
    brief = AgentBrief("application logs, exceptions and stack traces", ("logs",))

    def candidates_from(self, evidence: Evidence) -> list[Hypothesis]:
        """Hypotheses from the log evidence, cross-referenced with commits and config."""
        found: list[Hypothesis] = []
        found += _code_regressions(evidence)
        found += _bumps(evidence)
        found += config_links(evidence, metrics=False)
        found += _resources(evidence)
        found += _credentials(evidence)
        found += _infrastructure(evidence)
        found += _database(evidence)
        found += _dependencies(evidence)
        found += _configured_peer_faults(evidence)
        return merge_candidates(found)


# --------------------------------------------------------------------------- changes


def _code_regressions(evidence: Evidence) -> list[Hypothesis]:
    """New errors whose frames sit in files a commit changed; else the only code change."""
    found = []
    error_ids = {s.id for s in evidence.code_errors()}
    for commit, hits in evidence.commits_touching_frames(evidence.frame_files()):
        if is_docs_only(commit):
            continue
        signals = evidence.signals_with_frames(hits)
        new_errors = [s for s in signals if s.id in error_ids]
        if is_cosmetic(commit):
            # A change to logging lines or formatting can only break the failing path by
            # raising in what it touched: program errors in its file, at reduced weight.
            if not new_errors:
                continue
            weights = [MEDIUM]
        else:
            # A program error raised in the changed file is the commit's; one raised further
            # up the stack, or a timeout or lock wait merely passing through it, is weaker.
            if not new_errors:
                weights = [MEDIUM, WEAK]
            elif evidence.raised_elsewhere(new_errors, hits):
                weights = [STRONG]
            else:
                weights = [STRONG, MEDIUM]
        if sum(count_after(s) for s in signals) >= 10:
            weights.append(WEAK)
        weights.extend(evidence.staleness())
        found.append(_code_hypothesis(commit, hits[0], new_errors or signals, weights))
    if found or not error_ids:
        return found
    code = [
        c
        for c in evidence.commits()
        if commit_kind_files(c, "code") and not is_innocuous(c) and not is_dependency_only(c)
    ]
    errors = evidence.code_errors()
    # Errors whose own frames miss every changed file argue against the changes.
    framed = bool(app_files(evidence.frame_files(errors)))
    if len(code) == 1:
        weights = [WEAK] if framed else [MEDIUM, WEAK]
        return [_code_hypothesis(code[0], "", errors, [*weights, *evidence.staleness()])]
    # Several code changes: only those whose modules the errors name are candidates.
    error_ids = {s.id for s in errors}
    for commit in code:
        named = evidence.module_overlap(commit_kind_files(commit, "code"))
        if any(s.id in error_ids for s in named):
            found.append(_code_hypothesis(commit, "", errors, [MEDIUM, *evidence.staleness()]))
    return found


def _bumps(evidence: Evidence) -> list[Hypothesis]:
    """Dependency bumps whose libraries raise the new errors or log new lines of their own."""
    found = []
    for link in bump_links(evidence):
        sha = link.commit.value.sha
        cited = link.errors or link.lines
        what = "raises the new errors" if link.errors else "logs new lines since"
        found.append(
            hypothesis(
                label=f"Dependency bump {short_sha(sha)} ({link.packages[0]}) changed behaviour",
                description=(
                    f"{link.packages[0]}, bumped in commit {short_sha(sha)}, {what} the deploy "
                    f"({_quote(cited[0])})."
                ),
                category="code_regression",
                suspects=[sha],
                weights=[MEDIUM if link.errors else WEAK + WEAK, *evidence.staleness()],
                signals=[link.commit.id, *(s.id for s in cited[:4])],
            )
        )
    return found


def _code_hypothesis(
    commit: CommitSignal, focus: str, signals: Sequence[LogSignal], weights: list[float]
) -> Hypothesis:
    sha = commit.value.sha
    kinds = [t for s in signals for t in exception_types(s)]
    what = kinds[0] if kinds else "new errors"
    where = f" in {focus}" if focus else ""
    return hypothesis(
        label=f"Commit {short_sha(sha)} introduced {what}{where}",
        description=(
            f"{what} appeared after the deploy"
            + (
                f" with stack frames in {focus}, which commit {short_sha(sha)} changed"
                if focus
                else f"; commit {short_sha(sha)} is the code change that can explain it"
            )
            + "."
        ),
        category="code_regression",
        suspects=[sha],
        weights=weights,
        signals=[commit.id, *(s.id for s in signals[:4])],
    )


def _explained_by_change(evidence: Evidence, symptom: str, signals: Sequence[LogSignal]) -> bool:
    """Whether a changed config key governing this symptom, or a commit in its frames, exists."""
    if changed_keys_explaining(evidence, symptom=symptom):
        return True
    # Frames cross application code on every path: a commit in them explains a fault only
    # when the fault followed the deploy closely, not half a day later.
    if evidence.is_stale():
        return False
    files = evidence.frame_files(signals)
    return any(not is_innocuous(c) for c, _ in evidence.commits_touching_frames(files))


# --------------------------------------------------------------------------- no change to blame


def _resources(evidence: Evidence) -> list[Hypothesis]:
    found = []
    for symptom, (noun, title, metric_family) in _RESOURCE.items():
        signals = evidence.symptom_signals(symptom)
        if not signals:
            continue
        # The hosts a resource error quotes are its peers; only named hosts are the victims.
        # Instance names (no port) before peers with a port: the victim, not who it called.
        hosts = sorted(hosts_of(signals, text=False), key=lambda h: ":" in h)
        metrics = _metrics_of(evidence, metric_family)
        weights = [STRONG if symptom != "thread_pool" else MEDIUM]
        if len(signals) >= 2 or sum(count_after(s) for s in signals) >= 10:
            weights.append(WEAK)
        if metrics:
            weights.append(WEAK)
        if _explained_by_change(evidence, symptom, signals):
            weights = [WEAK]
        where = f" on {hosts[0]}" if hosts else ""
        found.append(
            hypothesis(
                label=f"{title}{where}",
                description=f"Logs show {noun} running out ({_quote(signals[0])}).",
                category="resource_exhaustion",
                # With no host or series, whoever logged it: never the resource's bare noun.
                suspects=[*hosts[:3], *(metric_name(m) for m in metrics[:2])]
                or _emitters(signals)
                or [evidence.incident.service or noun],
                weights=weights,
                signals=[s.id for s in signals[:4]] + [m.id for m in metrics[:2]],
            )
        )
    return found


def _credentials(evidence: Evidence) -> list[Hypothesis]:
    found = []
    for symptoms, title, weight in (
        (("tls",), "TLS certificate failure", STRONG),
        (("credential_expired", "auth"), "Credentials rejected", MEDIUM),
    ):
        signals, _ = _showing(evidence, symptoms)
        if not signals:
            continue
        expired = bool(evidence.symptom_signals("credential_expired")) or symptoms == ("tls",)
        weights = [STRONG if expired else weight]
        if sum(count_after(s) for s in signals) >= 5:
            weights.append(WEAK)
        if any(_explained_by_change(evidence, sym, signals) for sym in symptoms):
            weights = [WEAK]
        hosts = hosts_of(signals)
        words: set[str] = set()
        for host in hosts:
            words |= host_tokens(host)
        for signal in signals:
            words |= tokens(signal_text(signal).replace(".", "_"))
        keys = config_keys_about(evidence, "auth", words)[:2]
        where = f" talking to {hosts[0]}" if hosts else f" ({keys[0]})" if keys else ""
        found.append(
            hypothesis(
                label=f"{title}{where}",
                description=f"Logs show {title.lower()} ({_quote(signals[0])}).",
                category="certificate_or_credentials",
                suspects=[*credential_refs(evidence, words)[:1], *hosts[:3], *keys]
                or ["credentials"],
                weights=weights,
                signals=[s.id for s in signals[:4]],
            )
        )
    return found


def _infrastructure(evidence: Evidence) -> list[Hypothesis]:
    signals, kinds = _showing(evidence, _INFRA)
    troubles = [t for t in failing_hosts(evidence) if not _db_trouble(t)]
    groups = [t.signals for t in troubles]
    weights: list[float] = []
    if signals:
        weights.append(STRONG if {"dns", "node"} & set(kinds) else MEDIUM)
    if _unrelated(troubles) >= _MANY_HOSTS:
        # Unrelated dependencies failing together share the network, not a bug.
        weights.append(STRONG if not signals else MEDIUM)
        signals.extend(g[0] for g in groups if g[0] not in signals)
    if not weights:
        return []
    hosts = hosts_of(signals)
    metrics = [m for m in _metrics_of(evidence, frozenset({"dns", "node", "network"})) if _rose(m)]
    # The component whose own series moved (`nat_gateway="nat-1"`) is what a responder fixes;
    # the hosts that could not be reached through it are only where the fault showed.
    components = unique_hosts([v for m in metrics[:3] for v in metric_label_values(metric_name(m))])
    what = " and ".join(dict.fromkeys(k.upper() if k == "dns" else k for k in kinds)) or "network"
    return [
        hypothesis(
            label=f"Infrastructure fault ({what}) across {len(hosts) or 'several'} host(s)",
            description=(
                f"Errors of kind {what} hit {', '.join(hosts[:5]) or 'several services'} at once; "
                "a network, DNS or node fault outside the application is the common cause."
            ),
            category="infrastructure",
            suspects=unique_hosts(
                [*components[:2], *dns_servers(signals), *node_names(signals), *hosts[:4]]
            )
            + [metric_name(m) for m in metrics[:2]]
            or ["network"],
            weights=weights,
            signals=[s.id for s in signals[:6]] + [m.id for m in metrics[:2]],
        )
    ]


def _unrelated(troubles: list[HostTrouble]) -> int:
    """How many failing hosts are known to be different services: each named one, and all
    bare addresses as one (pod and Service IPs may well be the same service's)."""
    named = [t for t in troubles if not all(is_ip(h.rsplit(":", 1)[0]) for h in t.hosts)]
    return len(named) + (1 if len(named) < len(troubles) else 0)


def _database(evidence: Evidence) -> list[Hypothesis]:
    signals, kinds = _showing(evidence, _DATABASE)
    # A database name that does not resolve is the resolver's fault, not the database's.
    db_hosts = [t for t in failing_hosts(evidence) if _db_trouble(t) and "dns" not in t.symptoms()]
    for trouble in db_hosts:
        kinds.extend(["unreachable"] * len(trouble.signals))
        signals.extend(s for s in trouble.signals if s not in signals)
    if not signals:
        return []
    strong = {"lock", "replication", "db_connection_lost", "too_many_connections", "unreachable"}
    strong &= set(kinds)
    weights = [STRONG if strong else MEDIUM]
    if len(signals) >= 2:
        weights.append(WEAK)
    if (
        any(_explained_by_change(evidence, k, signals) for k in kinds)
        or evidence.data_access_changed()
        or bump_links(evidence)
    ):
        weights = [WEAK]
    hosts = [h for t in db_hosts for h in t.hosts]
    hosts = hosts or [h for h in hosts_of(signals) if is_db_host(h)]
    # The database the service is configured with names it best for a responder.
    hosts = unique_hosts([*config_db_hosts(evidence)[:2], *hosts])
    # With no address to go by, a database whose own logs changed (its shutdown, its
    # restart) is the one the errors are about.
    hosts = [h for h in hosts if not nobody(h)] or _databases_logging(evidence)
    metrics = [m for m in _metrics_of(evidence, frozenset({"db"})) if _rose(m)]
    what = ", ".join(dict.fromkeys(k.replace("_", " ") for k in kinds)) or "errors"
    return [
        hypothesis(
            label=f"Database trouble: {what}",
            description=f"Logs show database {what} ({_quote(signals[0])}).",
            category="database",
            suspects=[*hosts[:3], *(metric_name(m) for m in metrics[:2])] or ["database"],
            weights=weights,
            signals=[s.id for s in signals[:5]] + [m.id for m in metrics[:2]],
        )
    ]


def _dependencies(evidence: Evidence) -> list[Hypothesis]:
    troubles = failing_hosts(evidence)
    many = len([t for t in troubles if not _db_trouble(t)]) >= _MANY_HOSTS
    # With our own request rate flat, a dependency answering 429 is throttling us below the
    # load it used to take (its quota or capacity changed); with our rate surging, the
    # surge is the cause and the traffic rule owns it.
    throttled_counts = not surging_traffic(evidence)
    relays = _relaying_entities(evidence) | _entities_with_decisive_causes(evidence)
    owners = address_owners(evidence)
    found = []
    for trouble in troubles:
        symptoms = trouble.symptoms()
        kinds = symptoms & DEPENDENCY_FAULTS
        if not kinds and "rate_limited" in symptoms and throttled_counts:
            kinds = {"rate_limited"}
        # DNS failures are the resolver's, TLS/auth the credential's: other rules own them.
        if _db_trouble(trouble) or not kinds or "dns" in symptoms:
            continue
        hosts = trouble.hosts
        # A bare address first: the workload behind it is what a responder acts on.
        owner = next((owners[h] for h in hosts if h in owners), None)
        shown = hosts[0] if owner is None else f"{owner} ({hosts[0]})"
        if owner is not None:
            hosts = [owner, *hosts]
        # Throttling alone is a softer failure than timeouts or 5xx.
        weights = [STRONG if kinds != {"rate_limited"} else MEDIUM]
        if trouble.count() >= 20 or len(trouble.signals) >= 2:
            weights.append(WEAK)
        metrics = _metrics_naming(evidence, hosts)
        if metrics:
            weights.append(WEAK)
        if any(change_touching_host(h, evidence, symptoms) for h in hosts):
            # A recent change touches the path to this host: it is the likelier culprit.
            weights = [WEAK]
        elif "tls" in symptoms:
            # A failed TLS handshake surfaces as `Unavailable`/5xx/timeouts too, but the
            # peer answered: its certificate (or ours) is the fault, which `_credentials` owns.
            weights = [WEAK]
        elif many:
            weights = [MEDIUM]
        relay = next((r for r in (_host_entity(h) for h in hosts) if r in relays), None)
        if relay is not None or only_load_generators_fail_on(trouble):
            # The host's own logs are mostly failed calls of its own (it passes on a failure
            # from further down), or a decisive platform signature says why it fails (its
            # pods OOMKilled, its image not pulled): that is what to act on, and the
            # agents that own it say so. A host only a load generator fails on is the
            # system's front door: its failures are the whole system's, located behind it.
            weights = [WEAK]
        what = ", ".join(sorted(k.replace("_", " ") for k in kinds))
        found.append(
            hypothesis(
                label=f"{shown} failing ({what})",
                description=(
                    f"{int(trouble.count())} errors to {shown} {evidence.since()} ({what})"
                    + ("; no recent change touches the path to it." if _changes(evidence) else ".")
                ),
                category="dependency_failure",
                suspects=hosts[:3],
                weights=weights,
                signals=[s.id for s in trouble.signals[:4]]
                + [s.id for s in _templates_naming(evidence, hosts[0])[:3]]
                + [m.id for m in metrics[:2]],
            )
        )
    return found


def _databases_logging(evidence: Evidence) -> list[str]:
    """Database entities (by name, `is_database`) whose own logs changed."""
    found = dict.fromkeys(
        s.value.workload for s in evidence.of(EntityLogsSignal) if is_database(s.value.workload)
    )
    return list(found)[:2]


def _emitters(signals: Sequence[Signal]) -> list[str]:
    """The workloads that logged these lines (`sre.extractors.entities.line_entity`)."""
    found: dict[str, None] = {}
    for signal in signals:
        if isinstance(signal, LogTemplateSignal):
            entity = line_entity(signal.value.example)
            if entity is not None:
                found.setdefault(entity.workload, None)
    return list(found)[:2]


def _relaying_entities(evidence: Evidence) -> set[str]:
    """Entities (workload names, lower case) whose rising errors are mostly failed outbound
    calls of their own (`call_failures`): a failure reported by their callers came from
    further down."""
    return {
        s.value.workload.lower()
        for s in evidence.of(EntityLogsSignal)
        if s.value.excess > 0 and s.value.call_failures >= CALLER_SHARE
    }


def _entities_with_decisive_causes(evidence: Evidence) -> set[str]:
    """Entities (workload names, lower case) a decisive platform signature with a cause
    (`category`, unlike a crash loop's symptom) was seen on after the split."""
    found = set()
    for signal in evidence.of(SignatureSignal):
        value = signal.value
        if value.category is None or value.count_after == 0 or value.strength < 1.0:
            continue
        for name in (value.obj, value.emitter):
            if name:
                found.add(pod_workload(name.lower()) or name.lower())
    return found


def _host_entity(host: str) -> str:
    """The workload a host names (`payment-service.payments:3000` -> `payment-service`)."""
    head = host.lower().split("://")[-1].split("/")[0].rsplit(":", 1)[0]
    return head.split(".")[0]


def _configured_peer_faults(evidence: Evidence) -> list[Hypothesis]:
    """Server errors, timeouts or throttling naming no host, raised inside the client library
    of a dependency the config gives an endpoint to (`.../boto3/s3/...` with `s3.endpoint_url`
    configured): that dependency is failing.

    Stays out when the logs name a failing host (`_dependencies` owns that) and weakens when
    a recent change touches the path to the peer.
    """
    if failing_hosts(evidence):
        return []
    configured = configured_peers(evidence)
    if not configured:
        return []
    kinds = DEPENDENCY_FAULTS if surging_traffic(evidence) else DEPENDENCY_FAULTS | {"rate_limited"}
    by_peer: dict[str, list[TroubleSignal]] = {}
    for signal in evidence.trouble():
        if not is_error_level(signal) or not signal_symptoms(signal) & kinds:
            continue
        # Every frame counts, not only those under a library marker: JVM frames map to
        # `src/main/java/org/<peer>/client/...` like the app's own, and the app's own
        # `clients/<peer>/` directory is just as much the path to that peer.
        segments = {
            part.lower().replace("_", "-")
            for name in evidence.frame_files([signal])
            for part in name.replace("\\", "/").split("/")[:-1]
        }
        # An exception class lives in its library's namespace
        # (`Elasticsearch.Net.ElasticsearchClientException`, `redis.exceptions.TimeoutError`):
        # frames without file names (.NET, minified Node) still say whose client raised it.
        segments |= {
            part.lower().replace("_", "-")
            for name in exception_types(signal)
            for part in name.split(".")[:-1]
        }
        for peer in sorted(segments & set(configured)):
            by_peer.setdefault(peer, []).append(signal)
    # With one peer failing through its client and our own traffic flat, throttling or
    # rejections naming no host (any level: clients log back-off at WARN) are that peer
    # pushing back.
    pushback = (
        [] if len(by_peer) != 1 or surging_traffic(evidence) else _unattributed_throttling(evidence)
    )
    found = []
    for peer, signals in by_peer.items():
        hosts = configured[peer]
        touched = any(change_touching_host(h, evidence) for h in [peer, *hosts])
        what = ", ".join(
            sorted({k.replace("_", " ") for s in signals for k in signal_symptoms(s) & kinds})
        )
        found.append(
            hypothesis(
                label=f"{peer} failing ({what})",
                description=(
                    f"{int(sum(count_after(s) for s in signals))} errors ({what}) raised in the "
                    f"{peer} client library {evidence.since()}"
                    + ("; no recent change touches it." if _changes(evidence) else ".")
                ),
                category="dependency_failure",
                suspects=[*hosts[:2], peer],
                # Repeated failures through its client are more than one bad call.
                weights=[WEAK]
                if touched
                else [MEDIUM, *([WEAK] * (len(signals) >= 2)), *([WEAK] * bool(pushback))],
                signals=[s.id for s in signals[:4]] + [s.id for s in pushback[:2]],
            )
        )
    return found


def _unattributed_throttling(evidence: Evidence) -> list[TroubleSignal]:
    """New throttling or rejection lines that name no host."""
    return [
        s
        for s in evidence.trouble()
        if "rate_limited" in signal_symptoms(s)
        and not (isinstance(s, LogTemplateSignal) and s.value.hosts)
    ]


def _db_trouble(trouble: HostTrouble) -> bool:
    return any(is_db_host(h) for h in trouble.hosts)


# --------------------------------------------------------------------------- helpers


def _showing(evidence: Evidence, symptoms: Sequence[str]) -> tuple[list[LogSignal], list[str]]:
    """Log signals showing any of these symptoms, each once, and the symptom each was found
    under (the first of `symptoms` it shows)."""
    signals: list[LogSignal] = []
    kinds: list[str] = []
    for symptom in symptoms:
        for signal in evidence.symptom_signals(symptom):
            if signal not in signals:
                signals.append(signal)
                kinds.append(symptom)
    return signals, kinds


def _metrics_of(evidence: Evidence, families: frozenset[str]) -> list[MetricSignal]:
    return [
        s
        for s in evidence.of(
            MetricAnomalySignal, MetricSaturationSignal, MetricGrowthSignal, MetricValueSignal
        )
        if metric_families(metric_name(s)) & families
    ]


def _rose(signal: MetricSignal) -> bool:
    return metric_direction(signal) == "up"


def _metrics_naming(evidence: Evidence, hosts: list[str]) -> list[MetricAnomalySignal]:
    """Metric anomalies whose name names one of these hosts (`paygate_request_p99_ms`)."""
    words: set[str] = set()
    for host in hosts:
        words |= host_tokens(host)
    return [
        s
        for s in evidence.of(MetricAnomalySignal)
        if words & tokens(metric_name(s).replace(".", "_"))
    ]


def _templates_naming(evidence: Evidence, host: str) -> list[TroubleSignal]:
    return [
        s for s in evidence.trouble() if isinstance(s, LogTemplateSignal) and host in s.value.hosts
    ]


def _quote(signal: LogSignal) -> str:
    if isinstance(signal, LogTemplateSignal):
        text = signal.value.template or signal.value.example or signal.description
    elif isinstance(signal, DependencyErrorsSignal):
        text = signal.value.example or signal.description
    else:
        text = signal.description
    return clip(text, 120)


def _changes(evidence: Evidence) -> bool:
    """Whether the incident has recent commits or config changes to weigh at all."""
    return bool(evidence.commits() or evidence.config_changes())
