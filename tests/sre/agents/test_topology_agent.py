"""TopologyAgent on hand-built signals: which entity is at fault when many show trouble
(victims explained by their callee, rarity of symptoms, category from the evidence)."""

from __future__ import annotations

from alpha.schemas import Hypothesis
from sre.agents.topology_agent import MAX_CONFIDENCE, TopologyAgent
from tests.sre.builders import Signals, incident

AGENT = TopologyAgent()
NO_DEPLOY = {"deployed_at": None, "service": None}


def _names(found: list[Hypothesis]) -> list[str]:
    return [h.suspects[0] for h in found]


def test_one_entity_is_nothing_to_localise() -> None:
    """Trouble in a single entity: the agent says nothing (the other agents do)."""
    s = Signals()
    s.entity_logs("cart", 80.0)
    s.anomaly("cart.cpu_percent", 20.0, 95.0, entity="cart", kind="cpu", unit="percent")
    assert AGENT.candidates(s.items, incident(**NO_DEPLOY)) == []


def test_the_callee_named_by_its_callers_errors_outranks_the_loud_callers() -> None:
    """Two callers log errors naming `inventory`; inventory itself logs a few: the callee is
    the first suspect and the callers are explained by it."""
    s = Signals()
    s.entity_logs("frontend", 120.0, names=["inventory:8080"])
    s.entity_logs("checkout", 90.0, names=["inventory.shop.svc.cluster.local"])
    s.entity_logs("inventory", 15.0)
    found = AGENT.candidates(s.items, incident(**NO_DEPLOY))
    assert _names(found)[0] == "inventory"
    assert found[0].category == "dependency_failure"
    assert "named by the errors of checkout, frontend" in found[0].description


def test_a_service_whose_steady_operation_stopped_outranks_chronic_errors() -> None:
    """A service logging no errors whose steady operation went silent leads services whose
    few errors were there all along; its description says which lines stopped."""
    s = Signals()
    gone = {"template": "[getRouteById] Query route by id", "level": "INFO"}
    s.entity_logs(
        "route",
        0.0,
        silenced=25.0,
        silenced_template={**gone, "before": 29, "after": 0, "excess": 0.0},
    )
    s.entity_logs("food", 0.0, errors_before=4, errors_after=7)
    s.entity_logs("preserve", 0.0, errors_before=2, errors_after=6)
    found = AGENT.candidates(s.items, incident(**NO_DEPLOY))
    assert _names(found)[0] == "route"
    assert "Query route by id" in found[0].description and "stopped" in found[0].description


def test_unnamed_failed_calls_point_at_the_entity_with_trouble_of_its_own() -> None:
    """The frontend logs many failed calls that name no one; the catalog logs nothing but its
    own error ratio rose: the catalog leads and the frontend is its caller."""
    s = Signals()
    s.entity_logs("frontend", 175.0, call_failures=1.0)
    s.anomaly("frontend/error_ratio", 0.002, 0.19, entity="frontend", kind="errors")
    s.anomaly("catalog/error_ratio", 0.0, 0.31, entity="catalog", kind="errors")
    found = AGENT.candidates(s.items, incident(**NO_DEPLOY))
    assert _names(found)[0] == "catalog"
    assert "named by the errors of frontend" in found[0].description


def test_a_services_own_errors_are_not_a_callers_symptom() -> None:
    """The same volume of errors that are not failed calls stays the service's own (a service
    that is not an entry point: `orders`)."""
    s = Signals()
    s.entity_logs("orders", 175.0, call_failures=0.0)
    s.anomaly("orders/error_ratio", 0.002, 0.19, entity="orders", kind="errors")
    s.anomaly("catalog/error_ratio", 0.0, 0.31, entity="catalog", kind="errors")
    assert _names(AGENT.candidates(s.items, incident(**NO_DEPLOY)))[0] == "orders"


