"""The platform signature catalogue: decisive lines and the objects they name."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sre.extractors.signatures import CATALOGUE, match_signatures


@pytest.mark.parametrize(
    ("line", "kind", "obj"),
    [
        ("Last State: Terminated  Reason: OOMKilled  Exit Code: 137", "oom_killed", None),
        (
            "Warning  BackOff  pod/cart-7f9c8d6b5-x2k4p  Back-off restarting failed container",
            "crash_loop",
            None,
        ),
        (
            'Failed to pull image "r/x:1": failed to resolve: unauthorized: auth required',
            "image_pull_auth",
            None,
        ),
        ('Failed to pull image "r/x:9.9": manifest unknown', "image_pull", None),
        ('Error: secret "db-creds" not found', "missing_config", "db-creds"),
        (
            "FATAL: required environment variable PUSH_REGION is not set",
            "missing_env",
            "PUSH_REGION",
        ),
        (
            'I0722 11:27:06.239134 1093 prober.go:107] "Probe failed" probeType="Readiness" '
            'pod="sock-shop/payment-fbqjmwtbrd-jfsdp" probeResult="failure"',
            "probe_failed",
            "payment-fbqjmwtbrd-jfsdp",
        ),
        (
            "Warning  Unhealthy  pod/cart-7f9c8d6b5-x2k4p  Readiness probe failed: HTTP 503",
            "probe_failed",
            "cart-7f9c8d6b5-x2k4p",
        ),
        (
            "IllegalStateException: No instances available for ts-travel-service]",
            "no_instances",
            "ts-travel-service",
        ),
        (
            "NameResolutionError: Failed to resolve 'api.stripe.com'",
            "dns_failure",
            "api.stripe.com",
        ),
        (
            "dial tcp: lookup payments-db.internal on 10.0.0.10:53: no such host",
            "dns_failure",
            "payments-db.internal",
        ),
        ("getaddrinfo ENOTFOUND redis.cache.svc", "dns_failure", "redis.cache.svc"),
        ("x509: certificate has expired or is not yet valid", "tls_expired", None),
        ("chronyd[702]: System clock wrong by -93.600000 seconds", "clock_skew", None),
        ("chronyd[702]: Can't synchronise: no selectable sources", "clock_skew", None),
        ("RequestTimeTooSkewed: The difference between the request time", "clock_skew", None),
        (
            "FATAL:  remaining connection slots are reserved for superuser",
            "db_connections_maxed",
            None,
        ),
        ("ERROR: cannot execute INSERT in a read-only transaction", "db_failover", None),
        (
            "ERROR: database is not accepting commands to avoid wraparound data loss in "
            'database "telemetry"',
            "db_xid_wraparound",
            "telemetry",
        ),
        (
            '{"error":"ERROR: database is not accepting commands to avoid wraparound data loss '
            'in database \\"telemetry\\""}',
            "db_xid_wraparound",
            "telemetry",
        ),
        (
            'WARNING:  database "ledger" must be vacuumed within 9763540 transactions',
            "db_xid_wraparound",
            "ledger",
        ),
        (
            'Error creating: pods "catalog-api-7d9f8c6b5-x2k4p" is forbidden: exceeded quota: '
            "catalog-compute, requested: requests.cpu=500m, used: requests.cpu=9500m",
            "quota_exceeded",
            "catalog-compute",
        ),
        ("RDS-EVENT-0006 The DB instance restarted.", "db_failover", None),
        (
            "Multi-AZ instance failover started for DB instance orders-db-prod",
            "db_failover",
            "orders-db-prod",
        ),
        (
            "Node ip-10-31-7-142.ec2.internal status is now: NodeNotReady",
            "node_not_ready",
            "ip-10-31-7-142.ec2.internal",
        ),
        (
            "Recording status change NodeNotReady event message for node gke-pool-8c1f-k7xq",
            "node_not_ready",
            "gke-pool-8c1f-k7xq",
        ),
        (
            "Warning NodeNotReady pod/currencyservice-ssk4mf7qh-kmncp Node is not ready",
            "node_not_ready",
            None,
        ),
        ("OSError: [Errno 28] No space left on device", "disk_full", None),
        (
            "flood stage disk watermark [95%] exceeded on [oacc8yJMb][es-data-4][/data] free: 1gb",
            "disk_full",
            "es-data-4",
        ),
        ("java.lang.OutOfMemoryError: Java heap space", "runtime_oom", None),
        ("accept4: Too many open files", "fd_exhausted", None),
        ("0/6 nodes are available: 6 Insufficient memory.", "failed_scheduling", None),
    ],
)
def test_decisive_lines_are_recognised(line: str, kind: str, obj: str | None) -> None:
    """Each catalogue entry finds its line and, where the line names it, the object."""
    found = {m.signature.kind: m.obj for m in match_signatures(line)}
    assert kind in found
    assert found[kind] == obj


@pytest.mark.parametrize(
    "line",
    [
        "INFO request completed in 12 ms",
        "GET /healthz 200",
        "Failed to pull image: failed to resolve: unauthorized",  # no dotted host
        "user login succeeded",
        # Autovacuum guarding against wraparound is routine; only the refusal is trouble.
        "automatic aggressive vacuum to prevent wraparound of table public.events",
    ],
)
def test_ordinary_lines_match_nothing(line: str) -> None:
    """Routine lines and near misses carry no signature."""
    kinds = [m.signature.kind for m in match_signatures(line)]
    assert "dns_failure" not in kinds and (kinds == [] or line.startswith("Failed to pull"))


def test_a_masked_template_object_gives_way_to_the_example_line() -> None:
    """A mined template masks the node (`[<*>]`); the object is read from the example
    line that follows it in the same text."""
    template = "flood stage disk watermark [<*>] exceeded on [<*>][<*>][<*>]"
    example = "flood stage disk watermark [95%] exceeded on [x1][es-data-4][/data]"
    [found] = match_signatures(template + " " + example)
    assert found.obj == "es-data-4"


def test_a_credential_refusal_is_not_also_a_bad_tag() -> None:
    """An image pull refused for credentials is only the credentials signature."""
    kinds = [m.signature.kind for m in match_signatures("ErrImagePull: 401 Unauthorized")]
    assert kinds == ["image_pull_auth"]


def test_catalogue_categories_are_taxonomy_ids_or_symptoms() -> None:
    """Every entry points at a taxonomy category, or none for symptoms; strengths in (0, 1]."""
    from sre.taxonomy import CATEGORIES

    for signature in CATALOGUE:
        assert signature.category is None or signature.category in CATEGORIES
        assert 0 < signature.strength <= 1


@given(st.text(max_size=2000))
def test_matching_accepts_any_text(text: str) -> None:
    """Any text gives a list of matches, each of a catalogue entry."""
    for match in match_signatures(text):
        assert match.signature in CATALOGUE
        assert match.obj is None or match.obj.strip() == match.obj


def test_a_kubectl_get_pods_row_names_the_pod_its_status_column_shows() -> None:
    """`kubectl get pods`: the pod whose STATUS is OOMKilled or CrashLoopBackOff is the
    object; a running pod's row with the signature elsewhere on the line names none."""
    oom = match_signatures("carts-45nlmhs9l-42h6c   0/1     OOMKilled   0             6d4h")
    assert [(m.signature.kind, m.obj) for m in oom] == [("oom_killed", "carts-45nlmhs9l-42h6c")]
    loop = match_signatures("web-7d9f8c6b5-x2k4p   0/1   CrashLoopBackOff   5 (2m ago)   10m")
    assert [(m.signature.kind, m.obj) for m in loop] == [("crash_loop", "web-7d9f8c6b5-x2k4p")]
    running = match_signatures(
        "orders-7f9c8d6b5-q8mwn  1/1  Running  0  2d  Back-off restarting failed container"
    )
    assert [(m.signature.kind, m.obj) for m in running] == [("crash_loop", None)]


def test_a_servers_reverse_lookup_of_a_client_address_is_no_dns_failure() -> None:
    """MySQL resolving a client's IP back to a name (`IP address '10.244.3.15' could not be
    resolved: Name or service not known`) fails on no service's name."""
    mysql = (
        "[Warning] [MY-010055] [Server] IP address '10.244.3.15' could not be resolved:"
        " Name or service not known"
    )
    assert match_signatures(mysql) == []
    gai = "socket.gaierror: [Errno -2] Name or service not known"
    assert [m.signature.kind for m in match_signatures(gai)] == ["dns_failure"]
