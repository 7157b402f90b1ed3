"""ConfigAgent rules: a changed key is blamed when it governs the symptoms, in the right way."""

from __future__ import annotations

from sre.agents import ConfigAgent
from tests.sre.builders import SHA_CONFIG, Signals, incident

AGENT = ConfigAgent()


def test_shrunk_pool_with_pool_timeouts_is_a_strong_config_change() -> None:
    """pool_size 50 -> 5 with QueuePool timeouts and pinned connections converges high."""
    s = Signals()
    s.template("QueuePool limit of size 5 overflow 0 reached, connection timed out")
    s.saturation("db_connections_in_use", 5, 5, "database.pool_size")
    s.config_change("database.pool_size", 50, 5, [SHA_CONFIG])
    s.config_risk("database.pool_size", 5, "tiny pool")
    s.commit(SHA_CONFIG, "Lower pool", config=["config/production.yaml"])
    found = AGENT.candidates(s.items, incident())
    top = found[0]
    assert top.category == "config_change"
    assert top.label == "database.pool_size lowered 50 -> 5"
    assert top.suspects == ["database.pool_size", SHA_CONFIG]
    assert 0.8 <= top.confidence <= 0.95


def test_a_raised_pool_does_not_explain_pool_timeouts() -> None:
    """Raising a pool cannot starve it: the change is not blamed for pool waits."""
    s = Signals()
    s.template("could not obtain a database connection: pool exhausted")
    s.config_change("database.pool_size", 5, 50)
    assert AGENT.candidates(s.items, incident()) == []


def test_lowered_timeout_with_timeouts_to_the_host_it_configures_wins() -> None:
    """clients.ledger.timeout_ms 5000 -> 250 with ledger deadline errors outranks other keys."""
    s = Signals()
    s.template(
        "posting invoice to ledger failed",
        example='Post "http://ledger.svc/v1": context deadline exceeded (Client.Timeout)',
    )
    s.config_change("clients.ledger.timeout_ms", 5000, 250, [SHA_CONFIG])
    s.config_change("clients.ledger.max_idle_conns", 20, 100, [SHA_CONFIG])
    s.config_change("clients.fx.timeout_ms", 3000, 1000, [SHA_CONFIG])
    found = AGENT.candidates(s.items, incident())
    assert found[0].suspects[0] == "clients.ledger.timeout_ms"
    assert all(h.confidence < found[0].confidence for h in found[1:])


def test_flag_turned_on_with_errors_naming_its_feature_is_blamed() -> None:
    """features.semantic_rerank turned on with rerank errors blames the flag."""
    s = Signals()
    s.template(
        "rerank failed, serving unranked results",
        example='err="Post http://rerank.ml.svc/v2/rerank: context deadline exceeded"',
    )
    s.anomaly("search_latency_p99_ms", 180, 2300)
    s.config_change("features.semantic_rerank", False, True)
    found = AGENT.candidates(s.items, incident())
    assert found[0].label == "features.semantic_rerank turned on"
    assert found[0].suspects == ["features.semantic_rerank"]
    assert found[0].confidence >= 0.6


def test_errors_another_changed_key_names_lend_nothing_to_a_flag() -> None:
    """`features.coupon_banner` turned on and `stripe.gem_version` bumped in one deploy;
    the new errors are `Stripe::APIError`: the gem's key names them, so they do not also
    count as the flag's code-path errors. Keys sharing a word (two Corefile zones) both
    keep what they govern."""
    s = Signals()
    s.template(
        "Stripe::APIError: (Status 500) An unknown error occurred",
        exception_types=["Stripe::APIError"],
    )
    s.exception("Stripe::APIError", "(Status 500) An unknown error occurred", ["app/pay.rb"])
    s.config_change("features.coupon_banner", False, True)
    alone = [h.label for h in AGENT.candidates(s.items, incident())]
    assert "features.coupon_banner turned on" in alone
    s.config_change("stripe.gem_version", "10.2.0", "10.3.0")
    found = AGENT.candidates(s.items, incident())
    assert found[0].label == "stripe.gem_version changed 10.2.0 -> 10.3.0"
    assert not any(h.suspects[0] == "features.coupon_banner" for h in found)