def test_a_cache_out_of_memory_ran_out_of_a_resource_not_a_database_fault() -> None:
    """Redis memory at its limit (its callers' latency up): resource exhaustion of
    redis-sessions, named first; its connections at their limit would be the database's."""
    s = Signals()
    s.anomaly("redis-sessions.evicted_keys", 0.0, 3000.0, entity="redis-sessions", kind="other")
    s.saturation(
        'redis_memory_used_bytes{service="redis-sessions"}',
        4.29e9,
        4.29e9,
        'redis_memory_max_bytes{service="redis-sessions"}',
    )
    s.anomaly("auth-api.latency_p99_ms", 20.0, 300.0, entity="auth-api", kind="latency")
    top = AGENT.candidates(s.items, incident(**NO_DEPLOY))[0]
    assert (top.suspects[0], top.category) == ("redis-sessions", "resource_exhaustion")


def test_a_failing_database_is_the_database_category_even_when_it_logs_errors() -> None:
    """`pg-ledger-01` logging its own errors, with callers naming it: the database itself."""
    s = Signals()
    s.entity_logs("pg-ledger-01", 40.0)
    s.entity_logs("ledger-api", 30.0, names=["pg-ledger-01:5432"])
    top = AGENT.candidates(s.items, incident(**NO_DEPLOY))[0]
    assert (top.suspects[0], top.category) == ("pg-ledger-01", "database")


def test_an_entry_service_surfacing_backend_failures_points_at_the_backend() -> None:
    """The frontend logs every failed page (naming no callee); the catalog's own error ratio
    rose: the catalog leads, the frontend is its caller."""
    s = Signals()
    s.entity_logs("frontend", 120.0)
    s.anomaly("productcatalog/error_ratio", 0.0, 0.3, entity="productcatalog", kind="errors")
    found = AGENT.candidates(s.items, incident(**NO_DEPLOY))
    assert _names(found)[0] == "productcatalog"


def test_a_relays_own_latency_and_errors_are_its_view_of_the_backend() -> None:
    """The front door relays failed calls (naming no callee) and its own p99 and error ratio
    rose more than anything; the backend whose latency rose behind it leads."""
    s = Signals()
    s.entity_logs("front-end", 7.0)
    s.anomaly("front-end/p99", 60.0, 4300.0, entity="front-end", kind="latency", score=4.6)
    s.anomaly("front-end/error_ratio", 0.0, 0.06, entity="front-end", kind="errors", score=4.6)
    s.anomaly("catalogue/p99", 140.0, 2000.0, entity="catalogue", kind="latency", score=3.0)
    found = AGENT.candidates(s.items, incident(**NO_DEPLOY))
    assert _names(found)[0] == "catalogue"


def test_what_names_a_relay_names_the_path_through_it() -> None:
    """The load generator's failures all name the front door; the front door's own errors
    are failed calls naming no one: the credit passes on to the backend in trouble."""
    s = Signals()
    s.entity_logs("loadgenerator", 60.0, names=["front-end"])
    s.dependency("front-end", ["http_5xx"], count_after=60)
    s.entity_logs("front-end", 7.0)
    s.anomaly("catalogue/p99", 140.0, 2000.0, entity="catalogue", kind="latency", score=3.0)
    found = AGENT.candidates(s.items, incident(**NO_DEPLOY))
    assert _names(found)[0] == "catalogue"


def test_a_queue_backing_up_is_its_consumers_symptom() -> None:
    """Messages pile up in a queue because its consumer fails: the consumer whose errors
    rose leads, the queue's age is no resource running out."""
    s = Signals()
    s.anomaly("orders-queue/AgeOfOldestMessage", 5.0, 900.0, entity="orders-queue", kind="queue")
    s.anomaly("orders-queue/MessagesVisible", 10.0, 4000.0, entity="orders-queue", kind="queue")
    s.anomaly("order-worker/Errors", 0.0, 40.0, entity="order-worker", kind="errors", score=2.0)
    found = AGENT.candidates(s.items, incident(**NO_DEPLOY))
    assert _names(found)[0] == "order-worker"
    assert all(h.category != "resource_exhaustion" for h in found)


def test_a_load_generator_is_a_client_never_the_fault() -> None:
    """The load generator logs the most errors (every failed request): it is never a
    hypothesis; the service whose own errors rose is."""
    s = Signals()
    s.entity_logs("loadgenerator", 240.0)
    s.entity_logs("cartservice", 12.0)
    s.anomaly("cartservice/error_ratio", 0.0, 0.2, entity="cartservice", kind="errors")
    found = AGENT.candidates(s.items, incident(**NO_DEPLOY))
    assert _names(found)[0] == "cartservice"
    assert "loadgenerator" not in _names(found)


