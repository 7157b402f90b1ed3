"""Evidence cues for the next actions: what the cited signals say beyond the category.

The SynthesisAgent's playbook (`sre.agents.synthesis_agent.PLAYBOOK`) picks actions by
category, then by these cues: one endpoint seen under an IP and a name, a query blocked by
a lock, a schema migration in the blamed commit, an expired certificate versus a refused
credential, a DNS, node or network fault. Pure functions over typed signals and the payload.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from alpha.schemas import IncidentInput
from sre.agents.reading import is_ip, signal_text
from sre.signals import (
    CommitSignal,
    DependencyErrorsSignal,
    LogSignal,
    LogTemplateSignal,
    MetricAnomalySignal,
    MetricGrowthSignal,
    MetricSaturationSignal,
    MetricValueSignal,
    SignatureSignal,
    SreSignal,
)

_LOCK_TEXT = re.compile(
    r"lock (?:wait|timeout)|LockNotAvailable|deadlock|waiting for (?:a |an )?\w*\s*lock"
    r"|could not obtain lock|Lock wait timeout",
    re.I,
)
_LOCK_METRIC = re.compile(r"lock", re.I)
_INDEX_TEXT = re.compile(
    r"\bAddIndex\b|\bCREATE\s+(?:UNIQUE\s+)?INDEX\b|\badd_index\b|\.index\(", re.I
)
_CONCURRENT_TEXT = re.compile(r"CONCURRENTLY|AddIndexConcurrently|algorithm:\s*:concurrently", re.I)


def split_port(endpoint: str) -> tuple[str, str | None]:
    """`("10.0.0.1", "6379")` from `10.0.0.1:6379`; IPv6 in brackets is kept whole."""
    if endpoint.count(":") == 1:
        host, port = endpoint.rsplit(":", 1)
        if port.isdigit():
            return host, port
    if endpoint.startswith("[") and "]:" in endpoint:
        host, port = endpoint.rsplit(":", 1)
        return host, port if port.isdigit() else None
    return endpoint, None


@dataclass(frozen=True)
class Endpoint:
    """One downstream endpoint with every name it was seen under.

    Attributes:
        name: how actions name it: a host name when one is known, else the address.
        aliases: its other names (an IP address, the same host without its port).
    """

    name: str
    aliases: tuple[str, ...] = ()

    @property
    def shown(self) -> str:
        """`redis-0.cache:6379 (10.42.7.19:6379)`: the name, then its aliases."""
        return f"{self.name} ({', '.join(self.aliases)})" if self.aliases else self.name


def merge_endpoints(names: Sequence[str], signals: Iterable[SreSignal]) -> list[Endpoint]:
    """Endpoints of `names`, one per real endpoint, in order of first mention.

    Two names are one endpoint when they differ only by a port (`db` and `db:5432`), or when
    one is an IP address and the other a host name on the same port and a single log line
    names both (`dial tcp 10.42.7.19:6379 ... addr=redis-cart-0...:6379`): the client
    resolved the name to that address.
    """
    ordered = list(dict.fromkeys(n for n in names if n))
    texts = [_evidence_text(s) for s in signals if isinstance(s, LogSignal)]
    parent = {name: name for name in ordered}

    def root(name: str) -> str:
        while parent[name] != name:
            name = parent[name]
        return name

    for i, first in enumerate(ordered):
        for second in ordered[i + 1 :]:
            if _same_endpoint(first, second, texts):
                parent[root(second)] = root(first)
    groups: dict[str, list[str]] = {}
    for name in ordered:
        groups.setdefault(root(name), []).append(name)
    endpoints = []
    for members in groups.values():
        # A name a person recognises leads; among names, the one with a port (the endpoint).
        named = [m for m in members if not is_ip(split_port(m)[0])]
        lead = max(
            named or members, key=lambda m: (split_port(m)[1] is not None, -members.index(m))
        )
        endpoints.append(Endpoint(lead, tuple(m for m in members if m != lead)))
    return endpoints


def _evidence_text(signal: LogSignal) -> str:
    hosts = " ".join(signal.value.hosts) if isinstance(signal, LogTemplateSignal) else ""
    return f"{signal_text(signal)} {hosts}"


def _same_endpoint(a: str, b: str, texts: Sequence[str]) -> bool:
    host_a, port_a = split_port(a)
    host_b, port_b = split_port(b)
    if host_a == host_b:
        return True
    if port_a is None or port_a != port_b or is_ip(host_a) == is_ip(host_b):
        return False
    return any(a in text and b in text for text in texts)


# --------------------------------------------------------------------------- cues


def lock_waits(signals: Iterable[SreSignal]) -> bool:
    """Whether queries wait on locks (a lock signature, lock-timeout lines, a lock metric)."""
    for signal in signals:
        if isinstance(signal, SignatureSignal) and signal.value.kind == "db_locks":
            return True
        if isinstance(signal, LogSignal) and _LOCK_TEXT.search(signal_text(signal)):
            return True
        if (
            isinstance(signal, MetricAnomalySignal)
            and signal.value.direction == "up"
            and _LOCK_METRIC.search(signal.value.metric)
        ):
            return True
    return False


def signature_kinds(signals: Iterable[SreSignal]) -> set[str]:
    """The kinds of the decisive signatures among `signals` (`tls_expired`, `dns_failure`...)."""
    return {s.value.kind for s in signals if isinstance(s, SignatureSignal)}


def error_statuses(signals: Iterable[SreSignal]) -> set[int]:
    """HTTP statuses the failing calls answered with."""
    codes: set[int] = set()
    for signal in signals:
        if isinstance(signal, DependencyErrorsSignal | LogTemplateSignal):
            codes |= set(signal.value.status_codes)
    return codes


def metric_names(signals: Iterable[SreSignal]) -> set[str]:
    """Names of the metrics among `signals`."""
    kinds = MetricAnomalySignal | MetricSaturationSignal | MetricGrowthSignal | MetricValueSignal
    return {s.value.metric for s in signals if isinstance(s, kinds)}


@dataclass(frozen=True)
class Migration:
    """A schema migration shipped by a commit.

    Attributes:
        sha: the commit.
        files: its migration files.
        builds_index: its patch creates an index.
        concurrent: its patch already builds it concurrently.
    """

    sha: str
    files: tuple[str, ...]
    builds_index: bool
    concurrent: bool

    @property
    def name(self) -> str:
        """The migration's name: the first file's stem (`0087_user_email_lower_idx`)."""
        stem = self.files[0].rsplit("/", 1)[-1]
        return stem.rsplit(".", 1)[0] if "." in stem else stem


def migration_of(
    sha: str, signals: Iterable[SreSignal], incident: IncidentInput
) -> Migration | None:
    """The migration the commit `sha` (a prefix is enough) ships, if any."""
    files: tuple[str, ...] = ()
    for signal in signals:
        if isinstance(signal, CommitSignal) and _same_sha(signal.value.sha, sha):
            files = tuple(signal.value.file_kinds.migration)
            break
    if not files:
        return None
    patches = " ".join(
        item.patch or ""
        for commit in incident.recent_commits
        if _same_sha(commit.sha, sha)
        for item in commit.files
        if not isinstance(item, str) and item.filename in files
    )
    return Migration(
        sha=sha,
        files=files,
        builds_index=bool(_INDEX_TEXT.search(patches)) or "idx" in files[0].lower(),
        concurrent=bool(_CONCURRENT_TEXT.search(patches)),
    )


def _same_sha(a: str, b: str) -> bool:
    a, b = a.lower(), b.lower()
    return len(min(a, b, key=len)) >= 7 and (a.startswith(b) or b.startswith(a))
