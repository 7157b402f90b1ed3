"""Two trivial root-cause baselines that `bench/accuracy.py` scores beside Alpha.

Both read only the scenario's `incident` and return at most three ranked hypotheses, scored
with the same matching rule as `alpha eval` (`sre.evaluation.match_rank`). They are meant to
be easy to beat; they are not part of the engine.

A. Most ERROR lines by entity. Every error-level line is given to the entity it belongs to
   (`entity_of`); the entities with the most such lines are predicted in that order, each
   with the category whose words (`CATEGORY_WORDS`) occur most in its error lines
   (`code_regression` when none does).

   A line is error-level (`is_error_line`) when it carries a level of ERROR, FATAL,
   CRITICAL, SEVERE, PANIC or EMERG (a word in capitals, `level=error` in logfmt, or a JSON
   `level`/`severity`/`lvl` field, numeric levels >= 50 as pino/bunyan write them), or when
   it is a Kubernetes `Warning` event row (`kubectl describe` / `kubectl events`).

   The entity of a line (`entity_of`), first rule that applies:
   1. `kubectl logs --prefix`: `[pod/<pod>/<container>] ...` -> the pod's workload;
   2. Loki/Promtail export: `<ISO timestamp> <pod> ...` (the second word a Kubernetes pod
      name) -> the pod's workload; or a label set `{pod="...", app="..."}` -> pod, else
      app, service, container or job;
   3. syslog: `[<PRI>]<Mmm dd hh:mm:ss|ISO timestamp> <host> <program>[pid]: ...` -> host;
   4. JSON line: `service` (or `service.name`), `app`, `kubernetes.pod_name`, `host`,
      `hostname` -> that value (a pod name becomes its workload);
   5. otherwise the first `pod/<name>` reference or Deployment-pod name
      (`<workload>-<hash>-<suffix>`) anywhere in the line -> its workload.

   A pod's workload (`workload_of`) drops the generated parts of its name, in Kubernetes'
   alphabet for them (no vowels, no 0/1/3): `ts-basic-service-5dc8d4f9fd-46997` ->
   `ts-basic-service`, `get-data-mldtn` -> `get-data`, `rabbitmq-0` -> `rabbitmq`.

B. Most anomalous metric by robust z, as BARO (Pham et al., FSE 2024) ranks series:
   `|median(current) - median(baseline)| / (1.4826 * MAD(baseline) + EPS)` per series (a flat
   baseline, MAD 0, is scaled by 1 as BARO's RobustScaler does); the
   top series are predicted in that order, each with suspects `[entity, metric name]`
   (`metric_entity`: a `pod`/`service`/`app` label, else the prefix before the first `.` or
   `/`) and a category from the metric's name (`METRIC_WORDS`: cpu, memory, disk ->
   resource_exhaustion; latency, errors, success rate -> dependency_failure; ...).
   Windows: the scenario's explicit `baseline`/`current`; a timestamped series split at
   `deployed_at`, else `incident_started_at`, else in the middle; a plain list split in the
   middle; a lone value has no baseline and is skipped.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from alpha.schemas import IncidentInput, MetricPoints, MetricValue, MetricWindows, RankedHypothesis

TOP = 3
EPS = 1e-6  # keeps a tiny MAD from dividing by almost nothing
MAD_TO_SIGMA = 1.4826

# ----------------------------------------------------------------------------- entities

_GEN = "[bcdfghjklmnpqrstvwxz2456789]"  # Kubernetes' alphabet for generated name parts
_DEPLOYMENT_POD = re.compile(rf"^(?P<base>[a-z0-9][a-z0-9-]*?)-{_GEN}{{6,10}}-{_GEN}{{5}}$")
_SUFFIX_POD = re.compile(rf"^(?P<base>[a-z0-9][a-z0-9-]*?)-{_GEN}{{5}}$")
_ORDINAL_POD = re.compile(r"^(?P<base>[a-z0-9][a-z0-9-]*?)-\d+$")
_POD_TOKEN = re.compile(
    rf"(?<![a-z0-9.-])([a-z0-9][a-z0-9-]*?-{_GEN}{{6,10}}-{_GEN}{{5}})(?![a-z0-9-])"
)
_POD_REFERENCE = re.compile(r"\b[Pp]od/([a-z0-9][a-z0-9.-]*[a-z0-9])")
_KUBECTL_PREFIX = re.compile(r"^\[pod/([^/\]\s]+)(?:/[^\]]*)?\]")
_ISO = r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?"
_LOKI = re.compile(rf"^{_ISO}\s+(\S+)\s")
_LABEL_SET = re.compile(r"\{([^{}]*=\"[^{}]*)\}")
_LABEL = re.compile(r"(\w+)=\"([^\"]*)\"")
_SYSLOG = re.compile(
    rf"^(?:<\d{{1,3}}>\d?\s?)?(?:[A-Z][a-z]{{2}}\s+\d{{1,2}}\s\d\d:\d\d:\d\d|{_ISO})\s+"
    r"([A-Za-z0-9][\w.-]*)\s+[\w./-]+(?:\[\d+\])?:\s"
)
_LABEL_KEYS = ("pod", "app", "service", "container", "job")
_JSON_KEYS = ("service", "service.name", "app", "kubernetes.pod_name", "host", "hostname")


def workload_of(pod: str) -> str:
    """The workload a pod belongs to: its name without Kubernetes' generated parts."""
    for pattern in (_DEPLOYMENT_POD, _SUFFIX_POD, _ORDINAL_POD):
        match = pattern.match(pod)
        if match:
            return match.group("base")
    return pod


