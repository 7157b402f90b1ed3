"""Generic expert vocabulary: what log text, metric names and config keys are about.

Every pattern here describes a family of failures as operators name them across stacks
(Python, JVM, Go, Node, databases, Kubernetes); none names one incident's wording. The
agents combine these families with the signal values to decide what the evidence points at.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from sre.extractors.entities import metric_entity, metric_labels
from sre.extractors.measures import counts_failures

# --------------------------------------------------------------------------- log symptoms

# Ordered so that the most specific family is listed first; a text may belong to several.
SYMPTOM_PATTERNS: dict[str, re.Pattern[str]] = {
    "oom": re.compile(
        r"out ?of ?memory|outofmemory|oom[-_ ]?kill|oomkilled|cannot allocate memory|"
        r"memoryerror|heap space|heap out of memory|exit code 137|memory limit exceeded|"
        # A cache refusing writes at its memory limit (Redis `maxmemory`, Memcached).
        r"oom command not allowed|used memory > 'maxmemory'|out of memory storing object",
        re.I,
    ),
    "fd": re.compile(r"too many open files|\bemfile\b|file descriptors? (?:limit|exhausted)", re.I),
    # Kubernetes health checks failing, and the restarts they cause.
    "probe": re.compile(
        r"(?:liveness|readiness|startup) probe (?:failed|errored)|failed (?:liveness|readiness|"
        r"startup) probe|probe failed|back-?off restarting failed container|crashloopbackoff",
        re.I,
    ),
    "disk": re.compile(
        r"no space left|disk (?:is )?full|\benospc\b|disk quota|filesystem (?:is )?full|"
        r"out of disk|disk pressure",
        re.I,
    ),
    "thread_pool": re.compile(
        r"rejectedexecution|thread ?pool (?:is )?(?:exhausted|full|saturated)|"
        r"no (?:available|idle|free) (?:worker|thread)s?|worker pool (?:exhausted|full)|"
        r"executor (?:queue )?(?:is )?full|all workers busy|max(?:imum)? threads",
        re.I,
    ),
    "conn_pool": re.compile(
        r"(?<!http)(?<!https)(?:connection|conn|db|database|hikari|sqlalchemy|queue) ?pool"
        r"[^\n(]{0,40}"
        r"(?:exhaust|timeout|timed out|limit|overflow|unavailable|full|wait)|"
        r"queuepool limit|connection is not available|could not (?:obtain|acquire|get) "
        r"(?:a )?(?:database |db |jdbc )?connection|pool exhausted|no connections? available|"
        r"timed out (?:waiting|acquiring) (?:for )?(?:a )?connection",
        re.I,
    ),
    "too_many_connections": re.compile(
        r"too many (?:connections|clients)|remaining connection slots|max_connections|"
        r"connection limit exceeded",
        re.I,
    ),
    "lock": re.compile(
        r"deadlock|lock wait|lock timeout|could not obtain lock|lock_timeout|"
        r"waiting for (?:a )?(?:row |table )?lock|lock not available|"
        # Postgres: `still waiting for ShareLock`, `Process holding the lock`, and the
        # session state that typically holds row locks open.
        r"waiting for \w*lock\b|holding the lock|idle in transaction",
        re.I,
    ),
    "slow_query": re.compile(
        r"slow query|statement timeout|canceling statement|query (?:timeout|timed out)|"
        r"querytimeout|long[- ]running (?:query|transaction)|long transaction|query took",
        re.I,
    ),
    "replication": re.compile(
        r"replication lag|replica(?:tion)? (?:is )?(?:lagging|behind|delay)|seconds behind "
        r"master|read[- ]only (?:transaction|mode)|failover|primary (?:changed|unavailable)",
        re.I,
    ),
    "db_connection_lost": re.compile(
        r"terminating connection due to|server closed the connection unexpectedly|"
        r"mysql server has gone away|lost connection to mysql|"
        r"the database system is (?:starting up|shutting down|in recovery)|"
        r"--read-only option|cannot execute \w+ in a read-only transaction",
        re.I,
    ),
    "tls": re.compile(
        r"x509|certificate (?:has )?(?:expired|verify|invalid|not yet valid|unknown)|"
        r"certificate_verify_failed|ssl ?(?:handshake|error)|tls handshake|handshake fail|"
        r"pkix|cert(?:ificate)? expired|unknown (?:ca|authority)|self[- ]signed|"
        r"expired certificate|bad certificate|remote error: tls|tls: ",
        re.I,
    ),
    "auth": re.compile(
        r"\b401\b|\b403\b|unauthori[sz]ed|forbidden|invalid (?:api[ _]?)?(?:token|key|"
        r"credentials|signature)|token (?:has )?expired|authentication (?:failed|error)|"
        r"access denied|expired (?:token|credentials|key|secret)|invalid_grant|"
        r"insufficient[_ ]scope|missing[_ ]scope|scope[_ ]missing|not authori[sz]ed|"
        r"permission denied|access[_ ]denied|\bdeny\b|\bdenied\b|"
        # OAuth 2.0 token endpoint errors (RFC 6749 5.2): the client's own credentials failed.
        r"\binvalid_client\b|\bunauthorized_client\b",
        re.I,
    ),
    "credential_expired": re.compile(
        r"(?:token|credential|session|key|secret|password|lease)s? (?:has |have |is )?expired|"
        # `the client secret keys for app 'x' are expired`, `password for user y has expired`
        r"\b(?:token|credential|secret|password|(?:api|access|signing|private)[_ ]key)s?\b"
        r"[^.\n]{0,60}?\b(?:is|are|has|have|was|"
        r"were)(?: been| now| already)? expired\b|"
        r"expired[_ ](?:[a-z]+[_ ])?(?:token|credential|session|secret|key|password)s?\b|"
        r"expired(?:token|credentials?|session|secret|key)|invalid_grant",
        re.I,
    ),
    "dns": re.compile(
        r"nxdomain|no such host|name or service not known|could not resolve|"
        r"temporary failure in name resolution|getaddrinfo|unknownhostexception|"
        r"name resolution|dns (?:lookup|resolution|error|timeout)|servfail|eai_again|"
        r"lookup \S+ on \S+:53|server misbehaving|dial tcp: lookup ",
        re.I,
    ),
    "node": re.compile(
        r"notready|node [^\s]+ (?:is )?not ready|node (?:lost|unreachable|down)|kubelet|"
        r"node (?:condition|pressure)|instance (?:terminated|unhealthy)|zone (?:outage|down)",
        re.I,
    ),
    "network": re.compile(
        r"packet loss|network (?:is )?unreachable|no route to host|host unreachable|"
        r"ehostunreach|enetunreach|connection reset by peer|broken pipe|"
        r"load balancer|upstream connect error|\bconnect timed out|\bconnect timeout",
        re.I,
    ),
    "rate_limited": re.compile(
        r"\b429\b|rate[- ]?limit|too many requests|throttl|quota exceeded|"
        # gRPC's 429: `code = ResourceExhausted`
        r"code\s*=\s*resource_?exhausted|(?-i:\bRESOURCE_EXHAUSTED\b)|"
        # Cloud APIs' throttling replies (object stores, key-value stores, queues).
        r"(?-i:\bSlow ?Down\b)|reduce your request rate|request ?limit ?exceeded|"
        r"throughput ?exceeded|request rate (?:is )?too high",
        re.I,
    ),
    "load_shed": re.compile(
        r"load ?shed|shedding|overloaded|server (?:is )?busy|queue (?:is )?full|"
        r"backpressure|max(?:imum)? concurrent|capacity exceeded",
        re.I,
    ),
    # A client-side circuit breaker opened: the dependency behind it kept failing.
    "circuit_open": re.compile(
        r"circuit[ -]?breaker[^\n]{0,40}\bopen|brokencircuit|circuit (?:is )?open", re.I
    ),
    "timeout": re.compile(
        r"timed? ?out|timeout|deadline[ _]?exceeded|read timeout|context deadline", re.I
    ),
    "refused": re.compile(r"connection refused|econnrefused|connect(?:ion)? failed", re.I),
    "http_5xx": re.compile(
        r"\b5\d\d\b (?:from|error)|bad ?gateway|service ?unavailable|gateway ?timeout|"
        r"internal server error|upstream (?:error|failure)|"
        # gRPC's 503: `rpc error: code = Unavailable`, `status: UNAVAILABLE`
        r"code\s*=\s*unavailable|status:?\s*unavailable|(?-i:\bUNAVAILABLE\b)",
        re.I,
    ),
}

# Symptoms by which a dependency is failing (rather than throttling us or refusing our
# credentials).
DEPENDENCY_FAULTS = frozenset({"timeout", "refused", "http_5xx", "network", "circuit_open"})

# Exception type names that are transport or resource failures, not program defects.
_INFRA_EXCEPTION = re.compile(
    r"timeout|timedout|connection|connect|socket|ssl|tls|certificate|x509|dns|unknownhost|"
    r"resolve|outofmemory|memoryerror|oom|rejectedexecution|deadlock|lock|operationalerror|"
    r"pool|unavailable|refused|reset|brokenpipe|ioerror|oserror|ratelimit|throttl|"
    r"unauthori[sz]ed|forbidden|permission|auth|httperror|http5|clienterror|servererror|"
    r"cancel|sql|psycopg|jdbc|database|redis|mongo|kafka|amqp|grpc|status|httprequest|"
    r"webexception|ioexception|eofexception|unavailable|circuit|bulkhead",
    re.I,
)

# Error kinds the log extractor reports on `dependency_errors`, mapped to symptom families.
ERROR_KIND_SYMPTOMS: dict[str, str] = {
    "timeout": "timeout",
    "connection_refused": "refused",
    "http_5xx": "http_5xx",
    "tls": "tls",
    "dns": "dns",
    "auth": "auth",
    "reset": "network",
}


@lru_cache(maxsize=4096)
def symptoms_in(text: str) -> frozenset[str]:
    """The symptom families a piece of log text belongs to (cached: rules ask repeatedly)."""
    return frozenset(name for name, pattern in SYMPTOM_PATTERNS.items() if pattern.search(text))


def symptoms_of_status(codes: Iterable[int]) -> set[str]:
    """Symptom families implied by HTTP status codes."""
    found: set[str] = set()
    for code in codes:
        if code in (401, 403):
            found.add("auth")
        elif code == 429:
            found.add("rate_limited")
        elif code in (502, 503, 504):
            found.add("http_5xx")
    return found


def is_program_error(exception_type: str) -> bool:
    """Whether an exception type names a program defect (KeyError, NPE, TypeError, ...)."""
    return bool(exception_type) and not _INFRA_EXCEPTION.search(exception_type)


# --------------------------------------------------------------------------- metric names

# The metric namespaces of managed databases on GCP and Azure.
_DB_SERVICE = re.compile(
    r"cloudsql\.googleapis|spanner\.googleapis|alloydb\.googleapis|firestore\.googleapis"
    r"|bigtable\.googleapis|Microsoft\.(?:Sql|DBfor\w+|DocumentDB)/",
    re.I,
)

_METRIC_FAMILIES: dict[str, re.Pattern[str]] = {
    "db": re.compile(
        r"(?:^|_)(?:db|database|sql|pg|postgres|mysql|mongo|replica|replication|"
        r"queries|query|deadlocks?|locks?)(?:_|$)|hikari"
        # A database's own series (`orders-prod-pg/ReadThroughput`): its load, not traffic.
        r"|(?:^|[-_])(?:db|pg|postgres|mysql|mongo|aurora|rds)[/.]"
        # CloudWatch: a managed database's namespace or dimension.
        r"|AWS/(?:RDS|DocDB|Neptune|DynamoDB)\b|DB(?:Instance|Cluster)Identifier",
        re.I,
    ),
    "connections": re.compile(r"conn|pool|hikari|sockets?(?:_|$)", re.I),
    "latency": re.compile(
        r"latency|duration|response_time|(?:^|_)p\d{2,3}(?:_|$)|_ms$|lag_ms", re.I
    ),
    "errors": re.compile(r"error|5xx|fail|exception|(?:^|_)5\d\d(?:_|$)", re.I),
    "memory": re.compile(r"mem|rss|heap|(?:^|_)gc(?:_|$)", re.I),
    "cpu": re.compile(r"cpu|load_avg|loadavg", re.I),
    "disk": re.compile(r"disk|filesystem|(?:^|_)fs_|volume|inode", re.I),
    "fd": re.compile(r"(?:^|_)fds?(?:_|$)|file_descriptors|open_files", re.I),
    "threads": re.compile(r"thread|worker|goroutine|executor", re.I),
    "traffic": re.compile(
        r"requests?_(?:per|rate|total|count)|(?:^|_)(?:rps|qps|tps)(?:_|$)|request_rate|"
        r"throughput|invocations|(?:^|_)traffic|ingress|incoming|(?:^|_)http_requests|"
        r"(?:^|[./])requests?(?:$|[.{\[( ])",
        re.I,
    ),
    "queue": re.compile(r"queue|backlog|consumer_?(?:group)?_lag|pending|(?:^|_)lag(?:_|$)", re.I),
    # Work done (messages processed, emails sent): it falling is the symptom.
    "throughput": re.compile(
        r"processed|consumed|handled|completed|delivered|(?:^|_)sent(?:_|$)|succeeded", re.I
    ),
    "rate_limited": re.compile(r"429|throttl|rate_limited|ratelimit", re.I),
    "retries": re.compile(r"retr(?:y|ies)", re.I),
    "auth": re.compile(r"(?:^|_)40[13](?:_|$)|unauthori|forbidden|denied|auth_fail", re.I),
    "dns": re.compile(r"dns|resolv", re.I),
    "node": re.compile(r"node|kubelet|(?:^|_)pods?_(?:ready|not_ready|restarts)", re.I),
    # Network hops between the service and the world (NAT, conntrack, egress) count: their
    # port or connection exhaustion is a network fault outside the application. (Load
    # balancer series are left out: their 5xx mostly echo the backends.)
    "network": re.compile(
        r"packet|retransmit|network|(?:^|_)tcp_|nat_?gateway|(?:^|_)s?nat(?:_|$)|conntrack|"
        r"(?:^|_)egress",
        re.I,
    ),
}

_LABEL_VALUE = re.compile(r'[{,]\s*[a-zA-Z_][a-zA-Z0-9_]*\s*=\s*"([^"]+)"')


def metric_label_values(name: str) -> list[str]:
    """The label values of a Prometheus-style series name (`x{gw="nat-1"}` -> [`nat-1`])."""
    return _LABEL_VALUE.findall(name)


def metric_families(name: str) -> set[str]:
    """The families a metric name belongs to (`db_connections_in_use` -> db, connections)."""
    found = {family for family, pattern in _METRIC_FAMILIES.items() if pattern.search(name)}
    if "threads" in found and not _METRIC_FAMILIES["threads"].search(metric_entity(name).measure):
        # Only the measure says what is counted: `fulfillment-worker/Invocations` counts a
        # worker's invocations, not its threads.
        found.discard("threads")
    # A request count filtered to failing responses (`status="500"`, `code=~"5.."`) counts
    # errors, by the extractor's own reading of its labels.
    if "{" in name and counts_failures(metric_labels(name)):
        found.add("errors")
    # Database query rates are database load, and error or latency series of requests
    # are symptoms: neither is the service's incoming traffic.
    if found & {"db", "errors", "latency", "auth", "rate_limited"}:
        found.discard("traffic")
    # A managed database's own network series (`cloudsql.googleapis.com/database/network/
    # connections`) count its clients' connections: the database's, not the network's.
    if _DB_SERVICE.search(name):
        found -= {"network", "node"}
    return found


# --------------------------------------------------------------------------- config keys

_KEY_FAMILIES: dict[str, re.Pattern[str]] = {
    "pool": re.compile(r"pool|max_conn|connections|overflow|max_idle|min_idle", re.I),
    "timeout": re.compile(r"timeout|deadline|_ms$|_seconds$|(?:^|_)ttl(?:_|$)", re.I),
    # A sampling rate (`access_log.sampling_rate`) says how much is logged or traced, not
    # how much traffic passes: it is the logging family's.
    "rate_limit": re.compile(
        r"(?<!sample_)(?<!sampling_)rate|limit|throttl|quota|burst|per_(?:second|minute)", re.I
    ),
    "flag": re.compile(
        r"feature|flag|enable|(?:^|_)enabled?$|rollout|toggle|experiment|(?:^|[._])use_", re.I
    ),
    "memory": re.compile(r"mem|heap|xmx|cache_size|max_size|buffer", re.I),
    "threads": re.compile(r"thread|worker|concurren|parallel|executor", re.I),
    "retries": re.compile(r"retr(?:y|ies)|backoff|attempts", re.I),
    "cache": re.compile(r"cache|(?:^|_)ttl", re.I),
    "auth": re.compile(
        r"scope|permission|role|acl|auth|allow|deny|policy|token|credential|secret|"
        r"api_key|cert|tls|ssl|oauth|audience|issuer",
        re.I,
    ),
    "endpoint": re.compile(r"url|host|endpoint|address|(?:^|_)port$|dns|base_uri|region", re.I),
    # Log verbosity and retention (`logging.level`, `log.rotate_mb`) govern disk and CPU use.
    "logging": re.compile(
        r"log_?level|debug|verbose|trace|sampl|"
        r"(?:^|_)(?:log|logs|logging|logger)_(?:level|rotat|retention|keep|backup|max|size|file)",
        re.I,
    ),
    # A Service's or Deployment's label selector: which pods receive its traffic.
    "selector": re.compile(r"selector|match_?labels", re.I),
    # Health checks: how soon and how often a container is probed, and how many failures
    # restart it.
    "probe": re.compile(
        r"probe|liveness|readiness|startup|health_?check|initial_?delay|failure_?threshold",
        re.I,
    ),
    # Batch and fetch sizes govern how much work each round trip does.
    "batch": re.compile(r"batch|fetch|prefetch|bytes|chunk|page_size|max_poll", re.I),
    # Which bucket, container, queue or table the service uses: a credential scoped to the
    # old one is refused on the new one.
    "resource": re.compile(
        r"bucket|container_name|blob_container|queue_name|topic|table_name|index_name|"
        r"namespace|key_prefix|(?:^|_)prefix$",
        re.I,
    ),
}

_F = frozenset
# Which log symptoms and metric families a change of a config key family can cause, by the
# direction of a numeric change: tightening a pool or a timeout causes waits and timeouts,
# loosening it does not (but a bigger pool can exhaust the database's connection slots).
# "any" applies to both directions and to non-numeric changes.
_EXPLAINS: dict[tuple[str, str], tuple[frozenset[str], frozenset[str]]] = {
    ("pool", "down"): (
        _F({"conn_pool", "timeout"}),
        _F({"connections", "latency", "errors", "queue", "throughput"}),
    ),
    ("pool", "up"): (_F({"too_many_connections"}), _F({"connections", "db"})),
    ("timeout", "down"): (_F({"timeout", "http_5xx"}), _F({"errors", "queue"})),
    ("timeout", "up"): (_F({"thread_pool", "conn_pool"}), _F({"latency", "threads"})),
    ("rate_limit", "down"): (
        _F({"rate_limited", "load_shed"}),
        _F({"rate_limited", "errors", "auth"}),
    ),
    ("rate_limit", "up"): (
        _F({"load_shed", "too_many_connections"}),
        _F({"traffic", "cpu", "db"}),
    ),
    ("threads", "down"): (
        _F({"thread_pool", "timeout"}),
        _F({"latency", "queue", "threads", "throughput"}),
    ),
    ("batch", "down"): (_F(), _F({"queue", "throughput", "latency"})),
    ("batch", "up"): (_F({"oom", "timeout"}), _F({"memory", "latency"})),
    ("threads", "up"): (_F({"too_many_connections", "oom"}), _F({"cpu", "memory", "db"})),
    ("memory", "any"): (_F({"oom"}), _F({"memory"})),
    ("retries", "up"): (
        _F({"rate_limited", "load_shed"}),
        _F({"traffic", "retries", "queue"}),
    ),
    ("retries", "down"): (_F(), _F({"errors"})),
    ("cache", "any"): (_F({"slow_query"}), _F({"db", "latency"})),
    ("flag", "any"): (_F({"code_error"}), _F({"errors", "latency"})),
    ("auth", "any"): (_F({"auth", "tls", "credential_expired"}), _F({"auth", "errors"})),
    ("resource", "any"): (_F({"auth"}), _F({"auth"})),
    ("endpoint", "any"): (
        _F({"dns", "refused", "tls", "timeout", "http_5xx"}),
        _F({"errors"}),
    ),
    ("logging", "any"): (_F({"disk"}), _F({"disk", "cpu"})),
    ("probe", "any"): (_F({"probe"}), _F()),
    # A selector that matches no pod leaves its Service with no endpoints: its callers are
    # refused, or told by their proxy there is no healthy upstream (503).
    ("selector", "any"): (_F({"no_instances", "refused", "http_5xx"}), _F({"errors"})),
    ("resolver", "any"): (_F({"dns"}), _F({"errors"})),
    # A web application firewall's rules run on every request: a costly pattern burns the
    # proxies' CPU, and its requests queue, time out or fail with 5xx.
    ("request_filter", "any"): (_F({"http_5xx"}), _F({"cpu", "latency", "errors"})),
}

# A resolver's configuration, wherever in the key it sits (`kube-system/coredns.Corefile.
# corp.example.internal:53.forward`, `dnsConfig.options.ndots`): it governs name resolution.
_RESOLVER_KEY = re.compile(
    r"coredns|corefile|kube-?dns|node-?local-?dns|dnsmasq|resolv(?:\.conf|er)|dns_?config"
    r"|nameservers?|ndots|stub_?domains",
    re.I,
)


# A web application firewall's configuration, wherever in the key it sits (`waf.rules.
# 100412.sensitivity`, `modsecurity.SecRule...`): rules matched against every request.
_REQUEST_FILTER_KEY = re.compile(
    r"(?:^|[^a-z])(?:waf|mod_?security|coraza|owasp_?crs|sec_?rules?)(?:[^a-z]|$)", re.I
)

# Families read from anywhere in the key, not only its last two segments.
WHOLE_KEY_FAMILIES: dict[str, re.Pattern[str]] = {
    "resolver": _RESOLVER_KEY,
    "request_filter": _REQUEST_FILTER_KEY,
}


def explains(family: str, direction: str = "any") -> tuple[frozenset[str], frozenset[str]]:
    """Symptoms and metric families a change of this key family in this direction explains.

    Args:
        family: A key family (`pool`, `timeout`, ...).
        direction: `up`, `down` or `any` (unknown direction: the union of both).
    """
    if (family, "any") in _EXPLAINS:
        return _EXPLAINS[(family, "any")]
    if direction in ("up", "down"):
        return _EXPLAINS.get((family, direction), (_F(), _F()))
    up = _EXPLAINS.get((family, "up"), (_F(), _F()))
    down = _EXPLAINS.get((family, "down"), (_F(), _F()))
    return up[0] | down[0], up[1] | down[1]


_LOGGING_SECTIONS = frozenset({"log", "logs", "logging", "logger", "loggers"})


def key_families(key: str) -> set[str]:
    """The families a dotted config key belongs to, judged by its last two segments (a
    resolver's or a web application firewall's by the whole key)."""
    # camelCase keys (`maxBytesPerPartition`) are read as words too.
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key)
    segments = snake.lower().split(".")
    if any(segment in _LOGGING_SECTIONS for segment in segments[:-1]):
        # Whatever a key under `logging.` says (`log.log_token_kid`, `logging.level.org.
        # apache.http.wire`), it changes what is logged.
        return {"logging"}
    tail = "_".join(segments[-2:])
    found = {family for family, pattern in _KEY_FAMILIES.items() if pattern.search(tail)}
    found.update(family for family, pattern in WHOLE_KEY_FAMILIES.items() if pattern.search(key))
    return found


_TOKEN = re.compile(r"[a-z][a-z0-9]+")
# Tokens too common in names, paths and hosts to link two things on their own.
STOPWORDS = frozenset(
    [
        "app",
        "apps",
        "src",
        "lib",
        "main",
        "api",
        "service",
        "services",
        "server",
        "client",
        "clients",
        "internal",
        "svc",
        "com",
        "org",
        "net",
        "io",
        "http",
        "https",
        "www",
        "prod",
        "production",
        "staging",
        "local",
        "default",
        "config",
        "configs",
        "settings",
        "yaml",
        "yml",
        "json",
        "py",
        "js",
        "ts",
        "go",
        "java",
        "rb",
        "kt",
        "cs",
        "test",
        "tests",
        "spec",
        "docs",
        "readme",
        "md",
        "txt",
        "utils",
        "util",
        "common",
        "core",
        "base",
        "index",
        "handler",
        "handlers",
        "new",
        "old",
        "get",
        "set",
        "the",
        "and",
        "for",
        "with",
        "from",
        "into",
        "value",
        "values",
        "max",
        "min",
        "error",
        "errors",
        "exception",
        "exceptions",
        "request",
        "requests",
        "response",
        "failed",
        "failure",
        "failures",
        "warn",
        "warning",
        "info",
        "debug",
        "line",
        "lines",
        "message",
        "level",
    ]
)


def tokens(text: str) -> set[str]:
    """Lower-case word tokens of a name, path or host, without generic words."""
    return {t for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS and len(t) >= 3}


# Path words that mark data-access code: where N+1 queries and heavy transactions are born.
DATA_ACCESS_WORDS = frozenset(
    [
        "model",
        "models",
        "repository",
        "repositories",
        "repo",
        "dao",
        "dal",
        "query",
        "queries",
        "orm",
        "serializer",
        "serializers",
        "persistence",
        "store",
        "storage",
        "sql",
        "database",
        "db",
        "schema",
        "entity",
        "entities",
        "mapper",
        "mappers",
        "transaction",
        "transactions",
    ]
)
