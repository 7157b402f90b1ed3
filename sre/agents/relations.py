"""Cross-source relations: does this config change, host or commit explain the symptoms?

These are the questions on which agents must agree for their hypotheses to converge, so
they live in one place and every agent asks them the same way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from alpha.schemas import Hypothesis, Signal
from sre.agents.base import MEDIUM, STRONG, WEAK, Evidence, hypothesis
from sre.agents.hosts import host_tokens
from sre.agents.patterns import explains, key_families, metric_families, tokens
from sre.agents.reading import (
    commit_files,
    count_after,
    flatten_items,
    fmt_value,
    is_innocuous,
    metric_direction,
    metric_name,
    number,
    parse_iso,
    path_tokens,
    signal_hosts,
    signal_text,
)
from sre.signals import (
    ConfigChangeSignal,
    ConfigRiskSignal,
    DependencyErrorsSignal,
    EntityLogsSignal,
    ExceptionSignal,
    LogTemplateSignal,
    MetricAnomalySignal,
    MetricGrowthSignal,
    MetricSaturationSignal,
    MetricSignal,
    SignatureSignal,
    TroubleSignal,
)

# The log symptom a decisive platform signature shows (`sre.extractors.signatures`): a
# setting that governs the symptom explains the signature as it explains the lines.
SIGNATURE_SYMPTOMS = {
    "probe_failed": "probe",
    "crash_loop": "probe",
    "oom_killed": "oom",
    "runtime_oom": "oom",
    "disk_full": "disk",
    "fd_exhausted": "fd",
    "pool_exhausted": "conn_pool",
    "threads_exhausted": "thread_pool",
    "db_connections_maxed": "too_many_connections",
    "db_locks": "lock",
    "dns_failure": "dns",
    "tls_expired": "tls",
    "tls_untrusted": "tls",
    "tls_handshake": "tls",
    "auth_failed": "auth",
    "no_instances": "no_instances",
}
# A metric shift this long before the deploy predates the change and cannot be its effect.
_EARLY = timedelta(minutes=2)
# A request rate at least this many times its baseline is a surge; twice that is a big one.
SURGE_RATIO = 2.0


@dataclass
class Support:
    """Evidence weights and the signals behind them."""

    weights: list[float] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def add(self, weight: float, signals: Sequence[Signal], reason: str) -> None:
        """Record one piece of evidence."""
        self.weights.append(weight)
        self.signals.extend(s for s in signals if s not in self.signals)
        self.reasons.append(reason)

    def __bool__(self) -> bool:
        return bool(self.weights)


def worsening(metric: MetricSignal) -> bool:
    """Whether a metric moved the way trouble moves it: work done falls, the rest rises."""
    families = metric_families(metric_name(metric))
    direction = metric_direction(metric)
    if "throughput" in families:
        return direction == "down"
    return direction == "up"


def shifted_after_deploy(metric: MetricSignal, evidence: Evidence) -> bool:
    """Whether a metric anomaly is compatible with being an effect of the deployment.

    Unknown timing counts as compatible (baseline/current windows are split at the deploy
    by construction); a level shift clearly before the deploy does not.
    """
    deployed = evidence.incident.deployed_at
    shifted = metric.value.change_at if isinstance(metric, MetricAnomalySignal) else None
    change_at = parse_iso(shifted)
    if deployed is None or change_at is None:
        return True
    if change_at.tzinfo is None and deployed.tzinfo is not None:
        change_at = change_at.replace(tzinfo=deployed.tzinfo)
    elif deployed.tzinfo is None and change_at.tzinfo is not None:
        deployed = deployed.replace(tzinfo=change_at.tzinfo)
    return change_at >= deployed - _EARLY


# Words that say what kind of setting a key is, not what it configures: they would link
# `database.pool_size` to any error mentioning a database or a pool.
_KEY_GENERIC = frozenset(
    [
        "timeout",
        "timeouts",
        "size",
        "enabled",
        "enable",
        "disabled",
        "disable",
        "limit",
        "limits",
        "rate",
        "rates",
        "flag",
        "flags",
        "feature",
        "features",
        "pool",
        "pools",
        "conns",
        "conn",
        "connections",
        "connection",
        "overflow",
        "idle",
        "retries",
        "retry",
        "attempts",
        "backoff",
        "threads",
        "thread",
        "workers",
        "worker",
        "concurrency",
        "cache",
        "ttl",
        "url",
        "urls",
        "host",
        "hosts",
        "endpoint",
        "endpoints",
        "port",
        "address",
        "memory",
        "heap",
        "buffer",
        "database",
        "db",
        "seconds",
        "ms",
        "millis",
        "count",
        "level",
        "format",
        "mode",
        "type",
        "name",
        "path",
        "dir",
        "file",
        "version",
        "default",
        "settings",
        "options",
    ]
)


def key_tokens(key: str) -> set[str]:
    """Tokens naming what a dotted key configures (`clients.ledger.timeout_ms` -> ledger)."""
    return tokens(key.replace(".", "_")) - _KEY_GENERIC


def change_direction(change: ConfigChangeSignal | None) -> str:
    """`up` or `down` for a numeric change, else `any`."""
    if change is None:
        return "any"
    old, new = quantity(change.value.old), quantity(change.value.new)
    if old is not None and new is not None and old != new:
        return "up" if new > old else "down"
    return "any"


def change_explains(key: str, change: ConfigChangeSignal | None) -> tuple[set[str], set[str]]:
    """Log symptoms and metric families that this key's change can cause."""
    direction = change_direction(change)
    symptoms: set[str] = set()
    metrics: set[str] = set()
    for family in key_families(key):
        logs, series = explains(family, direction)
        symptoms |= logs
        metrics |= series
    return symptoms, metrics


