"""What a metric measures: its kind, which direction is bad, and how it is bounded.

A metric's name and unit decide; nothing else is assumed. The kinds:

| kind          | examples                                             | bad when  |
| ------------- | ---------------------------------------------------- | --------- |
| cpu           | CPUUtilization, CpuUsageRate(%), cpu_seconds         | up        |
| throttling    | ThrottledRequests, Throttles, cpu_cfs_throttled      | up        |
| memory        | MemoryUsageRate(%), jvm_heap_used, rss, working_set  | up        |
| free_memory   | FreeableMemory, memory_available                     | down      |
| disk          | disk_used_percent, VolumeBytesUsed                   | up        |
| free_disk     | FreeStorageSpace, disk_free, node_filesystem_avail   | down      |
| latency       | latency_p99_ms, TargetResponseTime, duration         | up        |
| errors        | error_rate, 5XX count, failures, OOM kills, restarts | up        |
| success       | SuccessRate(%), availability, apdex                  | down      |
| healthy       | HealthyHostCount                                     | down      |
| unhealthy     | UnHealthyHostCount                                   | up        |
| credits       | CPUCreditBalance, BurstBalance                       | down      |
| connections   | DatabaseConnections, pool in use, active threads     | up        |
| lag           | ReplicaLag, consumer_lag, replication delay          | up        |
| xid           | MaximumUsedTransactionIDs, pg_database_xid_age       | up        |
| queue         | queue depth, backlog, AgeOfOldestMessage             | up        |
| traffic       | requests per second, Invocations, workload, rps      | both      |
| network       | NetworkReceiveBytes, NetworkIn, bytes transmitted    | both      |
| packet_loss   | packets dropped, retransmits, packet loss            | up        |
| gc            | gc pause, gc time                                    | up        |
| other         | anything else                                        | both      |

`weight` is how much a departure of that kind counts as evidence of trouble by itself:
resource saturation, errors and server-side latency count fully; traffic and network volume,
which move with load for innocent reasons, count a quarter; a caller's view of latency
(`client` latency) half, as it is a symptom of something downstream.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from sre.extractors.entities import metric_entity, metric_labels

__all__ = ["Measure", "counts_failures", "is_absolute_unit", "measure_of", "series_measure"]


@dataclass(frozen=True)
class Measure:
    """The meaning of one metric.

    Attributes:
        kind: One of the kinds in the module docstring.
        bad: Which direction is trouble: `up`, `down` or `both`.
        percent: The value of 100 % when the metric is a bounded percentage (100 or 1),
            else None. A unit, when given, decides (`Bytes` is never a percentage).
        weight: How much a departure of this kind counts by itself (see the docstring).
        client_side: The metric is a caller's view (client latency, upstream time).
    """

    kind: str
    bad: str
    percent: float | None
    weight: float
    client_side: bool = False


_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+[a-z]*")

# (kind, bad direction, weight, alternatives): the first rule with an alternative whose words
# are all in the name wins; alternatives are separated by "|", words by spaces.
_RULES_TEXT: tuple[tuple[str, str, float, str], ...] = (
    ("free_disk", "down", 1.0, "free storage|free disk|avail filesystem|free fs|free space"),
    ("free_disk", "down", 1.0, "available disk|avail bytes filesystem"),
    ("free_memory", "down", 1.0, "freeable|free memory|available memory|mem free|memavailable"),
    ("credits", "down", 1.0, "credit balance|burst balance"),
    ("unhealthy", "up", 1.0, "unhealthy"),
    ("healthy", "down", 1.0, "healthy host|healthy count"),
    ("success", "down", 1.0, "success|availability|apdex|uptime"),
    ("throttling", "up", 1.0, "throttled|throttles|throttling|throttle"),
    ("packet_loss", "up", 1.0, "packet loss|dropped|drops|retransmits|retransmit|retrans"),
    ("lag", "up", 1.0, "lag|replication delay|behind"),
    # How close a PostgreSQL database is to transaction-ID wraparound (it stops writes there).
    ("xid", "up", 1.0, "xid|transactionids|transaction ids|frozenxid|wraparound"),
    ("errors", "up", 1.0, "error|errors|5xx|fault|faults|failed|failure|failures|fail"),
    ("errors", "up", 1.0, "exception|exceptions|timeouts|rejected|oom|restarts|restart"),
    ("errors", "up", 1.0, "kills|evicted|crash|dlq"),
    ("errors", "up", 0.5, "4xx"),
    ("gc", "up", 1.0, "gc|garbage"),
    ("latency", "up", 1.0, "latency|duration|response time|responsetime|elapsed|rtt|wait"),
    ("latency", "up", 1.0, "p99|p95|p90|p50|seconds sum|seconds bucket|quantile"),
    ("cpu", "up", 1.0, "cpu|processor"),
    ("memory", "up", 1.0, "memory|mem|heap|rss|working set|swap"),
    ("disk", "up", 1.0, "disk|storage|volume|filesystem|inodes|fs"),
    ("connections", "up", 1.0, "connections|connection|pool|threads|fds|descriptors|sockets"),
    ("connections", "up", 1.0, "concurrent|inflight"),
    ("queue", "up", 1.0, "queue|backlog|depth|messages visible|pending|age oldest"),
    ("network", "both", 0.25, "network|bytes|net|receive|transmit|packets|bandwidth"),
    ("traffic", "both", 0.25, "requests|request|rps|qps|throughput|ops|invocations|workload"),
    ("traffic", "both", 0.25, "count|calls|hits"),
)
_RULES: tuple[tuple[str, str, float, tuple[frozenset[str], ...]], ...] = tuple(
    (kind, bad, weight, tuple(frozenset(alt.split()) for alt in text.split("|")))
    for kind, bad, weight, text in _RULES_TEXT
)

_PERCENT_UNITS = frozenset({"%", "percent", "pct", "percentage"})
# Units that are never percentages, whatever the name says (`MemoryUsage` in Bytes).
_ABSOLUTE_UNITS = frozenset(
    {"bytes", "b", "kb", "mb", "gb", "kib", "mib", "gib", "bytes/second", "b/s", "count"}
    | {"ms", "s", "seconds", "milliseconds", "microseconds", "us", "count/second", "ops/s"}
)
_PERCENT_NAME = frozenset({"percent", "pct", "utilization", "utilisation", "ratio", "rate"})
_CLIENT = frozenset({"client", "upstream", "outbound", "downstream", "caller"})


def _tokens(name: str) -> set[str]:
    """Lower-cased words of a metric name, and each pair of neighbours joined:
    `PodClientLatencyP90(s)` -> pod client latency p90 s (podclient, clientlatency, ...);
    `UnHealthyHostCount` -> un healthy host count unhealthy ...; `node_filesystem_avail_bytes`
    -> node filesystem avail bytes."""
    ordered = [w.lower() for w in _WORD.findall(name)]
    words = set(ordered) | {a + b for a, b in zip(ordered, ordered[1:], strict=False)}
    return words | {w.lower() for w in re.split(r"[^A-Za-z0-9]+", name) if w}


# A request count filtered to failing responses (`status="500"`, `response_code_class="5xx"`,
# `code=~"5.."`, `grpc_code="Internal"`) counts errors, not traffic (nor an unknown count).
_STATUS_LABEL = re.compile(r"status|code", re.I)
_ERROR_STATUS = re.compile(
    r"^(?:(?:5\d\d|5xx|5\.\.)(?:\|.*)?|Internal|Unavailable|DeadlineExceeded|Unknown|DataLoss)$",
    re.I,
)


def counts_failures(labels: Mapping[str, str]) -> bool:
    """Whether a series' labels filter it to failing responses (`status=~"5.."`)."""
    return any(
        _STATUS_LABEL.search(key) and _ERROR_STATUS.match(value.strip())
        for key, value in labels.items()
    )


