"""Hosts named in free error text: URLs called, `host=...`, `name:port`, "server at ...".

Shared by the extractors (a signature's stack trace names the host it failed on) and the
agents' rules (which peer an error talks about). Pure.
"""

from __future__ import annotations

import re

__all__ = ["text_hosts"]

_HOST_PATTERNS = (
    # host='api.x.com' (urllib3), host=db-1 (logfmt), server at "pg-1" (libpq)
    re.compile(
        r"""\b(?:host|hostname|upstream|target|peer|remote|backend)\s*[=:]\s*["']?"""
        r"""([a-z0-9][a-z0-9.-]*[a-z0-9](?::\d{2,5})?)""",
        re.I,
    ),
    # libpq: `connection to server at "10.0.0.5", port 5432 failed` (the port says what
    # the peer is)
    re.compile(
        r"""\bserver at ["']?([a-z0-9][a-z0-9.-]*[a-z0-9])["']?(?:,? port (\d{2,5})\b)?""",
        re.I,
    ),
    # a URL being called: `Post "https://api.x.com/v3"`, `401 from https://...`
    re.compile(
        r"""\b(?:get|post|put|patch|delete|head|from|to|calling|call|request(?:ing)?)\s+["']?"""
        r"""[a-z][a-z0-9+.-]*://(?:[^/@\s"']+@)?([a-z0-9][a-z0-9.-]*[a-z0-9])""",
        re.I,
    ),
    # `tax.internal responded 503`, `api.x.com returned status 502`: a named peer answering
    re.compile(
        r"\b([a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.[a-z][a-z0-9-]*)\s+"
        r"(?:responded|returned|replied|answered)"
        r"(?:\s+with)?(?:\s+(?:status|http|code))?\s+\d{3}\b",
        re.I,
    ),
    # a bare DNS name being called: `503 from ledger.internal`, `calling geo.svc.cluster.local`
    # (only names ending in a common public or in-cluster suffix: `from settings.yaml` or
    # `to order.status` are not hosts)
    re.compile(
        r"""\b(?:from|to|calling|connecting to|connect to)\s+["']?"""
        r"""([a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\."""
        r"""(?:internal|local|svc|cluster|corp|intra|lan|com|net|org|io|cloud|dev|app)"""
        r"""(?::\d{2,5})?)\b(?![\w-])(?!\.[\w-])""",
        re.I,
    ),
    # a client's circuit breaker names the dependency it guards
    re.compile(
        r"""\bcircuit[ -]?breaker (?:for|on|to|of) ["']?([a-z0-9][a-z0-9.-]*[a-z0-9])""",
        re.I,
    ),
    # name.with.dots:port or an IPv4 address with a port; not a file name before a date
    # (`grep -r` output: `/var/log/pods/.../0.log:2025-03-05T10:03:02Z ...`)
    re.compile(r"\b([a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)+:\d{2,5})\b(?!-\d)", re.I),
    # a bare service name with a port, after a verb of connecting: `tried: prod-db:3333`,
    # `dial tcp cart:8080`, `connecting to redis-0:6379`
    re.compile(
        r"\b(?:tried|connect(?:ing|ed)?(?: to)?|dial(?:ing)?(?: tcp)?|reach(?:ing)?)[: ]+"
        r"\(?([a-z][a-z0-9-]*[a-z0-9]:\d{2,5})\b",
        re.I,
    ),
)


_SOURCE_POSITION = re.compile(
    r"\.(?:py|js|mjs|cjs|jsx|ts|tsx|go|java|kt|scala|rb|php|cs|rs|c|cc|cpp|h|lua|ex|exs|swift)"
    r"(?::\d+)?$",
    re.I,
)


def text_hosts(text: str) -> list[str]:
    """Hosts that free error text says it was talking to (URLs called, host=..., host:port)."""
    found: dict[str, None] = {}
    for pattern in _HOST_PATTERNS:
        for match in pattern.finditer(text):
            host = match.group(1).lower()
            if match.lastindex and match.lastindex >= 2 and match.group(2):
                host = f"{host}:{match.group(2)}"
            # `cart.py:88` is a source position and `1.2` a number, not hosts.
            if _SOURCE_POSITION.search(host):
                continue
            if "." not in host and "-" not in host:
                continue
            found.setdefault(host, None)
    return list(found)