def changed_keys_explaining(
    evidence: Evidence, *, symptom: str | None = None, metric_family: str | None = None
) -> list[str]:
    """Changed keys whose change can cause this log symptom or move this metric family."""
    found = []
    for change in evidence.config_changes():
        key = change.value.key
        logs, series = change_explains(key, change)
        if (symptom and symptom in logs) or (metric_family and metric_family in series):
            found.append(key)
    return found


def key_support(
    key: str, evidence: Evidence, *, logs: bool = True, metrics: bool = True
) -> Support:
    """How strongly the symptoms are explained by a change of this config key.

    The key's families (pool, timeout, rate limit, flag, ...) say which log symptoms and
    metric families it can cause; its own tokens (`ledger`, `semantic_rerank`) link it to a
    host or code path named in the errors.
    """
    support = Support()
    change = evidence.config_change_for(key)
    explains_logs, explains_metrics = change_explains(key, change)
    own = _own_tokens(key, evidence)
    if logs:
        _log_support(support, evidence, key, explains_logs, own)
    if metrics:
        _metric_support(support, evidence, key, explains_metrics)
    return support


# A word in at least this share of the lines that report no trouble is everyday vocabulary.
ORDINARY_SHARE = 0.1
# Lines read to estimate it (evenly spaced, so the estimate costs the same on any payload).
_ORDINARY_SAMPLE = 20_000
_TROUBLE_WORDS = re.compile(r"error|warn|exception|fail|fatal|panic|timeout|refused", re.I)


def ordinary_words(evidence: Evidence, words: set[str]) -> set[str]:
    """Of `words`, those in at least `ORDINARY_SHARE` of the log lines that report no
    trouble (an evenly spaced sample of at most `_ORDINARY_SAMPLE` lines)."""
    if not words:
        return set()
    calm = _calm_lines(evidence)
    if not calm:
        return set()
    return {w for w in words if sum(w in line for line in calm) >= ORDINARY_SHARE * len(calm)}