def test_a_saturated_resource_makes_it_resource_exhaustion_and_names_the_series() -> None:
    """The entity whose CPU departed most (among entities with milder latency moves) is
    running out of resources; the series is a suspect."""
    s = Signals()
    s.anomaly(
        "ts-food-service.CpuUsageRate(%)",
        8.0,
        97.0,
        entity="ts-food-service",
        kind="cpu",
        unit="percent",
        score=3.0,
    )
    for caller in ("ts-travel-service", "ts-order-service"):
        s.anomaly(f"{caller}.latency_p99_ms", 80.0, 300.0, entity=caller, kind="latency")
    top = AGENT.candidates(s.items, incident(**NO_DEPLOY))[0]
    assert top.category == "resource_exhaustion"
    assert top.suspects == ["ts-food-service", "ts-food-service.CpuUsageRate(%)"]


def test_a_symptom_every_entity_shows_says_less_than_one_only_one_shows() -> None:
    """Latency up on four services and memory up on one: the memory one leads, because a
    symptom shared by all says nothing about which one is at fault."""
    s = Signals()
    for name in ("a-svc", "b-svc", "c-svc", "d-svc"):
        s.anomaly(f"{name}.latency_ms", 50.0, 150.0, entity=name, kind="latency", score=1.0)
    s.anomaly("c-svc.memory_bytes", 1e8, 9e8, entity="c-svc", kind="memory", score=1.0)
    found = AGENT.candidates(s.items, incident(**NO_DEPLOY))
    assert _names(found)[0] == "c-svc"


def test_a_database_entity_with_resource_trouble_is_a_database_cause() -> None:
    """Connections running out on a database entity is `database`."""
    s = Signals()
    s.anomaly(
        "orders-db.connections", 40.0, 200.0, entity="orders-db", kind="connections", score=3.0
    )
    s.anomaly("api.latency_ms", 40.0, 90.0, entity="api", kind="latency", score=0.5)
    top = AGENT.candidates(s.items, incident(**NO_DEPLOY))[0]
    assert top.suspects[0] == "orders-db"
    assert top.category == "database"


def test_a_change_to_the_path_to_a_failing_callee_is_the_likelier_culprit() -> None:
    """Callers get 503s from `inventory`; its Service's selector changed: a selector that
    matches no pod explains them, so "inventory is failing" keeps half its strength. A
    raised timeout to it cannot cause 503s: it changes nothing."""

    def inventory(change: tuple[str, object, object] | None) -> float:
        s = Signals()
        s.entity_logs("frontend", 120.0, names=["inventory:8080"], call_failures=1.0)
        s.entity_logs("checkout", 90.0, names=["inventory:8080"], call_failures=1.0)
        s.entity_logs("inventory", 5.0)
        s.dependency("inventory:8080", ["http_5xx"], status_codes=[503])
        if change is not None:
            s.config_change(*change)
        found = AGENT.candidates(s.items, incident(**NO_DEPLOY))
        return next(h.confidence for h in found if h.suspects[0] == "inventory")

    alone = inventory(None)
    changed = inventory(("services.inventory.selector.app", "inventory", "inventory-svc"))
    assert changed <= alone - 0.05
    assert inventory(("clients.inventory.timeout_ms", 2000, 5000)) == alone


def test_the_deployed_service_failing_is_left_to_the_change_agents() -> None:
    """After a deploy of `checkout-api`, "checkout-api is failing" is not this agent's
    answer; with no deploy it is."""
    s = Signals()
    s.entity_logs("checkout-api", 200.0)
    s.entity_logs("search", 5.0)
    deployed = AGENT.candidates(s.items, incident())
    assert "checkout-api" not in _names(deployed)
    undeployed = AGENT.candidates(s.items, incident(deployed_at=None))
    assert _names(undeployed)[0] == "checkout-api"


