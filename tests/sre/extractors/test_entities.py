"""Entities of log lines and metric names: Kubernetes pods, collectors, syslog, labels."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sre.extractors.entities import line_entity, measures_balancer, metric_entity, pod_workload
from sre.extractors.logs.parse import parse_line
from sre.extractors.logs.shapes import collector_prefix


@pytest.mark.parametrize(
    ("pod", "workload"),
    [
        ("ts-contacts-service-866bd68c97-xcqfx", "ts-contacts-service"),
        ("cart-7f9c8d6b5-x2k4p", "cart"),
        ("kafka-0", "kafka-0"),
        ("redis-cart-12", "redis-cart-12"),
        ("fluent-bit-x7k2p", "fluent-bit"),
    ],
)
def test_pod_names_reduce_to_their_workload(pod: str, workload: str) -> None:
    """Deployment and DaemonSet pod names give their workload; a StatefulSet member keeps its
    ordinal (`svc-10` could as well be a service)."""
    assert pod_workload(pod) == workload


@pytest.mark.parametrize("name", ["checkout", "Checkout-7f9c8d6b5-x2k4p", "web-xyzab-aeiou", "api"])
def test_names_that_are_not_pods_are_refused(name: str) -> None:
    """No dash, capitals, or suffixes with vowels (outside Kubernetes' alphabet): no pod."""
    assert pod_workload(name) is None


def test_collector_prefix_names_the_pod() -> None:
    """A Loki/Promtail line (time, pod, message) belongs to the pod's workload."""
    line = "2023-01-29T08:42:09.487Z ts-travel2-service-5c66d57d58-6mp2b 16:42:09.486 INFO x"
    found = line_entity(line)
    assert found is not None and (found.kind, found.workload) == ("pod", "ts-travel2-service")


def test_a_namespace_and_pod_prefix_after_the_time_names_the_pod() -> None:
    """`<time> <namespace>/<pod>: <line>`, as some shippers write it."""
    line = "2025-09-14T00:00:02.495Z inventory/inventory-grpc-c9n6vdsfz-dkqjh: 2025/09/14 WARNING x"
    found = line_entity(line)
    assert found is not None and (found.kind, found.workload) == ("pod", "inventory-grpc")
    assert line_entity("2025-09-14T00:00:02.495Z inventory/not-a-pod: x") is None


def test_sterns_pod_and_container_columns_name_the_pod() -> None:
    """stern: `<pod> <container> [<time>] <line>`; a pod name followed by a date is not."""
    line = 'frontend-xckbf2249-7f292 server 2025-05-06T13:32:51Z {"message":"failed"}'
    found = line_entity(line)
    assert found is not None and (found.kind, found.workload) == ("pod", "frontend")
    assert line_entity("notapod server 2025-05-06T13:32:51Z boot") is None
    # A date is no container name: the line's own time must not be cut off as a column.
    dated = "ts-basic-service-zf9qbtmvl7-dmkvx 2026-12-04 15:05:01.308 INFO x"
    assert collector_prefix(dated) == 0


def test_the_container_log_file_a_collector_tailed_names_the_pod() -> None:
    """Fluent Bit's `kube.*` tag (or the file's path): `<pod>_<namespace>_<container>-<id>`."""
    cid = "f" * 64
    for head in ("kube.var.log.containers.", "/var/log/containers/"):
        line = f"{head}cart-7f9c8d6b5-x2k4p_shop_cart-{cid}.log: 2025-07-14T08:25:19Z stdout F x"
        found = line_entity(line)
        assert found is not None and (found.kind, found.workload) == ("pod", "cart")
        assert collector_prefix(line) == line.index("2025-")


def test_a_cloud_logging_resource_column_names_the_pod_or_instance() -> None:
    """`gcloud logging read` columns: time, monitored resource, payload."""
    pod = line_entity(
        "2026-03-08T02:12:20Z\tk8s_container:billing/invoice-worker-7b9c6d5f8-tzsrb/worker\tx"
    )
    assert pod is not None and (pod.kind, pod.workload) == ("pod", "invoice-worker")
    db = line_entity("2026-03-08T02:12:20Z\tcloudsql_database:acme-prod:billing-pg\tLOG: shutdown")
    assert db is not None and db.workload == "billing-pg"


def test_kubectl_prefix_syslog_compose_and_fields() -> None:
    """`kubectl logs --prefix`, syslog, docker compose, logcli's label sets and structured
    fields each name it."""
    assert line_entity("[pod/cart-7f9c8d6b5-x2k4p/app] started").workload == "cart"  # type: ignore[union-attr]
    host = line_entity("Nov 20 14:03:11 web-01 nginx[123]: upstream timed out")
    assert host is not None and (host.kind, host.name) == ("host", "web-01")
    assert line_entity("payments-1  | listening on :8080").workload == "payments"  # type: ignore[union-attr]
    loki = '2026-12-01T18:40:55Z {app="storefront", pod="storefront-9fj6j2pbqp-g5jv5"} GET /'
    assert line_entity(loki).workload == "storefront"  # type: ignore[union-attr]
    fields = {"service": "orders", "host": "ip-10-0-0-1"}
    assert line_entity('{"msg": "x"}', fields).workload == "orders"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("line", "workload", "message", "level"),
    [
        (  # Fluent Bit with Kubernetes metadata
            '{"log": "GET /cart 500", "level": "error", "kubernetes": {"pod_name":'
            ' "cart-7f9c8d6b5-x2k4p", "namespace_name": "shop", "container_name": "cart"}}',
            "cart",
            "GET /cart 500",
            "ERROR",
        ),
        (  # Cloud Logging: the pod in resource.labels, message and level in jsonPayload
            '{"resource": {"type": "k8s_container", "labels": {"pod_name":'
            ' "currencyservice-ll5q9tlk2m-ltgmz", "container_name": "server"}},'
            ' "timestamp": "2026-05-12T13:30:01Z", "jsonPayload": {"message": "conversion'
            ' request failed", "level": 50}}',
            "currencyservice",
            "conversion request failed",
            "ERROR",
        ),
    ],
)
def test_nested_collector_fields_name_the_pod(
    line: str, workload: str, message: str, level: str
) -> None:
    """Collectors that nest metadata (Fluent Bit, Cloud Logging) still name the pod, never
    the resource's type, and the nested message and level are the record's own."""
    parsed = parse_line(line, 2026)
    found = line_entity(line, parsed.fields)
    assert found is not None and (found.kind, found.workload) == ("pod", workload)
    assert (parsed.message, parsed.level) == (message, level)


