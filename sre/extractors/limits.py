"""Usage series paired with the limit series exported beside them.

Exporters publish a resource's usage and its ceiling as two series of the same entity:
`redis_memory_used_bytes` and `redis_memory_max_bytes`, `hikaricp_connections_active` and
`hikaricp_connections_max`, `jvm_memory_used_bytes{area="heap"}` and `jvm_memory_max_bytes`,
`container_memory_working_set_bytes` beside a `..._limit_bytes`. Neither says "full" alone;
together they give the utilisation, whatever the unit.

Two series pair when their labels are identical and their names are the same words once the
usage word (`USAGE_WORDS`) is taken out of one and the limit word (`LIMIT_WORDS`) out of the
other. A limit of zero or less (unlimited, unset) pairs with nothing. Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

__all__ = ["LIMIT_WORDS", "USAGE_WORDS", "paired_limits"]

USAGE_WORDS = frozenset({"used", "usage", "active", "inuse", "in_use", "current", "working_set"})
# `total` is left out: it ends every Prometheus counter (`http_requests_total`).
LIMIT_WORDS = frozenset({"max", "maximum", "limit", "limits", "capacity", "size"})
_SPLIT = re.compile(r"[_:.]+")


def _parts(name: str) -> tuple[list[str], str]:
    """The words of a series' measure name and its label text (`{...}`, or "")."""
    brace = name.find("{")
    head, labels = (name[:brace], name[brace:]) if brace > 0 else (name, "")
    words = [w for w in _SPLIT.split(head.lower()) if w]
    joined = "_".join(words)
    # Two-word usage markers (`in_use`, `working_set`) count as one word.
    for pair in ("in_use", "working_set"):
        joined = joined.replace(pair, pair.replace("_", ""))
    return joined.split("_"), labels


def _key(words: list[str], labels: str, marker: frozenset[str]) -> tuple[str, str] | None:
    found = [i for i, w in enumerate(words) if w in marker or w.replace("_", "") in marker]
    if len(found) != 1:
        return None
    rest = words[: found[0]] + words[found[0] + 1 :]
    return ("_".join(rest), labels) if rest else None


def paired_limits(
    series: Iterable[tuple[str, Sequence[float]]],
) -> dict[str, tuple[str, float]]:
    """For each usage series with a limit series beside it: (limit series name, limit).

    Args:
        series: (name, values oldest first) of every series of the payload.

    Returns:
        Usage series name -> (limit series name, the limit's latest positive value).
    """
    usages: dict[tuple[str, str], str] = {}
    limits: dict[tuple[str, str], tuple[str, float]] = {}
    for name, values in series:
        words, labels = _parts(name)
        usage = _key(words, labels, frozenset(w.replace("_", "") for w in USAGE_WORDS))
        if usage is not None:
            usages.setdefault(usage, name)
            continue
        limit = _key(words, labels, LIMIT_WORDS)
        latest = next((v for v in reversed(values) if v > 0), None)
        if limit is not None and latest is not None:
            limits.setdefault(limit, (name, latest))
    return {name: limits[key] for key, name in usages.items() if key in limits}
