"""Certificates lapsing in the series that watch them (`sre.extractors.expiry`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alpha.schemas import MetricPoints
from sre.extractors.expiry import expired_certificate
from sre.extractors.shifts import Series, normalise
from sre.signals.values import SignatureValue

START = datetime(2026, 9, 30, 22, 0, tzinfo=UTC)
EXPIRY = datetime(2026, 10, 1, 0, 0, tzinfo=UTC).timestamp()
ENDPOINT = 'instance="ledger.payments.svc.cluster.local:8443"'


def _series(name: str, values: list[float]) -> Series:
    times = [START + timedelta(minutes=10 * i) for i in range(len(values))]
    points = MetricPoints(points=list(zip(times, values, strict=True)))
    return normalise(name, points, None)


def test_an_expiry_timestamp_passed_inside_the_evidence_is_an_expired_certificate() -> None:
    """Valid at 22:00, lapsed at 00:00: the endpoint the probe watched is named."""
    name = f'probe_ssl_earliest_cert_expiry{{job="blackbox-tls",{ENDPOINT}}}'
    found = expired_certificate(_series(name, [EXPIRY] * 15))
    assert found is not None and isinstance(found.value, SignatureValue)
    assert found.value.kind == "tls_expired"
    assert found.value.obj == "ledger.payments.svc.cluster.local:8443"
    assert found.value.first_seen == "2026-10-01T00:00:00Z"


def test_days_remaining_falling_below_zero_is_an_expired_certificate() -> None:
    name = f"instance:probe_ssl_earliest_cert_expiry:days_remaining{{{ENDPOINT}}}"
    found = expired_certificate(_series(name, [0.08, 0.05, 0.01, -0.01, -0.04]))
    assert found is not None and found.value.obj == "ledger.payments.svc.cluster.local:8443"


@pytest.mark.parametrize(
    ("name", "values"),
    [
        # Still valid for a month.
        (f"probe_ssl_earliest_cert_expiry{{{ENDPOINT}}}", [EXPIRY + 30 * 86400] * 10),
        # Already expired when the evidence starts: nothing changed in it.
        (f"probe_ssl_earliest_cert_expiry{{{ENDPOINT}}}", [EXPIRY - 86400] * 10),
        # Not a certificate's series.
        (f"session_ttl_remaining_seconds{{{ENDPOINT}}}", [30.0, 10.0, 0.0, -5.0]),
        (f"probe_ssl_handshake_seconds{{{ENDPOINT}}}", [0.1, 0.2, -1.0]),
        # `ClientTLS...` has no `ttl` in its words: a count of failed handshakes.
        ("AWS/ApplicationELB ClientTLSNegotiationErrorCount LoadBalancer=app/x", [3.0, 0.0]),
    ],
)
def test_nothing_lapsed_is_no_finding(name: str, values: list[float]) -> None:
    assert expired_certificate(_series(name, values)) is None
