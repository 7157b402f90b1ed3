"""Entities: which service, pod, node or host a log line or a metric series belongs to.

Real evidence names its entity in a handful of conventional ways, and nothing else is
guessed:

Log lines (the emitter of the line)
    - structured fields: the subject of an event (`subject_name`, `involvedObject.name`),
      `kubernetes.pod_name` / `pod` / `pod_name`, `service` /
      `service.name` / `app` / `application` / `component` / `kubernetes.labels.app`,
      `container` / `container_name`, `host` / `hostname` / `node`;
    - `kubectl logs --prefix`: `[pod/<pod>/<container>] ...`; stern's `<pod> <container> ...`;
      the container log file Fluent Bit tailed (`kube.var.log.containers.<pod>_<ns>_<c>-<id>.log:`);
    - a collector prefix (Loki/Promtail, Fluent Bit, `kubectl logs --timestamps`): a leading
      timestamp followed by a Kubernetes pod name (`cart-7f9c8d6b5-x2k4p`, `kafka-0`);
    - syslog: `<time> <host> <program>[<pid>]: ...`;
    - docker compose: `<service>-1  | ...`;
    - a Cloud Logging resource after the time (`gcloud logging read` columns):
      `k8s_container:<namespace>/<pod>/<container>`, `k8s_pod:<namespace>/<pod>`,
      `<type>:<project>:<instance>` (`cloudsql_database:acme-prod:billing-pg`);
    - a Kubernetes event row (`kubectl get events`): `[<time or age>] Normal|Warning <reason>
      <kind>/<name> <message>`: the event is about its object, whoever reported it;
    - a CloudWatch Logs export's log group: `/aws/rds/instance/<instance>/postgresql ...`,
      `/aws/lambda/<function> ...`; an EventBridge event's `detail.SourceIdentifier` (its
      `source`, `aws.rds`, names the AWS service, no resource).

Metric names (the entity measured)
    - Prometheus labels: `cpu{pod="cart-7f9c8d6b5-x2k4p", service="cart"}`, and CloudWatch
      dimensions in braces, quoted or not: `AWS/RDS CPUUtilization{DBInstanceIdentifier=orders-db}`,
      also as the CloudWatch exporter writes them (`dimension_FunctionName="resize"`);
    - CloudWatch written out: `AWS/ApplicationELB TargetResponseTime LoadBalancer=app/<name>/
      <id> Average` (the metric after the namespace, the resource from the dimensions; an
      ELB's or target group's `app/<name>/<id>` is `<name>`);
    - CloudWatch-style paths: `orders-db/FreeStorageSpace`, `Lambda/thumbnailer/Throttles`
      (the resource is the segment before the metric name; a leading AWS namespace is
      skipped, also before a space: `AWS/ElastiCache sessions-prod-0001-001/CurrConnections`);
    - dotted prefixes: `checkout.latency_p99_ms`, `ts-food-service.CpuUsageRate(%)`; a
      caller's series about a dependency names the dependency
      (`checkout-api.outbound.tax-provider.errors` -> `tax-provider`);
    - a service glued to a short measure by an underscore, as CSV exports of per-service
      metrics do: `ts-travel-service_cpu`, `carts_latency-90`;
    - a namespace before the resource (`lambda.report-export-pdf.invocations`), dimensions
      in parentheses (`AWS/Lambda.Errors.Sum(FunctionName=quote-engine)`), a service-graph
      edge's callee (`xray.edge.FaultCount(quotes-api->quote-engine)`, `X-Ray edge
      cart-quote -> api.tax.com ResponseTime.p99`).

A pod name is reduced to the workload it belongs to (`cart-7f9c8d6b5-x2k4p` -> `cart`,
`fluent-bit-x7k2p` -> `fluent-bit`) by the Kubernetes naming rules: a ReplicaSet hash and a
pod suffix drawn from Kubernetes' name alphabet (no vowels, no 0, 1 or 3). A StatefulSet's
ordinal (`kafka-0`) is kept: `-0`, `-12` also end ordinary names (`svc-10`, `web-01`), and
each member of a stateful cluster is worth naming on its own.
Pure functions, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "Entity",
    "MetricName",
    "line_entity",
    "measures_balancer",
    "metric_entity",
    "pod_workload",
]

# Kubernetes' random-suffix alphabet (k8s.io/apimachinery rand.String): no vowels, no 0/1/3.
_K8S_ALNUM = "[bcdfghjklmnpqrstvwxz2456789]"
_DNS_LABEL = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
_DEPLOYMENT_POD = re.compile(
    rf"^(?P<workload>{_DNS_LABEL})-{_K8S_ALNUM}{{6,10}}-{_K8S_ALNUM}{{5}}$"
)
_SIMPLE_POD = re.compile(rf"^(?P<workload>{_DNS_LABEL})-{_K8S_ALNUM}{{5}}$")
_STATEFUL_POD = re.compile(rf"^(?P<workload>{_DNS_LABEL})-(?P<ordinal>\d{{1,4}})$")

_LEADING_TIME = re.compile(
    r"^\s*(?:\[)?(?:\d{4}-\d{2}-\d{2}[T ][\d:.,]+(?:Z|[+-]\d{2}:?\d{2})?|\d{10}(?:\.\d+)?)"
    r"(?:\])?\s+"
)
_KUBECTL_PREFIX = re.compile(r"^\[pod/(?P<pod>[^/\]\s]+)/(?P<container>[^\]\s]+)\]\s")
# The container log file a collector tailed, as Fluent Bit's `kube.*` tag or its path:
# `kube.var.log.containers.<pod>_<namespace>_<container>-<container id>.log: <line>`.
CONTAINER_LOG_PREFIX = re.compile(
    r"(?:kube\.var\.log\.containers\.|/var/log/containers/)(?P<pod>[a-z0-9][a-z0-9.-]*)"
    r"_(?P<namespace>[a-z0-9-]+)_(?P<container>[a-z0-9-]+)-[0-9a-f]{64}\.log:?\s"
)
# stern's output: `<pod> <container> [<time>] <line>` (a container name starts with a letter,
# where `<pod> <date> <time>` has a date).
STERN_PREFIX = re.compile(
    r"(?P<pod>[a-z0-9][a-z0-9.-]{2,252}) (?P<container>[a-z][a-z0-9-]{0,62}) "
)
_SYSLOG = re.compile(
    r"^(?:<\d{1,3}>\d?\s?)?(?:[A-Z][a-z]{2}\s+\d{1,2}\s\d{2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}T\S+)"
    r"\s+(?P<host>[A-Za-z0-9][\w.-]*)\s+(?P<program>[A-Za-z][\w./-]*?)(?:\[\d+\])?:\s"
)
# Cloud Logging's monitored resource, `type:labels`, as a column after the time.
_CLOUD_RESOURCE = re.compile(
    r"^(?:k8s_container|k8s_pod):[\w.-]+/(?P<pod>[\w.-]+)(?:/[\w.-]+)?\s"
    r"|^(?:cloudsql_database|gce_instance|redis_instance|spanner_instance|cloud_run_revision)"
    r":(?:[\w.-]+:)*(?P<resource>[\w.-]+)\s"
)
_COMPOSE = re.compile(r"^(?P<service>[a-z][\w.-]*?)(?:[-_]\d{1,3})\s+\|\s")
# A CloudWatch Logs export's log group (`/aws/rds/instance/orders-pg/postgresql <stream>
# <line>`, `/aws/lambda/resize-fn <stream> <line>`): the database instance or function.
_LOG_GROUP = re.compile(
    r"^/aws/(?:(?:rds|docdb|neptune)/(?:instance|cluster)|lambda)/(?P<name>[\w.-]+)(?:/|\s)"
)
_EVENT_ROW = re.compile(
    r"^(?:\S+\s+)?(?:Normal|Warning)\s+[A-Za-z]+\s+(?P<kind>[a-z]+)/(?P<name>[a-z0-9][\w.-]*)\s"
)

# What an event or alert is about (Robusta findings, Kubernetes events as JSON): its subject
# wins over whoever reported it.
_SUBJECT_FIELDS = ("subject_name", "involvedObject.name", "involved_object", "object_name")
_POD_FIELDS = (
    "kubernetes.pod_name",
    "kubernetes.pod.name",
    "pod",
    "pod_name",
    "k8s.pod.name",
    "resource.labels.pod_name",  # Cloud Logging's k8s_container resource
    "resource.attributes.k8s.pod.name",  # OpenTelemetry logs
)
_SERVICE_FIELDS = (
    "service",
    "service.name",
    "service_name",
    "resource.labels.service_name",
    "resource.attributes.service.name",
    "svc",
    "app",
    "application",
    "kubernetes.labels.app",
    "kubernetes.labels.app.kubernetes.io/name",
    "component",
    "logger_service",
)
_CONTAINER_FIELDS = (
    "kubernetes.container_name",
    "container",
    "container_name",
    "resource.labels.container_name",
)
_HOST_FIELDS = (
    "host",
    "hostname",
    "host.name",
    "node",
    "kubernetes.host",
    "nodename",
    "resource.labels.instance_id",
    "resource.labels.node_name",
)
# Cloud event streams name the resource an event is about (`source=orders-db`).
# EventBridge names the AWS service in `source` (`aws.rds`): the resource is the event's
# `detail.SourceIdentifier`.
_RESOURCE_FIELDS = (
    "detail.SourceIdentifier",
    "source",
    "source_identifier",
    "resource",
    "db_instance",
    "cluster",
)
_AWS_NAMESPACE = re.compile(r"^aws\.[a-z0-9-]+$")

# Prometheus label names, most specific first.
_LABEL_ORDER = (
    "pod",
    "pod_name",
    "kubernetes_pod_name",
    "k8s.pod.name",  # OpenTelemetry resource attributes
    "container",
    "k8s.container.name",
    "service",
    "service.name",
    "service_name",  # Cloud Run
    "k8s.deployment.name",
    "job",
    "app",
    "deployment",
    "statefulset",
    "daemonset",
    # The callee a caller-side series measures (Istio, Envoy, service-graph exporters).
    "destination_workload",
    "destination_service_name",
    "destination_service",
    "destination",
    "upstream_cluster",
    "upstream",
    "peer_service",
    "clientname",  # Spring Boot's http.client.requests: the host called
    "target",  # Application Insights' dependency/target, a probe's target: the one called
    "rolename",  # Application Insights' cloud/roleName: the service itself
    "cloud_rolename",
    "node",
    "k8s.node.name",
    "instance",
    "host",
    "host.name",
    "persistentvolumeclaim",
    # A consumer group's lag is its consumer's: the group, not the topic it reads.
    "consumergroup",
    "consumer_group",
    "queue",
    "topic",
    "table",
    "database_id",  # Cloud SQL: `<project>:<instance>`
    "db",
    "database",
    "datname",
    # Cloud Monitoring's resource labels: Memorystore, Pub/Sub, functions.
    "instance_id",
    "subscription_id",
    "topic_id",
    "function_name",
    # CloudWatch dimensions (lower-cased), the resource each series measures.
    "dbinstanceidentifier",
    "dbclusteridentifier",
    "cacheclusterid",
    "tablename",
    "queuename",
    "functionname",
    "apiname",
    "apiid",
    "servicename",
    "clustername",
    "natgatewayid",
    "bucketname",
    "streamname",
    "domainname",
    "instanceid",
    "autoscalinggroupname",
    "targetgroup",
    "loadbalancer",
    # A Google Cloud load balancer's backend, URL map and forwarding rule.
    "backend_target_name",
    "url_map_name",
    "forwarding_rule_name",
    # Azure Monitor exports: the resource's name (`<server>/<database>`).
    "resource",
    "namespace",
    "availabilityzone",
    "zone",
    "az",
)
# Prometheus labels are quoted (`pod="cart-..."`); CloudWatch dimensions as consoles and
# exporters print them often are not (`{DBInstanceIdentifier=orders-db}`).
# Datadog writes its tags `key:value` (`{kube_namespace:shop,pod_name:cart-...}`).
# Application Insights' keys have a path (`cloud/roleName`): the last segment is the key.
_LABELS = re.compile(
    r"(?:[A-Za-z_][\w.]*/)?(?P<key>[A-Za-z_][\w.]*)\s*(?:=~?|:)\s*"
    r"(?:\"(?P<value>[^\"]*)\"|(?P<bare>[^,}\s\"]+))"
)
# Leading CloudWatch namespaces (`AWS/RDS`, `Lambda`, ...) say nothing about which resource.
_NAMESPACES = frozenset(
    {
        "aws",
        "lambda",
        "rds",
        "ec2",
        "ecs",
        "eks",
        "elb",
        "alb",
        "nlb",
        "applicationelb",
        "networkelb",
        "dynamodb",
        "sqs",
        "sns",
        "s3",
        "apigateway",
        "elasticache",
        "kinesis",
        "cloudfront",
        "xray",
        "containerinsights",
        "cwagent",
        "lambdainsights",
        "es",
        "opensearch",
        "msk",
        "kafka",
    }
)


# Prefixes exporters put before a namespace (`cloudwatch.AWS_Lambda.<function>.Errors`).
_EXPORT_PREFIXES = frozenset({"cloudwatch", "custom", "stats", "statsd", "metrics"})


def _is_namespace(word: str) -> bool:
    """Whether a leading name segment is a namespace or an exporter's prefix (`lambda`,
    `AWS_Lambda`, `cloudwatch`), not a resource."""
    low = word.lower().replace("-", "").replace("_", "")
    return low in _NAMESPACES or low in _EXPORT_PREFIXES or low.removeprefix("aws") in _NAMESPACES


@dataclass(frozen=True)
class Entity:
    """Something evidence belongs to.

    Attributes:
        name: The most specific name seen (a pod, a host, a service).
        kind: `pod`, `service`, `container`, `host` or `resource` (a cloud resource).
        workload: The service or workload it belongs to (a pod's Deployment or StatefulSet;
            the service itself for a service), used to group pods of one service.
    """

    name: str
    kind: str
    workload: str

    @property
    def key(self) -> str:
        """The grouping key: the workload (pods of one Deployment are one entity)."""
        return self.workload


@dataclass(frozen=True)
class MetricName:
    """A metric name split into the entity it measures and the measurement itself."""

    entity: Entity | None
    measure: str
    labels: dict[str, str]


def pod_workload(name: str) -> str | None:
    """The workload a Kubernetes pod name belongs to, or None when it is no pod name."""
    low = name.lower()
    if low != name or len(name) > 253:
        return None
    for pattern in (_DEPLOYMENT_POD, _SIMPLE_POD):
        m = pattern.match(name)
        if m is not None and "-" in name:
            return m.group("workload")
    if _STATEFUL_POD.match(name) is not None:
        return name
    return None


def generated_pod(name: str) -> bool:
    """Whether a name is a Deployment's or DaemonSet's pod (`cart-7f9c8d6b5-x2k4p`), whose
    generated suffix no ordinary word has."""
    workload = pod_workload(name)
    return workload is not None and workload != name


def _pod(name: str) -> Entity | None:
    workload = pod_workload(name)
    return Entity(name, "pod", workload) if workload is not None else None


_EMPTY_VALUES = frozenset({"", "none", "null", "nil", "-", "undefined", "unknown"})


def _from_fields(fields: Mapping[str, str]) -> Entity | None:
    fields = {k: v for k, v in fields.items() if v and v.strip().lower() not in _EMPTY_VALUES}
    for key in _SUBJECT_FIELDS:
        value = fields.get(key)
        if value and len(value) <= 253:
            return _pod(value) or Entity(value, "resource", value)
    for key in _POD_FIELDS:
        value = fields.get(key)
        if value:
            return _pod(value) or Entity(value, "pod", value)
    for key in _SERVICE_FIELDS:
        value = fields.get(key)
        if value and len(value) <= 100:
            return Entity(value, "service", value)
    for key in _CONTAINER_FIELDS:
        value = fields.get(key)
        if value and len(value) <= 100:
            return Entity(value, "container", value)
    for key in _HOST_FIELDS:
        value = fields.get(key)
        if value and len(value) <= 255:
            return Entity(value, "host", value)
    for key in _RESOURCE_FIELDS:
        value = fields.get(key)
        if value and len(value) <= 255 and not _AWS_NAMESPACE.match(value):
            return Entity(value, "resource", value)
    return None


def line_entity(raw: str, fields: Mapping[str, str] | None = None) -> Entity | None:
    """The entity that emitted a log line, by the conventions of the module docstring.

    Args:
        raw: The raw line as collected.
        fields: Structured fields already parsed from it (JSON or logfmt), if any.
    """
    if fields:
        found = _from_fields(fields)
        if found is not None:
            return found
    head = raw[:400]
    m = _KUBECTL_PREFIX.match(head)
    if m is not None:
        return _pod(m.group("pod")) or Entity(m.group("pod"), "pod", m.group("pod"))
    m = CONTAINER_LOG_PREFIX.match(head) if head[:1] in "k/" else None
    if m is not None:
        return _pod(m.group("pod")) or Entity(m.group("pod"), "pod", m.group("pod"))
    m = STERN_PREFIX.match(head) if head[:1].islower() else None
    if m is not None and generated_pod(m.group("pod")):
        return _pod(m.group("pod"))
    m = _LEADING_TIME.match(head)
    if m is not None:
        rest = head[m.end() :]
        if rest.startswith("{"):
            # logcli/Loki output: `<time> {app="x", pod="x-7f9c8d6b5-x2k4p"} <line>`.
            end = rest.find("}")
            labels = metric_labels(rest[: end + 1]) if end > 0 else {}
            found = _from_labels(labels) if labels else None
            if found is not None:
                return found
        pod = _pod(rest.split(" ", 1)[0])
        if pod is not None:
            return pod
        # `<namespace>/<pod>:` after the time (a shipper's prefix).
        token = rest.split(" ", 1)[0]
        if token.endswith(":") and token.count("/") == 1:
            pod = _pod(token[:-1].split("/")[1])
            if pod is not None:
                return pod
        cloud = _CLOUD_RESOURCE.match(rest)
        if cloud is not None and cloud.group("pod"):
            return _pod(cloud.group("pod")) or Entity(cloud.group("pod"), "pod", cloud.group("pod"))
        if cloud is not None:
            name = cloud.group("resource")
            return Entity(name, "service", name)
    if "Warning" in head or "Normal" in head:
        m = _EVENT_ROW.match(head[m.end() :] if m is not None else head)
        if m is not None:
            return _event_object(m.group("kind"), m.group("name"))
    m = _LOG_GROUP.match(head) if head[:5] == "/aws/" else None
    if m is not None:
        return Entity(m.group("name"), "service", m.group("name"))
    m = _SYSLOG.match(head)
    if m is not None:
        return Entity(m.group("host"), "host", m.group("host"))
    m = _COMPOSE.match(head)
    if m is not None:
        return Entity(m.group("service"), "service", m.group("service"))
    return None


def _event_object(kind: str, name: str) -> Entity:
    """The entity a Kubernetes event's `<kind>/<name>` object is."""
    if kind == "pod":
        return _pod(name) or Entity(name, "pod", name)
    if kind == "node":
        return Entity(name, "host", name)
    return Entity(name, "service", name)


