"""bench/baselines.py: the entity parser, error lines, robust z and the two baselines."""

from __future__ import annotations

import math
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alpha.schemas import IncidentInput
from sre.evaluation import match_rank
from sre.payload import Expected


def _incident(logs: list[str], metrics: dict | None = None, **extra) -> IncidentInput:
    return IncidentInput(
        deployment_id="bench",
        logs=logs,
        metrics=metrics or {},
        recent_commits=[],
        config_snapshot={},
        **extra,
    )


@pytest.mark.parametrize(
    ("pod", "workload"),
    [
        ("ts-basic-service-5dc8d4f9fd-46997", "ts-basic-service"),
        ("consign-price-df498d7fb-725nt", "consign-price"),
        ("get-data-mldtn", "get-data"),
        ("rabbitmq-0", "rabbitmq"),
        ("kube-proxy", "kube-proxy"),
        ("frontend-service", "frontend-service"),
    ],
)
def test_workload_of(baselines, pod, workload):
    """Generated ReplicaSet/pod suffixes and StatefulSet ordinals are dropped, words kept."""
    assert baselines.workload_of(pod) == workload


@pytest.mark.parametrize(
    ("line", "entity"),
    [
        ("[pod/checkout-7f9c5b8d4f-x2kqz/app] ERROR boom", "checkout"),
        ("[pod/payments-0] panic", "payments"),
        (
            "2023-01-29T08:42:22.38Z ts-travel-service-64469b5b48-25zj6 16:42 ERROR x",
            "ts-travel-service",
        ),
        ('2024-01-01T00:00:00Z {app="cart", pod="cart-5dc8d4f9fd-46997"} error', "cart"),
        ('2024-01-01T00:00:00Z {app="cart"} error', "cart"),
        ("Jan 29 08:42:22 db-host-3 postgres[881]: FATAL: too many connections", "db-host-3"),
        ("<11>2024-01-01T00:00:00Z edge-lb haproxy[12]: backend down", "edge-lb"),
        ('{"level": "error", "service": "orders", "msg": "x"}', "orders"),
        ('{"level": "error", "app": "billing"}', "billing"),
        ('{"kubernetes": {"pod_name": "auth-5dc8d4f9fd-46997"}, "msg": "x"}', "auth"),
        ('{"host": "cache-2", "msg": "x"}', "cache-2"),
        (
            "  Warning  BackOff  10s  kubelet  Back-off in pod api-866bd68c97-xcqfx_default(1d)",
            "api",
        ),
        ("58m  Warning  BackOff  Pod/giant-narwhal-6958c5bdd8-69gtn  Back-off", "giant-narwhal"),
        ("ERROR something failed", None),
    ],
)
def test_entity_of(baselines, line, entity):
    """Each documented line format names its service, workload or host."""
    assert baselines.entity_of(line) == entity


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("16:42:22.382 ERROR t.s.Impl boom", True),
        ("2024-01-01 [FATAL] disk gone", True),
        ('ts=1 level=error msg="x"', True),
        ('{"level": 50, "msg": "request failed"}', True),
        ('{"severity": "CRITICAL", "msg": "x"}', True),
        ("  Warning  FailedScheduling  38s  default-scheduler  0/1 nodes are available", True),
        ("16:42:22.382 INFO  t.s.Impl Error: none, all good", False),
        ('{"level": 30, "msg": "ERRORS counted: 0"}', False),
        ("  Normal   Pulled     12s  kubelet  Successfully pulled image", False),
    ],
)
def test_is_error_line(baselines, line, error):
    """Levels in capitals, logfmt, JSON (string or pino number) and Warning events count."""
    assert baselines.is_error_line(line) is error


def test_category_of_words_takes_the_most_suggested(baselines):
    """The category matched by most error lines wins; no words gives code_regression."""
    lines = ["connection refused by db", "timed out calling payments", "OOMKilled"]
    assert baselines.category_of_words(lines) == "dependency_failure"
    assert baselines.category_of_words(["it broke"]) == "code_regression"


def test_robust_z_by_hand(baselines):
    """|median(cur) - median(base)| / (1.4826 * MAD + eps), computed by hand."""
    baseline, current = [10.0, 12.0, 11.0, 13.0, 9.0], [20.0, 22.0, 21.0]
    # median 11, deviations 1,1,0,2,2 -> MAD 1; current median 21
    assert baselines.robust_z(baseline, current) == pytest.approx(10 / (1.4826 + 1e-6))


def test_robust_z_of_a_flat_baseline_is_the_raw_move(baselines):
    """A constant baseline (MAD 0) is scaled by 1, as BARO's RobustScaler does."""
    assert baselines.robust_z([5.0, 5.0], [7.5]) == pytest.approx(2.5)


# Whole numbers keep the sums exact, so a shift cannot merge two baseline values.
finite = st.integers(min_value=-(10**6), max_value=10**6).map(float)


