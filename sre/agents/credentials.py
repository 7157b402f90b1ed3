"""Which secret a refused credential comes from: the thing to rotate or fix.

When a database refuses a login, a registry an image pull or a client an expired
certificate, the responder acts on the secret behind it, not on the party that refused:
`billing_api.db.secret_id: prod/billing/postgres`, a Kubernetes `secretName` or
`imagePullSecrets` entry, `envFrom: secret/payments-db-credentials`, an External Secrets
`remoteRef`. The config names those references; the refusal's words (its hosts, the
workloads that logged it, its text) say which one: the reference whose key path, value and
neighbouring settings (a certificate's `dnsNames`, an ingress's `hosts`) share the most of
them. A reference sharing none is not named, and a value the redaction boundary would hide
is never named (it may be the secret itself).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from sre.agents.base import Evidence
from sre.agents.patterns import tokens
from sre.redaction.keys import secret_value

# The last word of a key holding a secret's name or id (`secret_id`, `secretName`,
# `remoteRef`, `imagePullSecrets`, `existingSecret`, `DB_SECRET_ID`, `secret_arn`).
_REF_KEY = re.compile(
    r"(?:^|_)secret_?(?:id|name|ref|arn)$|^remote_?(?:ref|key)$|^image_?pull_?secrets?$"
    r"|^existing_?secret(?:_?name)?$|^secret_?key_?ref$",
    re.I,
)
# A value that names a Secret object by kind (`envFrom: [secret/payments-db-credentials]`).
_REF_VALUE = re.compile(r"^secrets?/(?P<name>[a-z0-9][\w.-]{1,252})$", re.I)
# Words too common in config paths to link a reference to a refusal on their own.
_COMMON = frozenset({"secret", "secrets", "name", "ref", "key", "value", "env", "prod"})


def credential_refs(evidence: Evidence, words: set[str]) -> list[str]:
    """Secret references in the config, those sharing the most `words` first (see the
    module docstring); each name once."""
    scored: dict[str, int] = {}
    for path, name, context in _references(evidence.incident.config_snapshot):
        if secret_value(path, name):
            continue
        shared = len((context - _COMMON) & words)
        if shared:
            scored[name] = max(shared, scored.get(name, 0))
    return sorted(scored, key=lambda name: -scored[name])


def _snake(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key)


def _references(config: Any, path: str = "") -> Iterator[tuple[str, str, set[str]]]:
    """(key path, referenced name, context words) for every secret reference under
    `config`; the context is the path's words, the name's and its siblings' values."""
    if isinstance(config, list):
        for item in config:
            yield from _references(item, path)
        return
    if not isinstance(config, dict):
        return
    siblings = _scalar_words(config)
    for key, value in config.items():
        child = f"{path}.{key}" if path else str(key)
        if _REF_KEY.search(_snake(str(key))):
            for name in _names(value):
                yield child, name, tokens(child) | tokens(name) | siblings
        elif isinstance(value, list):
            for item in value:
                match = _REF_VALUE.match(item) if isinstance(item, str) else None
                if match:
                    name = match.group("name")
                    yield child, name, tokens(child) | tokens(name) | siblings
        yield from _references(value, child)


def _names(value: Any) -> list[str]:
    """The names a reference key holds: a string, or a list of strings or `{name: x}`."""
    items = value if isinstance(value, list) else [value]
    found = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("name")
        if isinstance(item, str) and item.strip():
            found.append(item.strip())
    return found


def _scalar_words(mapping: dict[str, Any]) -> set[str]:
    """Words of a mapping's string values and lists of strings (`dnsNames`, `hosts`)."""
    words: set[str] = set()
    for value in mapping.values():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, str):
                words |= tokens(item)
    return words
