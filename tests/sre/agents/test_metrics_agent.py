"""MetricsAgent rules: surges, saturation at a changed limit, leaks, database and infra."""

from __future__ import annotations

from typing import Any

from alpha.schemas import Hypothesis
from sre.agents import MetricsAgent
from tests.sre.builders import (
    SHA_BAD,
    SHA_CONFIG,
    Signals,
    blamed_shas,
    by_category,
    incident,
)

AGENT = MetricsAgent()


def test_request_surge_followed_by_saturation_is_traffic_surge() -> None:
    """Requests 6x baseline with CPU and latency following is a traffic surge."""
    s = Signals()
    s.anomaly("requests_per_second", 400, 2400)
    s.anomaly("cpu_utilization", 40, 95)
    s.anomaly("latency_p99_ms", 120, 900)
    found = AGENT.candidates(s.items, incident())
    assert found[0].category == "traffic_surge"
    assert found[0].suspects == ["requests_per_second"]
    assert found[0].confidence >= 0.7


def test_a_database_out_of_free_storage_is_named_first() -> None:
    """Free storage run down to nothing on `orders-db`: the database ran out of disk
    (resource exhaustion, the taxonomy's "disk full"), the instance named first, however loud
    a queue backlog elsewhere is."""
    s = Signals()
    s.depleted("orders-db/FreeStorageSpace", 0.25e9, 33.6e9)
    s.anomaly("SQS/payment-events/ApproximateNumberOfMessagesVisible", 34, 12297)
    found = by_category(
        AGENT.candidates(s.items, incident(deployed_at=None)), "resource_exhaustion"
    )
    assert found and found[0].suspects[:2] == ["orders-db", "orders-db/FreeStorageSpace"]
    assert found[0].label == "orders-db ran out (FreeStorageSpace)"


def test_credits_run_down_on_an_instance_are_resource_exhaustion() -> None:
    """An instance's CPU credits at zero: it ran out (resource exhaustion, not database)."""
    s = Signals()
    s.depleted("EC2/web-7/CPUCreditBalance", 0.0, 288.0)
    found = by_category(
        AGENT.candidates(s.items, incident(deployed_at=None)), "resource_exhaustion"
    )
    assert found and found[0].suspects[0] == "web-7"


def test_a_small_rise_in_requests_is_not_a_surge() -> None:
    """Requests up 30% is normal variation, not a surge."""
    s = Signals()
    s.anomaly("requests_per_second", 400, 520)
    s.anomaly("latency_p99_ms", 120, 900)
    assert by_category(AGENT.candidates(s.items, incident()), "traffic_surge") == []


def test_a_metric_pinned_at_a_limit_that_just_changed_blames_the_key() -> None:
    """Connections pinned at pool_size right after it was lowered blame the key and commit."""
    s = Signals()
    s.config_change("database.pool_size", 50, 5, [SHA_CONFIG])
    s.saturation("db_connections_in_use", 5, 5, "database.pool_size")
    s.anomaly("latency_p99_ms", 120, 480)
    s.commit(SHA_CONFIG, "Lower pool", config=["config/production.yaml"])
    found = AGENT.candidates(s.items, incident())
    assert found[0].category == "config_change"
    assert found[0].suspects == ["database.pool_size", SHA_CONFIG]
    assert found[0].confidence >= 0.6


def test_a_metric_shift_before_the_deploy_does_not_implicate_its_changes() -> None:
    """Latency that rose an hour before the deploy is not an effect of a timeout change."""
    s = Signals()
    s.config_change("clients.ledger.timeout_ms", 5000, 250, [SHA_CONFIG])
    s.anomaly("latency_p99_ms", 120, 480, change_at="2026-11-20T13:00:00Z")
    s.anomaly("error_rate", 0.01, 0.2, change_at="2026-11-20T13:00:00Z")
    assert by_category(AGENT.candidates(s.items, incident()), "config_change") == []


def test_steady_memory_growth_is_resource_exhaustion() -> None:
    """A monotonic heap climb is resource exhaustion naming the metric."""
    s = Signals()
    s.growth("jvm_heap_used_mb", 800, 3900)
    found = AGENT.candidates(s.items, incident())
    assert found[0].category == "resource_exhaustion"
    assert found[0].suspects == ["jvm_heap_used_mb"]


