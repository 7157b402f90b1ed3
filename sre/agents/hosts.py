"""Hosts: which downstream hosts fail, under which names, and what the errors say of them."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sre.agents.base import Evidence
from sre.agents.patterns import tokens
from sre.agents.reading import (
    RISE_RATIO,
    count_after,
    flatten_items,
    is_error_level,
    is_ip,
    signal_hosts,
    signal_symptoms,
    signal_text,
)
from sre.extractors.entities import line_entity, metric_entity, pod_workload
from sre.extractors.logs.deps import named_upstream
from sre.extractors.texthosts import text_hosts
from sre.signals import (
    DependencyErrorsSignal,
    EntityLogsSignal,
    LogSignal,
    LogVolumeSignal,
    MetricAnomalySignal,
    SignatureSignal,
)


def host_tokens(host: str) -> set[str]:
    """Tokens of a host name that identify the service (`payments.internal` -> payments)."""
    return tokens(host.replace(".", "_").replace("-", "_"))


_NOT_A_HOST = re.compile(
    r"\.(?:py|js|ts|go|java|kt|rb|php|lua|cs|rs|scala|ex|c|cc|cpp|h)(?::\d+)?$", re.I
)


_DNS_SERVER = re.compile(r"\bon (\d{1,3}(?:\.\d{1,3}){3}):53\b")


def plausible_host(host: str) -> bool:
    """Whether an extracted "host" is a host, not a `file.lua:142` source position."""
    return bool(host) and not _NOT_A_HOST.search(host)


def hosts_of(signals: Sequence[LogSignal], *, text: bool = True) -> list[str]:
    """Host names carried by log signals, else (with `text`) the hosts their text names."""
    found: dict[str, None] = {}
    for signal in signals:
        for host in signal_hosts(signal):
            if plausible_host(host):
                found.setdefault(host, None)
    if not found and text:
        for signal in signals:
            for host in text_hosts(signal_text(signal)):
                found.setdefault(host, None)
    return list(found)


def dns_servers(signals: Sequence[LogSignal]) -> list[str]:
    """Resolver addresses named by DNS failures (`lookup x on 10.96.0.10:53`)."""
    found: dict[str, None] = {}
    for signal in signals:
        for match in _DNS_SERVER.finditer(signal_text(signal)):
            found.setdefault(match.group(1), None)
    return list(found)


_NODE_NAME = re.compile(r"""\bnode[/:= ]+["']?([a-z0-9][\w.-]*\d[\w.-]*)""", re.I)


def node_names(signals: Sequence[LogSignal]) -> list[str]:
    """Node names in node-failure lines (`Node ip-10-0-1-7 status is now: NodeNotReady`)."""
    found: dict[str, None] = {}
    for signal in signals:
        for match in _NODE_NAME.finditer(signal_text(signal)):
            found.setdefault(match.group(1).rstrip("."), None)
    return list(found)


def _bare(host: str) -> str:
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


# Default ports of stores, brokers and coordinators, with the words their workloads are
# named by: `10.96.44.193:11211` is a memcached, whatever the cluster calls it.
PORT_SERVICES: dict[str, frozenset[str]] = {
    "11211": frozenset({"memcached", "memcache"}),
    "6379": frozenset({"redis", "valkey", "keydb"}),
    "5432": frozenset({"postgres", "postgresql", "pg"}),
    "6432": frozenset({"pgbouncer"}),
    "3306": frozenset({"mysql", "mariadb"}),
    "1433": frozenset({"mssql", "sqlserver"}),
    "1521": frozenset({"oracle"}),
    "26257": frozenset({"cockroach", "cockroachdb", "crdb"}),
    "27017": frozenset({"mongo", "mongodb"}),
    "9042": frozenset({"cassandra", "scylla"}),
    "9092": frozenset({"kafka"}),
    "5672": frozenset({"rabbitmq", "rabbit", "amqp"}),
    "4222": frozenset({"nats"}),
    "9200": frozenset({"elasticsearch", "opensearch", "elastic"}),
    "2181": frozenset({"zookeeper", "zk"}),
    "2379": frozenset({"etcd"}),
    "8300": frozenset({"consul"}),
    "8500": frozenset({"consul"}),
}


def name_words(name: str) -> set[str]:
    """The lower-case words of an entity's name (`locust-master` -> locust, master)."""
    return set(re.split(r"[^a-z0-9]+", name.lower())) - {""}