def test_a_flags_word_that_names_another_workload_does_not_link_its_errors() -> None:
    """`flags.invoice_pdf_v2.rollout` raised while `invoice-worker` logs lost database
    connections: the word `invoice` names the worker, not the code path the flag switched,
    so the flag is not blamed; errors naming the feature itself still blame it."""
    s = Signals()
    s.template(
        "job generate_invoice failed: server closed the connection unexpectedly",
        example="k8s_container:billing/invoice-worker-7b9c6d5f8-tzsrb/worker job failed",
    )
    s.entity_logs("invoice-worker", 40.0)
    s.config_change("billing-api.flags.invoice_pdf_v2.rollout", 10, 50)
    assert AGENT.candidates(s.items, incident(service="billing-api")) == []
    s.template("pdf v2 renderer crashed: invoice_pdf_v2 template missing")
    (linked,) = AGENT.candidates(s.items, incident(service="billing-api"))
    assert "errors name what this key configures" in linked.description


def test_rate_limit_lowered_with_429s_is_blamed() -> None:
    """A lowered rate limit with 429 responses appearing is a config_change."""
    s = Signals()
    s.template("request rejected: 429 Too Many Requests", status_codes=[429])
    s.config_change("gateway.rate_limit.per_second", 500, 50)
    found = AGENT.candidates(s.items, incident())
    assert found and found[0].suspects == ["gateway.rate_limit.per_second"]


def test_unrelated_change_is_not_blamed_for_a_dependency_outage() -> None:
    """A changed log format explains no timeouts to a payments host."""
    s = Signals()
    s.dependency("payments.internal", ["timeout"])
    s.config_change("logging.format", "text", "json")
    assert AGENT.candidates(s.items, incident()) == []


def test_without_a_previous_snapshot_a_risky_value_is_only_a_weak_suspect() -> None:
    """With no diff available, a tiny pool that fits the symptoms is a weak hypothesis."""
    s = Signals()
    s.template("QueuePool limit of size 2 overflow 0 reached, connection timed out")
    s.config_risk("database.pool_size", 2, "tiny pool")
    found = AGENT.candidates(s.items, incident())
    assert [h.suspects for h in found] == [["database.pool_size"]]
    assert found[0].confidence <= 0.4
    with_previous = incident(previous_config_snapshot={"database": {"pool_size": 2}})
    assert AGENT.candidates(s.items, with_previous) == []
    assert AGENT.model == "google/gemini-2.0-flash"


def test_values_with_units_have_a_direction() -> None:
    """`2500ms -> 250ms` is a lowered timeout, and blamed for the timeouts that follow."""
    s = Signals()
    s.template("upstream pricing timed out after 250ms", status_codes=[504])
    s.config_change("upstreams.pricing.timeout", "2500ms", "250ms")
    s.config_change("telemetry.flush_interval", "10s", "15s")
    found = AGENT.candidates(s.items, incident())
    assert found[0].label == "upstreams.pricing.timeout lowered 2500ms -> 250ms"
    assert all("telemetry.flush_interval" not in h.suspects for h in found)


def test_camel_case_keys_are_understood() -> None:
    """partitionsConsumedConcurrently 12 -> 1 explains lag growing and throughput falling."""
    s = Signals()
    s.growth("kafka_consumergroup_lag", 400, 440000)
    s.anomaly("messages_processed_per_sec", 4050, 255)
    s.anomaly("container_cpu_cores", 1.6, 0.2)
    s.config_change("consumer.partitionsConsumedConcurrently", 12, 1)
    s.config_change("logLevel", "info", "debug")
    found = AGENT.candidates(s.items, incident())
    assert [h.suspects for h in found] == [["consumer.partitionsConsumedConcurrently"]]


def test_a_probe_setting_changed_before_probes_fail_is_blamed_through_the_signature() -> None:
    """Failing probes and a crash loop seen only as platform signatures (kubectl describe,
    get pods) are the symptoms a liveness delay governs: the changed key is blamed and the
    signature cited; a pool setting changed beside them is not."""
    s = Signals()
    probe = s.signature(
        "probe_failed",
        None,
        "Liveness probe failed: Get http://10.42.4.238:8080/actuator/health: connection refused",
        emitter="pricing-engine",
    )
    s.signature("crash_loop", None, "pricing-engine-jcvgzg89dk-pbfwl 0/1 CrashLoopBackOff")
    s.config_change("probes.liveness.initialDelaySeconds", 120, 20, [SHA_CONFIG])
    s.config_change("database.pool_size", 20, 10)
    found = AGENT.candidates(s.items, incident())
    assert [h.suspects[0] for h in found] == ["probes.liveness.initialDelaySeconds"]
    assert probe.id in found[0].supporting_signals