@given(st.lists(finite, min_size=1, max_size=20), st.lists(finite, min_size=1, max_size=20), finite)
def test_robust_z_ignores_a_common_offset(baselines, baseline, current, offset):
    """Shifting both windows by one constant leaves the score unchanged."""
    moved = baselines.robust_z([v + offset for v in baseline], [v + offset for v in current])
    assert moved == pytest.approx(baselines.robust_z(baseline, current), rel=1e-6, abs=1e-3)


@given(st.text(max_size=300))
def test_entity_of_never_fails(baselines, line):
    """Any text gives an entity or None, never an exception."""
    entity = baselines.entity_of(line)
    assert entity is None or isinstance(entity, str)


def test_windows_of_each_metric_form(baselines):
    """Explicit windows, timestamped points split at the incident, lists split in half."""
    incident = _incident(
        [],
        {
            "w": {"baseline": 1.0, "current": [2.0, 3.0]},
            "no_base": {"current": 3.0},
            "p": {"points": [[f"2024-01-01T00:0{i}:00Z", float(i)] for i in range(6)]},
            "l": [1.0, 2.0, 3.0, 4.0],
            "v": 7.0,
        },
        incident_started_at="2024-01-01T00:04:00Z",
    )
    split = incident.incident_started_at
    metrics = incident.metrics
    assert baselines.windows(metrics["w"], split) == ([1.0], [2.0, 3.0])
    assert baselines.windows(metrics["no_base"], split) is None
    assert baselines.windows(metrics["p"], split) == ([0.0, 1.0, 2.0, 3.0, 4.0], [5.0])
    assert baselines.windows(metrics["p"], None) == ([0.0, 1.0, 2.0], [3.0, 4.0, 5.0])
    naive = datetime(2024, 1, 1, 0, 3)
    assert baselines.windows(metrics["p"], naive) == ([0.0, 1.0, 2.0, 3.0], [4.0, 5.0])
    assert baselines.windows(metrics["l"], split) == ([1.0, 2.0], [3.0, 4.0])
    assert baselines.windows(metrics["v"], split) is None


@pytest.mark.parametrize(
    ("name", "entity", "category"),
    [
        ("ts-basic-service.CpuUsageRate(%)", "ts-basic-service", "resource_exhaustion"),
        ("entry.LatencyP99(s)", "entry", "dependency_failure"),
        ('cpu_usage{pod="cart-5dc8d4f9fd-46997"}', "cart", "resource_exhaustion"),
        ("orders-db/FreeStorageSpace", "orders-db", "resource_exhaustion"),
        ("orders-db/ReplicaLag", "orders-db", "database"),
        ("requests_per_second", None, "traffic_surge"),
        ("x.NetworkReceiveBytes", "x", "infrastructure"),
        ("queue_depth", None, "unknown"),
    ],
)
def test_metric_entity_and_category(baselines, name, entity, category):
    """A metric's entity is its pod/service label or prefix; its category is from its name."""
    assert baselines.metric_entity(name) == entity
    assert baselines.category_of_metric(name) == category


def test_most_error_lines_ranks_entities_by_count(baselines):
    """Entities with more error lines come first, each with its own category."""
    logs = [
        "[pod/api-5dc8d4f9fd-46997/app] ERROR timeout calling payments",
        "[pod/api-5dc8d4f9fd-46997/app] ERROR timeout calling payments",
        "[pod/worker-866bd68c97-xcqfx/app] ERROR OutOfMemoryError: Java heap space",
        "[pod/worker-866bd68c97-xcqfx/app] INFO retrying",
        "ERROR with no entity",
    ]
    ranked = baselines.most_error_lines(_incident(logs))
    assert [(h.suspects, h.category, h.rank) for h in ranked] == [
        (["api"], "dependency_failure", 1),
        (["worker"], "resource_exhaustion", 2),
    ]
    expected = Expected(category="resource_exhaustion", suspects=["worker"])
    assert match_rank(ranked, expected) == 2


def test_most_anomalous_metric_ranks_by_robust_z(baselines):
    """The series that moved most against its own noise comes first."""
    metrics = {
        "quiet.bytes": {"baseline": [968.0, 1100.0, 900.0, 1050.0], "current": [1316.0]},
        "cart.cpu_percent": {"baseline": [0.4, 0.5, 0.3, 0.4], "current": [85.0]},
        "cart.latency_p99_ms": {"current": 900.0},
    }
    ranked = baselines.most_anomalous_metric(_incident([], metrics))
    assert [h.suspects for h in ranked] == [["cart", "cart.cpu_percent"], ["quiet", "quiet.bytes"]]
    assert ranked[0].category == "resource_exhaustion"
    assert math.isfinite(ranked[0].score)
    assert match_rank(ranked, Expected(category="resource_exhaustion", suspects=["cart"])) == 1