def _json_field(document: dict[str, object], dotted: str) -> str | None:
    value: object = document.get(dotted)
    if value is None and "." in dotted:
        value = document
        for part in dotted.split("."):
            value = value.get(part) if isinstance(value, dict) else None
    return value if isinstance(value, str) and value.strip() else None


def _json_document(line: str) -> dict[str, object] | None:
    """The JSON object a line ends with (after any collector prefix), or None."""
    start = line.find("{")
    if start < 0 or not line.rstrip().endswith("}"):
        return None
    try:
        document = json.loads(line[start:])
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def entity_of(line: str) -> str | None:
    """The service, pod workload or host a log line belongs to, or None (module docstring)."""
    match = _KUBECTL_PREFIX.match(line)
    if match:
        return workload_of(match.group(1))
    match = _LOKI.match(line)
    if match and _DEPLOYMENT_POD.match(match.group(1)):
        return workload_of(match.group(1))
    labels = _LABEL_SET.search(line[:300])
    if labels:
        found = dict(_LABEL.findall(labels.group(1)))
        for key in _LABEL_KEYS:
            if found.get(key):
                return workload_of(found[key]) if key == "pod" else found[key]
    match = _SYSLOG.match(line)
    if match:
        return match.group(1)
    document = _json_document(line)
    if document is not None:
        for key in _JSON_KEYS:
            value = _json_field(document, key)
            if value:
                return workload_of(value) if _DEPLOYMENT_POD.match(value) else value
    match = _POD_REFERENCE.search(line) or _POD_TOKEN.search(line)
    if match:
        return workload_of(match.group(1))
    return None


# ----------------------------------------------------------------------------- error lines

_ERROR_WORD = re.compile(
    r"(?:^|[\s\[|:=(])(ERROR|FATAL|CRITICAL|SEVERE|PANIC|EMERG)(?=[\s\]|:,)]|$)"
)
_LOGFMT_ERROR = re.compile(r"\b(?:level|lvl|severity)=\"?(error|fatal|critical|panic)\b", re.I)
_WARNING_EVENT = re.compile(r"(?:^|\s)Warning\s{2,}[A-Z][A-Za-z]+\s")
_ERROR_NAMES = frozenset({"ERROR", "ERR", "FATAL", "CRITICAL", "CRIT", "SEVERE", "PANIC", "EMERG"})