def test_a_resolvers_changed_configuration_explains_names_that_stop_resolving() -> None:
    """A CoreDNS forward for a zone changed while its names fail to resolve: the change is
    blamed; the same failures beside a changed log level blame nothing."""
    failing = "dial tcp: lookup adfs.corp.example.internal on 10.96.0.10:53: no such host"
    s = Signals()
    s.template(failing, example=failing)
    s.config_change(
        "kube-system/coredns.Corefile.corp.example.internal:53.forward",
        ". 10.40.0.2 10.40.0.3",
        ". 10.40.9.2",
    )
    found = AGENT.candidates(s.items, incident())
    assert found and found[0].suspects[0].startswith("kube-system/coredns.Corefile")
    assert found[0].confidence >= 0.6
    quiet = Signals()
    quiet.template(failing, example=failing)
    quiet.config_change("invoice-api.logging.level", "info", "debug")
    assert AGENT.candidates(quiet.items, incident()) == []


def test_a_flags_word_the_services_ordinary_lines_use_does_not_link_its_errors() -> None:
    """`NEW_CHECKOUT_FLOW_PCT` raised while checkout calls fail on a refused inventory: the
    service logs `checkout` in every ordinary request line, so errors saying `checkout` do
    not come from the flagged path; a word its ordinary lines never use still links."""
    ordinary = [f'{{"level":"info","msg":"POST /v1/checkout 201","i":{i}}}' for i in range(50)]
    refused = "checkout failed: reserveStock connect ECONNREFUSED 172.20.44.91:8080"
    s = Signals()
    s.template(refused, example=refused)
    s.config_change("orders-api.FEATURE_NEW_CHECKOUT_FLOW_PCT", 0, 10)
    assert AGENT.candidates(s.items, incident(service="orders-api", logs=ordinary)) == []
    s.template("autocomplete failed in the address step", example="address step failed")
    s.config_change("orders-api.FEATURE_ADDRESS_AUTOCOMPLETE", False, True)
    found = AGENT.candidates(s.items, incident(service="orders-api", logs=ordinary))
    assert [h.suspects[0] for h in found] == ["orders-api.FEATURE_ADDRESS_AUTOCOMPLETE"]


def test_a_gitops_revision_names_the_commit_it_rolled_out() -> None:
    """`argocd/inventory.revision` moved to a SHA: that commit is a suspect of the change."""
    sha = "fd822fa4a01b403234b7625e9fd4df52504531c8"
    s = Signals()
    s.template("dial tcp inventory:8080: connection refused", hosts=["inventory:8080"])
    s.config_change("argocd/inventory.revision", "c8146c45393bf13bee17c3f92b9f754b7f4b1c4f", sha)
    found = AGENT.candidates(s.items, incident())
    assert found and sha in found[0].suspects


def test_a_flag_whose_errors_are_a_sliver_of_the_trouble_is_a_weak_link() -> None:
    """`features.gift_wrap_upsell` turned on: 6 warnings name gift wrap, while 400 new
    errors say the database failed over. The flag explains too little to be the cause; with
    its errors the bulk of the trouble it is blamed as before."""
    s = Signals()
    s.template("gift wrap options cache stale, refreshing", level="WARN", count_after=6)
    s.config_change("features.gift_wrap_upsell", False, True)
    alone = AGENT.candidates(s.items, incident())[0].confidence
    s.template("terminating connection due to administrator command", count_after=400)
    sliver = AGENT.candidates(s.items, incident())[0].confidence
    assert sliver < alone
    assert alone >= 0.55 and sliver < 0.4


def test_a_flags_own_info_lines_are_the_flag_at_work_not_errors_naming_it() -> None:
    """`features: bulk_pricing_banner evaluated` appears once the flag is on: INFO lines
    naming it are no errors, so they do not link the flag; an error naming it does."""
    s = Signals()
    s.template("features: bulk_pricing_banner evaluated account=<*> tier=<*>", level="INFO")
    s.config_change("inventory-api.features.bulk_pricing_banner", False, True)
    assert AGENT.candidates(s.items, incident(service="inventory-api")) == []
    s.template("bulk pricing banner render failed: KeyError 'tier'")
    (linked,) = AGENT.candidates(s.items, incident(service="inventory-api"))
    assert "errors name what this key configures" in linked.description
