"""Known signatures of real platforms: single lines that decide a cause.

Some log lines are decisive on their own, with no baseline to call them new and no change to
blame: `OOMKilled`, `x509: certificate has expired`, `NXDOMAIN`, `No instances available
for cart`. This is a catalogue of them, in the manner of k8sgpt's analyzers, grouped by
platform: Kubernetes, managed databases, DNS, TLS, credentials, service discovery, runtimes,
disks and networks. Each entry names:

- `kind`: what happened (`oom_killed`, `dns_failure`, ...);
- `category`: the taxonomy category it points at when it is the cause; `None` for
  symptoms whose cause lies elsewhere (a crash loop, a failing probe), which mark their
  entity as troubled without saying why;
- `strength`: how decisive one occurrence is (1.0 decides; 0.5 is a strong hint; symptoms
  0.3);
- `obj`: when the pattern captures it, the object the line names (the host that did not
  resolve, the service with no instances, the Secret that is missing), which is what to act
  on; otherwise the line's emitter is.

`match_signatures(text)` returns every signature in a text. A cheap combined pre-filter
skips texts that mention none of the catalogue's words, so scanning every mined template of
a large log costs little. Pure functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sre.extractors.finding import Finding
from sre.signals.values import SignatureValue, Trend

__all__ = ["CATALOGUE", "Signature", "SignatureMatch", "match_signatures", "series_signature"]


@dataclass(frozen=True)
class Signature:
    """One entry of the catalogue (see the module docstring)."""

    kind: str
    family: str
    category: str | None
    strength: float
    pattern: re.Pattern[str]
    summary: str
    objects: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True)
class SignatureMatch:
    """A signature found in a text, with the object it names (if any)."""

    signature: Signature
    obj: str | None


def _sig(
    kind: str,
    family: str,
    category: str | None,
    strength: float,
    pattern: str,
    summary: str,
    objects: tuple[str, ...] = (),
) -> Signature:
    """A catalogue entry; `objects` are patterns whose `obj` group names what to act on,
    tried in order when the main pattern itself captures nothing."""
    return Signature(
        kind,
        family,
        category,
        strength,
        re.compile(pattern, re.I),
        summary,
        tuple(re.compile(o, re.I) for o in objects),
    )


_NAME = r"[\"'`]?(?P<obj>[A-Za-z0-9](?:[\w./:-]{0,120}[\w])?)[\"'`]?"

CATALOGUE: tuple[Signature, ...] = (
    # ----------------------------------------------------------------- Kubernetes
    _sig(
        "oom_killed",
        "kubernetes",
        "resource_exhaustion",
        1.0,
        r"\bOOMKilled\b|\bOOM[- ]?kill(?:ed|er)?\b|Out of memory: Kill(?:ed)? process"
        r"|memory cgroup out of memory|\boom_kill\b",
        "killed for running out of memory (OOMKilled)",
    ),
    _sig(
        "evicted",
        "kubernetes",
        "resource_exhaustion",
        1.0,
        r"\bEvicted\b|The node (?:was|had) low on resource|\b(?:Disk|Memory|PID)Pressure\b"
        r"|ephemeral-storage usage exceeds|EvictionThresholdMet",
        "pods evicted under node resource pressure",
    ),
    _sig(
        "unschedulable_selector",
        "kubernetes",
        "config_change",
        0.8,
        r"didn't match (?:Pod's )?node (?:affinity|selector)|node\(s\) didn't match"
        r"|had untolerated taint|didn't tolerate",
        "pods match no node (node selector, affinity or taints)",
    ),
    _sig(
        "failed_scheduling",
        "kubernetes",
        "resource_exhaustion",
        0.8,
        r"\bInsufficient (?:cpu|memory|nvidia\S*|ephemeral-storage|pods)\b"
        r"|Too many pods|\bFailedScheduling\b.*(?:Insufficient|capacity)",
        "pods cannot be scheduled (insufficient capacity)",
    ),
    _sig(
        "volume_unbound",
        "kubernetes",
        "config_change",
        0.8,
        r"\bProvisioningFailed\b|storageclass(?:\.storage\.k8s\.io)? [\"'`]?(?P<obj>[\w.-]+)"
        r"[\"'`]? not found|persistentvolumeclaims? [\"'`]?(?P<obj2>[\w.-]+)[\"'`]? not found"
        r"|unbound immediate PersistentVolumeClaims",
        "a volume claim cannot be bound (missing storage class or claim)",
    ),
    _sig(
        "quota_exceeded",
        "kubernetes",
        "resource_exhaustion",
        0.8,
        r"exceeded quota|forbidden: exceeded|\bResourceQuota\b.*(?:exceeded|forbidden)"
        r"|maximum (?:cpu|memory) usage per (?:Pod|Container) is",
        "a resource quota refuses new pods",
        # The quota is what to raise (`forbidden: exceeded quota: team-compute, requested:`).
        objects=(r"exceeded quota: [\"'`]?(?P<obj>[a-z0-9][\w.-]{0,252})",),
    ),
    _sig(
        "cpu_throttling",
        "kubernetes",
        "resource_exhaustion",
        0.6,
        r"\bCPUThrottlingHigh\b|cpu throttl(?:ed|ing)|throttled_(?:periods|seconds)",
        "CPU throttled at its limit",
    ),
    _sig(
        "image_pull_auth",
        "kubernetes",
        "certificate_or_credentials",
        1.0,
        r"(?:ImagePullBackOff|ErrImagePull|Failed to pull image|pull access denied)"
        r".*(?:unauthorized|authentication required|denied|401|403|no basic auth credentials"
        r"|expired|authorization token)",
        "image pulls refused: registry credentials",
    ),
    _sig(
        "image_pull",
        "kubernetes",
        "config_change",
        0.8,
        r"\bImagePullBackOff\b|\bErrImagePull\b|Failed to pull image|manifest unknown"
        r"|repository does not exist|\bInvalidImageName\b",
        "image cannot be pulled (bad image or tag)",
    ),
    _sig(
        "missing_config",
        "kubernetes",
        "config_change",
        1.0,
        r"(?:configmap|secret)s? " + _NAME + r" not found|CreateContainerConfigError"
        r"|couldn't find key \S+ in (?:ConfigMap|Secret)",
        "a ConfigMap or Secret the pod needs is missing",
        (r"couldn't find key \S+ in (?:ConfigMap|Secret) (?P<obj>[\w./-]+)",),
    ),
    _sig(
        "missing_env",
        "kubernetes",
        "config_change",
        1.0,
        r"(?:required )?(?:environment variable|env var(?:iable)?)\s+[\"'`]?"
        r"(?P<obj>[A-Z][A-Z0-9_]{2,})[\"'`]?\s+(?:is\s+)?(?:not set|missing|undefined|empty"
        r"|required)|missing required (?:environment variable|env var)s?:?\s*"
        r"[\"'`]?(?P<obj2>[A-Z][A-Z0-9_]{2,})|KeyError: '(?P<obj3>(?-i:[A-Z][A-Z0-9_]{2,}))'",
        "a required environment variable is not set",
    ),
    _sig(
        "failed_mount",
        "kubernetes",
        "infrastructure",
        0.8,
        r"\bFailedMount\b|\bFailedAttachVolume\b|Multi-Attach error|Unable to attach or mount"
        r"|MountVolume\.\w+ failed",
        "a volume cannot be attached or mounted",
    ),
    _sig(
        "node_not_ready",
        "kubernetes",
        "infrastructure",
        1.0,
        r"\bNodeNotReady\b|Kubelet stopped posting node status|node \S+ (?:is|status is now:?)"
        r" NotReady|\bNotReady\b.*\bnode\b|\bnode\b.*\bNotReady\b",
        "a node went NotReady",
        objects=(
            # klog: `... event message for node gke-pool-8c1f-k7xq`; events and kubectl:
            # `Node ip-10-0-1-5 status is now: NodeNotReady`, `node/ip-10-0-1-5 ... NotReady`.
            r"\b(?:for|on) node [\"'`]?(?P<obj>[a-z0-9][\w.-]{2,252})",
            r"\bnode[/ ][\"'`]?(?P<obj>(?=[a-z0-9][\w.-]*[-.\d])[a-z0-9][\w.-]{2,252})[\"'`]?"
            r" (?:is|status|became|was)\b",
        ),
    ),
    _sig(
        "crash_loop",
        "kubernetes",
        None,
        0.3,
        r"\bCrashLoopBackOff\b|Back-off restarting failed container|BackoffLimitExceeded",
        "containers crash-looping",
    ),
    _sig(
        "pod_replaced",
        "kubernetes",
        None,
        0.3,
        # Also read from series: a pod's series ending as a new pod's begin
        # (`sre.extractors.replaced`).
        r"\bSandboxChanged\b|Pod sandbox changed, it will be killed and re-created",
        "a pod was replaced (killed, evicted or crashed)",
    ),
    _sig(
        "probe_failed",
        "kubernetes",
        None,
        0.3,
        # Events' text, and the kubelet's own structured line (`"Probe failed"
        # probeType="Readiness" pod="ns/name"`).
        r"(?:Liveness|Readiness|Startup) probe failed|\bUnhealthy\b.*\bprobe\b"
        r"|Probe failed\W{1,3}probeType=",
        "health probes failing",
        objects=(
            r"\bpod=[\"'`]?(?:[\w.-]+/)?(?P<obj>[a-z0-9][\w.-]{2,252})",
            r"\bpods?/(?P<obj>[a-z0-9][\w.-]{2,252})",
        ),
    ),
    # ----------------------------------------------------------------- databases
    _sig(
        "db_storage_full",
        "database",
        "database",
        1.0,
        r"storage[- ]full|running low on storage|could not extend file|database or disk is full"
        r"|The table '\S+' is full|InnoDB: Write to file .* failed",
        "the database ran out of storage",
    ),
    _sig(
        "db_connections_maxed",
        "database",
        "database",
        1.0,
        r"too many connections|remaining connection slots are reserved|sorry, too many clients"
        r"|max_connections|ER_CON_COUNT_ERROR|connection limit exceeded",
        "the database refuses connections (limit reached)",
    ),
    _sig(
        "db_failover",
        "database",
        "database",
        1.0,
        r"\bfail(?:ed)? ?over\b|promoted to (?:primary|writer|master)|Multi-AZ instance failover"
        r"|read-only transaction|--read-only option|\bERROR 1290\b|DB instance (?:restarted"
        r"|rebooted)|the database system is (?:shutting down|starting up|in recovery mode)",
        "the database failed over or restarted",
        objects=(
            # An identifier, not the next word ("DB instance restarted", "... has started"):
            # RDS and Aurora names carry a hyphen, digit, dot or underscore.
            r"(?:DB instance|DB cluster|to (?:the )?(?:instance|replica|writer))[: ]+[\"'`]?"
            r"(?P<obj>(?=[a-z][\w.-]*(?:[-_\d]|\.\w))[a-z][\w.-]{2,62})",
        ),
    ),
    _sig(
        "db_xid_wraparound",
        "database",
        "database",
        1.0,
        # PostgreSQL refuses writes once a database nears transaction-ID wraparound, and
        # warns before it does. (An autovacuum `to prevent wraparound` is routine: not it.)
        r"not accepting commands to avoid wraparound data loss"
        r"|must be vacuumed within \d+ transactions",
        "the database stopped writes to avoid transaction ID wraparound",
        objects=(
            r"wraparound data loss in database [\\\"'`]*(?P<obj>[\w.-]{1,63})",
            r"database [\\\"'`]+(?P<obj>[\w.-]{1,63})[\\\"'`]+ must be vacuumed",
        ),
    ),
    _sig(
        "db_replica_lag",
        "database",
        "database",
        0.8,
        r"replica(?:tion)? lag|seconds behind (?:master|source)|replication delay"
        r"|ReplicaLag|replica is lagging",
        "a replica lags behind its primary",
    ),
    _sig(
        "db_locks",
        "database",
        "database",
        0.8,
        r"deadlock detected|Deadlock found|Lock wait timeout exceeded|could not obtain lock"
        r"|canceling statement due to lock timeout|waiting for (?:AccessExclusiveLock|\w+Lock)",
        "queries wait on locks or deadlock",
    ),
    _sig(
        "db_throttled",
        "database",
        "database",
        0.8,
        r"ProvisionedThroughputExceeded|ThrottlingException|RequestLimitExceeded"
        r"|Throughput exceeds the current capacity",
        "the database throttles requests (capacity)",
    ),
    _sig(
        "pool_exhausted",
        "runtime",
        "resource_exhaustion",
        0.8,
        r"connection (?:pool|is not available).*(?:exhausted|timed out|request timed out)"
        r"|Cannot get a connection, pool error|QueuePool limit of size|pool exhausted"
        r"|HikariPool-\d+ - Connection is not available",
        "the application's connection pool is exhausted",
    ),
    # ----------------------------------------------------------------- DNS
    _sig(
        "dns_failure",
        "dns",
        "infrastructure",
        1.0,
        r"\bNXDOMAIN\b|\bSERVFAIL\b|getaddrinfo (?:ENOTFOUND|EAI_AGAIN)|name resolution"
        r"|Failed to resolve [\"'`]?[\w-]+\.[\w.-]+|NameResolutionError|no such host"
        # Not a server's reverse lookup of a client's address (MySQL's `IP address
        # '10.244.3.15' could not be resolved`): that is no name failing to resolve.
        r"|(?<!could not be resolved: )Name or service not known"
        r"|UnknownHostException|could not resolve host|lookup \S+(?: on [\d.:]+)?: "
        r"(?:i/o timeout|server misbehaving)|DNS resolution failed",
        "names do not resolve (DNS)",
        objects=(
            r"lookup (?P<obj>[\w.-]+)",
            r"Failed to resolve [\"'`]?(?P<obj>[\w.-]+)",
            r"getaddrinfo \w+ (?P<obj>[\w.-]+)",
            r"UnknownHostException:?\s*(?P<obj>[\w.-]+)",
            r"could not resolve host:? (?P<obj>[\w.-]+)",
            r"NXDOMAIN\W+(?:for\s+)?(?P<obj>[\w-]+\.[\w.-]+)",
        ),
    ),
    # ----------------------------------------------------------------- TLS and credentials
    _sig(
        "tls_expired",
        "tls",
        "certificate_or_credentials",
        1.0,
        r"certificate (?:has )?expired|CERT_HAS_EXPIRED|expired certificate"
        r"|certificate is not yet valid|certificate verify failed: certificate has expired",
        "a TLS certificate expired",
    ),
    _sig(
        "tls_untrusted",
        "tls",
        "certificate_or_credentials",
        0.8,
        r"certificate signed by unknown authority|unable to get local issuer certificate"
        r"|self[- ]signed certificate|PKIX path building failed|certificate verify failed"
        r"|bad certificate|unknown ca\b",
        "a TLS certificate is not trusted",
    ),
    _sig(
        "tls_handshake",
        "tls",
        "certificate_or_credentials",
        0.5,
        r"TLS handshake (?:timeout|error|failed)|handshake failure|SSLHandshakeException"
        r"|SSL routines|sslv3 alert",
        "TLS handshakes fail",
    ),
    _sig(
        "auth_failed",
        "credentials",
        "certificate_or_credentials",
        0.7,
        r"password authentication failed|Access denied for user|invalid_grant|invalid_client"
        r"|(?:token|credentials?|secret|api key|password) (?:has |have )?(?:expired|been revoked"
        r"|is invalid)|InvalidClientTokenId|SignatureDoesNotMatch|ExpiredToken|AuthFailure"
        r"|invalid api key|Login failed for user|authentication failed",
        "credentials are refused",
    ),
    # ----------------------------------------------------------------- service discovery
    _sig(
        "no_instances",
        "discovery",
        "dependency_failure",
        0.8,
        r"No instances available for " + _NAME + r"|no healthy upstream|no available server"
        r"|upstream connect error or disconnect/reset before headers|no endpoints available"
        r" for service " + _NAME.replace("obj", "obj2"),
        "callers find no healthy instance of a service",
    ),
    # ----------------------------------------------------------------- runtimes
    _sig(
        "runtime_oom",
        "runtime",
        "resource_exhaustion",
        1.0,
        r"OutOfMemoryError|GC overhead limit exceeded|JavaScript heap out of memory"
        r"|\bMemoryError\b|runtime: out of memory|Cannot allocate memory|std::bad_alloc",
        "the process ran out of memory",
    ),
    _sig(
        "fd_exhausted",
        "runtime",
        "resource_exhaustion",
        1.0,
        r"Too many open files|\bEMFILE\b|\bENFILE\b",
        "the process ran out of file descriptors",
    ),
    _sig(
        "threads_exhausted",
        "runtime",
        "resource_exhaustion",
        0.8,
        r"RejectedExecutionException|thread pool (?:is )?(?:exhausted|full)|Thread starvation"
        r"|unable to create (?:new )?native thread|worker pool exhausted",
        "the process ran out of threads or workers",
    ),
    _sig(
        "event_loop_blocked",
        "runtime",
        "resource_exhaustion",
        0.6,
        r"event loop (?:blocked|lag|delay)|blocked the event loop",
        "the event loop is blocked",
    ),
    _sig(
        "disk_full",
        "disk",
        "resource_exhaustion",
        1.0,
        r"No space left on device|\bENOSPC\b|disk quota exceeded|flood[-_ ]stage"
        r"|disk usage exceeded|(?:low|high) disk watermark",
        "a disk is full",
        objects=(
            # Elasticsearch/OpenSearch: `watermark [95%] exceeded on [<id>][<node>][<path>]`.
            r"watermark \[[^\]]*\] exceeded on \[[^\]]*\]\[(?P<obj>[^\]]+)\]",
        ),
    ),
    # ----------------------------------------------------------------- clocks
    _sig(
        "clock_skew",
        "clock",
        "infrastructure",
        1.0,
        r"System clock wrong by|clock skew|ClockSkew|RequestTimeTooSkewed"
        r"|Can't synchroni[sz]e: no selectable sources|clock (?:is )?(?:not |un)synchroni[sz]ed"
        r"|(?:time|clock) (?:is )?out of sync"
        r"|Marking clocksource \S+ as unstable",
        "a host's clock is wrong",
    ),
    # ----------------------------------------------------------------- networks
    _sig(
        "network_partition",
        "network",
        "infrastructure",
        1.0,
        r"network_partitions?_detected[\"']?\s*[:=]\s*true|\bnetwork partition(?:s|ed)? "
        r"(?:detected|between)|partitioned network|\bsplit[- ]brain\b",
        "a network partition split a cluster",
        objects=(
            r"unreachable_nodes[\"']?\s*[:=]\s*\[\s*[\"'](?:[\w-]+@)?(?P<obj>[\w.-]+)",
            r"partition(?:ed)? (?:from|with) [\"']?(?:[\w-]+@)?(?P<obj>[\w.-]+)",
        ),
    ),
    _sig(
        "network_unreachable",
        "network",
        "infrastructure",
        0.6,
        r"No route to host|Network is unreachable|EHOSTUNREACH|ENETUNREACH|packet loss",
        "the network does not reach a host",
    ),
)

# One cheap pass decides whether any entry can match (most texts mention none of them).
_PREFILTER = re.compile(
    r"oom|evict|pressure|schedul|insufficient|quota|throttl|image|pull|manifest|not found"
    r"|didn't match|taint|tolerat|Too many pods|Provisioning|unbound"
    r"|configerror|environment|env var|KeyError|mount|attach|notready|kubelet|backoff|probe"
    r"|unhealthy|storage|extend file|disk is full|connection|clients|fail ?over|promoted"
    r"|read-only|read_only|1290|restart|reboot|database system|lag|behind|replication|deadlock"
    r"|lock|ProvisionedThroughput|capacity|pool|NXDOMAIN|SERVFAIL|getaddrinfo|resolution"
    r"|no such host|service not known|UnknownHost|resolve|lookup|DNS|certificate|CERT_|x509"
    r"|PKIX|verify failed|unknown ca|handshake|SSL|password|Access denied|invalid_|token"
    r"|credential|secret|api key|ClientTokenId|Signature|ExpiredToken|AuthFailure|Login failed"
    r"|authentication|instances available|healthy upstream|available server|upstream connect"
    r"|endpoints available|memory|MemoryError|allocate|bad_alloc|open files|EMFILE|ENFILE"
    r"|RejectedExecution|thread|starvation|event loop|space left|ENOSPC|flood|watermark"
    r"|No route|unreachable|packet loss|partition|split.brain|clock|skew|synchroni"
    r"|wraparound|vacuumed",
    re.I,
)


def match_signatures(text: str) -> list[SignatureMatch]:
    """Every catalogue entry found in `text`, in catalogue order, with its named object.

    An entry whose more specific sibling matched first is skipped (an image pull refused
    for credentials is not also a bad tag).
    """
    if not _PREFILTER.search(text):
        return []
    found: list[SignatureMatch] = []
    seen_kinds: set[str] = set()
    for signature in CATALOGUE:
        m = signature.pattern.search(text)
        if m is None:
            continue
        if signature.kind == "image_pull" and "image_pull_auth" in seen_kinds:
            continue
        seen_kinds.add(signature.kind)
        obj = _object(signature, text)
        found.append(SignatureMatch(signature, obj.strip(".,;:'\"`)]") if obj else None))
    return found


def _object(signature: Signature, text: str) -> str | None:
    """The first object the entry's patterns capture in `text` that is a real name: a mined
    template masks variable parts (`[<*>]`), so the same text's example line is read on."""
    for pattern in (signature.pattern, *signature.objects):
        for m in pattern.finditer(text):
            for key, value in m.groupdict().items():
                if key.startswith("obj") and value and "<*>" not in value:
                    return value
    if signature.kind in _POD_STATES:
        # A `kubectl get pods` row whose STATUS column is the signature: that pod (what a
        # pod needs and lacks, a Secret or an image, is named elsewhere).
        for row in _POD_ROW.finditer(text):
            if signature.pattern.search(row.group("status")):
                return row.group("obj")
    return None