def test_confidence_follows_strength_and_is_capped() -> None:
    """A weaker entity never outranks a stronger one and nothing passes MAX_CONFIDENCE;
    an entity far below the best is not a hypothesis at all."""
    s = Signals()
    s.entity_logs("payments", 5000.0, new_templates=6, pattern_shift=0.8)
    s.entity_logs("ledger", 30.0)
    s.entity_logs("audit", 1.0)
    found = AGENT.candidates(s.items, incident(**NO_DEPLOY))
    confidences = [h.confidence for h in found]
    assert confidences == sorted(confidences, reverse=True)
    assert all(c <= MAX_CONFIDENCE for c in confidences)
    assert _names(found)[0] == "payments"
    assert "audit" not in _names(found)


def test_every_cited_signal_is_one_of_the_entitys_own() -> None:
    """A hypothesis cites only the evidence of its entity (its logs, its series, the errors
    naming it), never another entity's."""
    s = Signals()
    own = s.entity_logs("inventory", 40.0)
    naming = s.entity_logs("frontend", 120.0, names=["inventory"])
    other = s.anomaly("search.cpu_percent", 10.0, 30.0, entity="search", kind="cpu", score=0.2)
    top = AGENT.candidates(s.items, incident(**NO_DEPLOY))[0]
    assert top.suspects[0] == "inventory"
    assert {own.id, naming.id} <= set(top.supporting_signals)
    assert other.id not in top.supporting_signals


def test_a_bare_address_its_callers_fail_on_is_the_workload_behind_it() -> None:
    """`rate` fails calls to `10.96.44.193:11211`; of the two memcacheds with series, the
    one named after `rate` is credited with those failures (no entity would be, were the
    port one that says nothing of what listens)."""
    s = Signals()
    s.entity_logs("rate", 80.0, names=["10.96.44.193:11211"], call_failures=1.0)
    s.entity_logs("frontend", 30.0, names=["rate:8084"], call_failures=1.0)
    s.anomaly("memcached-rate.restarts", 0.0, 1.0, entity="memcached-rate", kind="restarts")
    series = {"baseline": [1.0] * 5, "current": [1.0] * 5}
    metrics = {f"{w}.cpu_usage": series for w in ("memcached-rate", "memcached-profile")}
    found = AGENT.candidates(s.items, incident(metrics=metrics, **NO_DEPLOY))
    store = next(h for h in found if h.suspects[0] == "memcached-rate")
    assert "named by the errors of rate" in store.description
    assert "memcached-profile" not in _names(found)


def test_the_address_a_failing_probe_called_is_the_probed_pods() -> None:
    """`orders` times out on `10.244.0.136:80`, a port that says nothing of what listens; the
    kubelet's readiness probe of `payment-fbqjmwtbrd-jfsdp` times out on the same address:
    `payment` is the callee, credited with the failed calls."""
    probe = (
        '"Probe failed" probeType="Readiness" pod="sock-shop/payment-fbqjmwtbrd-jfsdp" '
        'output="Get \\"http://10.244.0.136:80/health\\": context deadline exceeded"'
    )

    def found(example: str) -> list[Hypothesis]:
        s = Signals()
        s.entity_logs("orders", 80.0, names=["10.244.0.136:80"], call_failures=1.0)
        s.entity_logs("shipping", 5.0)
        s.signature("probe_failed", None, example, obj="payment-fbqjmwtbrd-jfsdp")
        return AGENT.candidates(s.items, incident(**NO_DEPLOY))

    callee = next(h for h in found(probe) if h.suspects[0] == "payment")
    assert "named by the errors of orders" in callee.description
    elsewhere = probe.replace("10.244.0.136", "10.244.0.99")
    assert not any("named by the errors of orders" in h.description for h in found(elsewhere))