def test_database_load_after_data_access_change_blames_the_commit_not_the_database() -> None:
    """Queries up 14x with traffic flat after a serializer change: code, not the database."""
    s = Signals()
    s.anomaly("db_queries_per_second", 300, 4200)
    s.anomaly("db_cpu_percent", 30, 97)
    s.commit(SHA_BAD, "Thumbnails in order history", code=["orders/serializers.py"])
    found = AGENT.candidates(s.items, incident())
    assert found[0].category == "code_regression"
    assert blamed_shas(found) == {SHA_BAD}
    database = by_category(found, "database")
    assert all(d.confidence < found[0].confidence for d in database)


def test_replication_lag_with_nothing_changed_is_database() -> None:
    """Replica lag rising with no change to blame is a database hypothesis."""
    s = Signals()
    s.anomaly("mysql_replica_lag_seconds", 0.5, 340)
    found = AGENT.candidates(s.items, incident())
    assert found[0].category == "database"
    assert found[0].suspects == ["mysql_replica_lag_seconds"]
    assert found[0].confidence >= 0.5


def test_dns_metrics_collapsing_are_infrastructure() -> None:
    """CoreDNS pods going unready is an infrastructure hypothesis."""
    s = Signals()
    s.anomaly("coredns_pods_ready", 2, 0)
    found = AGENT.candidates(s.items, incident())
    assert found[0].category == "infrastructure"
    assert found[0].suspects == ["coredns_pods_ready"]


def test_a_dependency_metric_corroborates_the_failing_host() -> None:
    """Errors to api.paygate.io plus paygate latency jumping blame that dependency."""
    s = Signals()
    s.dependency("api.paygate.io", ["http_5xx"])
    s.anomaly("paygate_request_p99_ms", 600, 8800)
    found = by_category(AGENT.candidates(s.items, incident()), "dependency_failure")
    assert [h.suspects for h in found] == [["api.paygate.io"]]


def test_error_metrics_alone_name_no_cause() -> None:
    """An error rate rising on its own is a symptom: no hypothesis is invented."""
    s = Signals()
    s.anomaly("error_rate", 0.01, 0.3)
    assert AGENT.candidates(s.items, incident()) == []
    assert AGENT.model == "google/gemini-2.0-flash"


def test_a_request_rate_growing_through_the_window_is_a_surge() -> None:
    """A growth series of requests (1180 -> 7410) counts as a surge like an anomaly."""
    s = Signals()
    s.growth("requests_per_second", 1180, 7410, share=0.6)
    s.saturation("cpu_utilization", 0.99, 1.0, None)
    found = AGENT.candidates(s.items, incident())
    assert found[0].category == "traffic_surge"
    assert found[0].suspects == ["requests_per_second"]


def test_error_series_of_requests_are_not_traffic() -> None:
    """http_requests_5xx_per_second jumping is a symptom, not a surge."""
    s = Signals()
    s.anomaly("http_requests_5xx_per_second", 1, 60)
    assert by_category(AGENT.candidates(s.items, incident()), "traffic_surge") == []


def test_database_lock_growth_days_after_a_data_access_change_is_database() -> None:
    """Lock waits rising two days after a data-access deploy are the database's fault."""
    s = Signals()
    s.growth("pg_lock_waits", 0, 40)
    s.commit(SHA_BAD, "Batch order updates", code=["orders/repository.py"])
    late = incident(incident_started_at="2026-11-22T14:10:00Z")
    early = incident()
    late_db = by_category(AGENT.candidates(s.items, late), "database")
    early_db = by_category(AGENT.candidates(s.items, early), "database")
    assert late_db and late_db[0].confidence >= 0.5
    assert early_db and early_db[0].confidence < late_db[0].confidence


def test_database_lock_growth_after_a_logging_only_change_is_database() -> None:
    """A logging-only change to a repository file does not take the blame from the database."""
    s = Signals()
    s.growth("pg_lock_waits", 0, 40)
    s.commit(SHA_BAD, "Log ids", code=["orders/repository.py"], observability_only=True)
    found = AGENT.candidates(s.items, incident())
    assert found[0].category == "database"
    assert found[0].confidence >= 0.5
    assert SHA_BAD not in blamed_shas(found)


