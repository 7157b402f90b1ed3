"""LogAgent rules on hand-built signals: each fires when it should and not on innocent evidence."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from alpha.agents.base import AgentContext
from alpha.schemas import Hypothesis, Signal
from sre.agents import LogAgent
from tests.sre.builders import (
    SHA_BAD,
    SHA_CONFIG,
    SHA_DEP,
    SHA_DOCS,
    SHA_OTHER,
    Signals,
    blamed_shas,
    by_category,
    incident,
)

AGENT = LogAgent()


def test_new_exception_in_files_a_commit_touched_blames_that_commit() -> None:
    """A new KeyError with frames in checkout/cart.py blames the commit that changed it."""
    s = Signals()
    s.exception("KeyError", "KeyError: 'sku'", ["/srv/app/checkout/cart.py"])
    s.commit(SHA_BAD, "Rework cart totals", code=["checkout/cart.py"])
    s.commit(SHA_DOCS, "Update runbook", docs=["docs/runbook.md"])
    found = AGENT.candidates(s.items, incident())
    top = found[0]
    assert top.category == "code_regression"
    assert top.suspects == [SHA_BAD]
    assert 0.6 <= top.confidence <= 0.95
    assert "KeyError" in top.label and "9f3c2ab" in top.label
    assert SHA_DOCS not in blamed_shas(found)


def test_docs_only_commit_is_never_blamed_even_when_it_is_the_only_change() -> None:
    """New errors after a docs-only deploy do not make the docs commit a suspect."""
    s = Signals()
    s.exception("ValueError", "bad value", ["app/pricing.py"])
    s.commit(SHA_DOCS, "Document pricing", docs=["docs/pricing.md", "README.md"])
    assert blamed_shas(AGENT.candidates(s.items, incident())) == set()


def test_dependency_failure_with_unrelated_commits_is_not_a_code_regression() -> None:
    """Timeouts to one host while commits touch other modules blame the host, not a commit."""
    s = Signals()
    s.dependency("payments.internal", ["timeout", "http_5xx"], status_codes=[503])
    s.template(
        "payment call failed: ReadTimeout",
        exception_types=["requests.exceptions.ReadTimeout"],
        hosts=["payments.internal"],
    )
    s.commit(SHA_OTHER, "Extract currency formatting", code=["app/utils/money.py"])
    s.commit(SHA_DEP, "Bump structlog from 24.1.0 to 24.4.0", dependency=["poetry.lock"])
    found = AGENT.candidates(s.items, incident())
    assert found[0].category == "dependency_failure"
    assert found[0].suspects == ["payments.internal"]
    assert found[0].confidence >= 0.5
    assert by_category(found, "code_regression") == []


def test_a_change_touching_the_host_path_weakens_the_dependency_hypothesis() -> None:
    """When a commit changed the payments client, the payments host is a weaker suspect."""
    alone = Signals()
    alone.dependency("payments.internal", ["timeout"])
    touched = Signals()
    touched.dependency("payments.internal", ["timeout"])
    touched.commit(SHA_BAD, "Tune payments client", code=["app/clients/payments.py"])
    clean = by_category(AGENT.candidates(alone.items, incident()), "dependency_failure")[0]
    weak = by_category(AGENT.candidates(touched.items, incident()), "dependency_failure")[0]
    assert weak.confidence < clean.confidence
    assert weak.confidence <= 0.3


def test_a_host_that_relays_failures_from_further_down_is_a_weak_suspect() -> None:
    """Callers see 5xx from payment-service, whose own new errors are failed calls of its
    own: it passes the failure on, so it is a weaker suspect than when its errors are its own."""
    relay = Signals()
    relay.dependency("payment-service.payments:3000", ["http_5xx"])
    relay.entity_logs("payment-service", 90.0, call_failures=1.0)
    own = Signals()
    own.dependency("payment-service.payments:3000", ["http_5xx"])
    own.entity_logs("payment-service", 90.0, call_failures=0.0)
    weak = by_category(AGENT.candidates(relay.items, incident()), "dependency_failure")[0]
    clean = by_category(AGENT.candidates(own.items, incident()), "dependency_failure")[0]
    assert weak.suspects[0] == clean.suspects[0] == "payment-service.payments:3000"
    assert weak.confidence < clean.confidence and weak.confidence <= 0.3


def test_a_host_whose_pods_were_oomkilled_is_explained_by_the_kill() -> None:
    """Callers' refused connections to session-api, whose pods the kernel OOMKilled: the
    kill explains the refusals, so the host failing is a weak suspect of its own."""
    killed = Signals()
    killed.dependency("session-api.web.svc.cluster.local:8080", ["connection_refused"])
    killed.signature(
        "oom_killed",
        "resource_exhaustion",
        "Reason: OOMKilled",
        obj="session-api-frds2xk9t6-8qnb5",
    )
    alone = Signals()
    alone.dependency("session-api.web.svc.cluster.local:8080", ["connection_refused"])
    weak = by_category(AGENT.candidates(killed.items, incident()), "dependency_failure")[0]
    clean = by_category(AGENT.candidates(alone.items, incident()), "dependency_failure")[0]
    assert weak.confidence < clean.confidence and weak.confidence <= 0.3


def test_a_resource_running_out_with_no_host_names_whoever_logged_it() -> None:
    """An out-of-memory line naming no host and no series names the pod's workload that
    logged it, never the bare word `memory`."""
    s = Signals()
    s.template(
        "JavaScript heap out of memory",
        example="[pod/pricing-service-2687p62kbv-j2wjw/app] FATAL JavaScript heap out of memory",
    )
    found = by_category(AGENT.candidates(s.items, incident()), "resource_exhaustion")
    assert found and found[0].suspects == ["pricing-service"]


def _top_for_line(template: str, example: str) -> Hypothesis:
    """The LogAgent's top hypothesis when one new error line is all the evidence."""
    s = Signals()
    s.template(template, example=example)
    return AGENT.candidates(s.items, incident())[0]