def is_error_line(line: str) -> bool:
    """Whether a line is error-level (module docstring)."""
    document = _json_document(line)
    if document is not None:
        for key in ("level", "severity", "lvl", "log.level"):
            value = document.get(key)
            if isinstance(value, str) and value.upper() in _ERROR_NAMES:
                return True
            if isinstance(value, int | float) and not isinstance(value, bool) and value >= 50:
                return True
    return bool(
        _ERROR_WORD.search(line) or _LOGFMT_ERROR.search(line) or _WARNING_EVENT.search(line)
    )


# Category words, in the order that breaks ties.
CATEGORY_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (category, re.compile(words, re.I))
    for category, words in (
        (
            "resource_exhaustion",
            r"oomkill|out of memory|outofmemory|memory|\bcpu\b|throttl|disk|no space|"
            r"ephemeral|evict|too many open files|heap|gc overhead",
        ),
        (
            "certificate_or_credentials",
            r"certificate|x509|\btls\b|\bssl\b|unauthori[sz]ed|forbidden|\b40[13]\b|token|"
            r"credential|expired",
        ),
        (
            "infrastructure",
            r"\bdns\b|could not resolve|no such host|nxdomain|servfail|getaddrinfo|notready|"
            r"\bnode\b|network|unreachable|partition",
        ),
        (
            "database",
            r"database|\bdb\b|sql|deadlock|lock wait|replica|postgres|mysql|mongo|redis|query",
        ),
        (
            "dependency_failure",
            r"timeout|timed out|connection refused|econnrefused|\b50[234]\b|unavailable|"
            r"upstream|no available|failed to connect|circuit",
        ),
        ("traffic_surge", r"\b429\b|rate limit|too many requests|overload|queue full"),
        (
            "config_change",
            r"config|environment variable|\benv\b|not set|undefined|missing|invalid|not found|"
            r"selector|storageclass|imagepull|errimagepull",
        ),
        ("code_regression", r"exception|traceback|nullpointer|typeerror|panic|stack"),
    )
)
DEFAULT_LOG_CATEGORY = "code_regression"


def category_of_words(lines: Sequence[str]) -> str:
    """The category whose words occur in the most lines (table order breaks ties)."""
    best, best_hits = DEFAULT_LOG_CATEGORY, 0
    for category, pattern in CATEGORY_WORDS:
        hits = sum(1 for line in lines if pattern.search(line))
        if hits > best_hits:
            best, best_hits = category, hits
    return best


def _hypothesis(
    position: int, category: str, suspects: list[str], score: float
) -> RankedHypothesis:
    return RankedHypothesis(
        label=f"{suspects[0]} ({category})",
        confidence=1.0,
        category=category,
        suspects=suspects,
        score=score,
        rank=position,
    )


def most_error_lines(incident: IncidentInput, top: int = TOP) -> list[RankedHypothesis]:
    """Baseline A: the entities with the most error-level lines (module docstring)."""
    counts: Counter[str] = Counter()
    lines_of: dict[str, list[str]] = {}
    for line in incident.logs:
        if not is_error_line(line):
            continue
        entity = entity_of(line)
        if entity is None:
            continue
        counts[entity] += 1
        lines_of.setdefault(entity, []).append(line)
    ranked = sorted(counts, key=lambda entity: -counts[entity])  # stable: first seen wins ties
    return [
        _hypothesis(position, category_of_words(lines_of[entity]), [entity], counts[entity])
        for position, entity in enumerate(ranked[:top], start=1)
    ]


# ----------------------------------------------------------------------------- metrics