def test_a_third_party_api_throttling_us_is_a_dependency_failure_not_our_resource() -> None:
    """429s and slowness from `api.geolookup.io` (a public host) above a consumer's lag:
    the API is a dependency failing us, not a resource of ours running out."""
    s = Signals()
    s.anomaly("api.geolookup.io.throttled", 0.0, 40.0, entity="api.geolookup.io", kind="throttling")
    s.anomaly("api.geolookup.io.p99", 0.2, 3.0, entity="api.geolookup.io", kind="latency")
    s.anomaly("geo-enricher.lag", 10.0, 90000.0, entity="geo-enricher", kind="lag", robust_z=5.0)
    found = AGENT.candidates(s.items, incident(**NO_DEPLOY))
    api = next(h for h in found if h.suspects[0] == "api.geolookup.io")
    assert api.category == "dependency_failure"
    own = next(h for h in found if h.suspects[0] == "geo-enricher")
    assert own.category == "resource_exhaustion"


def test_a_workload_that_lost_a_pod_takes_the_failed_calls_that_name_no_one() -> None:
    """Two services log failed calls naming no one; `contacts` logs nothing, but its pod's
    series ended as a new pod's began (`pod_replaced`): contacts leads, named by both."""
    s = Signals()
    s.entity_logs("preserve", 21.0, call_failures=1.0)
    s.entity_logs("preserve-other", 9.0, call_failures=1.0)
    s.signature(
        "pod_replaced",
        None,
        "series of pod contacts-7f9c8d6b5-x2k4p end at 14:03:00Z",
        emitter="contacts",
        obj="contacts-7f9c8d6b5-x2k4p",
        count_after=1,
    )
    found = AGENT.candidates(s.items, incident(**NO_DEPLOY))
    assert _names(found)[0] == "contacts"
    assert found[0].category == "dependency_failure"
    assert "named by the errors of preserve, preserve-other" in found[0].description


def test_failed_calls_name_the_one_workload_whose_word_they_use() -> None:
    """`failed to retrieve ads` names no host; `adservice` is the one workload whose
    distinctive word is `ad`: it is the frontend's callee. A word two workloads share
    (`ad` in `adservice` and `ad-api`) names no one."""
    ads = {"template": "failed to retrieve ads", "level": "ERROR"}
    template = {**ads, "before": 0, "after": 38, "excess": 38.0}

    def signals(*others: str) -> Signals:
        s = Signals()
        s.entity_logs("frontend", 38.0, call_failures=1.0, templates=[template], names=[])
        s.anomaly("frontend/latency_p99", 80.0, 400.0, entity="frontend", kind="latency")
        for name in others:
            s.anomaly(f"{name}/network_tx_bytes", 9000.0, 4000.0, entity=name, kind="network")
        return s

    one = AGENT.candidates(signals("adservice", "cartservice").items, incident(**NO_DEPLOY))
    assert "adservice" in _names(one)
    assert any("named by the errors of frontend" in h.description for h in one)
    two = AGENT.candidates(signals("adservice", "ad-api").items, incident(**NO_DEPLOY))
    assert not any("named by the errors of frontend" in h.description for h in two)


def test_errors_that_spell_out_the_workload_called_name_it() -> None:
    """`Failed to read posts from post-storage-service` names its callee in words, not as a
    host; a database's log naming its client after `/` (`orders_app@orders/orders-api`) names
    no callee."""

    def top(template: str, emitter: str) -> list[str]:
        s = Signals()
        line = {"template": template, "level": "ERROR", "before": 0, "after": 40}
        s.entity_logs(emitter, 40.0, templates=[{**line, "excess": 40.0}], names=[])
        for name in ("post-storage-service", "orders-api"):
            s.anomaly(f"{name}/latency_p99", 10.0, 40.0, entity=name, kind="latency", score=1.0)
        return [h.description for h in AGENT.candidates(s.items, incident(**NO_DEPLOY))]

    called = top("Get timeline failure: Failed to read posts from post-storage-service", "nginx")
    callee = next(d for d in called if d.startswith("post-storage-service"))
    assert "named by the errors of nginx" in callee
    client = top("orders_app@orders/orders-api canceling statement due to lock timeout", "pg")
    assert not any("named by the errors of pg" in d for d in client)