def _calm_lines(evidence: Evidence) -> list[str]:
    """The sample `ordinary_words` reads, lower case; taken once per run (every agent that
    weighs a flag asks)."""
    if "calm_lines" not in evidence.memo:
        logs = evidence.incident.logs
        step = max(1, len(logs) // _ORDINARY_SAMPLE)
        sample = logs[::step]
        evidence.memo["calm_lines"] = [
            line.lower() for line in sample if not _TROUBLE_WORDS.search(line)
        ]
    calm: list[str] = evidence.memo["calm_lines"]
    return calm


def workload_tokens(evidence: Evidence) -> set[str]:
    """Tokens of the names of the workloads that log here (`invoice-worker` -> invoice, worker)."""
    return {
        token
        for signal in evidence.of(EntityLogsSignal)
        for token in host_tokens(signal.value.workload)
    }


def _log_support(
    support: Support, evidence: Evidence, key: str, explains: set[str], own: frozenset[str]
) -> None:
    matched: list[Signal] = []
    for symptom in sorted(explains):
        if symptom == "code_error":
            matched.extend(s for s in evidence.code_errors() if s not in matched)
        else:
            matched.extend(s for s in evidence.symptom_signals(symptom) if s not in matched)
        matched.extend(
            s
            for s in evidence.of(SignatureSignal)
            if SIGNATURE_SYMPTOMS.get(s.value.kind) == symptom
            and s.value.count_after > s.value.count_before
            and s not in matched
        )
    target = _client_target(key)
    if matched and target:
        # A client's timeout (`clients.profile.timeout_ms`) governs the calls to that party:
        # failures calling another host are not its doing.
        matched = [s for s in matched if not _names_another_party(s, target)]
    if matched:
        # Errors another changed key names (`Stripe::APIError` beside `stripe.gem_version`)
        # are explained by that key: they lend nothing to one that merely governs such
        # symptoms (a flag that turned on a code path).
        claimed = _named_by_other_keys(evidence, key)
        matched = [s for s in matched if s.id not in claimed]
    if matched:
        support.add(MEDIUM, matched[:4], "log symptoms this setting governs")
    named = _named_signals(evidence, own)
    if named:
        # A key naming the failing host or code path, with the symptom it governs, is the
        # strongest link there is; errors naming the feature a flag enables come from the
        # code path it switched on. For other keys the name alone is only suggestive.
        matched_ids = {s.id for s in matched}
        both = any(s.id in matched_ids for s in named)
        weight = STRONG if both or "flag" in key_families(key) else WEAK
        if weight == STRONG and _share_of_trouble(named, evidence.trouble()) < NAMED_SHARE:
            # The errors naming its code path are a sliver of the trouble: the rest, and
            # so the incident, has another cause.
            weight = WEAK
        support.add(weight, named[:4], "errors name what this key configures")


# A section of per-party client settings: `clients.<party>.timeout_ms`.
_CLIENT_SECTIONS = frozenset({"clients", "client", "upstreams", "upstream", "backends"})


def _client_target(key: str) -> frozenset[str]:
    """The words of the party a key under a clients section governs calls to
    (`http.clients.search_suggest.timeout_ms` -> search, suggest), else none."""
    segments = key.split(".")
    for section, party in zip(segments, segments[1:-1], strict=False):
        if section.lower() in _CLIENT_SECTIONS:
            return frozenset(tokens(party))
    return frozenset()


def _hosts_and_text(signal: Signal) -> tuple[list[str], str] | None:
    """The hosts a signal failed to reach and its text (a series: its name), if it has any."""
    if isinstance(signal, SignatureSignal):
        return signal.value.hosts, signal.value.example
    if isinstance(signal, LogTemplateSignal | ExceptionSignal | DependencyErrorsSignal):
        return signal_hosts(signal), signal_text(signal)
    if isinstance(signal, MetricAnomalySignal | MetricGrowthSignal):
        return [], metric_name(signal)
    return None


def _words(hosts: Sequence[str], text: str) -> set[str]:
    """The words a signal names: its text's and its hosts'."""
    words = tokens(text.replace(".", "_"))
    for host in hosts:
        words |= host_tokens(host)
    return words


def _names_target(signal: Signal, target: frozenset[str]) -> bool:
    """Whether a signal names the key's party (`target`) in its text, its series' name or
    the hosts it failed to reach."""
    found = _hosts_and_text(signal)
    return found is None or bool(target & _words(*found))


def _names_another_party(signal: Signal, target: frozenset[str]) -> bool:
    """Whether a log signal names hosts it failed to reach, none of them the key's party."""
    found = _hosts_and_text(signal)
    return found is not None and bool(found[0]) and not target & _words(*found)


def _own_tokens(key: str, evidence: Evidence) -> frozenset[str]:
    """The words of a key that can name what it configures in the errors (see
    `key_support`); once per run per key (a flag's reads a sample of the log)."""
    memo: dict[str, frozenset[str]] = evidence.memo.setdefault("own_tokens", {})
    if key not in memo:
        memo[key] = frozenset(_key_own_tokens(key, evidence))
    return memo[key]


def _key_own_tokens(key: str, evidence: Evidence) -> set[str]:
    own = key_tokens(key) - evidence.service_tokens()
    if "flag" in key_families(key):
        # A flag's word that names a workload of the system (`invoice_pdf_v2` and the
        # `invoice-worker`) names that workload's lines, not the code path the flag switched.
        own -= workload_tokens(evidence)
        # ... and a word the service's ordinary lines use all the time (`checkout` in
        # `NEW_CHECKOUT_FLOW_PCT`, `invoice` in a billing service) is its domain, not the
        # code path the flag switched: errors naming it need not come from that path.
        own -= ordinary_words(evidence, own)
    return own


def _named_signals(evidence: Evidence, own: frozenset[str]) -> list[Signal]:
    """The trouble log signals (and failing hosts) whose words include one of `own`."""
    if not own:
        return []
    return [signal for signal, words in _trouble_words(evidence) if own & words]


def _trouble_words(evidence: Evidence) -> list[tuple[Signal, set[str]]]:
    """Each trouble log signal (and failing host) with the words it names: its text, its
    host and its stack frames' paths; once per run."""
    if "trouble_words" not in evidence.memo:
        found: list[tuple[Signal, set[str]]] = []
        trouble = evidence.trouble()
        for signal in evidence.log_signals():
            if not isinstance(signal, DependencyErrorsSignal) and signal not in trouble:
                continue
            if isinstance(signal, LogTemplateSignal) and signal.value.level.upper() in _CALM_LEVELS:
                continue  # `flag bulk_pricing_banner evaluated` is the flag at work, no error
            host = signal.value.host if isinstance(signal, DependencyErrorsSignal) else ""
            words = _words([host], signal_text(signal))
            for name in evidence.frame_files([signal]):
                words |= path_tokens(name)
            found.append((signal, words))
        evidence.memo["trouble_words"] = found
    words_of: list[tuple[Signal, set[str]]] = evidence.memo["trouble_words"]
    return words_of


def _named_by_other_keys(evidence: Evidence, key: str) -> set[str]:
    """Ids of the signals another changed key names by a word of its own that `key` does
    not share (`stripe` of `stripe.gem_version` beside `features.coupon_banner`; not
    `coredns`, which two Corefile keys share)."""
    mine = _own_tokens(key, evidence)
    found: set[str] = set()
    for change in evidence.config_changes():
        other = change.value.key
        if other != key:
            distinctive = _own_tokens(other, evidence) - mine
            found.update(s.id for s in _named_signals(evidence, distinctive))
    return found


_CALM_LEVELS = frozenset({"INFO", "DEBUG", "TRACE", "NOTICE"})
# The share of the new or rising error records below which those naming a key explain
# too little of the trouble to make it the cause.
NAMED_SHARE = 0.2


def _share_of_trouble(named: list[Signal], trouble: list[TroubleSignal]) -> float:
    total = sum(count_after(s) for s in trouble)
    if total <= 0:
        return 1.0
    return sum(count_after(s) for s in named if s in trouble) / total


_GENERIC_METRICS = frozenset({"errors", "latency"})


def _metric_support(support: Support, evidence: Evidence, key: str, explains: set[str]) -> None:
    saturated = [s for s in evidence.of(MetricSaturationSignal) if s.value.limit_key == key]
    if saturated:
        support.add(STRONG, saturated, "a metric is pinned at this setting's limit")
    # A client's timeout moves the series that name its party, not the service's own.
    target = _client_target(key)
    moved = [
        s
        for s in evidence.of(MetricAnomalySignal, MetricGrowthSignal)
        if metric_families(metric_name(s)) & explains
        and worsening(s)
        and shifted_after_deploy(s, evidence)
        and (not target or _names_target(s, target))
    ]
    # Error rates and latency rise in every incident: on their own they implicate nothing.
    specific = [s for s in moved if metric_families(metric_name(s)) - _GENERIC_METRICS]
    if specific:
        weight = MEDIUM if len(specific) >= 2 else WEAK
        support.add(weight, moved[:4], "metrics this setting governs moved after it")
    elif moved and support:
        support.add(WEAK, moved[:4], "error and latency metrics moved after it")


def config_links(
    evidence: Evidence, *, logs: bool = True, metrics: bool = True
) -> list[Hypothesis]:
    """Changed config keys that the symptoms implicate, one config_change hypothesis each.

    LogAgent asks with `metrics=False` (keys governing the log symptoms), MetricsAgent with
    `logs=False` (keys whose metrics are pinned at the limit or moved after the change), so
    that each agent argues from its own evidence and the aggregator merges them.
    """
    found = []
    for change in evidence.config_changes():
        key = change.value.key
        support = key_support(key, evidence, logs=logs, metrics=metrics)
        if not support:
            continue
        found.append(
            hypothesis(
                label=config_label(change),
                description=f"{config_label(change)}; " + "; ".join(support.reasons) + ".",
                category="config_change",
                suspects=[key, *evidence.shas_for_key(key)],
                weights=[WEAK, *support.weights, *evidence.staleness()],
                signals=[change.id, *(s.id for s in support.signals)],
            )
        )
    return found


def config_label(change: ConfigChangeSignal) -> str:
    """A short human label of a config change (`database.pool_size lowered 50 -> 5`)."""
    value = change.value
    key, old, new = value.key, value.old, value.new
    kind = value.change
    if kind == "added":
        return f"{key} added ({fmt_value(new)})"
    if kind == "removed":
        return f"{key} removed (was {fmt_value(old)})"
    if isinstance(new, bool) and isinstance(old, bool | None):
        return f"{key} turned {'on' if new else 'off'}"
    low, high = quantity(old), quantity(new)
    if low is not None and high is not None and low != high:
        verb = "lowered" if high < low else "raised"
        return f"{key} {verb} {fmt_value(old)} -> {fmt_value(new)}"
    return f"{key} changed {fmt_value(old)} -> {fmt_value(new)}"


_UNITS = {
    "": 1.0,
    "ms": 0.001,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "%": 1.0,
    "k": 1e3,
    "kb": 1e3,
    "ki": 1024.0,
    "kib": 1024.0,
    "mb": 1e6,
    "mi": 1024.0**2,
    "mib": 1024.0**2,
    "g": 1e9,
    "gb": 1e9,
    "gi": 1024.0**3,
    "gib": 1024.0**3,
}
_QUANTITY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z%]*)\s*$", re.I)