def address_owner(address: str, names: Iterable[str], callers: Iterable[str] = ()) -> str | None:
    """The workload behind a bare `IP:port`, when the port and the names say which one.

    Go and Node clients report the address a Service name resolved to (`dial tcp
    10.96.44.193:11211: connect: connection refused`), so the failing store is named by an
    address nobody acts on. Of the workloads `names` whose name carries the port's
    technology, the only one; else the only one also named after a caller (a store is
    commonly named after its client: `memcached-rate` for `rate`). None when unsure.
    """
    host, _, port = address.rpartition(":")
    words = PORT_SERVICES.get(port)
    if not words or not is_ip(host):
        return None
    # An exporter's target (`memcached-rate:9150`) is the workload it watches.
    candidates = sorted({_bare(n) for n in names if name_words(_bare(n)) & words})
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    shared = set.intersection(*(name_words(c) for c in candidates))
    theirs = set().union(*(name_words(c) for c in callers)) - shared
    named_after = [c for c in candidates if (name_words(c) - shared - words) & theirs]
    return named_after[0] if len(named_after) == 1 else None


_SYNTHETIC_WORDS = frozenset(
    {"loadgen", "loadgenerator", "locust", "k6", "jmeter", "gatling", "vegeta", "wrk", "wrk2"}
    | {"artillery", "tsung", "siege"}
)


def is_synthetic_client(name: str) -> bool:
    """Whether an entity's name says it is a load generator (`loadgenerator`, `locust-master`,
    `load-generator`): a client of the system, never what to fix."""
    words = name_words(name)
    return bool(words & _SYNTHETIC_WORDS) or {"load", "generator"} <= words


def only_load_generators_fail_on(trouble: HostTrouble) -> bool:
    """Whether every line showing a host failing comes from a load generator (`locust`,
    `loadgenerator`): the host is where the system's clients enter it, the front door."""
    emitters = {
        entity.workload
        for s in trouble.signals
        if isinstance(s, DependencyErrorsSignal)
        and (entity := line_entity(s.value.example)) is not None
    }
    return bool(emitters) and all(is_synthetic_client(e) for e in emitters)


def known_workloads(evidence: Evidence) -> set[str]:
    """Every workload that logs or has series here (lower case); once per run."""
    if "known_workloads" not in evidence.memo:
        workloads = {s.value.workload.lower() for s in evidence.of(EntityLogsSignal)}
        workloads |= {
            s.value.entity.lower() for s in evidence.of(MetricAnomalySignal) if s.value.entity
        }
        for name in evidence.incident.metrics:
            subject = metric_entity(name).entity
            if subject is not None:
                workloads.add(subject.workload.lower())
        evidence.memo["known_workloads"] = workloads
    known: set[str] = evidence.memo["known_workloads"]
    return set(known)


# Words of a workload's name that say what kind of thing it is, not which one.
GENERIC_NAME_WORDS = frozenset(
    {"service", "svc", "api", "server", "srv", "app", "backend", "worker", "v1", "v2"}
)
# A word in this many workloads' names is the system's prefix (`ts-` in `ts-order-service`,
# `ts-route-service`, ...), not what one of them serves.
_PREFIX_SHARE = 3


def workload_stems(workloads: Iterable[str]) -> dict[str, str]:
    """Each workload's one distinctive word (`adservice` -> `ad`, `ts-contacts-service` ->
    `contacts` among `ts-` services), for names that have exactly one; a word two workloads
    share is no one's."""
    named = {w: [p for p in re.split(r"[-_.]", w.lower()) if p] for w in sorted(set(workloads))}
    used = Counter(part for parts in named.values() for part in set(parts))
    found: dict[str, list[str]] = {}
    for workload, words in named.items():
        if len(words) == 1 and words[0].endswith("service") and len(words[0]) > len("service"):
            words = [words[0].removesuffix("service")]
        distinctive = [w for w in words if w not in GENERIC_NAME_WORDS and used[w] < _PREFIX_SHARE]
        if len(distinctive) == 1 and len(distinctive[0]) >= 2 and distinctive[0].isalpha():
            found.setdefault(distinctive[0], []).append(workload)
    return {stem: names[0] for stem, names in found.items() if len(names) == 1}