def test_tls_errors_blame_the_certificate_of_that_host() -> None:
    """x509 errors to a host are certificate_or_credentials naming the host."""
    top = _top_for_line(
        "quote request failed",
        'Post "https://api.carrier.com/v3/rates": remote error: tls: expired certificate',
    )
    assert top.category == "certificate_or_credentials"
    assert "api.carrier.com" in top.suspects
    assert top.confidence >= 0.5


def test_dns_failures_are_infrastructure_with_the_resolver_as_suspect() -> None:
    """Lookups failing on the cluster resolver point at DNS, not at each dependency."""
    top = _top_for_line(
        "upstream call failed",
        "dial tcp: lookup pricing.svc on 10.96.0.10:53: server misbehaving",
    )
    assert top.category == "infrastructure"
    assert "10.96.0.10" in top.suspects


def test_many_unrelated_hosts_failing_together_is_infrastructure() -> None:
    """Connect timeouts to three unrelated services at once point below the application."""
    s = Signals()
    for host in ("redis.cache.svc:6379", "catalog.svc:8080", "kafka-2.kafka.svc:9092"):
        s.dependency(host, ["timeout"], example=f"call to {host}: SocketTimeoutException")
    found = AGENT.candidates(s.items, incident())
    assert found[0].category == "infrastructure"
    deps = by_category(found, "dependency_failure")
    assert deps and all(d.confidence < found[0].confidence for d in deps)


def test_oom_without_a_change_to_blame_is_resource_exhaustion() -> None:
    """OutOfMemoryError with no related change is resource_exhaustion on the host."""
    s = Signals()
    s.template(
        "indexer crashed: java.lang.OutOfMemoryError: Java heap space",
        exception_types=["java.lang.OutOfMemoryError"],
        hosts=["indexer-1"],
    )
    s.growth("jvm_heap_used_mb", 900, 3900)
    found = AGENT.candidates(s.items, incident())
    top = found[0]
    assert top.category == "resource_exhaustion"
    assert "indexer-1" in top.suspects and "jvm_heap_used_mb" in top.suspects
    assert top.confidence >= 0.5


def test_a_metric_name_that_is_not_text_is_rejected_before_any_rule_reads_it() -> None:
    """A hand-built signal whose metric name is a list fails validation naming the field;
    no rule reads it as text."""
    s = Signals()
    s.template("worker killed: out of memory", hosts=["worker-1"])
    bad = Signal(
        id="sig_002",
        type="metric_growth",
        description="x",
        source="metrics",
        value={"metric": ["jvm_heap_used_mb"], "first": 9, "last": 39},
    )
    with pytest.raises(ValidationError, match="value.metric"):
        AGENT.candidates([*s.items, bad], incident())


def test_oom_after_a_memory_limit_was_lowered_is_not_asserted_as_exhaustion() -> None:
    """A lowered memory limit explains the OOM: the exhaustion hypothesis stays weak."""
    s = Signals()
    s.template("worker killed: out of memory", hosts=["worker-1"])
    s.config_change("resources.memory_limit_mb", 2048, 512, [SHA_CONFIG])
    found = AGENT.candidates(s.items, incident())
    exhaustion = by_category(found, "resource_exhaustion")
    assert exhaustion and exhaustion[0].confidence <= 0.3