def median(values: Sequence[float]) -> float:
    """The median of a non-empty sequence."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2.0


def robust_z(baseline: Sequence[float], current: Sequence[float], eps: float = EPS) -> float:
    """BARO's score: how far the current median moved, in robust baseline deviations.

    A flat baseline (MAD 0) is scaled by 1, as BARO's scaler (scikit-learn's RobustScaler)
    does with a zero scale; dividing by `eps` alone would rank every flat series by its raw
    size (bytes before percentages), which no one would call a baseline.
    """
    centre = median(baseline)
    mad = median([abs(value - centre) for value in baseline])
    scale = MAD_TO_SIGMA * mad + eps if mad > 0 else 1.0
    return abs(median(current) - centre) / scale


def _points_split(series: MetricPoints, at: datetime | None) -> int:
    stamps = [stamp for stamp, _ in series.points]
    if at is not None:
        try:
            index = sum(1 for stamp in stamps if stamp <= at)
        except TypeError:  # naive against aware: compare as if both were UTC
            naive = at.replace(tzinfo=None)
            index = sum(1 for stamp in stamps if stamp.replace(tzinfo=None) <= naive)
        if 0 < index < len(stamps):
            return index
    return len(stamps) // 2


def windows(
    value: MetricValue, split_at: datetime | None
) -> tuple[list[float], list[float]] | None:
    """(baseline, current) of one metric, or None when it has no baseline."""
    if isinstance(value, MetricWindows):
        if value.baseline is None:
            return None
        baseline = value.baseline if isinstance(value.baseline, list) else [value.baseline]
        current = value.current if isinstance(value.current, list) else [value.current]
    elif isinstance(value, MetricPoints):
        split = _points_split(value, split_at)
        numbers = [number for _, number in value.points]
        baseline, current = numbers[:split], numbers[split:]
    elif isinstance(value, list):
        baseline, current = value[: len(value) // 2], value[len(value) // 2 :]
    else:
        return None
    return (baseline, current) if baseline and current else None


def metric_entity(name: str) -> str | None:
    """The entity a metric measures: a `pod`/`service`/`app` label, else its prefix."""
    labels = dict(_LABEL.findall(name))
    if labels.get("pod"):
        return workload_of(labels["pod"])
    for key in ("service", "app", "deployment", "container", "job", "instance"):
        if labels.get(key):
            return labels[key]
    bare = name.split("{", 1)[0]
    match = re.match(r"^([^./]+)[./](.+)$", bare)
    return match.group(1) if match else None


# Metric-name words -> category, first match wins.
METRIC_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (category, re.compile(words, re.I))
    for category, words in (
        ("database", r"\bdb|database|sql|replica|replication|connections|deadlock|rds"),
        (
            "resource_exhaustion",
            r"cpu|memory|\bmem|disk|storage|heap|\bgc|file_?descriptor|\bfds?\b|thread|swap|"
            r"inode|throttl|oom",
        ),
        (
            "dependency_failure",
            r"latency|duration|p9\d|p50|response|error|5xx|success|fail|timeout",
        ),
        ("traffic_surge", r"request|\brps|qps|throughput|workload|traffic|\bops"),
        ("infrastructure", r"network|packet|dns|\bnode|receive|transmit|bytes"),
        ("certificate_or_credentials", r"cert|tls|ssl|auth|40[13]|expir"),
    )
)


def category_of_metric(name: str) -> str:
    """A category from a metric's name (`unknown` when no word of `METRIC_WORDS` is in it)."""
    entity = metric_entity(name)
    bare = name.split("{", 1)[0]
    own = bare[len(entity) + 1 :] if entity and bare.startswith(entity) else bare
    for category, pattern in METRIC_WORDS:
        if pattern.search(own):
            return category
    return "unknown"


@dataclass(frozen=True)
class ScoredSeries:
    """One metric's robust z."""

    name: str
    z: float


def score_series(incident: IncidentInput) -> list[ScoredSeries]:
    """Every metric with a baseline, by robust z, highest first (name order breaks ties)."""
    split_at = incident.deployed_at or incident.incident_started_at
    scored = []
    for name in sorted(incident.metrics):
        found = windows(incident.metrics[name], split_at)
        if found is not None:
            scored.append(ScoredSeries(name, robust_z(*found)))
    return sorted(scored, key=lambda series: -series.z)


def most_anomalous_metric(incident: IncidentInput, top: int = TOP) -> list[RankedHypothesis]:
    """Baseline B: the series with the highest robust z (module docstring)."""
    hypotheses = []
    for position, series in enumerate(score_series(incident)[:top], start=1):
        entity = metric_entity(series.name)
        suspects = [entity, series.name] if entity else [series.name]
        hypotheses.append(
            _hypothesis(position, category_of_metric(series.name), suspects, series.z)
        )
    return hypotheses
