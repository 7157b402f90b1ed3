"""LogAgent: what the new and rising log evidence says broke.

Reads log templates, exceptions and failing dependencies, and cross-references them with
the commits (stack frames in changed files) and the config diff (symptoms a changed key
governs). A symptom that a recent change explains is attributed to the change; the
"nothing changed" categories (resource, database, dependency, infrastructure, credentials)
are only asserted at full strength when no recent change explains the failing path.
"""

from __future__ import annotations

from collections.abc import Sequence

from alpha.schemas import Hypothesis, IncidentInput, Signal
from sre.agents.base import (
    MEDIUM,
    STRONG,
    WEAK,
    Evidence,
    SpecialistAgent,
    as_list,
    commit_kind_files,
    count_after,
    exception_types,
    hypothesis,
    is_dependency_only,
    is_docs_only,
    merge_candidates,
    path_tokens,
    short_sha,
    signal_symptoms,
    signal_text,
)
from sre.agents.patterns import (
    DATA_ACCESS_WORDS,
    KEY_EXPLAINS,
    key_families,
    metric_families,
    tokens,
)
from sre.agents.relations import (
    change_touching_host,
    config_label,
    host_tokens,
    hosts_of,
    key_support,
)

_RESOURCE = {
    "oom": ("memory", "Memory exhausted", frozenset({"memory"})),
    "fd": ("file descriptors", "File descriptors exhausted", frozenset({"fd"})),
    "disk": ("disk", "Disk full", frozenset({"disk"})),
    "thread_pool": ("thread pool", "Thread pool exhausted", frozenset({"threads"})),
}
_DATABASE = ("lock", "slow_query", "replication", "too_many_connections", "conn_pool")
_INFRA = ("dns", "node", "network")
_DEPENDENCY_KINDS = frozenset({"timeout", "refused", "http_5xx", "network"})
_DB_HOST_WORDS = frozenset(
    ["db", "database", "postgres", "postgresql", "pg", "mysql", "mariadb", "rds", "aurora"]
    + ["sql", "mssql", "oracle", "cockroach", "primary", "replica", "pgbouncer", "mongo"]
)
# Distinct failing hosts beyond which the network, not each dependency, is the suspect.
_MANY_HOSTS = 3


class LogAgent(SpecialistAgent):
    """Rules over log templates, exceptions and dependency errors."""

    name = "LogAgent"
    model = "anthropic/claude-sonnet-4-6"

    def candidates(self, signals: Sequence[Signal], incident: IncidentInput) -> list[Hypothesis]:
        """Hypotheses from the log evidence, cross-referenced with commits and config."""
        evidence = Evidence.build(signals, incident)
        found: list[Hypothesis] = []
        found += _code_regressions(evidence)
        found += _config_links(evidence)
        found += _resources(evidence)
        found += _credentials(evidence)
        found += _infrastructure(evidence)
        found += _database(evidence)
        found += _dependencies(evidence)
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
        weights = [STRONG, MEDIUM if new_errors else WEAK]
        if sum(count_after(s) for s in signals) >= 10:
            weights.append(WEAK)
        found.append(_code_hypothesis(commit, hits[0], new_errors or signals, weights))
    if found or not error_ids:
        return found
    code = [
        c
        for c in evidence.commits()
        if commit_kind_files(c, "code") and not is_docs_only(c) and not is_dependency_only(c)
    ]
    errors = evidence.code_errors()
    if len(code) == 1:
        return [_code_hypothesis(code[0], "", errors, [MEDIUM, WEAK])]
    # Several code changes: only those whose modules the errors name are candidates.
    error_words: set[str] = set()
    for signal in errors:
        error_words |= tokens(signal_text(signal).replace(".", "_").replace("/", "_"))
        for name in evidence.frame_files([signal]):
            error_words |= path_tokens(name)
    for commit in code:
        changed = set().union(*(path_tokens(f) for f in commit_kind_files(commit, "code")))
        if changed & error_words:
            found.append(_code_hypothesis(commit, "", errors, [MEDIUM]))
    return found