def test_lock_waits_with_no_change_are_database() -> None:
    """Deadlocks and lock timeouts with nothing changed blame the database."""
    s = Signals()
    s.template("ERROR: deadlock detected")
    s.template("canceling statement due to lock timeout", hosts=["pg-primary.internal"])
    s.commit(SHA_DOCS, "On-call notes", docs=["docs/oncall.md"])
    found = AGENT.candidates(s.items, incident())
    assert found[0].category == "database"
    assert found[0].confidence >= 0.5


def test_pool_timeouts_after_the_pool_was_shrunk_blame_the_config_key_and_commit() -> None:
    """QueuePool timeouts after pool_size 50 -> 5 blame the key and the commit that set it."""
    s = Signals()
    s.template("QueuePool limit of size 5 overflow 0 reached, connection timed out")
    s.config_change("database.pool_size", 50, 5, [SHA_CONFIG])
    s.commit(SHA_CONFIG, "Lower DB pool size", config=["config/production.yaml"])
    found = AGENT.candidates(s.items, incident())
    top = found[0]
    assert top.category == "config_change"
    assert top.suspects[:2] == ["database.pool_size", SHA_CONFIG]
    assert top.label == "database.pool_size lowered 50 -> 5"


def test_a_single_weak_signal_gives_low_confidence() -> None:
    """One warning about thread pool pressure is a weak (<= 0.4) hypothesis."""
    s = Signals()
    s.template("executor queue is full, task rejected", level="WARN", count_after=3)
    found = AGENT.candidates(s.items, incident())
    assert found and all(0.2 <= h.confidence <= 0.4 for h in found)


async def test_run_returns_the_candidates_and_reports_progress() -> None:
    """run() returns the deterministic candidates, cites only given signals, and reports."""
    s = Signals()
    s.dependency("payments.internal", ["timeout"])
    messages: list[str] = []
    context = AgentContext(signals=s.items, incident=incident(), progress=messages.append)
    result = await AGENT.run(context)
    assert result.agent_name == "LogAgent"
    assert result.hypotheses == AGENT.candidates(s.items, incident())
    ids = {x.id for x in s.items}
    assert all(set(h.supporting_signals) <= ids for h in result.hypotheses)
    assert messages and "hypothes" in messages[-1]
    assert AGENT.model == "anthropic/claude-sonnet-4-6"


def test_hosts_named_only_in_error_text_are_still_found() -> None:
    """A refused Postgres named only in the error text is a database hypothesis on that host."""
    s = Signals()
    s.template(
        'psycopg2.OperationalError: connection to server at "pg-orders.internal" (10.0.3.4), '
        "port 5432 failed: Connection refused",
        exception_types=["psycopg2.OperationalError"],
    )
    s.commit(SHA_OTHER, "Paginate order list", code=["orders/views.py"])
    found = AGENT.candidates(s.items, incident())
    assert found[0].category == "database"
    assert found[0].suspects == ["pg-orders.internal"]
    assert blamed_shas(found) == set()


def test_the_service_own_pods_are_not_dependencies() -> None:
    """A log field naming the service's own pod never becomes a failing dependency."""
    s = Signals()
    s.template("request timed out host=checkout-api-6d9f7b-q4wlc")
    assert by_category(AGENT.candidates(s.items, incident()), "dependency_failure") == []


def test_a_flag_naming_the_failing_dependency_takes_the_blame_from_it() -> None:
    """Timeouts to the reranker right after the rerank flag went on blame the flag."""
    s = Signals()
    s.dependency("rerank.ml.svc:9000", ["timeout"])
    s.config_change("features.semantic_rerank", False, True)
    found = AGENT.candidates(s.items, incident())
    dependency = by_category(found, "dependency_failure")[0]
    config = by_category(found, "config_change")[0]
    assert config.suspects == ["features.semantic_rerank"]
    assert config.confidence > dependency.confidence


def test_node_failures_name_the_node() -> None:
    """NodeNotReady lines make an infrastructure hypothesis naming the node."""
    s = Signals()
    s.template("Node ip-10-0-1-7 status is now: NodeNotReady", level="WARN", count_after=12)
    found = AGENT.candidates(s.items, incident())
    assert found[0].category == "infrastructure"
    assert "ip-10-0-1-7" in found[0].suspects


def test_a_database_port_and_the_configured_dsn_name_the_database() -> None:
    """New errors toward x:5432 are database trouble, named by the DSN host in the config."""
    s = Signals()
    s.template("query failed", hosts=["10.20.1.14:5432"])
    config = {"postgres": {"dsn": "postgres://app:***@catalog-db.internal:5432/catalog"}}
    found = AGENT.candidates(s.items, incident(config_snapshot=config))
    assert found[0].category == "database"
    assert found[0].suspects[:2] == ["catalog-db.internal", "10.20.1.14:5432"]