def test_an_error_object_stays_one_text_with_its_stack() -> None:
    """`error: {type, message, stack}` is not flattened: it stays the error's text and stack."""
    line = json.dumps(
        {"msg": "charge failed", "error": {"type": "Timeout", "message": "5s", "stack": "a\nb"}}
    )
    parsed = parse_line(line, 2026)
    assert parsed.message == "charge failed"
    assert parsed.fields["error"] == "Timeout: 5s" and parsed.stack == ["a", "b"]


def test_a_kubernetes_event_row_is_about_its_object() -> None:
    """`kubectl get events` rows (with a time or an age) name their object: a pod is
    reduced to its workload, a node is a host; a line that merely says "Warning" is not one."""
    probe = (
        "2026-11-22T14:09:47Z   Warning Unhealthy   pod/teastore-auth-5skbck8jl-2q88n   "
        'Readiness probe failed: Get "http://10.244.2.31:8080/ready": connection refused'
    )
    found = line_entity(probe)
    assert found is not None and (found.kind, found.workload) == ("pod", "teastore-auth")
    node = line_entity("5m   Warning   NodeNotReady   node/gke-pool-1-7k2m   Node is not ready")
    assert node is not None and (node.kind, node.workload) == ("host", "gke-pool-1-7k2m")
    assert line_entity("Warning: the disk pod/cache is almost full") is None


