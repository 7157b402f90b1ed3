"""PlatformAgent rules on hand-built signature signals: one decisive line decides a cause,
named after what to act on, weighed by trend, deploy and corroboration."""

from __future__ import annotations

from alpha.schemas import Hypothesis
from sre.agents.platform_agent import PlatformAgent
from sre.redaction import Redactor
from tests.sre.builders import SHA_CONFIG, SHA_OTHER, Signals, incident

AGENT = PlatformAgent()
NO_DEPLOY = {"deployed_at": None}
OOM = "Last State: Terminated  Reason: OOMKilled  Exit Code: 137"


def _only(found: list[Hypothesis]) -> Hypothesis:
    assert len(found) == 1, [h.label for h in found]
    return found[0]


def test_one_oomkilled_pod_is_a_resource_exhaustion_of_its_workload() -> None:
    """An OOMKilled pod with no deploy is resource exhaustion, suspect its workload."""
    s = Signals()
    sig = s.signature("oom_killed", "resource_exhaustion", OOM, obj="cart-7d9f8b6c5d-x2k4q")
    found = _only(AGENT.candidates(s.items, incident(**NO_DEPLOY)))
    assert found.category == "resource_exhaustion"
    assert found.suspects == ["cart"]
    assert found.supporting_signals == [sig.id]
    assert found.rules == ["platform.oom_killed"]
    assert 0.75 <= found.confidence <= 0.95


def test_a_nodes_kernel_oom_kill_names_the_container_whose_memory_grew() -> None:
    """`Memory cgroup out of memory: Killed process (server)` is logged by the node: the
    container killed is the one whose memory climbed, first; the node is where it ran."""
    kill = "kernel: Memory cgroup out of memory: Killed process 25544 (server)"
    s = Signals()
    s.signature("oom_killed", "resource_exhaustion", kill, emitter="gke-pool-2-b41f-d2df")
    memory = s.growth(
        'container_memory_rss{pod="productcatalogservice-w5jfzdn8xc-jfxtw",container="server"}',
        40.0,
        110.0,
    )
    found = _only(AGENT.candidates(s.items, incident(**NO_DEPLOY)))
    assert found.suspects[:2] == ["productcatalogservice", "gke-pool-2-b41f-d2df"]
    assert memory.id in found.supporting_signals
    alone = Signals()
    alone.signature("oom_killed", "resource_exhaustion", kill, emitter="gke-pool-2-b41f-d2df")
    assert _only(AGENT.candidates(alone.items, incident(**NO_DEPLOY))).suspects == [
        "gke-pool-2-b41f-d2df"
    ]


def test_an_image_pull_failure_after_its_tag_changed_blames_the_key_and_commit() -> None:
    """ErrImagePull right after `catalog-api.image.tag` changed: the key and its commit come
    first; an unrelated flag changed in the same deploy is not named."""
    s = Signals()
    s.signature(
        "image_pull",
        "config_change",
        "Failed to pull image ghcr.io/acme/catalog-api:4.12.0: manifest unknown",
        obj="ip-10-40-2-238.ec2.internal",
    )
    s.config_change("catalog-api.image.tag", "v4.11.3", "4.12.0", shas=["71c5be9"])
    s.config_change("storefront-web.flags.pdp_gallery_v2_pct", 0, 10, shas=["c2d81f0"])
    [found] = AGENT.candidates(s.items, incident())
    assert found.category == "config_change"
    assert found.suspects[:2] == ["catalog-api.image.tag", "71c5be9"]
    assert "storefront-web.flags.pdp_gallery_v2_pct" not in found.suspects


def test_symptom_signatures_make_no_hypothesis() -> None:
    """A crash loop says an entity is in trouble, not why: no category, no hypothesis."""
    s = Signals()
    s.signature("crash_loop", None, "Back-off restarting failed container", obj="cart")
    assert AGENT.candidates(s.items, incident(**NO_DEPLOY)) == []


def test_signature_seen_only_before_the_split_makes_no_hypothesis() -> None:
    """A signature with no line after the split is history, not the incident."""
    s = Signals()
    s.signature("oom_killed", "resource_exhaustion", OOM, obj="cart", count_after=0)
    assert AGENT.candidates(s.items, incident(**NO_DEPLOY)) == []