def _code_hypothesis(
    commit: Signal, focus: str, signals: list[Signal], weights: list[float]
) -> Hypothesis:
    sha = str(commit.value.get("sha"))
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


def _config_links(evidence: Evidence) -> list[Hypothesis]:
    """Changed config keys that govern the symptoms in the logs."""
    found = []
    for change in evidence.config_changes():
        key = str(change.value.get("key"))
        support = key_support(key, evidence, metrics=False)
        if not support:
            continue
        found.append(
            hypothesis(
                label=config_label(change),
                description=f"{config_label(change)}; " + "; ".join(support.reasons) + ".",
                category="config_change",
                suspects=[key, *evidence.shas_for_key(key)],
                weights=[WEAK, *support.weights],
                signals=[change.id, *(s.id for s in support.signals)],
            )
        )
    return found


def _explained_by_change(evidence: Evidence, symptom: str, signals: list[Signal]) -> bool:
    """Whether a changed config key governing this symptom, or a commit in its frames, exists."""
    for change in evidence.config_changes():
        families = key_families(str(change.value.get("key", "")))
        if any(symptom in KEY_EXPLAINS.get(f, ((), ()))[0] for f in families):
            return True
    files = evidence.frame_files(signals)
    return any(not is_docs_only(c) for c, _ in evidence.commits_touching_frames(files))


# --------------------------------------------------------------------------- no change to blame


def _resources(evidence: Evidence) -> list[Hypothesis]:
    found = []
    for symptom, (noun, title, metric_family) in _RESOURCE.items():
        signals = evidence.symptom_signals(symptom)
        if not signals:
            continue
        hosts = hosts_of(signals)
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
                suspects=[*hosts[:3], *(m.value["metric"] for m in metrics[:2])] or [noun],
                weights=weights,
                signals=[s.id for s in signals[:4]] + [m.id for m in metrics[:2]],
            )
        )
    return found


def _credentials(evidence: Evidence) -> list[Hypothesis]:
    found = []
    for symptom, title, weight in (
        ("tls", "TLS certificate failure", STRONG),
        ("auth", "Credentials rejected", MEDIUM),
    ):
        signals = evidence.symptom_signals(symptom)
        if not signals:
            continue
        hosts = [h for h in hosts_of(signals) if not change_touching_host(h, evidence)]
        weights = [weight, WEAK] if sum(count_after(s) for s in signals) >= 5 else [weight]
        if _explained_by_change(evidence, symptom, signals):
            weights = [WEAK]
        target = hosts[0] if hosts else (hosts_of(signals) or ["a dependency"])[0]
        found.append(
            hypothesis(
                label=f"{title} talking to {target}",
                description=f"Logs show {symptom.upper()} errors ({_quote(signals[0])}).",
                category="certificate_or_credentials",
                suspects=hosts_of(signals)[:3] or [symptom],
                weights=weights,
                signals=[s.id for s in signals[:4]],
            )
        )
    return found


def _infrastructure(evidence: Evidence) -> list[Hypothesis]:
    signals: list[Signal] = []
    kinds: list[str] = []
    for symptom in _INFRA:
        for signal in evidence.symptom_signals(symptom):
            if signal not in signals:
                signals.append(signal)
                kinds.append(symptom)
    failing = _failing_dependencies(evidence)
    weights: list[float] = []
    if signals:
        weights.append(STRONG if {"dns", "node"} & set(kinds) else MEDIUM)
    if len(failing) >= _MANY_HOSTS:
        weights.append(MEDIUM)
        signals.extend(s for s in failing if s not in signals)
    if not weights:
        return []
    hosts = hosts_of(signals)
    what = " and ".join(dict.fromkeys(k.upper() if k == "dns" else k for k in kinds)) or "network"
    return [
        hypothesis(
            label=f"Infrastructure fault ({what}) across {len(hosts) or 'several'} host(s)",
            description=(
                f"Errors of kind {what} hit {', '.join(hosts[:5]) or 'several services'} at once; "
                "a network, DNS or node fault outside the application is the common cause."
            ),
            category="infrastructure",
            suspects=hosts[:5] or ["network"],
            weights=weights,
            signals=[s.id for s in signals[:6]],
        )
    ]


