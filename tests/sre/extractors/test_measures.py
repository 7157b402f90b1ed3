"""What a metric measures: kind, harmful direction, percentage bounds, evidence weight."""

from __future__ import annotations

import pytest

from sre.agents.patterns import metric_families
from sre.extractors.entities import metric_entity, metric_labels
from sre.extractors.measures import measure_of, series_measure


@pytest.mark.parametrize(
    ("name", "unit", "kind", "bad"),
    [
        ("CpuUsageRate(%)", "%", "cpu", "up"),
        ("FreeStorageSpace", "Bytes", "free_disk", "down"),
        ("node_filesystem_avail_bytes", "bytes", "free_disk", "down"),
        ("FreeableMemory", "Bytes", "free_memory", "down"),
        ("ReplicaLag", "Seconds", "lag", "up"),
        ("MaximumUsedTransactionIDs", "Count", "xid", "up"),
        ("pg_database_xid_age", None, "xid", "up"),
        ("HealthyHostCount", "Count", "healthy", "down"),
        ("UnHealthyHostCount", "Count", "unhealthy", "up"),
        ("CPUCreditBalance", "Count", "credits", "down"),
        ("SuccessRate(%)", "%", "success", "down"),
        ("ThrottledRequests", "Count", "throttling", "up"),
        ("http_5xx_total", None, "errors", "up"),
        ("TargetResponseTime", "Seconds", "latency", "up"),
        ("DatabaseConnections", "Count", "connections", "up"),
        ("ApproximateNumberOfMessagesVisible", "Count", "queue", "up"),
        ("NetworkReceiveBytes", "B/s", "network", "both"),
        ("PodWorkload(Ops)", "ops/s", "traffic", "both"),
    ],
)
def test_kinds_and_harmful_directions(name: str, unit: str | None, kind: str, bad: str) -> None:
    """Names and units map to what they measure and which direction hurts."""
    measure = measure_of(name, unit)
    assert (measure.kind, measure.bad) == (kind, bad)


def test_a_unit_decides_whether_a_series_is_a_percentage() -> None:
    """`MemoryUsage` in Bytes is bytes; `cpu_utilization` without a unit is a percentage."""
    assert measure_of("MemoryUsage", "Bytes").percent is None
    assert measure_of("cpu_utilization", None).percent == 100.0
    assert measure_of("CpuUsageRate(%)", "%").percent == 100.0


def test_load_driven_and_client_side_series_weigh_less() -> None:
    """Traffic and network volume count a quarter; a caller's latency half; CPU fully."""
    assert measure_of("NetworkReceiveBytes", "B/s").weight == 0.25
    assert measure_of("requests_per_second", None).weight == 0.25
    client = measure_of("PodClientLatencyP90(s)", "s")
    assert client.client_side and client.weight == 0.5
    assert measure_of("CPUUtilization", "Percent").weight == 1.0


@pytest.mark.parametrize(
    "series",
    [
        'backend_request_count{backend="frontend-neg",response_code_class="500"}',
        'sum(rate(nginx_ingress_controller_requests{status=~"5.."}[1m]))',
        'grpc_server_handled:rate1m{grpc_service="Catalog",grpc_code="Internal"}',
        'istio_requests_total:rate1m{destination_workload="frontend",response_code=~"5..|0"}',
    ],
)
def test_a_request_count_of_failing_responses_counts_errors(series: str) -> None:
    """Requests filtered to 5xx (or a failing gRPC code) are errors rising, not traffic; the
    same count of 200s stays traffic, in the extractor and in the agents' families."""
    measure = measure_of(metric_entity(series).measure, None, metric_labels(series))
    assert (measure.kind, measure.bad) == ("errors", "up")
    assert "errors" in metric_families(series) and "traffic" not in metric_families(series)
    ok = 'http_requests_total{status="200"}'
    assert measure_of(metric_entity(ok).measure, None, metric_labels(ok)).kind == "traffic"


def test_a_managed_databases_throughput_is_database_load_not_traffic() -> None:
    """CloudWatch's RDS namespace or DB dimension makes a throughput series database load,
    never the service's incoming traffic (no request surge from it)."""
    families = metric_families("AWS/RDS/ReadThroughput{DBInstanceIdentifier=catalog-db}")
    assert "db" in families and "traffic" not in families
    # A database's own series, named after it, is its load too.
    for name in ("orders-prod-pg/ReadThroughput", "orders-db.requests_per_second"):
        assert "db" in metric_families(name) and "traffic" not in metric_families(name)
    assert "traffic" in metric_families("checkout.requests_per_second")


@pytest.mark.parametrize(
    "series",
    [
        "custom.publicapi.requests.by_client.fleetlink-prod",
        "AWS/CloudFront/Requests{DistributionId=E2QWRUHAPOMQZL}",
        "app.checkout.requests",
    ],
)
def test_a_series_named_requests_is_incoming_traffic(series: str) -> None:
    """A bare `requests` count (a Graphite breakdown by client, CloudFront's `Requests`) is
    traffic to the agents as it is to the extractor, so a surge in it is a request surge."""
    assert "traffic" in metric_families(series)
    assert measure_of(metric_entity(series).measure, None, metric_labels(series)).kind == "traffic"
    assert "traffic" not in metric_families("app.checkout.requests.errors")


def test_a_count_of_429_responses_is_throttling_and_a_histogram_quantile_latency() -> None:
    """`status="429"` filters a request count to throttled calls; `histogram_quantile(...)`
    of a `_seconds_bucket` is a latency, whatever the word `requests` in it says."""
    throttled = 'http_client_requests_seconds_count{clientName="api.x.io",status="429"}'
    assert series_measure(throttled, None).kind == "throttling"
    ok = 'http_client_requests_seconds_count{clientName="api.x.io",status="200"}'
    assert series_measure(ok, None).kind == "traffic"
    quantile = "histogram_quantile(0.99, http_client_requests_seconds_bucket)"
    assert series_measure(quantile, None).kind == "latency"


def test_the_age_of_a_queues_oldest_message_is_its_backlog() -> None:
    """SQS's ApproximateAgeOfOldestMessage measures the queue's backlog (the consumer's
    symptom), not a lag of its own."""
    assert series_measure("AWS/SQS ApproximateAgeOfOldestMessage QueueName=jobs", None).kind == (
        "queue"
    )


@pytest.mark.parametrize(
    ("series", "threads"),
    [
        ("fulfillment-worker/Invocations", False),
        ('aws_lambda_invocations_sum{function_name="fulfillment-worker"}', False),
        ('tomcat_threads_busy_threads{app="search-api"}', True),
        ("celery_workers_busy", True),
    ],
)
def test_only_the_measure_says_a_series_counts_threads(series: str, threads: bool) -> None:
    """A worker's invocations are traffic, not threads: the entity's name says who, the
    measure what."""
    assert ("threads" in metric_families(series)) is threads