def test_aws_log_groups_and_events_name_the_resource_not_the_service() -> None:
    """A CloudWatch Logs export's log group names the database instance or function; an
    EventBridge event's `source` is the AWS service (`aws.rds`), its resource the
    `detail.SourceIdentifier`."""
    rds = line_entity(
        "/aws/rds/instance/orders-pg-prod/postgresql orders-pg-prod.0 2025-09-16 14:21:13 UTC"
        ':10.40.13.148(49376):app@orders:[28822]:ERROR:  could not write to file "pg_wal/x"'
    )
    assert rds is not None and rds.workload == "orders-pg-prod"
    fn = line_entity("/aws/lambda/resize-fn 2025/09/16/[$LATEST]abc START RequestId: 1")
    assert fn is not None and fn.workload == "resize-fn"
    event = json.dumps(
        {
            "source": "aws.rds",
            "detail-type": "RDS DB Instance Event",
            "detail": {"SourceIdentifier": "orders-pg-prod", "Message": "storage is low"},
        }
    )
    found = line_entity(event, parse_line(event, 2025).fields)
    assert found is not None and found.workload == "orders-pg-prod"
    bare = json.dumps({"source": "aws.health", "detail-type": "AWS Health Event"})
    assert line_entity(bare, parse_line(bare, 2025).fields) is None


@pytest.mark.parametrize(
    ("name", "balancer"),
    [
        ("AWS/ApplicationELB HTTPCode_ELB_5XX_Count LoadBalancer=app/shop/2f85 Sum", True),
        ('aws_alb_latency{dimension_LoadBalancer="app/k8s-shop-checkout/7c1d2e9a"}', True),
        ("app/internal-ledger-prod/5b8c2e1f9a0d3c47/ClientTLSNegotiationErrorCount", True),
        ('http_server_errors_total{service="checkout-bff"}', False),
        ("AWS/RDS orders-db/FreeStorageSpace", False),
    ],
)
def test_a_load_balancers_series_are_told_by_dimension_namespace_or_path(
    name: str, balancer: bool
) -> None:
    assert measures_balancer(name) is balancer


def test_a_plain_line_has_no_entity() -> None:
    """Nothing is guessed from a line without a convention."""
    assert line_entity("2026-11-20T14:03:11Z ERROR timeout calling ledger") is None