def test_timeouts_naming_no_host_blame_the_peer_whose_call_latency_jumped() -> None:
    """`request timed out` lines plus geo_client_latency_p99_ms x40 blame the geo peer."""
    s = Signals()
    s.template("quote request timed out after 10 seconds", count_after=25)
    s.anomaly("geo_client_latency_p99_ms", 50, 2000)
    s.anomaly("checkout_latency_p99_ms", 120, 900)
    found = by_category(AGENT.candidates(s.items, incident()), "dependency_failure")
    assert [h.suspects for h in found] == [["geo", "geo_client_latency_p99_ms"]]
    assert 0.4 <= found[0].confidence <= 0.5


def test_the_peer_is_named_by_its_configured_host_when_the_config_has_one() -> None:
    """A config URL whose host carries the peer's name leads the suspects."""
    s = Signals()
    s.template("quote request timed out after 10 seconds", count_after=25)
    s.anomaly("geo_client_latency_p99_ms", 50, 2000)
    config = {"clients": {"geo": {"url": "https://geo.maps.internal:8443/v2"}, "x": "a.b"}}
    found = by_category(
        AGENT.candidates(s.items, incident(config_snapshot=config)), "dependency_failure"
    )
    assert found[0].suspects[0] == "geo.maps.internal"


def test_the_peer_rule_stays_out_when_logs_name_the_host_or_the_metric_is_our_own() -> None:
    """A host named by the logs, or the service's own client metric, does not fire it."""
    named = Signals()
    named.template("quote request timed out", hosts=["geo.internal"], count_after=25)
    named.anomaly("geo_client_latency_p99_ms", 50, 2000)
    own = Signals()
    own.template("quote request timed out after 10 seconds", count_after=25)
    own.anomaly("checkout_client_latency_p99_ms", 50, 2000)
    named_suspects = [h.suspects for h in AGENT.candidates(named.items, incident())]
    assert ["geo", "geo_client_latency_p99_ms"] not in named_suspects
    own_suspects = [h.suspects for h in AGENT.candidates(own.items, incident())]
    assert all("checkout" not in suspects for suspects in own_suspects)


def test_a_functions_invocations_rising_unseen_by_the_front_door_are_no_surge() -> None:
    """A function invoked 6x while the API Gateway's request count stays flat: the work is
    internal (retries of failing batches, a backlog draining), a weak surge at most; the
    same rise with the gateway's count surging too is demand from outside."""
    flat = {"points": [["2026-11-20T14:00:00Z", 100.0], ["2026-11-20T14:05:00Z", 102.0]]}
    gateway = "ApiGateway Count ApiName=orders-api Stage=prod"
    internal = Signals()
    internal.anomaly("AWS/Lambda Invocations FunctionName=ledger-writer", 100, 620)
    quiet = AGENT.candidates(internal.items, incident(metrics={gateway: flat}))
    (weak,) = by_category(quiet, "traffic_surge")
    outside = Signals()
    outside.anomaly("AWS/Lambda Invocations FunctionName=ledger-writer", 100, 620)
    outside.anomaly(gateway, 100, 650)
    loud = AGENT.candidates(outside.items, incident(metrics={gateway: flat}))
    assert by_category(loud, "traffic_surge")[0].confidence >= 0.5 > 0.3 >= weak.confidence


def test_database_load_after_a_deploy_is_the_credits_when_they_were_draining_before_it() -> None:
    """The same load rise after a data-access commit, but the instance's CPU credits were
    already below half their peak when the deploy landed and ran out after: the throttled
    CPU loads the database, and the commit is a weaker suspect."""
    credits = "AWS/RDS CPUCreditBalance DBInstanceIdentifier=billing-db"
    balance = [440.0, 400.0, 300.0, 200.0, 100.0, 10.0, 0.0, 0.0]
    times = [f"2026-11-20T{9 + i:02d}:00:00Z" for i in range(len(balance))]
    series = {credits: {"points": [[t, v] for t, v in zip(times, balance, strict=True)]}}

    def found_for(metrics: dict[str, Any]) -> list[Hypothesis]:
        s = Signals()
        s.anomaly("db_queries_per_second", 300, 4200)
        s.saturation(credits, 0.0, 440.0, None, depleted=True)
        s.commit(SHA_BAD, "Invoices query", code=["billing/repository.py"])
        return AGENT.candidates(s.items, incident(metrics=metrics))

    drained = found_for(series)
    assert drained[0].category == "resource_exhaustion"
    (weak,) = by_category(drained, "code_regression")
    # Without the series, nothing says when the drain began: the commit keeps its weight.
    (unknown,) = by_category(found_for({}), "code_regression")
    assert weak.confidence < unknown.confidence
