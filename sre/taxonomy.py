"""The SRE root-cause taxonomy (`shared/spec/root-cause-taxonomy.md`) and suspect matching.

The engine injects both into the generic runtime: the categories into the judge, the
matching rule into the aggregator.

The category names what must be fixed or rolled back, not the symptom.
"""

from __future__ import annotations

from alpha.schemas import UNKNOWN_CATEGORY

__all__ = ["CATEGORIES", "UNKNOWN_CATEGORY", "VALID_CATEGORIES", "suspects_match"]

CATEGORIES: dict[str, str] = {
    "code_regression": "a defect shipped in a recent code change",
    "config_change": "a recent change of configuration, feature flag, rule set or permissions",
    "dependency_failure": "a downstream or third-party service failing or slow",
    "database": "the database itself: overload, slow queries, locks, replication, failover",
    "resource_exhaustion": "memory, CPU, disk, file descriptors or thread pools running out",
    "traffic_surge": "load beyond capacity: a spike, a retry storm, abusive clients",
    "certificate_or_credentials": "an expired or rotated certificate, secret, token or key",
    "infrastructure": "network, DNS, node, zone or load balancer faults outside the application",
}

VALID_CATEGORIES: frozenset[str] = frozenset(CATEGORIES) | {UNKNOWN_CATEGORY}

_HEX = frozenset("0123456789abcdef")


def _is_sha(value: str) -> bool:
    return len(value) >= 7 and set(value.lower()) <= _HEX


def suspects_match(a: str, b: str) -> bool:
    """Whether two suspects name the same thing, by the spec's matching rule.

    Hexadecimal SHAs match when one is a prefix of the other (at least 7 characters); other
    strings match case-insensitively when one contains the other and the shorter one has at
    least 3 characters.
    """
    x, y = a.strip().lower(), b.strip().lower()
    if not x or not y:
        return False
    if _is_sha(x) and _is_sha(y):
        return x.startswith(y) or y.startswith(x)
    shorter = min(len(x), len(y))
    return shorter >= 3 and (x in y or y in x)