@pytest.mark.parametrize(
    ("name", "entity", "measure"),
    [
        ("ts-food-service.CpuUsageRate(%)", "ts-food-service", "CpuUsageRate(%)"),
        ("orders-db/FreeStorageSpace", "orders-db", "FreeStorageSpace"),
        ("Lambda/thumbnailer/Throttles", "thumbnailer", "Throttles"),
        (
            "AWS/ElastiCache sessions-prod-0001-001/CurrConnections",
            "sessions-prod-0001-001",
            "CurrConnections",
        ),
        ("AWS/RDS orders-db/FreeStorageSpace", "orders-db", "FreeStorageSpace"),
        (
            "app/internal-ledger-prod/5b8c2e1f9a0d3c47/ClientTLSNegotiationErrorCount",
            "internal-ledger-prod",
            "ClientTLSNegotiationErrorCount",
        ),
        (
            'aws_lambda_invocations_sum{dimension_FunctionName="image-variants"}',
            "image-variants",
            "aws_lambda_invocations_sum",
        ),
        (
            'aws_applicationelb_target_response_time_average{dimension_LoadBalancer="app/k8s-shop'
            '-checkout/7c1d2e9a4b6f0e31"}',
            "k8s-shop-checkout",
            "aws_applicationelb_target_response_time_average",
        ),
        ("AWS/RDS/orders-db/CPUUtilization", "orders-db", "CPUUtilization"),
        ('cpu{pod="cart-7f9c8d6b5-x2k4p",namespace="shop"}', "cart", "cpu"),
        (
            "AWS/ApplicationELB TargetResponseTime LoadBalancer=app/shop-edge-alb/2f85968749d1",
            "shop-edge-alb",
            "TargetResponseTime",
        ),
        (
            "AWS/ApplicationELB HTTPCode_Target_5XX_Count LoadBalancer=app/int-alb/b46e"
            " TargetGroup=targetgroup/tg-pet-search/4a6440 Sum",
            "tg-pet-search",
            "HTTPCode_Target_5XX_Count",
        ),
        (
            "X-Ray edge cart-quote -> api.taxcalc-partner.com ResponseTime.p99",
            "api.taxcalc-partner.com",
            "ResponseTime.p99",
        ),
        (
            'kafka_consumergroup_lag{consumergroup="geo-enricher",topic="clickstream.raw"}',
            "geo-enricher",
            "kafka_consumergroup_lag",
        ),
        (
            'http_client_requests_seconds_count{clientName="api.geolookup.io",status="429"}',
            "api.geolookup.io",
            "http_client_requests_seconds_count",
        ),
        ('latency{service="checkout"}', "checkout", "latency"),
        (
            "AWS/RDS DatabaseConnections{DBInstanceIdentifier=payments-pg-prod}",
            "payments-pg-prod",
            "AWS/RDS DatabaseConnections",
        ),
        (
            "AWS/DynamoDB ThrottledRequests{TableName=sessions, Operation=Query}",
            "sessions",
            "AWS/DynamoDB ThrottledRequests",
        ),
        ('pg_locks_count{datname="orders",mode="ExclusiveLock"}', "orders", "pg_locks_count"),
        (  # OpenTelemetry resource attributes as labels
            'k8s.pod.cpu.utilization{k8s.namespace.name="hotel",k8s.pod.name="geo-45jvtcn9g9-v2kqq"}',
            "geo",
            "k8s.pod.cpu.utilization",
        ),
        (  # Datadog tags
            "kubernetes.cpu.usage.total{kube_namespace:social,pod_name:post-storage-2tvpwjjs5h-zs5mf}",
            "post-storage",
            "kubernetes.cpu.usage.total",
        ),
        (  # a PromQL query: the selector's labels and the selected series
            "histogram_quantile(0.99, istio_request_duration_milliseconds_bucket"
            '{destination_workload="currencyservice",reporter="source"})',
            "currencyservice",
            "istio_request_duration_milliseconds_bucket",
        ),
        (
            'rate(container_cpu_usage_seconds_total{pod="ts-seat-service-lgq9wbrm9n-7sgg5"}[1m])',
            "ts-seat-service",
            "container_cpu_usage_seconds_total",
        ),
        (  # a recording rule's colons are no labels
            'node:cpu_utilisation:avg1m{instance="batch-02"}',
            "batch-02",
            "node:cpu_utilisation:avg1m",
        ),
        (  # a caller-side series measures its callee
            'istio_requests_total{destination_workload="cart",response_code="503"}',
            "cart",
            "istio_requests_total",
        ),
        (  # so does a caller's dotted series about a dependency
            "checkout-api.outbound.tax-provider.latency_p99",
            "tax-provider",
            "latency_p99",
        ),
        (  # a grouping segment is no dependency
            "web.outbound.requests.count",
            "web",
            "outbound.requests.count",
        ),
        ("ts-travel-service_cpu", "ts-travel-service", "cpu"),  # a CSV export's columns
        ("carts_latency-90", "carts", "latency-90"),
        # a namespace before the resource; dimensions in parentheses; an edge's callee
        ("lambda.report-export-pdf.invocations", "report-export-pdf", "invocations"),
        ("sqs.report-export-dlq.messages_visible", "report-export-dlq", "messages_visible"),
        (
            "AWS/Lambda.Errors.Sum(FunctionName=quote-engine)",
            "quote-engine",
            "AWS/Lambda.Errors.Sum",
        ),
        ("xray.edge.FaultCount(quotes-api->quote-engine)", "quote-engine", "xray.edge.FaultCount"),
        # brackets; an exporter's prefix before the namespace; a breakdown's value
        (
            "AWS/Lambda Errors [FunctionName=invoice-api, Resource=x:live]",
            "invoice-api",
            "AWS/Lambda Errors",
        ),
        ("cloudwatch.AWS_Lambda.shipments-search.Invocations", "shipments-search", "Invocations"),
        (
            "custom.publicapi.requests.by_client.fleetlink-prod",
            "fleetlink-prod",
            "custom.publicapi.requests",
        ),
        # Cloud Monitoring's resource labels (their values a path, the name last), an
        # aggregate after the labels, and Azure Monitor's resource.
        (
            'run.googleapis.com/request_latencies{service_name="cart-api"}:p99',
            "cart-api",
            "run.googleapis.com/request_latencies:p99",
        ),
        (
            'cloudsql.googleapis.com/database/cpu/utilization{database_id="acme-4412:orders-pg"}',
            "orders-pg",
            "cloudsql.googleapis.com/database/cpu/utilization",
        ),
        (
            "redis.googleapis.com/stats/memory/usage_ratio"
            '{instance_id="projects/media/locations/us-central1/instances/feed-cache"}',
            "feed-cache",
            "redis.googleapis.com/stats/memory/usage_ratio",
        ),
        (
            'Microsoft.Sql/servers/databases/cpu_percent{resource="sql-billing/sqldb-billing"}',
            "sqldb-billing",
            "Microsoft.Sql/servers/databases/cpu_percent",
        ),
        # Application Insights: a dependency's series measures its target, a request's the
        # role (its keys have a path: `cloud/roleName`).
        (
            'dependencies/failed{resource="appi-shop",cloud/roleName="web",'
            'dependency/target="api.pay.io"}',
            "api.pay.io",
            "dependencies/failed",
        ),
        (
            'requests/duration{resource="appi-shop",cloud/roleName="web"}',
            "web",
            "requests/duration",
        ),
        # Azure Monitor's `<resource type>[<name>] <metric>`: the resource in brackets (a
        # database's last segment), unless a dimension names the role measured.
        (
            "Microsoft.Cache/redis[redis-sessions-prod] usedmemory",
            "redis-sessions-prod",
            "usedmemory",
        ),
        (
            "Microsoft.Sql/servers/databases[sql-shop/catalog] dtu_consumption_percent",
            "catalog",
            "dtu_consumption_percent",
        ),
        (
            "microsoft.insights/components[ai-shop] requests/failed{cloud_RoleName=func-cart}",
            "func-cart",
            "requests/failed",
        ),
    ],
)
def test_metric_names_split_into_entity_and_measure(name: str, entity: str, measure: str) -> None:
    """Dotted prefixes, CloudWatch paths and dimensions (quoted or not) and Prometheus
    labels name the entity."""
    found = metric_entity(name)
    assert found.entity is not None and found.entity.workload == entity
    assert found.measure == measure


@pytest.mark.parametrize(
    "name",
    [
        "latency_p99_ms",
        "jvm.memory.used",
        "0.5",
        "Lambda/Errors",
        "node_load1",
        "process_cpu",
        "cache_hit_errors",
    ],
)
def test_metric_names_without_an_entity(name: str) -> None:
    """A bare measure, a dotted measure or a namespace alone names no entity."""
    assert metric_entity(name).entity is None


@given(st.text(max_size=300))
def test_entity_parsers_accept_any_text(text: str) -> None:
    """Any line or metric name gets an answer; a found entity has a non-empty workload."""
    for found in (line_entity(text), metric_entity(text).entity):
        assert found is None or found.workload != ""