def test_a_line_that_names_nothing_names_the_incidents_service_at_lower_confidence() -> None:
    """With no object, emitter, host or series the service is the suspect, and the
    hypothesis is weaker than one that names where."""
    unnamed, named = Signals(), Signals()
    example = "HikariPool-1 - Connection is not available, request timed out after 30000ms"
    unnamed.signature("pool_exhausted", "resource_exhaustion", example)
    named.signature("pool_exhausted", "resource_exhaustion", example, emitter="orders")
    vague = _only(AGENT.candidates(unnamed.items, incident(**NO_DEPLOY)))
    precise = _only(AGENT.candidates(named.items, incident(**NO_DEPLOY)))
    assert vague.suspects == ["checkout-api"]
    assert precise.suspects == ["orders"]
    assert vague.confidence < precise.confidence


def test_a_line_that_names_nothing_in_an_incident_without_service_has_no_suspect() -> None:
    """No service to fall back on: the hypothesis says what happened and names nothing
    invented."""
    s = Signals()
    s.signature("pool_exhausted", "resource_exhaustion", "pool exhausted")
    found = _only(AGENT.candidates(s.items, incident(service=None, **NO_DEPLOY)))
    assert found.suspects == []


def test_a_chronic_signature_weighs_less_than_a_new_one() -> None:
    """As frequent before the split as after (steady) is chronic: well under a new one."""
    new, steady = Signals(), Signals()
    new.signature("oom_killed", "resource_exhaustion", OOM, obj="cart")
    steady.signature(
        "oom_killed", "resource_exhaustion", OOM, obj="cart", count_before=12, trend="steady"
    )
    fresh = _only(AGENT.candidates(new.items, incident(**NO_DEPLOY)))
    chronic = _only(AGENT.candidates(steady.items, incident(**NO_DEPLOY)))
    assert chronic.confidence < 0.6 * fresh.confidence


def test_after_a_deploy_a_running_out_signature_is_left_to_the_change_agents() -> None:
    """A pool running out after a deploy is likely the change's symptom: damped; a
    certificate expiring is not something a deploy explains: not damped."""
    pool, cert = Signals(), Signals()
    pool.signature("pool_exhausted", "resource_exhaustion", "pool exhausted", emitter="orders")
    cert.signature(
        "tls_expired", "certificate_or_credentials", "x509: certificate has expired", family="tls"
    )
    with_deploy = _only(AGENT.candidates(pool.items, incident()))
    without = _only(AGENT.candidates(pool.items, incident(**NO_DEPLOY)))
    assert with_deploy.confidence < 0.7 * without.confidence
    cert_deploy = _only(AGENT.candidates(cert.items, incident()))
    cert_none = _only(AGENT.candidates(cert.items, incident(**NO_DEPLOY)))
    assert cert_deploy.confidence == cert_none.confidence


def test_a_pool_running_out_while_its_logins_are_refused_is_their_symptom() -> None:
    """A rotated password: `password authentication failed` and the pool running out. No
    connection the pool opens is kept: the refused credentials lead; chronic refusals (a
    misconfigured job, before and after) explain nothing."""
    pool = "HikariPool-1 - Connection is not available, request timed out after 30000ms"
    refused = 'FATAL: password authentication failed for user "orders_app"'

    def found(trend: str) -> list[Hypothesis]:
        s = Signals()
        s.signature("pool_exhausted", "resource_exhaustion", pool, emitter="orders-api")
        s.anomaly(
            'hikaricp_connections_pending{pod="orders-api-bdqz6b5h-kljrq"}',
            0.0,
            40.0,
            kind="connections",
            entity="orders-api",
        )
        s.signature(
            "auth_failed",
            "certificate_or_credentials",
            refused,
            emitter="orders-api",
            trend=trend,
            count_before=12 if trend == "steady" else 0,
        )
        return AGENT.candidates(s.items, incident(**NO_DEPLOY))

    assert found("new")[0].category == "certificate_or_credentials"
    chronic = found("steady")
    assert chronic[0].category == "resource_exhaustion"


