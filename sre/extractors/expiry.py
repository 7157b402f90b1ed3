"""Certificates that expired, read from the series that watch them.

A blackbox exporter (`probe_ssl_earliest_cert_expiry`), cert-manager
(`certmanager_certificate_expiration_timestamp_seconds`) or a recording rule
(`...:days_remaining`) says when a certificate stops being valid. When that moment passes
inside the evidence, the series decides the cause on its own, as one
`x509: certificate has expired` line does in the logs: a `signature` finding of kind
`tls_expired` (`sre.extractors.signatures`), about the endpoint or certificate the series
names. Two readings, both decisive only when the certificate was valid at the series' start:

- an expiry *timestamp* (epoch seconds) that a later point's own time has passed;
- a *remaining* time (days or seconds left) that fell to zero or below.

Pure functions, no I/O.
"""

from __future__ import annotations

import re

from sre.extractors.entities import metric_entity, metric_labels
from sre.extractors.finding import Finding
from sre.extractors.keywords import tokens
from sre.extractors.shifts import Series
from sre.extractors.signatures import CATALOGUE, series_signature
from sre.extractors.timeutil import iso

# Whole words of the name (`ClientTLSNegotiationErrorCount` has no `ttl` in it).
_CERT = frozenset({"cert", "certs", "certificate", "ssl", "tls", "x509"})
_TIMESTAMP = frozenset({"expiry", "expiration", "expires", "notafter"})
_REMAINING = frozenset({"remaining", "left", "until", "ttl"})
# Epoch seconds after 2001: a timestamp, not a count of days.
_EPOCH_FLOOR = 1e9
# Labels naming the endpoint or certificate watched, in order of precision.
_SUBJECT_LABELS = ("instance", "target", "host", "domain", "cn", "subject", "secret_name", "name")
_EXPIRED = next(s for s in CATALOGUE if s.kind == "tls_expired")


def expired_certificate(series: Series) -> Finding | None:
    """A `tls_expired` signature finding when the series shows its certificate lapsing."""
    if not series.times or len(series.values) < 2 or not _words(series.name) & _CERT:
        return None
    lapsed = _lapsed_at(series)
    if lapsed is None:
        return None
    subject = _subject(series.name)
    example = f"{series.name} = {series.values[lapsed]:g} at {iso(series.times[lapsed])}"
    return series_signature(
        _EXPIRED,
        obj=subject,
        emitter=None,
        example=example,
        template=series.name,
        first_seen=iso(series.times[lapsed]),
    )


def _lapsed_at(series: Series) -> int | None:
    """The index of the first point at which the certificate was no longer valid, or None
    when it was already invalid at the start (nothing changed) or never lapsed."""
    assert series.times is not None
    words = _words(series.name)
    if words & _TIMESTAMP and series.values[0] >= _EPOCH_FLOOR:
        valid = [v > t.timestamp() for v, t in zip(series.values, series.times, strict=False)]
    elif words & _REMAINING:
        valid = [v > 0 for v in series.values]
    else:
        return None
    if not valid[0]:
        return None
    return next((i for i, ok in enumerate(valid) if not ok), None)


def _words(name: str) -> set[str]:
    """The words of the series' name, labels aside (`cert_not_after` -> cert, notafter,
    ...: `not` and `after` joined, as one word says it)."""
    words = tokens(name.split("{", 1)[0])
    return set(words) | {a + b for a, b in zip(words, words[1:], strict=False)}


def _subject(name: str) -> str | None:
    """The endpoint or certificate a series watches (`https://a.io:443/x` -> `a.io:443`)."""
    labels = metric_labels(name)
    for key in _SUBJECT_LABELS:
        value = labels.get(key)
        if value:
            return re.sub(r"^[a-z][a-z0-9+.-]*://|/.*$", "", value.strip()) or None
    entity = metric_entity(name).entity
    return entity.name if entity is not None else None