def test_a_cpu_throttled_services_slowness_is_what_its_throttling_does() -> None:
    """Throttling and CPU up beside three latency series and an error ratio: latency and
    errors weigh as symptoms, so the service ran out of CPU (before, their sheer number
    read it as failing)."""
    s = Signals()
    s.anomaly(
        "currency/cpu_throttled_ratio", 0.0, 0.8, entity="currency", kind="throttling", score=4.6
    )
    s.anomaly("currency/cpu_usage", 0.2, 0.5, entity="currency", kind="cpu", score=1.1)
    for quantile in ("p50", "p90", "p99"):
        s.anomaly(
            f"currency/duration_{quantile}", 3.0, 90.0, entity="currency", kind="latency", score=4.6
        )
    s.anomaly("currency/error_ratio", 0.0, 0.02, entity="currency", kind="errors", score=1.9)
    s.anomaly("frontend/duration_p99", 80.0, 400.0, entity="frontend", kind="latency")
    top = AGENT.candidates(s.items, incident(**NO_DEPLOY))[0]
    assert (top.suspects[0], top.category) == ("currency", "resource_exhaustion")


def test_managed_database_products_are_databases() -> None:
    """An Azure SQL database and a Cosmos DB account named for their product, not `db`."""
    for name in ("sqldb-billing", "cosmos-retail-prod"):
        s = Signals()
        s.anomaly(f"{name}/cpu_percent", 20.0, 97.0, entity=name, kind="cpu", score=4.6)
        s.anomaly("web/latency_p99", 80.0, 400.0, entity="web", kind="latency")
        top = AGENT.candidates(s.items, incident(**NO_DEPLOY))[0]
        assert (top.suspects[0], top.category) == (name, "database")


def test_a_callers_series_about_a_failing_callee_make_its_own_series_its_view() -> None:
    """`web` calls `api.pay.io`: its series about that callee failed and slowed, and so did
    its own requests, threads and errors. The callee leads; `web` is its caller."""
    s = Signals()
    edge = 'dependencies/{}{{cloud/roleName="web",dependency/target="api.pay.io"}}'
    s.anomaly(edge.format("failed"), 0.0, 40.0, entity="api.pay.io", kind="errors", score=4.6)
    s.anomaly(
        edge.format("duration"), 200.0, 9000.0, entity="api.pay.io", kind="latency", score=4.6
    )
    s.anomaly(
        'requests/failed{cloud/roleName="web"}', 0.0, 60.0, entity="web", kind="errors", score=4.6
    )
    s.anomaly(
        'requests/duration{cloud/roleName="web"}',
        300.0,
        9500.0,
        entity="web",
        kind="latency",
        score=4.6,
    )
    s.anomaly('Threads{resource="web"}', 40.0, 400.0, entity="web", kind="connections", score=4.6)
    top = AGENT.candidates(s.items, incident(**NO_DEPLOY))[0]
    assert (top.suspects[0], top.category) == ("api.pay.io", "dependency_failure")
    assert "named by the errors of web" in top.description


def _span(caller: str, procedure: str, kind: str = "SPAN_KIND_CLIENT") -> str:
    return (
        f'traces_spanmetrics_latency:p99{{service_name="{caller}",span_kind="{kind}",'
        f'span_name="{procedure}"}}'
    )


def test_a_callers_client_spans_measure_the_callee_it_calls() -> None:
    """`frontend` calls `search`, which calls `geo` over gRPC: the client spans of both calls
    slowed and so did both callers' own server spans, while `geo` (a network delay on its
    pod) logs its steady lines and reports no latency of its own. The slow calls are the
    callee's evidence, as its callers see it: `geo` leads, not the loud callers."""
    s = Signals()
    s.entity_logs("geo", 0.0)
    for caller, callee in (("frontend", "/search.Search/Nearby"), ("search", "/geo.Geo/Nearby")):
        s.anomaly(_span(caller, callee), 5.0, 900.0, entity=caller, kind="latency")
        server = _span(caller, "", kind="SPAN_KIND_SERVER")
        s.anomaly(server, 8.0, 1200.0, entity=caller, kind="latency", score=4.6)
    found = AGENT.candidates(s.items, incident(**NO_DEPLOY))
    assert _names(found)[0] == "geo"
    assert found[0].category == "dependency_failure"
    assert "named by the errors of search" in found[0].description