def known_stems(evidence: Evidence) -> dict[str, str]:
    """`workload_stems` of the run's known workloads; once per run."""
    if "known_stems" not in evidence.memo:
        evidence.memo["known_stems"] = workload_stems(known_workloads(evidence))
    stems: dict[str, str] = evidence.memo["known_stems"]
    return stems


def stem_named(text: str, stems: dict[str, str], caller: str = "") -> str | None:
    """The workload a failed call names by what it serves, when it names no host: `could not
    retrieve cart` names `cartservice`, the one workload whose distinctive word is `cart`
    (singular or plural). None when none or several do."""
    # A pod's name in a collector's prefix is the emitter's, not what the line names
    # (`frontend-px8mgb674b-wdnbb`, `boutique/frontend-px8mgb674b-wdnbb/istio-proxy`).
    kept = " ".join(t for t in text.split() if not _token_pods(t))
    words = set(re.findall(r"[a-z]+", kept.lower()))
    named = {
        workload
        for stem, workload in stems.items()
        if workload != caller and {stem, stem + "s", stem + "es", stem[:-1] + "ies"} & words
    }
    return named.pop() if len(named) == 1 else None


def address_owners(evidence: Evidence) -> dict[str, str]:
    """Bare addresses that failing calls name -> the workload behind each; once per run.

    In order: the store whose technology the port is (`address_owner`) among the workloads
    that log or have series here; the pod a failing probe called there (`probed_addresses`);
    the name a proxy's access log gives beside it (`named_upstream`: Envoy's authority,
    Istio's cluster); the one workload listening on, or probed at, the port (`port_owners`:
    a Service's ClusterIP and a pod IP differ, the port they serve on does not); the one
    workload the failing calls name by what it serves (`stem_named`: `could not retrieve
    cart: dial tcp 10.96.41.201:7070`); the one workload whose containers newly restarted
    (`restarted_workloads`).
    """
    if "address_owners" in evidence.memo:
        owners: dict[str, str] = evidence.memo["address_owners"]
        return owners
    callers: dict[str, set[str]] = {}
    workloads: set[str] = set()
    for signal in evidence.of(EntityLogsSignal):
        workloads.add(signal.value.workload.lower())
        for name in signal.value.names:
            callers.setdefault(name, set()).add(signal.value.workload.lower())
    examples: dict[str, list[tuple[str, str]]] = {}
    for failing in evidence.of(DependencyErrorsSignal):
        emitter = line_entity(failing.value.example)
        found = callers.setdefault(failing.value.host, set())
        if emitter is not None:
            found.add(emitter.workload.lower())
        examples.setdefault(failing.value.host, []).append(
            (failing.value.example, emitter.workload.lower() if emitter else "")
        )
    for name in evidence.incident.metrics:
        subject = metric_entity(name).entity
        if subject is not None:
            workloads.add(subject.workload.lower())
    owners = {}
    for address, its_callers in callers.items():
        owner = address_owner(address, workloads, its_callers)
        if owner is not None:
            owners[address] = owner
    owners.update(probed_addresses(evidence))
    by_port = port_owners(evidence)
    stems = known_stems(evidence)
    restarted = restarted_workloads(evidence)
    for address, its_callers in callers.items():
        host, _, port = address.rpartition(":")
        if address in owners or not is_ip(host):
            continue
        owner = _proxied_name(examples.get(address, []), address, workloads) or by_port.get(port)
        if owner is None:
            named = {stem_named(text, stems, who) for text, who in examples.get(address, [])}
            owner = named.pop() if len(named) == 1 else None
        if owner is None and len(restarted) == 1:
            owner = next(iter(restarted))
        if owner is not None and owner not in its_callers:
            owners[address] = owner
    evidence.memo["address_owners"] = owners
    return owners


# Signatures of a workload's containers dying or being replaced.
_RESTART_KINDS = frozenset({"crash_loop", "oom_killed", "pod_replaced"})
_RESTART_SERIES = re.compile(r"restart", re.I)