def _database(evidence: Evidence) -> list[Hypothesis]:
    signals: list[Signal] = []
    kinds: list[str] = []
    for symptom in _DATABASE:
        for signal in evidence.symptom_signals(symptom):
            if signal not in signals:
                signals.append(signal)
                kinds.append(symptom)
    db_hosts = [s for s in _failing_dependencies(evidence) if _is_db_host(str(s.value["host"]))]
    signals.extend(s for s in db_hosts if s not in signals)
    if not signals:
        return []
    strong = {"lock", "replication", "too_many_connections"} & set(kinds)
    weights = [STRONG if strong else MEDIUM]
    if len(signals) >= 2:
        weights.append(WEAK)
    if any(_explained_by_change(evidence, k, signals) for k in kinds) or _data_access_changed(
        evidence
    ):
        weights = [WEAK]
    hosts = [h for h in hosts_of(signals) if _is_db_host(h)]
    what = ", ".join(dict.fromkeys(k.replace("_", " ") for k in kinds)) or "errors"
    return [
        hypothesis(
            label=f"Database trouble: {what}",
            description=f"Logs show database {what} ({_quote(signals[0])}).",
            category="database",
            suspects=hosts[:3] or ["database"],
            weights=weights,
            signals=[s.id for s in signals[:5]],
        )
    ]


def _dependencies(evidence: Evidence) -> list[Hypothesis]:
    failing = [s for s in _failing_dependencies(evidence) if not _is_db_host(str(s.value["host"]))]
    many = len(_failing_dependencies(evidence)) >= _MANY_HOSTS
    found = []
    for signal in failing:
        host = str(signal.value["host"])
        kinds = signal_symptoms(signal) & _DEPENDENCY_KINDS
        if not kinds:
            continue
        weights = [STRONG]
        if count_after(signal) >= 20:
            weights.append(WEAK)
        if change_touching_host(host, evidence):
            # A recent change touches the path to this host: it is the likelier culprit.
            weights = [WEAK]
        elif many:
            weights = [MEDIUM]
        what = ", ".join(sorted(k.replace("_", " ") for k in kinds))
        found.append(
            hypothesis(
                label=f"{host} failing ({what})",
                description=(
                    f"{int(count_after(signal))} errors to {host} after the deploy ({what}); "
                    "no recent change touches the path to it."
                ),
                category="dependency_failure",
                suspects=[host],
                weights=weights,
                signals=[signal.id, *(s.id for s in _templates_naming(evidence, host)[:3])],
            )
        )
    return found


# --------------------------------------------------------------------------- helpers


def _failing_dependencies(evidence: Evidence) -> list[Signal]:
    """dependency_errors signals with real trouble after the deploy (new or rising)."""
    found = []
    for signal in evidence.of("dependency_errors"):
        before, after = signal.value.get("count_before") or 0, count_after(signal)
        if after >= 3 and after >= 2 * before:
            found.append(signal)
    return found


def _is_db_host(host: str) -> bool:
    return bool(host_tokens(host) & _DB_HOST_WORDS) or any(
        w in host.lower().replace(".", "-").split("-") for w in _DB_HOST_WORDS
    )


def _data_access_changed(evidence: Evidence) -> bool:
    """A recent commit changed code whose path says it talks to the database."""
    return any(
        path_tokens(name) & DATA_ACCESS_WORDS
        for c in evidence.commits()
        for name in commit_kind_files(c, "code", "migration")
    )


def _metrics_of(evidence: Evidence, families: frozenset[str]) -> list[Signal]:
    return [
        s
        for s in evidence.of("metric_anomaly", "metric_saturation", "metric_growth", "metric_value")
        if metric_families(str(s.value.get("metric", ""))) & families
    ]


def _templates_naming(evidence: Evidence, host: str) -> list[Signal]:
    return [s for s in evidence.trouble() if host in as_list(s.value.get("hosts"))]


def _quote(signal: Signal) -> str:
    text = str(signal.value.get("template") or signal.value.get("example") or signal.description)
    return text if len(text) <= 120 else text[:117] + "..."