def quantity(value: object) -> float | None:
    """A number, or a number with a unit (`250ms`, `10s`, `512Mi`), in base units; else None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        return None
    match = _QUANTITY.match(value)
    if match is None or match.group(2).lower() not in _UNITS:
        return None
    return float(match.group(1)) * _UNITS[match.group(2).lower()]


def ratio_weight(change: ConfigChangeSignal) -> float:
    """Extra weight for a drastic numeric change (a factor of 4 or more either way)."""
    ratio = change.value.ratio
    if ratio is None or ratio <= 0:
        return 0.0
    return WEAK if ratio <= 0.25 or ratio >= 4 else 0.0


def change_weights(change: ConfigChangeSignal, support: Support, evidence: Evidence) -> list[float]:
    """Weights of a changed key that the symptoms implicate, as ConfigAgent and CommitAgent
    both weigh it: a base, its support, a drastic ratio, and the staleness penalty."""
    return [WEAK, *support.weights, ratio_weight(change), *evidence.staleness()]


def risks_for(key: str, evidence: Evidence) -> list[ConfigRiskSignal]:
    """config_risk signals raised on a key."""
    return [s for s in evidence.of(ConfigRiskSignal) if s.value.key == key]


def change_touching_host(
    host: str, evidence: Evidence, symptoms: set[str] | None = None
) -> list[str]:
    """Recent commits or changed keys that touch the path to a host (by name tokens).

    A timeout to `payments.internal` is the dependency's fault only while no recent change
    touches the payments client or its settings. A changed key counts only when its change
    can cause the host's symptoms (a raised timeout does not cause timeouts).
    """
    own = host_tokens(host) - evidence.service_tokens()
    if not own:
        return []
    touching: list[str] = []
    for commit in evidence.commits():
        if is_innocuous(commit):
            continue
        files = commit_files(commit)
        if any(own & path_tokens(f) for f in files):
            touching.append(commit.value.sha)
    for change in evidence.config_changes():
        key = change.value.key
        if not own & key_tokens(key):
            continue
        # A flag switches a code path on: whatever that path's dependency does is its doing.
        flag = "flag" in key_families(key)
        if symptoms is None or flag or change_explains(key, change)[0] & symptoms:
            touching.append(key)
    return touching


def config_keys_about(evidence: Evidence, family: str, words: set[str]) -> list[str]:
    """Keys of the current config in a key family, those sharing `words` first.

    Names which credential or certificate is involved (`carriers.x.client_cert`) when the
    errors do not.
    """
    keys = [
        k for k, _ in flatten_items(evidence.incident.config_snapshot) if family in key_families(k)
    ]
    related = [k for k in keys if key_tokens(k) & words]
    return related or keys


def growth_ratio(signal: MetricSignal) -> float:
    """current/baseline of an anomaly, last/first of a growth (0 when unknown)."""
    if isinstance(signal, MetricGrowthSignal):
        first, last = signal.value.first, signal.value.last
        return last / first if first > 0 else 0.0
    if isinstance(signal, MetricAnomalySignal):
        return number(signal.value.ratio)
    return 0.0


def rising_metrics(
    evidence: Evidence, families: frozenset[str], *, growth: bool = True
) -> list[MetricSignal]:
    """Level shifts, saturation and (unless `growth` is False) growth of metrics in any of the
    given families that rose after the deploy."""
    candidates: list[MetricSignal] = [*evidence.of(MetricAnomalySignal, MetricSaturationSignal)]
    if growth:
        candidates += evidence.of(MetricGrowthSignal)
    return [
        s
        for s in candidates
        if metric_families(metric_name(s)) & families
        and metric_direction(s) == "up"
        and shifted_after_deploy(s, evidence)
    ]


def surging_traffic(evidence: Evidence) -> list[MetricAnomalySignal | MetricGrowthSignal]:
    """Request-rate metrics at least SURGE_RATIO times their baseline."""
    return [
        s
        for s in evidence.of(MetricAnomalySignal, MetricGrowthSignal)
        if "traffic" in metric_families(metric_name(s))
        and metric_direction(s) == "up"
        and growth_ratio(s) >= SURGE_RATIO
    ]