def restarted_workloads(evidence: Evidence) -> set[str]:
    """Workloads whose containers newly died, restarted or were replaced after the split:
    a new crash-loop, OOM-kill or replacement line, or a restart counter that rose. While
    one of them restarts, an address its callers are refused at or time out on is likely
    its (nothing else went away)."""
    found: set[str] = set()
    for signature in evidence.of(SignatureSignal):
        value = signature.value
        if value.kind in _RESTART_KINDS and value.count_after > 0 and value.count_before == 0:
            name = value.obj or value.emitter
            if name:
                found.add((pod_workload(name) or name).lower())
    for anomaly in evidence.of(MetricAnomalySignal):
        series = anomaly.value
        if series.direction == "up" and _RESTART_SERIES.search(series.metric):
            subject = metric_entity(series.metric).entity
            if subject is not None:
                found.add(subject.workload.lower())
    return found


def _token_pods(token: str) -> set[str]:
    """Workloads of the pod names in one word, alone or in a path (`[pod/<pod>/server]`)."""
    return {w for part in token.strip("[]").split("/") if (w := pod_workload(part))}


def _proxied_name(examples: list[tuple[str, str]], address: str, workloads: set[str]) -> str | None:
    """The upstream's name a proxy's failing lines give beside `address` (a known workload
    when the name's first label is one: `ledger.prod.svc.cluster.local` -> `ledger`). An
    edge proxy's authority is its own public name, not the upstream's: skipped."""
    for text, emitter in examples:
        named = named_upstream(text)
        if named is None or named[1] != address:
            continue
        head = _bare(named[0]).split(".")[0]
        prefix = set().union(*(_token_pods(t) for t in text.split()[:3]))
        if head == emitter or (emitter and head in name_words(emitter)) or head in prefix:
            continue
        return head if head in workloads else _bare(named[0])
    return None


# The address a kubelet probe called (`Get "http://10.244.0.136:80/health": context deadline
# exceeded`): the probed pod's own.
_PROBED_URL = re.compile(r"https?://(\d{1,3}(?:\.\d{1,3}){3}:\d{1,5})/")
# The port a probe called, with or without an address (`grpc_health_probe`'s `failed to
# connect service ":7070"`, `dial tcp 10.1.2.3:8080: connect: connection refused`).
_PROBED_PORT = re.compile(
    r"""(?:service|dial tcp|connect to|addr(?:ess)?)[\s=:"']*"""
    r"(?:\d{1,3}(?:\.\d{1,3}){3})?:(\d{2,5})\b"
)


def probed_addresses(evidence: Evidence) -> dict[str, str]:
    """Pod addresses named by failing probes -> the probed pod's workload: a kubelet probe
    calls the pod's own IP, so a caller failing on that address is failing on that pod."""
    return {
        address: workload
        for workload, example in _failing_probes(evidence)
        for address in _PROBED_URL.findall(example)
    }


def _failing_probes(evidence: Evidence) -> list[tuple[str, str]]:
    """(the probed pod's workload, the line) of every failing probe that names its pod."""
    return [
        ((pod_workload(s.value.obj) or s.value.obj).lower(), s.value.example)
        for s in evidence.of(SignatureSignal)
        if s.value.kind == "probe_failed" and s.value.obj
    ]


def port_owners(evidence: Evidence) -> dict[str, str]:
    """Port -> the one workload that listens on it: announced in its own logs (`starting
    grpc server at :3550`, `LogVolumeValue.listeners`) or called there by a failing probe
    of its pod. A port two workloads serve on (every Java service's 8080) is no one's."""
    serving: dict[str, set[str]] = {}
    for volume in evidence.of(LogVolumeSignal):
        for port, names in volume.value.listeners.items():
            serving.setdefault(port, set()).update(n.lower() for n in names)
    for workload, example in _failing_probes(evidence):
        for port in _PROBED_PORT.findall(example):
            serving.setdefault(port, set()).add(workload)
    return {port: names.pop() for port, names in serving.items() if len(names) == 1}


DB_HOST_WORDS = frozenset(
    ["db", "database", "postgres", "postgresql", "pg", "mysql", "mariadb", "rds", "aurora"]
    + ["sql", "mssql", "oracle", "cockroach", "primary", "replica", "pgbouncer", "mongo"]
)


def failing_dependencies(evidence: Evidence) -> list[DependencyErrorsSignal]:
    """dependency_errors signals with real trouble after the deploy (new or rising)."""
    found = []
    for signal in evidence.of(DependencyErrorsSignal):
        if not plausible_host(signal.value.host):
            continue
        before, after = float(signal.value.count_before), count_after(signal)
        # Same bar as for log templates: new, or at least tripled.
        if after >= 3 and after >= RISE_RATIO * max(before, 0):
            found.append(signal)
    return found