_HOST_LABELS = frozenset({"node", "k8s.node.name", "instance", "host", "host.name"})
# Labels whose value is a path to the resource, its name last (`acme-prod:orders-pg`,
# `projects/p/locations/l/instances/feed-cache`, `sql-billing-prod/sqldb-billing`).
_PATH_VALUED = frozenset({"database_id", "instance_id", "subscription_id", "topic_id", "resource"})
_SERVICE_LABELS = frozenset(
    {"container", "k8s.container.name", "service", "service.name", "service_name"}
    | {"k8s.deployment.name", "rolename", "cloud_rolename"}
    | {"job", "app"}
)


def _last_segment(path: str) -> str:
    """A resource's name at the end of its path (`acme-prod:orders-pg` -> `orders-pg`,
    `projects/p/instances/feed-cache` -> `feed-cache`, `sql-shop/catalog` -> `catalog`)."""
    return re.split(r"[:/]", path.rstrip("/"))[-1] or path


def _from_labels(labels: Mapping[str, str]) -> Entity | None:
    for key in _LABEL_ORDER:
        value = labels.get(key)
        if not value:
            continue
        if key in ("pod", "pod_name", "kubernetes_pod_name", "k8s.pod.name"):
            return _pod(value) or Entity(value, "pod", value)
        kind = "host" if key in _HOST_LABELS else "service"
        if key not in _SERVICE_LABELS | _HOST_LABELS:
            kind = "resource"
        if key in _PATH_VALUED:
            value = _last_segment(value)
        elif key in _BALANCER_LABELS:
            value = _dimension_value(value)
        return Entity(value, kind, value)
    return None