def test_a_server_spans_name_is_its_own_operation_not_a_callee() -> None:
    """The same series with server spans (`search` serving `/geo.Geo/Nearby` would be odd, but
    the label is the operation served): no callee is read, the slow services lead."""
    s = Signals()
    s.entity_logs("geo", 0.0)
    s.anomaly(
        _span("search", "/geo.Geo/Nearby", kind="SPAN_KIND_SERVER"),
        5.0,
        900.0,
        entity="search",
        kind="latency",
        score=4.6,
    )
    s.anomaly("frontend_latency_p99", 9.0, 800.0, entity="frontend", kind="latency", score=2.0)
    assert _names(AGENT.candidates(s.items, incident(**NO_DEPLOY)))[0] == "search"


def test_a_peer_label_beside_the_callers_own_names_the_callee() -> None:
    """`checkout-bff`'s client requests to `pricing-api` (OpenTelemetry's `peer_service`)
    time out: `pricing-api`, which has no series of its own, is the one to look at."""
    s = Signals()
    s.entity_logs("pricing-api", 0.0)
    for measure, kind in (("duration_seconds", "latency"), ("errors_total", "errors")):
        s.anomaly(
            f'http_client_request_{measure}{{service="checkout-bff",peer_service="pricing-api"}}',
            1.0,
            50.0,
            entity="checkout-bff",
            kind=kind,
            score=4.6,
        )
    s.anomaly(
        'http_server_errors_total{service="checkout-bff"}',
        0.0,
        30.0,
        entity="checkout-bff",
        kind="errors",
    )
    assert _names(AGENT.candidates(s.items, incident(**NO_DEPLOY)))[0] == "pricing-api"


def test_a_load_balancers_5xx_and_latency_are_its_targets_symptoms() -> None:
    """The ALB in front answers 5xx and slows (its `LoadBalancer` dimension says it is one);
    the payment provider behind the service slows too: the provider leads, not the
    balancer passing its failures on."""
    s = Signals()
    balancer = 'aws_alb_{}{{dimension_LoadBalancer="app/k8s-shop-checkout/7c1d2e9a4b6f0e31"}}'
    for measure, kind in (("httpcode_target_5xx_count_sum", "errors"), ("latency", "latency")):
        s.anomaly(balancer.format(measure), 1.0, 90.0, entity="k8s-shop-checkout", kind=kind)
    s.anomaly(
        "api.paynexus.io/latency_p99",
        200.0,
        4000.0,
        entity="api.paynexus.io",
        kind="latency",
        score=2.0,
    )
    assert _names(AGENT.candidates(s.items, incident(**NO_DEPLOY)))[0] == "api.paynexus.io"


def test_connections_filling_up_at_a_load_balancer_are_its_targets_symptoms() -> None:
    """The ALB's active connections pinned and its target response time up, while the
    inventory service behind it slowed x22: the service leads, not the balancer whose
    connections wait on it."""
    s = Signals()
    alb = "app/shop-prod-alb/5e1c0a7f3b92d4c8/{}"
    s.anomaly(alb.format("TargetResponseTime"), 0.07, 0.14, entity="shop-prod-alb", kind="latency")
    s.saturation(alb.format("ActiveConnectionCount"), 4000.0, 4000.0, None)
    s.anomaly(
        "inventory-api.latency_p50", 9.0, 200.0, entity="inventory-api", kind="latency", score=0.9
    )
    assert _names(AGENT.candidates(s.items, incident(**NO_DEPLOY)))[0] == "inventory-api"


def test_a_decisive_signature_about_the_entity_gives_its_category() -> None:
    """`pricing-engine`'s errors and request series departed, and its pods were
    OOMKilled: the entity ran out of memory, not merely failing."""
    s = Signals()
    s.anomaly("pricing-engine/errors", 0.0, 40.0, entity="pricing-engine", kind="errors", score=4.6)
    s.anomaly("web/latency_p99", 80.0, 400.0, entity="web", kind="latency")
    s.signature(
        "oom_killed",
        "resource_exhaustion",
        "reason=OOMKilled",
        obj="pricing-engine-5b7d9c6f48-4xkq2",
        emitter="pricing-engine",
    )
    top = AGENT.candidates(s.items, incident(**NO_DEPLOY))[0]
    assert (top.suspects[0], top.category) == ("pricing-engine", "resource_exhaustion")