# Signatures that are a pod's own state, shown in its STATUS column.
_POD_STATES = frozenset({"oom_killed", "crash_loop", "evicted"})
# `kubectl get pods`: `<name>  <ready>/<total>  <STATUS>  <restarts> ...`.
_POD_ROW = re.compile(
    r"(?m)^\s*(?P<obj>[a-z0-9][a-z0-9.-]{2,252})\s+\d+/\d+\s+(?P<status>[A-Za-z:]+)"
)


def series_signature(
    signature: Signature,
    *,
    obj: str | None,
    emitter: str | None,
    example: str,
    template: str,
    first_seen: str | None,
    count_after: int = 1,
    steady: bool = False,
    where: str | None = None,
) -> Finding:
    """A signature finding read from metric series rather than lines (an expired
    certificate, a kube-state-metrics reason, a pod replaced): `steady` when the series
    showed it from its first point; described by `where` (default: the object)."""
    trend: Trend = "steady" if steady else "new"
    value = SignatureValue(
        kind=signature.kind,
        family=signature.family,
        category=signature.category,
        strength=signature.strength,
        summary=signature.summary,
        obj=obj,
        emitter=emitter,
        count_before=1 if steady else 0,
        count_after=count_after,
        trend=trend,
        first_seen=None if steady else first_seen,
        example=example[:500],
        template=template[:300],
        hosts=[],
        obj_active=None,
    )
    named = where or obj
    return Finding(f"{signature.summary}{f' ({named})' if named else ''}: {example}", value, "high")