def metric_labels(name: str) -> dict[str, str]:
    """Every `key="value"` (`key=value`, Datadog's `key:value`) label inside the braces of a
    series name or query, keys lower case: also inside PromQL (`sum(rate(x{status=~"5.."}[1m]))`),
    where `metric_entity` reads none. Text outside braces is never read as a label
    (`node:cpu_utilisation:avg1m` is a recording rule's name)."""
    found: dict[str, str] = {}
    start = name.find("{")
    while start >= 0:
        end = name.find("}", start)
        if end < 0:
            break
        for m in _LABELS.finditer(name, start + 1, end):
            key = m.group("key").lower()
            value = m.group("value") or m.group("bare") or ""
            found.setdefault(key, value)
            if key.startswith("dimension_"):
                # The CloudWatch exporter's `dimension_FunctionName`: the dimension itself.
                found.setdefault(key.removeprefix("dimension_"), value)
        start = name.find("{", end)
    return found


_SELECTED = re.compile(r"([A-Za-z_:][\w:.]*)\{")
# `.by_<dimension>.<value>` at the end of a Graphite/StatsD-style name.
_BREAKDOWN = re.compile(r"\.by_(?P<dim>[a-z]+)\.(?P<value>[A-Za-z0-9][\w-]{1,100})$")
# `(<caller>-><callee>)` at the end of a series name: a service-graph edge.
_EDGE = re.compile(r"\((?P<caller>[\w.-]+)\s*->\s*(?P<callee>[\w.:-]+)\)$")
# `<Namespace> <MetricName> <Dim>=<value>... [<statistic>]` (the console's and the CLI's way).
_CLOUDWATCH_SPACED = re.compile(
    r"^(?P<ns>AWS/[\w.-]+)\s+(?P<metric>[A-Za-z][\w.:%-]*)"
    r"(?P<dims>(?:\s+[A-Za-z][\w.-]*=\S+)+)(?:\s+(?P<stat>[A-Za-z][\w.]*))?\s*$"
)
# An ELB or target group dimension (`app/<name>/<id>`, `targetgroup/<name>/<id>`).
_ELB_DIMENSION = re.compile(r"^(?:app|net|gwy|targetgroup)/(?P<name>[^/]+)/[0-9a-f]+$")