# Default ports of databases (the stores of `PORT_SERVICES` named by database words:
# Postgres, pgbouncer, MySQL, SQL Server, Oracle, MongoDB, CockroachDB): `10.20.1.14:5432`
# is a database whatever its name.
DB_PORTS = frozenset(port for port, words in PORT_SERVICES.items() if words & DB_HOST_WORDS)
_DB_SCHEME = re.compile(
    r"\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|sqlserver|oracle|cockroachdb)"
    r"(?:\+\w+)?://(?:[^@/\s]+@)?([a-z0-9][a-z0-9.-]*[a-z0-9])",
    re.I,
)


def is_db_host(host: str) -> bool:
    """Whether a host is a database, by name (`pg-orders-primary`) or port (`x:5432`)."""
    if host.rsplit(":", 1)[-1] in DB_PORTS and ":" in host:
        return True
    return bool(host_tokens(host) & DB_HOST_WORDS) or any(
        w in host.lower().replace(".", "-").split("-") for w in DB_HOST_WORDS
    )


def config_db_hosts(evidence: Evidence) -> list[str]:
    """Database hosts the service is configured with (DSNs and database host settings)."""
    found: dict[str, None] = {}
    for key, value in flatten_items(evidence.incident.config_snapshot):
        if not isinstance(value, str):
            continue
        for match in _DB_SCHEME.finditer(value):
            found.setdefault(match.group(1).lower(), None)
        last = key.lower().rsplit(".", 1)[-1]
        names_host = ("host" in last or "addr" in last) and "://" not in value
        if names_host and (is_db_host(value) or _has_db_word(key)):
            found.setdefault(value.lower(), None)
    return list(found)


# Clusters list their members under other names: Elasticsearch `nodes`, Kafka
# `bootstrap_servers`/`brokers`, Cassandra `seeds`, memcached `servers`.
_ENDPOINT_KEY = re.compile(
    r"(?:^|_)(?:url|uri|host|hostname|endpoint|address|addr|node|server|broker|seed)s?$", re.I
)
# Section names that say how a peer is reached, not which peer it is.
_GENERIC_SECTIONS = frozenset(
    {"http", "https", "grpc", "rpc", "api", "app", "service", "server", "client", "clients"}
    | {"proxy", "net", "network", "upstream", "default", "settings", "config", "urls", "hosts"}
)
_URL_HOST = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?(?:[^@/\s]+@)?([a-z0-9][a-z0-9.-]*[a-z0-9])")


def configured_peers(evidence: Evidence) -> dict[str, list[str]]:
    """Dependencies the config gives an endpoint to: the section's name -> its hosts.

    `s3.endpoint_url: https://s3.eu-west-1.amazonaws.com` and
    `clients.geo.url: http://geo.internal` configure the peers `s3` and `geo`; the section
    holding the endpoint key is the name the service's metrics and libraries use for it.
    """
    found: dict[str, dict[str, None]] = {}
    for key, value in flatten_items(evidence.incident.config_snapshot):
        parts = key.lower().split(".")
        # A cluster is configured as a list of endpoints (`hosts: [https://a:9200, ...]`).
        values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        if len(parts) < 2 or not _ENDPOINT_KEY.search(parts[-1].replace("-", "_")):
            continue
        peer = parts[-2].replace("_", "-")
        if peer in _GENERIC_SECTIONS:
            continue
        for item in values:
            if not isinstance(item, str):
                continue
            host = url_host(item)
            if host is None or ("." not in host and "://" not in item):
                continue
            found.setdefault(peer, {}).setdefault(host, None)
    return {peer: list(hosts) for peer, hosts in found.items()}


def url_host(value: str) -> str | None:
    """The host of a URL or address (`https://u@geo.internal:8443/v2` -> `geo.internal`),
    lower-cased; None when the value does not start like one."""
    match = _URL_HOST.match(value.strip().lower())
    return match.group(1) if match else None


def _has_db_word(key: str) -> bool:
    return bool(set(key.lower().replace("_", ".").split(".")) & DB_HOST_WORDS)