def test_a_database_behind_a_loopback_proxy_is_named_by_its_own_logs() -> None:
    """Lost connections to `127.0.0.1:5432` (a sidecar proxy) while `billing-pg` logs its
    shutdown: the loopback address is no one to act on, the database that logged is."""
    s = Signals()
    s.template("connection to server at 127.0.0.1, port 5432 failed: server closed the connection")
    s.entity_logs("billing-pg", 12.0)
    s.entity_logs("billing-api", 60.0)
    config = {"db": {"host": "127.0.0.1", "port": 5432}}
    found = by_category(AGENT.candidates(s.items, incident(config_snapshot=config)), "database")
    assert found and found[0].suspects == ["billing-pg"]


def test_a_host_the_extractor_saw_steady_is_not_revived_by_a_shared_template() -> None:
    """A rising template quoting a host whose own error count did not rise blames nothing."""
    s = Signals()
    s.dependency("10.12.4.19:9200", ["timeout"], count_before=4, count_after=10)
    s.template("upstream request failed", example="dial tcp 10.12.4.19:9200: i/o timeout")
    assert by_category(AGENT.candidates(s.items, incident()), "dependency_failure") == []


# --------------------------------------------------------------------------- held-out gaps

# Trouble two days after the deploy: changes shipped then are unlikely causes.
_TWO_DAYS_LATER = "2026-11-22T14:10:00Z"


def _lock_pileup(s: Signals) -> None:
    """Lock waits raised through an application data-access file, plus the DB's own log."""
    s.template(
        "orders/repository.py:88 update failed: canceling statement due to lock timeout",
        files=["orders/repository.py"],
    )
    s.template("process 4411 still waiting for ExclusiveLock on tuple after 1000 ms", level="LOG")
    s.template("Process holding the lock: 2210. Wait queue: 4411.", level="LOG")


def test_a_stale_logging_only_commit_in_the_lock_path_does_not_outrank_the_database() -> None:
    """Lock waits through a file whose old commit only changed a log call blame the database."""
    s = Signals()
    _lock_pileup(s)
    s.commit(
        SHA_BAD,
        "Log the customer id on update failures",
        code=["orders/repository.py"],
        observability_only=True,
    )
    found = AGENT.candidates(s.items, incident(incident_started_at=_TWO_DAYS_LATER))
    assert found[0].category == "database"
    assert found[0].confidence >= 0.5
    assert SHA_BAD not in blamed_shas(found)


def test_a_behavioural_change_in_the_lock_path_still_weakens_the_database() -> None:
    """The same lock waits right after a real data-access change keep the change suspect."""
    s = Signals()
    _lock_pileup(s)
    s.commit(SHA_BAD, "Batch order updates", code=["orders/repository.py"])
    found = AGENT.candidates(s.items, incident())
    database = by_category(found, "database")
    assert database and database[0].confidence <= 0.3
    assert SHA_BAD in blamed_shas(found)


def test_a_logging_only_commit_is_still_blamed_for_program_errors_in_its_file() -> None:
    """A new TypeError raised in the file a logging change touched keeps that commit suspect."""
    s = Signals()
    s.exception("TypeError", "TypeError: unsupported format", ["/srv/app/orders/repository.py"])
    s.commit(SHA_BAD, "Log order totals", code=["orders/repository.py"], observability_only=True)
    found = AGENT.candidates(s.items, incident())
    assert by_category(found, "code_regression")[0].suspects == [SHA_BAD]


def test_server_errors_to_a_host_named_before_its_verb_are_a_dependency_failure() -> None:
    """`<host> responded 503` lines with no extractor host still add up to that dependency."""
    s = Signals()
    s.template(
        "LedgerClient: ledger.corp.example responded <*> Service Unavailable for <*>",
        example="LedgerClient: ledger.corp.example responded 503 Service Unavailable for t_1",
        status_codes=[503],
        count_after=6,
    )
    s.template(
        "Circuit breaker for 'ledger' is open; call rejected",
        level="WARN",
        count_after=9,
    )
    s.commit(SHA_OTHER, "Reword the receipt footer", code=["app/receipts/footer.py"])
    found = AGENT.candidates(s.items, incident())
    assert found[0].category == "dependency_failure"
    assert found[0].suspects[0] == "ledger.corp.example"
    assert found[0].confidence >= 0.5