# The dimensions naming a load balancer, and the namespaces of its series.
_BALANCER_LABELS = ("loadbalancer", "targetgroup")
_BALANCER_NAMESPACES = ("ApplicationELB", "NetworkELB", "AWS/ELB")


def measures_balancer(name: str) -> bool:
    """Whether a series measures a load balancer: a `LoadBalancer` or `TargetGroup`
    dimension, an ELB namespace, or an ELB's `app/<name>/<id>` in its path."""
    if any(ns in name for ns in _BALANCER_NAMESPACES):
        return True
    if any(key in metric_labels(name) for key in _BALANCER_LABELS):
        return True
    parts = name.split("/")
    return any(_ELB_DIMENSION.match("/".join(parts[i : i + 3])) for i in range(len(parts) - 2))


def _dimension_value(value: str) -> str:
    """A dimension's value as the resource's name (an ELB's `app/<name>/<id>` -> `<name>`)."""
    elb = _ELB_DIMENSION.match(value)
    return elb.group("name") if elb is not None else value


# Azure Monitor's `Microsoft.Cache/redis[redis-sessions-prod] usedmemory{...}`.
_ARM_BRACKETED = re.compile(
    r"^(?:Microsoft|microsoft)\.[\w.]+(?:/[\w.]+)*\[(?P<name>[^\]\s]+)\]\s+(?P<rest>\S.*)$"
)
_SPACED_EDGE = re.compile(r"(?:^|\s)(?P<caller>[\w.:-]+) -> (?P<callee>[\w.:-]+)(?=\s|$)")