def test_a_pool_running_out_while_the_database_struggles_is_its_symptom() -> None:
    """Locks piling up in the database, or a database entity's latency departing, explain
    an application pool running out: damped below the database's own hypothesis; a pool
    running out beside a healthy database is not."""
    pool = "HikariPool-1 - Connection is not available, request timed out after 30000ms"
    alone, locked, slow = Signals(), Signals(), Signals()
    for s in (alone, locked, slow):
        s.signature("pool_exhausted", "resource_exhaustion", pool, emitter="orders-api")
    locked.signature(
        "db_locks",
        "database",
        "ERROR: canceling statement due to lock timeout",
        family="database",
        emitter="orders-db-0",
    )
    slow.anomaly("orders-db.read_latency_ms", 2.0, 40.0, kind="latency", entity="orders-db")
    # The application's own latency rising is no trouble of the database's.
    alone.anomaly("orders-api.latency_p99_ms", 80.0, 900.0, kind="latency", entity="orders-api")
    free = _only(AGENT.candidates(alone.items, incident(**NO_DEPLOY)))
    by_locks = AGENT.candidates(locked.items, incident(**NO_DEPLOY))
    exhausted = next(h for h in by_locks if h.category == "resource_exhaustion")
    database = next(h for h in by_locks if h.category == "database")
    assert exhausted.confidence < 0.7 * free.confidence < database.confidence
    by_series = _only(AGENT.candidates(slow.items, incident(**NO_DEPLOY)))
    assert by_series.confidence < 0.7 * free.confidence


def test_dns_failures_name_dns_first_then_the_host_that_does_not_resolve() -> None:
    """NXDOMAIN for a host: suspects `dns`, then that host."""
    s = Signals()
    s.signature(
        "dns_failure",
        "infrastructure",
        "lookup payments.internal on 10.0.0.10:53: no such host",
        family="dns",
        obj="payments.internal",
    )
    found = _only(AGENT.candidates(s.items, incident(**NO_DEPLOY)))
    assert found.category == "infrastructure"
    assert found.suspects == ["dns", "payments.internal"]


def test_a_commit_that_mentions_the_missing_object_is_named_and_cited() -> None:
    """A missing Secret that a recent commit mentions adds that commit as a suspect."""
    s = Signals()
    s.signature(
        "missing_config",
        "config_change",
        'Error: secret "payments-api-keys" not found',
        obj="payments-api-keys",
    )
    mentioning = s.commit(SHA_CONFIG, "Read the key from the payments-api-keys secret")
    s.commit(SHA_OTHER, "Tidy logging")
    found = _only(AGENT.candidates(s.items, incident()))
    assert found.suspects == ["payments-api-keys", SHA_CONFIG]
    assert mentioning.id in found.supporting_signals
    assert SHA_OTHER not in found.suspects


def test_a_disk_filling_beside_no_space_left_corroborates_and_is_named() -> None:
    """`No space left on device` with a disk series that departed: the series is cited and
    named, and the hypothesis is stronger than without it."""
    alone, backed = Signals(), Signals()
    line = "write /var/lib/data/wal: No space left on device"
    for s in (alone, backed):
        s.signature("disk_full", "resource_exhaustion", line, family="disk", emitter="ingest")
    disk = backed.anomaly("ingest.disk_used_percent", 61.0, 99.0, kind="disk", unit="percent")
    without = _only(AGENT.candidates(alone.items, incident(**NO_DEPLOY)))
    found = _only(AGENT.candidates(backed.items, incident(**NO_DEPLOY)))
    assert found.suspects == ["ingest", "ingest.disk_used_percent"]
    assert disk.id in found.supporting_signals
    assert found.confidence > without.confidence


def test_a_full_disk_of_a_database_is_a_database_cause() -> None:
    """Storage running out on a database entity is `database`, elsewhere
    `resource_exhaustion`."""
    s = Signals()
    s.signature(
        "disk_full",
        "resource_exhaustion",
        "could not extend file: No space left on device",
        family="disk",
        emitter="orders-postgres-0",
    )
    found = _only(AGENT.candidates(s.items, incident(**NO_DEPLOY)))
    assert found.category == "database"
    assert found.suspects == ["orders-postgres-0"]  # a StatefulSet pod is its own entity


def test_the_object_a_line_is_about_comes_before_louder_emitters() -> None:
    """Clients refused by a full cluster log more lines than the node whose disk filled:
    the node the lines name is named first."""
    s = Signals()
    s.signature(
        "disk_full",
        "resource_exhaustion",
        "index [feed] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage]",
        family="disk",
        emitter="feed-indexer",
        count_after=268,
    )
    s.signature(
        "disk_full",
        "resource_exhaustion",
        "flood stage disk watermark [95%] exceeded on [es-data-2]",
        family="disk",
        obj="es-data-2",
        emitter="es-master-0",
        count_after=49,
    )
    found = _only(AGENT.candidates(s.items, incident(**NO_DEPLOY)))
    assert found.suspects[:2] == ["es-data-2", "feed-indexer"]


