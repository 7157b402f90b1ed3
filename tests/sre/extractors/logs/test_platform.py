"""Per-entity error findings and signature findings from the log pipeline."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from alpha.schemas import IncidentInput
from sre.extractors.logs.extract import extract_logs
from sre.extractors.logs.platform import trend
from sre.extractors.logs.shapes import LineParser, iter_records
from sre.extractors.logs.significance import Windows
from sre.extractors.logs.stats import LogAccumulator, kubectl_object

T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
START = T0 + timedelta(minutes=10)
PODS = {
    "cart": "cart-7f9c8d6b5-x2k4p",
    "orders": "orders-5dc8d4f9fd-46997",
    "search": "search-6b5cd8d7b9-qx7wz",
}


def _line(second: int, pod: str, level: str, message: str) -> str:
    at = (T0 + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return f"{at} {pod} {level} {message}"


def _incident(lines: list[str], **fields: Any) -> IncidentInput:
    base: dict[str, Any] = {
        "deployment_id": "alert-cart-errors",
        "logs": lines,
        "metrics": {},
        "recent_commits": [],
        "config_snapshot": {},
        "incident_started_at": START.isoformat(),
    }
    base.update(fields)
    return IncidentInput.model_validate(base)


def _traffic(seconds: range, pod: str, per: int = 2) -> list[tuple[int, str]]:
    return [(s, _line(s, pod, "INFO", "handled GET /api")) for s in seconds[::per]]


def _steady_traffic() -> list[tuple[int, str]]:
    """Every pod's ordinary requests, before and after the split alike."""
    timed: list[tuple[int, str]] = []
    for pod in PODS.values():
        timed += _traffic(range(0, 1200), pod)
    return timed


def _every(seconds: Iterable[int], pod: str, level: str, message: str) -> list[tuple[int, str]]:
    """One line of `pod` at each of `seconds`."""
    return [(s, _line(s, pod, level, message)) for s in seconds]


def _entity_logs(timed: list[tuple[int, str]]) -> list[Any]:
    """The `entity_logs` findings of the lines, put in time order."""
    lines = [line for _, line in sorted(timed)]
    return [f for f in extract_logs(_incident(lines)).findings if f.type == "entity_logs"]


def test_new_errors_of_one_service_make_its_entity_finding() -> None:
    """A service whose error template appears after the start is found, named by workload,
    while a service whose warnings only follow its doubled traffic is not."""
    timed = _steady_traffic()
    # search doubles its traffic after the start, and its routine warning doubles with it.
    timed += _traffic(range(600, 1200), PODS["search"])
    timed += _every(range(0, 600, 20), PODS["search"], "WARN", "cache miss for key 42")
    timed += _every(range(600, 1200, 10), PODS["search"], "WARN", "cache miss for key 42")
    # cart fails after the start.
    timed += _every(
        range(610, 1200, 15), PODS["cart"], "ERROR", "No contacts according to contactsId"
    )
    found = _entity_logs(timed)
    assert [f.value.workload for f in found] == ["cart"]
    cart = found[0].value
    assert cart.errors_before == 0 and cart.errors_after == len(range(610, 1200, 15))
    assert cart.new_templates == 1 and cart.entity == PODS["cart"]
    assert "No contacts" in cart.templates[0].template


def test_callers_naming_a_service_are_recorded() -> None:
    """Errors that say which service has no instances name it in `names`."""
    timed = _traffic(range(0, 1200), PODS["orders"])
    timed += _every(
        range(620, 1200, 20), PODS["orders"], "ERROR", "No instances available for ts-route-service"
    )
    lines = [line for _, line in sorted(timed)]
    findings = extract_logs(_incident(lines)).findings
    orders = next(f for f in findings if f.type == "entity_logs")
    assert "ts-route-service" in orders.value.names
    signature = next(f for f in findings if f.type == "signature")
    assert signature.value.kind == "no_instances"
    assert signature.value.obj == "ts-route-service"
    assert signature.value.emitter == "orders"
    assert signature.value.count_after == len(range(620, 1200, 20))


def test_failed_outbound_calls_are_told_from_a_services_own_errors() -> None:
    """A service whose new errors are gRPC status errors from a call is a caller
    (`call_failures` 1); one whose new errors are its own exceptions is not (0)."""
    timed = _steady_traffic()
    after = range(610, 1200, 15)
    failed_call = "could not retrieve product: rpc error: code = Internal"
    timed += _every(after, PODS["cart"], "ERROR", failed_call)
    timed += _every(after, PODS["orders"], "ERROR", "NullPointerException in OrderMapper.toDto")
    found = {f.value.workload: f.value for f in _entity_logs(timed)}
    assert found["cart"].call_failures == 1.0 and found["orders"].call_failures == 0.0