_AGGREGATE_SUFFIX = re.compile(r"\}(:[A-Za-z0-9_.]+)$")


def metric_entity(name: str) -> MetricName:
    """Split a metric name into its entity and its measure (see the module docstring)."""
    edge = _EDGE.search(name) if "->" in name else None
    if edge is not None:
        # An X-Ray or service-graph edge (`xray.edge.FaultCount(quotes-api->quote-engine)`)
        # measures the callee, as the caller sees it.
        return MetricName(_resource(edge.group("callee")), name[: edge.start()], {})
    edge = _SPACED_EDGE.search(name) if " -> " in name else None
    if edge is not None:
        # The same edge written in words (`X-Ray edge cart-quote -> api.tax.com ResponseTime`).
        measure = name[edge.end() :].strip() or name[: edge.start()].strip()
        return MetricName(_resource(edge.group("callee")), measure, {})
    arm = _ARM_BRACKETED.match(name) if "[" in name else None
    if arm is not None:
        # Azure Monitor's `<resource type>[<name>] <metric>{<dimensions>}`: the resource in
        # brackets, unless a dimension names what the series is about (a role, a target).
        labels = metric_labels(arm.group("rest"))
        measure = arm.group("rest").split("{", 1)[0].strip()
        named = _from_labels(labels)
        if named is not None and named.kind != "resource":
            return MetricName(named, measure, labels)
        return MetricName(_resource(_last_segment(arm.group("name"))), measure, labels)
    spaced = _CLOUDWATCH_SPACED.match(name) if "=" in name and " " in name else None
    if spaced is not None:
        # CloudWatch written out (`AWS/ApplicationELB TargetResponseTime LoadBalancer=app/
        # shop-edge-alb/2f85 Average`): the metric, then its dimensions.
        dims = metric_labels("{" + spaced.group("dims") + "}")
        labels = {key: _dimension_value(value) for key, value in dims.items()}
        return MetricName(_from_labels(labels), spaced.group("metric"), labels)
    if "{" not in name and name[-1:] in ")]" and "=" in name:
        # Dimensions in parentheses or brackets (`AWS/Lambda.Errors.Sum(FunctionName=x)`,
        # `AWS/Lambda Errors [FunctionName=x, Resource=x:live]`).
        opening = name.rfind("(" if name.endswith(")") else "[")
        labels = metric_labels("{" + name[opening + 1 : -1] + "}")
        found = _from_labels(labels)
        if found is not None and opening > 0:
            return MetricName(found, name[:opening].strip(), labels)
    broken_down = _BREAKDOWN.search(name)
    if broken_down is not None:
        # A breakdown by one dimension (`publicapi.requests.by_client.fleetlink-prod`): the
        # series measures that dimension's value.
        return MetricName(
            _resource(broken_down.group("value")),
            name[: broken_down.start()],
            {broken_down.group("dim").lower(): broken_down.group("value")},
        )
    brace = name.find("{")
    suffix = _AGGREGATE_SUFFIX.search(name) if brace > 0 else None
    if brace > 0 and (name.endswith("}") or suffix is not None):
        # A trailing aggregate after the labels (`...{service_name="cart-api"}:p99`).
        labels = metric_labels(name[: suffix.start() + 1] if suffix is not None else name)
        measure = name[:brace].strip() + (suffix.group(1) if suffix is not None else "")
        return MetricName(_from_labels(labels), measure, labels)
    if brace > 0:
        # A PromQL query (`histogram_quantile(0.99, sum(rate(x_bucket{pod="..."}[1m])) by
        # (le))`): the selector's labels name the entity, the selected series is the measure.
        labels = metric_labels(name)
        selected = _SELECTED.search(name)
        entity = _from_labels(labels)
        if entity is not None and selected is not None:
            return MetricName(entity, selected.group(1), labels)
    if "/" in name:
        parts = [_without_namespace(p) for p in name.split("/") if p]
        if len(parts) >= 2:
            resources = parts[:-1]
            elb = _ELB_DIMENSION.match("/".join(resources[-3:]))
            if elb is not None:
                # `app/internal-ledger/5b8c2e1f/ClientTLSNegotiationErrorCount`: the balancer.
                return MetricName(_resource(elb.group("name")), parts[-1], {})
            while len(resources) > 1 and resources[0].lower().replace("-", "") in _NAMESPACES:
                resources = resources[1:]
            resource = resources[-1] if len(resources) > 1 else resources[0]
            if resource.lower().replace("-", "") not in _NAMESPACES:
                return MetricName(_resource(resource), parts[-1], {})
            return MetricName(None, parts[-1], {})
    if "." in name:
        head, _, measure = name.partition(".")
        # `lambda.report-export-pdf.invocations`, `sqs.orders-dlq.visible`: a service's
        # namespace first, then the resource.
        while _is_namespace(head) and measure.count(".") >= 1:
            head, _, measure = measure.partition(".")
        # `checkout.latency_p99_ms`, `ts-food-service.CpuUsageRate(%)`; not `0.5` or a
        # dotted measure such as `jvm.memory.used` (no entity-like head).
        if _looks_like_entity(head) and measure:
            callee = _CALLEE_PATH.match(measure)
            if callee is not None and callee.group("peer").lower() not in _PATH_WORDS:
                return MetricName(_resource(callee.group("peer")), callee.group("measure"), {})
            return MetricName(_resource(head), measure, {})
    m = _SERVICE_UNDERSCORE.match(name)
    if m is not None and m.group("entity").lower() not in _NOT_SERVICES:
        return MetricName(_resource(m.group("entity")), m.group("measure"), {})
    return MetricName(None, name, {})