def test_a_service_said_to_be_gone_that_keeps_logging_is_weak() -> None:
    """`No instances available for X` while X kept logging at its usual rate: the callers'
    view is stale, so the hypothesis keeps a fraction of its weight."""
    gone, up = Signals(), Signals()
    line = "No instances available for ts-order-service"
    gone.signature("no_instances", "dependency_failure", line, obj="ts-order-service")
    up.signature(
        "no_instances", "dependency_failure", line, obj="ts-order-service", obj_active=True
    )
    missing = _only(AGENT.candidates(gone.items, incident(**NO_DEPLOY)))
    serving = _only(AGENT.candidates(up.items, incident(**NO_DEPLOY)))
    assert serving.confidence < 0.6 * missing.confidence


def test_a_label_naming_credentials_survives_the_redaction_boundary() -> None:
    """`registry credentials (orders-api)`: the name is not read as a value assigned to
    `credentials`, so the redactor hides nothing in the label."""
    s = Signals()
    s.signature(
        "image_pull_auth",
        "certificate_or_credentials",
        "Failed to pull image: no basic auth credentials",
        summary="image pulls refused: registry credentials",
        obj="orders-api",
    )
    found = _only(AGENT.candidates(s.items, incident(**NO_DEPLOY)))
    assert "orders-api" in found.label
    assert Redactor().redact(found.label) == found.label


def test_certificates_expiring_on_a_host_whose_clock_is_wrong_are_the_clocks_symptom() -> None:
    """`certificate has expired or is not yet valid` beside `System clock wrong by` (or a
    clock-offset series departing): the clock leads, the certificate is damped; beside a
    right clock the certificate stands."""
    expired = "x509: certificate has expired or is not yet valid"
    alone, by_lines, by_series = Signals(), Signals(), Signals()
    for s in (alone, by_lines, by_series):
        s.signature("tls_expired", "certificate_or_credentials", expired, emitter="kubelet")
    by_lines.signature(
        "clock_skew",
        "infrastructure",
        "chronyd[702]: System clock wrong by -93.6 seconds",
        family="clock",
        emitter="ip-10-20-5-91",
    )
    by_series.anomaly(
        'node_timex_offset_seconds{instance="ip-10-20-5-91"}', 0.0, -93.6, kind="other"
    )
    certificate = _only(AGENT.candidates(alone.items, incident(**NO_DEPLOY)))
    found = AGENT.candidates(by_lines.items, incident(**NO_DEPLOY))
    assert found[0].category == "infrastructure" and found[0].suspects[0] == "ip-10-20-5-91"
    damped = next(h for h in found if h.category == "certificate_or_credentials")
    assert damped.confidence < 0.7 * certificate.confidence
    by_offset = _only(AGENT.candidates(by_series.items, incident(**NO_DEPLOY)))
    assert by_offset.confidence < 0.7 * certificate.confidence


def test_a_headless_pod_name_that_stops_resolving_while_its_node_fails_is_the_node() -> None:
    """`lookup redis-cart-0.redis-cart.shop.svc.cluster.local: no such host` while the node
    went NotReady: the pod's record left with the pod, so the node leads; the same failure
    with no node trouble stays a DNS fault."""
    lookup = "dial tcp: lookup redis-cart-0.redis-cart.shop.svc.cluster.local: no such host"
    obj = "redis-cart-0.redis-cart.shop.svc.cluster.local"
    alone, with_node = Signals(), Signals()
    for s in (alone, with_node):
        s.signature("dns_failure", "infrastructure", lookup, family="dns", obj=obj)
    with_node.signature(
        "node_not_ready",
        "infrastructure",
        "Node ip-10-31-77-142 status is now: NodeNotReady",
        obj="ip-10-31-77-142",
    )
    dns = _only(AGENT.candidates(alone.items, incident(**NO_DEPLOY)))
    found = AGENT.candidates(with_node.items, incident(**NO_DEPLOY))
    assert found[0].suspects[0] == "ip-10-31-77-142"
    gone = next(h for h in found if "dns" in h.suspects)
    assert gone.confidence < 0.7 * dns.confidence