def test_nodes_socket_errors_are_failed_calls() -> None:
    """`ESOCKETTIMEDOUT`, `ETIMEDOUT`, `EHOSTUNREACH` and `socket hang up` (Node's request
    and http clients) report a call that failed: the emitter is a caller."""
    timed = _steady_traffic()
    after = range(610, 1200, 15)
    for i, second in enumerate(after):
        error = "Error: ESOCKETTIMEDOUT" if i % 2 else "connect ETIMEDOUT"
        timed += _every([second], PODS["search"], "ERROR", error)
    timed += _every(after, PODS["cart"], "ERROR", "Error: socket hang up")
    found = {f.value.workload: f.value for f in _entity_logs(timed)}
    assert found["search"].call_failures == 1.0 and found["cart"].call_failures == 1.0


def test_a_callees_error_body_in_a_spring_client_error_is_a_failed_call() -> None:
    """Spring's RestTemplate logs the callee's error body (`500 : [{"status":500,...}]`) or
    its `HttpServerErrorException`: the emitter is a caller; a service's own 500 page
    text with no status body is not."""
    timed = _steady_traffic()
    after = range(610, 1200, 15)
    body = '[getTickets][Query error][500 : [{"status":500,"path":"/api/v1/routeservice/x"}]]'
    timed += _every(after, PODS["search"], "WARN", body)
    timed += _every(after, PODS["cart"], "ERROR", "HttpServerErrorException$InternalServerError")
    timed += _every(after, PODS["orders"], "ERROR", "Internal error while rendering the order")
    found = {f.value.workload: f.value for f in _entity_logs(timed)}
    assert found["search"].call_failures == 1.0 and found["cart"].call_failures == 1.0
    assert found["orders"].call_failures == 0.0


def test_a_steady_operation_that_stops_is_a_silenced_entity() -> None:
    """A service whose steady INFO line stops at the start, while the system's traffic goes
    on, is reported with that template as silenced; a service whose lines go on is not."""
    timed: list[tuple[int, str]] = []
    for pod in PODS.values():
        timed += _traffic(range(0, 1200), pod, per=4)
    timed += _every(range(0, 600, 15), PODS["orders"], "INFO", "[getRouteById] Query route by id")
    found = _entity_logs(timed)
    assert [f.value.workload for f in found] == ["orders"]
    orders = found[0].value
    assert orders.silenced > 10 and orders.errors_after == 0
    assert orders.silenced_template is not None
    assert "Query route by id" in orders.silenced_template.template
    assert (orders.silenced_template.before, orders.silenced_template.after) == (40, 0)
    assert "stopped" in found[0].description


def test_a_line_that_falls_with_the_whole_systems_traffic_is_not_silenced() -> None:
    """When every service's traffic halves, a template that halves with it went nowhere."""
    timed: list[tuple[int, str]] = []
    for pod in PODS.values():
        timed += _traffic(range(0, 600), pod, per=2) + _traffic(range(600, 1200), pod, per=4)
    timed += _every(
        [*range(0, 600, 15), *range(600, 1200, 30)],
        PODS["orders"],
        "INFO",
        "[getRouteById] Query route by id",
    )
    found = _entity_logs(timed)
    assert all(f.value.silenced == 0 for f in found)


def test_a_commands_output_is_the_present_state_whatever_came_before() -> None:
    """An investigator's `$ kubectl get pods` after older timestamped logs: its untimed rows
    (ErrImagePull) count after the split, not in the baseline their neighbours set."""
    lines = [
        _line(10, PODS["cart"], "INFO", "handled GET /api"),
        "$ kubectl -n shop get pods",
        "NAME                         READY   STATUS         RESTARTS   AGE",
        "catalog-api-n2c67z2chp-2dbs7 0/1     ErrImagePull   0          19m",
    ]
    findings = extract_logs(_incident(lines)).findings
    pull = [f for f in findings if f.type == "signature" and f.value.kind == "image_pull"]
    assert pull and pull[0].value.count_after == 1 and pull[0].value.count_before == 0


def test_decisive_lines_count_with_no_baseline() -> None:
    """Without a split, a signature still counts every line, all after."""
    lines = [
        "Last State:     Terminated",
        "  Reason:       OOMKilled",
        "  Exit Code:    137",
    ]
    findings = extract_logs(_incident(lines, incident_started_at=None)).findings
    oom = [f for f in findings if f.type == "signature" and f.value.kind == "oom_killed"]
    assert oom and oom[0].value.count_after == 1 and oom[0].value.count_before == 0