def test_a_circuit_breaker_name_joins_the_qualified_host_it_guards() -> None:
    """`circuit breaker for 'stock-api'` and `stock-api.internal` are one failing dependency."""
    s = Signals()
    s.dependency("stock-api.internal", ["http_5xx"], status_codes=[502])
    s.template(
        "circuit breaker for 'stock-api' is open",
        example="circuit breaker for 'stock-api' is open",
        exception_types=["BrokenCircuitException"],
        count_after=7,
    )
    found = by_category(AGENT.candidates(s.items, incident()), "dependency_failure")
    assert [h.suspects for h in found] == [["stock-api.internal"]]
    assert "sig_002" in found[0].supporting_signals


def test_third_party_throttling_at_a_flat_request_rate_is_a_dependency_failure() -> None:
    """429s from one provider while our request rate is flat blame that provider."""
    s = Signals()
    s.dependency("api.mailvendor.io", [], status_codes=[429], count_after=30)
    s.anomaly("http_requests_per_second", 120, 130)
    found = AGENT.candidates(s.items, incident())
    assert found[0].category == "dependency_failure"
    assert found[0].suspects == ["api.mailvendor.io"]
    assert 0.3 <= found[0].confidence <= 0.6
    assert "rate limited" in found[0].label


def test_throttling_during_our_own_request_surge_is_not_blamed_on_the_provider() -> None:
    """429s while our request rate tripled are the surge's doing, not the provider's."""
    s = Signals()
    s.dependency("api.mailvendor.io", [], status_codes=[429], count_after=30)
    s.anomaly("http_requests_per_second", 120, 480)
    found = AGENT.candidates(s.items, incident())
    assert by_category(found, "dependency_failure") == []


def test_a_database_name_that_fails_to_resolve_is_not_database_trouble() -> None:
    """`lookup pg-main.db.svc on <resolver>:53: i/o timeout` blames DNS, not the database."""
    s = Signals()
    s.dependency(
        "pg-main.db.svc.cluster.local",
        ["timeout"],
        example="dial tcp: lookup pg-main.db.svc.cluster.local on 10.0.0.2:53: i/o timeout",
    )
    found = AGENT.candidates(s.items, incident())
    assert by_category(found, "database") == []
    assert found[0].category == "infrastructure"


def test_a_failing_bare_address_is_named_by_the_workload_behind_it() -> None:
    """`dial tcp 10.96.44.193:11211: refused` from `rate`, with series of two memcacheds:
    the one named after its caller leads the hypothesis, the address stays its evidence."""
    s = Signals()
    s.dependency("10.96.44.193:11211", ["connection_refused"])
    s.entity_logs("rate", 40.0, names=["10.96.44.193:11211"], call_failures=1.0)
    series = {"baseline": [1.0] * 5, "current": [1.0] * 5}
    metrics = {f"{w}.cpu_usage": series for w in ("memcached-rate", "memcached-profile")}
    top = by_category(AGENT.candidates(s.items, incident(metrics=metrics)), "dependency_failure")
    assert top[0].suspects[:2] == ["memcached-rate", "10.96.44.193:11211"]
    assert top[0].label.startswith("memcached-rate (10.96.44.193:11211) failing")


def test_a_host_only_the_load_generator_fails_on_is_the_front_door_a_weak_suspect() -> None:
    """The load generator's 5xx from `frontend:80` are the whole system failing as its
    clients see it: a weak dependency hypothesis, where a service's own calls are not."""
    locust = "[pod/loadgenerator-7f9c8d6b5-x2k4p/main] GET http://frontend:80/cart 500"
    service = "[pod/checkout-7f9c8d6b5-q8mwn/main] POST http://frontend:80/api 500"
    front, called = Signals(), Signals()
    front.dependency("frontend:80", ["http_5xx"], example=locust)
    called.dependency("frontend:80", ["http_5xx"], example=service)
    weak = by_category(AGENT.candidates(front.items, incident()), "dependency_failure")[0]
    clean = by_category(AGENT.candidates(called.items, incident()), "dependency_failure")[0]
    assert weak.confidence < clean.confidence and weak.confidence <= 0.3


def test_bare_addresses_failing_together_count_as_one_host() -> None:
    """Pod and Service IPs may all be one service's: three of them failing with one named
    host are not three unrelated services, so no infrastructure fault is asserted."""
    s = Signals()
    for host in ("10.20.1.159:8443", "10.20.2.13:8443", "10.96.44.12:8080"):
        s.dependency(host, ["timeout"], example=f"call to {host}: SocketTimeoutException")
    s.dependency("pricing.shop.svc:8080", ["timeout"], example="call to pricing: timeout")
    found = AGENT.candidates(s.items, incident())
    assert not by_category(found, "infrastructure")