def test_callers_that_find_no_instance_of_an_unnamed_service_are_not_its_suspects() -> None:
    """Envoy's `upstream connect error` names no service: the caller that logs it is not
    the service without instances, so it is no suspect (and the hypothesis is weaker than
    one whose lines name the service)."""
    unnamed, named = Signals(), Signals()
    example = '503 Service Unavailable: "upstream connect error or disconnect/reset before headers"'
    unnamed.signature(
        "no_instances", "dependency_failure", example, family="discovery", emitter="preserve"
    )
    named.signature(
        "no_instances",
        "dependency_failure",
        "No instances available for contacts",
        family="discovery",
        emitter="preserve",
        obj="contacts",
    )
    vague = _only(
        AGENT.candidates(
            unnamed.items,
            incident(
                **NO_DEPLOY,
            ),
        )
    )
    precise = _only(AGENT.candidates(named.items, incident(**NO_DEPLOY)))
    assert "preserve" not in vague.suspects
    assert precise.suspects[0] == "contacts"
    assert vague.confidence < precise.confidence


def test_callers_name_the_service_without_instances_by_what_it_serves() -> None:
    """`could not retrieve cart: ... upstream connect error` from the frontend names the one
    workload whose distinctive word is `cart`; a line that also carries its emitter's own
    name (`cart-service` logging about its upstream) does not name the emitter."""
    s = Signals()
    s.signature(
        "no_instances",
        "dependency_failure",
        'frontend-xckbf2249-7f292 server {"error":"could not retrieve cart: rpc error: code ='
        ' Unavailable desc = upstream connect error or disconnect/reset before headers"}',
        family="discovery",
        emitter="frontend",
    )
    s.entity_logs("cartservice", 0.0)
    s.entity_logs("frontend", 40.0)
    assert _only(AGENT.candidates(s.items, incident(**NO_DEPLOY))).suspects[0] == "cartservice"
    own = Signals()
    own.signature(
        "no_instances",
        "dependency_failure",
        'cart-service-wjct5rf6r-rm4mw cart-service 503 Service Unavailable: "no healthy upstream"',
        family="discovery",
        emitter="cart-service",
    )
    own.entity_logs("cart-service", 40.0)
    assert "cart-service" not in _only(AGENT.candidates(own.items, incident(**NO_DEPLOY))).suspects


def test_threads_running_out_while_a_callee_times_out_are_the_callees_symptom() -> None:
    """Tomcat's threads all busy while `route:11178` times out and answers 5xx: the threads
    wait on the callee, so the signature is weaker than with no callee failing."""
    example = "Thread pool is exhausted: all 200 worker threads are busy"
    alone, waiting = Signals(), Signals()
    for s in (alone, waiting):
        s.signature("threads_exhausted", "resource_exhaustion", example, emitter="basic")
    waiting.dependency("route:11178", ["timeout", "http_5xx"], count_before=2, count_after=80)
    free = _only(AGENT.candidates(alone.items, incident(**NO_DEPLOY)))
    held = _only(AGENT.candidates(waiting.items, incident(**NO_DEPLOY)))
    assert held.confidence < free.confidence


def test_writes_refused_near_transaction_id_wraparound_blame_the_database() -> None:
    """PostgreSQL refusing commands to avoid wraparound is the database's own trouble (named
    first), however many clients log it; the series of its used transaction IDs rising
    corroborates it."""
    s = Signals()
    refusal = s.signature(
        "db_xid_wraparound",
        "database",
        "ERROR: database is not accepting commands to avoid wraparound data loss in "
        'database "telemetry"',
        family="database",
        obj="telemetry",
        emitter="event-ingest",
        count_after=900,
    )
    alone = _only(AGENT.candidates(s.items, incident(**NO_DEPLOY)))
    s.anomaly("psql-telemetry-prod/MaximumUsedTransactionIDs", 1.6e9, 2.1e9, kind="xid")
    found = _only(AGENT.candidates(s.items, incident(**NO_DEPLOY)))
    assert found.category == "database"
    assert found.suspects[0] == "telemetry"
    assert refusal.id in found.supporting_signals
    assert found.confidence > alone.confidence