def counts_throttled(labels: Mapping[str, str]) -> bool:
    """Whether a series' labels filter it to throttled responses (`status="429"`)."""
    return any(
        _STATUS_LABEL.search(key) and value.strip() == "429" for key, value in labels.items()
    )


def series_measure(name: str, unit: str | None) -> Measure:
    """The meaning of a whole series name: its measure without the entity, with its labels."""
    return measure_of(metric_entity(name).measure, unit, metric_labels(name))


def measure_of(name: str, unit: str | None, labels: Mapping[str, str] | None = None) -> Measure:
    """The meaning of a metric from its measure name (without the entity), unit and labels."""
    # A request count filtered to failing or throttled responses is that, not traffic.
    failing = bool(labels) and counts_failures(labels or {})
    throttled = bool(labels) and not failing and counts_throttled(labels or {})
    if (failing or throttled) and measure_of(name, unit).kind in ("traffic", "other"):
        return Measure("errors" if failing else "throttling", "up", None, 1.0, False)
    words = _tokens(name)
    kind, bad, weight = "other", "both", 0.5
    for rule_kind, rule_bad, rule_weight, alternatives in _RULES:
        if any(option <= words for option in alternatives):
            kind, bad, weight = rule_kind, rule_bad, rule_weight
            break
    client = bool(words & _CLIENT) and kind == "latency"
    if client:
        weight = 0.5
    return Measure(kind, bad, _percent(words, unit, kind), weight, client)


def is_absolute_unit(unit: str | None) -> bool:
    """Whether a unit rules a percentage out (`Bytes`, `Count`, `Seconds`)."""
    return (unit or "").strip().lower() in _ABSOLUTE_UNITS


def _percent(words: set[str], unit: str | None, kind: str) -> float | None:
    """What 100 % is (100 or 1) when the metric is a bounded percentage, else None."""
    shown = (unit or "").strip().lower()
    if shown in _PERCENT_UNITS or "%" in shown:
        return 100.0
    if shown and shown in _ABSOLUTE_UNITS:
        return None
    if "%" in words or words & {"percent", "pct", "percentage"}:
        return 100.0
    if kind in ("cpu", "memory", "disk", "success") and words & _PERCENT_NAME:
        return 100.0
    return None