def test_kubectl_commands_name_their_object_and_listings_name_none() -> None:
    """A describe or logs command names its object (past flags and their values); a
    listing (`get events -A`, `get nodes -L zone`, kinds joined by commas) names none."""
    assert kubectl_object("$ kubectl describe pod -n orders orders-api-6c8b7d9f45-2pv5z") == (
        "orders-api-6c8b7d9f45-2pv5z"
    )
    assert kubectl_object("$ kubectl logs -n ops job/refresher-29654400 --timestamps") == (
        "refresher-29654400"
    )
    assert kubectl_object("$ kubectl get secret -n orders registry-creds -o wide") == (
        "registry-creds"
    )
    for listing in (
        "$ kubectl get events -A --sort-by=.lastTimestamp",
        "$ kubectl get nodes -L node.kubernetes.io/instance-type",
        "$ kubectl get pods -A -o wide | grep -v Completed",
        "$ kubectl get cronjob,job -n kube-ops",
    ):
        assert kubectl_object(listing) is None, listing


def test_a_signature_under_a_listing_is_not_attributed_to_the_kind() -> None:
    """An image-pull failure in a `kubectl get events` table, after a describe of a pod:
    the listing ends the pod's context, and no entity is called `events`."""
    lines = [
        "$ kubectl describe pod -n orders orders-api-6c8b7d9f45-2pv5z",
        "Name:             orders-api-6c8b7d9f45-2pv5z",
        "  Warning  Failed  3m  kubelet  Failed to pull image: 401 Unauthorized",
        "$ kubectl get events -A --sort-by=.lastTimestamp",
        "orders  4m35s  Warning  Failed  pod/orders-api-6c8b7d9f45-9xk2l  "
        "Failed to pull image: pull access denied, authorization failed: no basic auth credentials",
    ]
    findings = extract_logs(_incident(lines, incident_started_at=None)).findings
    named = {f.value.obj or f.value.emitter for f in findings if f.type == "signature"}
    assert "events" not in named
    assert named & {"orders-api-6c8b7d9f45-2pv5z", "orders-api-6c8b7d9f45-9xk2l"}


def test_each_described_object_is_the_context_of_the_templates_under_it() -> None:
    """`Name:` lines and `$ kubectl` commands of a shape already counted still set the
    context: each new template under a describe block is about that block's object."""
    messages = [
        "Warning BackOff restarting failed container",
        "Liveness probe failed: connection refused",
        "Readiness probe failed with statuscode",
        "Container was OOMKilled while exceeding its memory",
        "Failed to pull image: unauthorized",
    ]
    lines: list[str] = []
    for index, message in enumerate(messages, start=1):
        pod = f"web-{index}"
        lines += [f"$ kubectl describe pod -n shop {pod}", f"Name:             {pod}", message]
    parser = LineParser(2026)
    acc = LogAccumulator(parser=parser)
    for record in iter_records(lines, 2026, parser, prefixes=False):
        acc.add(record, None, True)
    context = {stats.example: stats.context for stats in acc.templates.values()}
    assert [context[m] for m in messages] == [f"web-{i}" for i in range(1, 6)]


def test_a_trace_exported_line_by_line_names_the_host_its_exception_failed_on() -> None:
    """The error line says only `Request failed`; the exception line after it (same pod,
    behind the collector's prefix) names the host and the timeout: the caller's errors are
    failed calls, and the host is a failing dependency."""
    timed = _steady_traffic()
    for second in range(610, 1200, 15):
        timed.append((second, _line(second, PODS["orders"], "ERROR", "Request failed: GET /x")))
        header = (
            "org.springframework.web.client.ResourceAccessException: I/O error on POST request"
            ' for "http://shipping-quote.store.svc.cluster.local:8000/v1/quotes": Read timed out'
        )
        frame = "\tat com.store.checkout.ShippingQuoteClient.quote(ShippingQuoteClient.java:57)"
        at = (T0 + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        timed += [(second, f"{at} {PODS['orders']} {text}") for text in (header, frame)]
    lines = [line for _, line in sorted(timed, key=lambda t: t[0])]
    findings = extract_logs(_incident(lines)).findings
    orders = next(f.value for f in findings if f.type == "entity_logs")
    assert orders.workload == "orders" and orders.call_failures == 1.0
    assert orders.errors_after == len(range(610, 1200, 15))  # one record per trace
    hosts = {f.value.host: f.value for f in findings if f.type == "dependency_errors"}
    assert "timeout" in hosts["shipping-quote.store.svc.cluster.local:8000"].error_kinds


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (31, 26, "steady"),  # 25.8 expected over the shorter window: noise, not a rise
        (31, 35, "steady"),  # within two standard deviations of 25.8 (35.9)
        (31, 40, "unclear"),
        (31, 60, "rising"),
        (0, 1, "unclear"),  # none before: no rate to be noisy about (0.4 expected)
        (0, 2, "new"),
    ],
)
def test_a_signatures_trend_allows_for_poisson_noise(
    before: int, after: int, expected: str
) -> None:
    """Counts over windows of 9.5 and 7.9 minutes: a chronic error that the shorter window
    happens to hold slightly more of than its share is steady."""
    windows = Windows(True, 9.5, 7.9, 1000, 800, "the incident start", "incident_started_at")
    assert trend(before, after, windows) == expected
