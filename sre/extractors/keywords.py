"""Name tokens shared by the metric and config extractors.

Metric names and config keys are free text (`db_connections_in_use`,
`spring.datasource.hikari.maximum-pool-size`, `maxPoolSize`). Both are split into lowercase
tokens and mapped onto a few concept groups, so that a metric can be compared with the
config limit it runs into by meaning rather than by spelling.
"""

from __future__ import annotations

import re

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")

# Concept groups: every token on the right stands for the concept on the left.
_SYNONYMS: dict[str, frozenset[str]] = {
    "conn": frozenset(
        {"conn", "conns", "connection", "connections", "pool", "pools", "hikaricp", "hikari"}
    ),
    "worker": frozenset(
        {"thread", "threads", "worker", "workers", "concurrency", "executor", "executors"}
    ),
    "db": frozenset({"db", "database", "databases", "datasource", "postgres", "pg", "mysql"}),
    "fd": frozenset({"fd", "fds", "descriptor", "descriptors", "nofile"}),
    "mem": frozenset({"mem", "memory", "heap", "rss"}),
}
_CANONICAL = {token: concept for concept, tokens in _SYNONYMS.items() for token in tokens}

# Tokens of a key that holds a capacity (how many may exist at once).
LIMIT_TOKENS = frozenset(
    {"size", "max", "maximum", "limit", "limits", "capacity", "cap", "count", "num"}
)
# Tokens of a key that holds a duration, never a capacity (`pool_timeout_s`, `conn_max_age`).
TIME_TOKENS = frozenset(
    {
        "timeout",
        "timeouts",
        "ttl",
        "age",
        "interval",
        "delay",
        "idle",
        "lifetime",
        "recycle",
        "ms",
        "s",
        "sec",
        "secs",
        "seconds",
        "millis",
        "backoff",
        "wait",
    }
)


def tokens(name: str) -> list[str]:
    """Lowercase tokens of a name: snake, kebab, dotted and camelCase all split."""
    spaced = _CAMEL.sub(" ", name)
    return [t.lower() for t in _SPLIT.split(spaced) if t]


def concepts(name: str) -> set[str]:
    """The name's tokens with synonyms folded onto their concept (`pool` -> `conn`)."""
    return {_CANONICAL.get(t, t) for t in tokens(name)}


def concept_of(token: str) -> str:
    """The concept a single token stands for (itself when it has no group)."""
    return _CANONICAL.get(token, token)