def _without_namespace(segment: str) -> str:
    """A path segment without a leading namespace word (`AWS/ElastiCache sessions-prod/
    CurrConnections`: `ElastiCache sessions-prod` -> `sessions-prod`)."""
    head, space, rest = segment.partition(" ")
    if space and rest.strip() and head.lower().replace("-", "") in _NAMESPACES:
        return rest.strip()
    return segment


# `<service>_<measure>` (`ts-travel-service_cpu`, `carts_latency-90`, `nacos_mem`): the form
# per-service metrics take once exported to CSV or a dataframe. Only the measures such
# exports carry end it, so `node_load1` or `process_cpu_seconds_total` stay whole.
_SERVICE_UNDERSCORE = re.compile(
    r"^(?P<entity>[A-Za-z][A-Za-z0-9-]*)_(?P<measure>cpu|mem|memory|latency(?:-\d+)?|workload"
    r"|net_(?:rx|tx)\w*|disk_(?:read|write)\w*|errors?|error_rate|requests|rps|qps|threads)$"
)


# A caller's series about one of its dependencies (`checkout-api.outbound.tax-provider.errors`,
# `web.upstream.auth.latency_p99`): the dependency is the entity measured, as with Istio's
# `destination_workload`.
_CALLEE_PATH = re.compile(
    r"(?:outbound|upstream|egress|dependency|dependencies|deps|downstream_service|external)"
    r"\.(?P<peer>[A-Za-z][\w-]{1,100})\.(?P<measure>\w.*)$",
    re.I,
)
# Segments that name a measure or a grouping, not a peer (`outbound.requests.count`).
_PATH_WORDS = frozenset(
    {"requests", "request", "calls", "call", "errors", "error", "latency", "duration", "http"}
    | {"grpc", "total", "count", "rate", "bytes", "connections", "timeouts", "time", "all"}
)

_MEASURE_WORDS = frozenset(
    {"jvm", "process", "system", "go", "http", "node", "container", "kube", "db", "python"}
)
# Prefixes that open an exporter's own metric names (`node_load1`, `redis_memory`), never a
# service glued to its measure (`_SERVICE_UNDERSCORE`).
_NOT_SERVICES = _MEASURE_WORDS | frozenset(
    {"kubelet", "grpc", "machine", "host", "redis", "mysql", "pg", "postgres", "mongodb"}
    | {"nginx", "envoy"}
)


def _looks_like_entity(head: str) -> bool:
    low = head.lower()
    return (
        2 <= len(head) <= 100
        and not low.isdigit()
        and low not in _MEASURE_WORDS
        and re.fullmatch(r"[A-Za-z][\w-]*", head) is not None
    )


def _resource(name: str) -> Entity:
    pod = _pod(name)
    if pod is not None:
        return pod
    return Entity(name, "resource", name)