def dependency_groups(
    signals: list[DependencyErrorsSignal],
) -> list[list[DependencyErrorsSignal]]:
    """Group dependency_errors signals that name each other (a DNS name and its address).

    `redis-0.cache.svc:6379` whose errors say `dial tcp 10.42.7.19:6379: refused` and
    `10.42.7.19:6379` are one dependency, not two.
    """
    groups: list[list[DependencyErrorsSignal]] = []
    for signal in signals:
        host = _bare(signal.value.host)
        text = signal_text(signal)
        for group in groups:
            if any(
                host in signal_text(other) or _bare(other.value.host) in text for other in group
            ):
                group.append(signal)
                break
        else:
            groups.append([signal])
    return groups


# Symptoms by which an error line blames the host it was talking to.
_HOST_FAULTS = frozenset(
    {"timeout", "refused", "http_5xx", "network", "tls", "auth", "dns", "credential_expired"}
    | {"rate_limited", "circuit_open"}
)


@dataclass
class HostTrouble:
    """One failing downstream host (under one or more names) and the signals showing it."""

    hosts: list[str]
    signals: list[LogSignal]

    def symptoms(self) -> set[str]:
        """Every symptom family of its signals."""
        return set().union(*(signal_symptoms(s) for s in self.signals))

    def count(self) -> float:
        """Errors after the deploy, counting the largest signal of each kind once."""
        deps = [count_after(s) for s in self.signals if isinstance(s, DependencyErrorsSignal)]
        return sum(deps) if deps else max((count_after(s) for s in self.signals), default=0.0)


def failing_hosts(evidence: Evidence) -> list[HostTrouble]:
    """Failing downstream hosts: the extractor's dependency errors, plus hosts that new
    error lines name while failing to reach them (when the extractor did not attribute them).
    """
    own = (evidence.incident.service or "").lower()
    troubles = [
        HostTrouble([s.value.host for s in group], list(group))
        for group in dependency_groups(failing_dependencies(evidence))
        if not _is_self(group[0].value.host, own)
    ]
    failing = {s.id for t in troubles for s in t.signals}
    steady = {
        _bare(s.value.host) for s in evidence.of(DependencyErrorsSignal) if s.id not in failing
    }
    for signal in evidence.trouble():
        symptoms = signal_symptoms(signal)
        if not is_error_level(signal) or count_after(signal) < 3:
            continue
        # Pool waits name the database URL but are the pool's trouble, not the host's.
        if "conn_pool" in symptoms:
            continue
        for host in hosts_of([signal]):
            # New errors pointing at a database are its trouble even in unknown wording.
            if not symptoms & _HOST_FAULTS and not is_db_host(host):
                continue
            # The extractor counted this host's errors itself and found no rise: a shared
            # template quoting it does not make it fail.
            if _is_self(host, own) or _bare(host) in steady:
                continue
            owner = _owner(troubles, host)
            if owner is None:
                troubles.append(HostTrouble([host], [signal]))
            elif signal not in owner.signals:
                owner.signals.append(signal)
    return troubles


def _is_self(host: str, service: str) -> bool:
    """Whether a "host" is the service's own pod or instance (`checkout-api-6d9f7b-q4wlc`)."""
    name = host.lower().split(":")[0]
    # Pods and instances carry bare names; a dotted name is somebody else's endpoint.
    if not service or "." in name:
        return False
    return name == service or name.startswith(service + "-")


def _owner(troubles: list[HostTrouble], host: str) -> HostTrouble | None:
    """The trouble already recorded for this host (by name, or quoted in its errors)."""
    bare = _bare(host)
    for trouble in troubles:
        if any(_same_service(_bare(h), bare) for h in trouble.hosts):
            return trouble
        quoted = (s for s in trouble.signals if isinstance(s, DependencyErrorsSignal))
        if any(bare in signal_text(s) for s in quoted):
            return trouble
    return None


def _same_service(a: str, b: str) -> bool:
    """Whether two names are one service: equal, or a bare name and its qualified DNS name
    (`tax-svc` in a circuit-breaker line and `tax-svc.internal` in the request errors)."""
    if a == b:
        return True
    if ("." in a) == ("." in b):
        return False
    short, full = (a, b) if "." not in a else (b, a)
    # Very short names (`api`) are too common a first label to identify a service.
    return len(short) >= 4 and full.split(".", 1)[0] == short


def unique_hosts(names: list[str]) -> list[str]:
    """Names without the duplicates a port makes (`10.96.0.10` and `10.96.0.10:53`)."""
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(_bare(name), name)
    return list(seen.values())
