"""General rules across agents: a cause ranked above its symptoms, credentials expiring in
any phrasing, dependencies named by their config, cosmetic commits, linked dependency bumps.

Each test builds its own signals (no scenario text) and checks the rule from both sides.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alpha.schemas import AgentResult, IncidentInput, RankedHypothesis, Signal
from sre.agents import CommitAgent, ConfigAgent, LogAgent, MetricsAgent
from sre.agents.base import Evidence
from sre.agents.bumps import bump_links, bumped_packages
from sre.agents.hosts import configured_peers, is_db_host
from sre.agents.patterns import key_families, metric_label_values, symptoms_in
from sre.agents.relations import key_support
from sre.engine import sre_aggregator, sre_judge
from sre.extractors.texthosts import text_hosts
from tests.sre.builders import (
    SHA_BAD,
    SHA_CONFIG,
    SHA_DEP,
    SHA_OTHER,
    Signals,
    blamed_shas,
    by_category,
    incident,
)

AGENTS = (LogAgent(), MetricsAgent(), CommitAgent(), ConfigAgent())


def ranked(signals: Sequence[Signal], case: IncidentInput) -> list[RankedHypothesis]:
    """What the four agents' rules rank together (the runtime's aggregation, offline)."""
    ids = {s.id for s in signals}
    judge = sre_judge()
    verdicts = [
        judge.validate(AgentResult(agent_name=a.name, hypotheses=a.candidates(signals, case)), ids)
        for a in AGENTS
    ]
    return sre_aggregator().aggregate(verdicts)


# --------------------------------------------------------------------------- logging -> disk


@pytest.mark.parametrize(
    ("key", "family"),
    [
        ("logging.level", True),
        ("log.level", True),
        ("app.logger.level", True),
        ("logs.retention_days", True),
        ("logging.rotate_mb", True),
        ("log.log_token_kid", True),  # under a logging section, whatever its words
        ("logging.level.org.apache.hc.client5.http.wire", True),
        ("catalog.size", False),
        ("dialog.file", False),
    ],
)
def test_log_verbosity_and_retention_keys_are_the_logging_family(key: str, family: bool) -> None:
    """Dotted logging keys (level, rotation, retention) are logging keys; `catalog` is not."""
    assert ("logging" in key_families(key)) is family


def _disk_full_after(key: str, old: Any, new: Any) -> tuple[Signals, IncidentInput]:
    s = Signals()
    s.template("write failed: ENOSPC: no space left on device", count_after=12)
    s.growth("node_filesystem_used_percent", 35, 100)
    s.config_change(key, old, new, shas=[SHA_CONFIG])
    s.commit(SHA_CONFIG, "Turn up verbosity", config=["deploy/values.yaml"], config_keys=[key])
    return s, incident()


def test_a_log_level_change_outranks_the_disk_full_it_explains() -> None:
    """Disk full after the log level went to TRACE ranks the config change first."""
    s, case = _disk_full_after("telemetry.logging.level", "WARN", "TRACE")
    top = ranked(s.items, case)
    assert top[0].category == "config_change"
    assert "telemetry.logging.level" in top[0].suspects
    disk = [h for h in top if h.category == "resource_exhaustion"]
    assert disk and disk[0].score < top[0].score - 0.3


def test_disk_full_after_an_unrelated_key_change_stays_resource_exhaustion() -> None:
    """A changed key that governs no disk use leaves disk full as the leading cause."""
    s, case = _disk_full_after("payments.currency", "EUR", "USD")
    assert ranked(s.items, case)[0].category == "resource_exhaustion"


# --------------------------------------------------------------------------- credentials


@pytest.mark.parametrize(
    ("text", "symptom"),
    [
        (
            "The signing keys for client 'reporter' are expired. Create new ones",
            "credential_expired",
        ),
        ("API key for tenant 7 has expired", "credential_expired"),
        ("refusing request: expired client secret", "credential_expired"),
        ("the service password was already expired", "credential_expired"),
        ('token endpoint replied {"error":"invalid_client"}', "auth"),
    ],
)
def test_credential_expiry_is_read_in_its_many_phrasings(text: str, symptom: str) -> None:
    """Expired secrets, keys and passwords, and OAuth invalid_client, are credential trouble."""
    assert symptom in symptoms_in(text)


@pytest.mark.parametrize(
    "text",
    ["cache key k1 is expired, refetching", "cache entry for key user:7 was expired and reloaded"],
)
def test_other_things_expiring_are_not_credentials(text: str) -> None:
    """A cache key expiring, or words in another sentence, are not credential expiry."""
    assert "credential_expired" not in symptoms_in(text)


def _secret_expired() -> tuple[Signals, IncidentInput]:
    s = Signals()
    s.template("report upload 42 failed", exception_types=["Acme.Identity.TokenRequestError"])
    s.exception(
        "Acme.Identity.TokenRequestError",
        "IDP401: the client secret keys for app 'reports' are expired; create new keys",
        [],
    )
    s.commit(SHA_DEP, "Bump Acme.Identity from 2.1.0 to 2.2.0", dependency=["src/Reports.csproj"])
    config = {"identity": {"client_id": "reports", "client_secret": "vault:reports-idp"}}
    return s, incident(config_snapshot=config)


def test_an_expired_client_secret_is_credentials_not_the_library_bump() -> None:
    """A secret-expiry message ranks credentials first; the bumped client library is not blamed."""
    s, case = _secret_expired()
    top = ranked(s.items, case)
    assert top[0].category == "certificate_or_credentials"
    assert "identity.client_secret" in top[0].suspects
    assert SHA_DEP not in blamed_shas(CommitAgent().candidates(s.items, case))


def test_a_line_naming_only_a_fault_type_is_not_a_program_error() -> None:
    """The error line that only names the credential-fault type is not a code error."""
    s, case = _secret_expired()
    assert Evidence.build(s.items, case).code_errors() == []
    # Without the message that shows the fault, the type is a program error again.
    alone = Signals()
    alone.template("report upload 42 failed", exception_types=["Acme.Identity.TokenRequestError"])
    assert len(Evidence.build(alone.items, case).code_errors()) == 1


# --------------------------------------------------------------------------- configured peers


@pytest.mark.parametrize(
    ("text", "symptom"),
    [
        ("An error occurred (ServiceUnavailable) when calling the PutObject operation", "http_5xx"),
        ("An error occurred (SlowDown): Please reduce your request rate.", "rate_limited"),
        ("ProvisionedThroughputExceededException: rate of requests exceeds", "rate_limited"),
        ("upstream said BadGateway", "http_5xx"),
    ],
)
def test_cloud_api_throttling_and_unavailability_are_recognised(text: str, symptom: str) -> None:
    """CamelCase 5xx names and object-store throttling replies are dependency symptoms."""
    assert symptom in symptoms_in(text)


def test_the_slowdown_of_traffic_is_not_throttling() -> None:
    """`slowdown` as an ordinary word is not a throttling reply."""
    assert "rate_limited" not in symptoms_in("checkout slowdown detected at 14:02")


_LIB = "usr/lib/python3/site-packages/blobkit/blobstore/transfer.py"
_BLOB_CONFIG = {"blobstore": {"endpoint_url": "https://blob.eu.example.net", "bucket": "b"}}


def _blob_failing(commit_files: list[str]) -> tuple[Signals, IncidentInput]:
    s = Signals()
    s.exception(
        "blobkit.errors.ClientError",
        "An error occurred (ServiceUnavailable) when calling the PutObject operation",
        ["reports/storage.py", _LIB],
    )
    s.anomaly("blobstore_request_latency_p99_ms", 120, 6000)
    s.anomaly("blobstore_5xx_per_min", 0, 80)
    s.commit(SHA_OTHER, "Accept a tz field on report requests", code=commit_files)
    return s, incident(config_snapshot=_BLOB_CONFIG)


def test_configured_peers_come_from_endpoint_keys() -> None:
    """Endpoint keys under a named section name a peer; generic sections and other keys do not."""
    config = {
        **_BLOB_CONFIG,
        "clients": {"geo": {"url": "http://geo.internal:8080"}},
        "queue": {"name": "jobs"},
        "http": {"proxy_url": "http://proxy.corp.example:3128"},
        "endpoint": "https://top.level.example",
    }
    evidence = Evidence.build([], incident(config_snapshot=config))
    assert configured_peers(evidence) == {
        "blobstore": ["blob.eu.example.net"],
        "geo": ["geo.internal"],
    }


def test_5xx_inside_a_configured_peers_client_library_is_that_dependency_failing() -> None:
    """Host-less 5xx raised in the blobstore library, its metrics up: blobstore fails."""
    s, case = _blob_failing(["reports/schema.py"])
    top = ranked(s.items, case)
    assert top[0].category == "dependency_failure"
    assert {"blob.eu.example.net", "blobstore"} <= set(top[0].suspects)
    assert {"LogAgent", "MetricsAgent"} <= set(top[0].contributing_agents)


def test_a_change_to_the_peers_client_weakens_the_dependency_rule() -> None:
    """A commit touching the blobstore client path makes the log rule weak."""
    s, case = _blob_failing(["reports/blobstore/client.py"])
    found = by_category(LogAgent().candidates(s.items, case), "dependency_failure")
    assert found and found[0].confidence < 0.3
    untouched, case = _blob_failing(["reports/schema.py"])
    clean = by_category(LogAgent().candidates(untouched.items, case), "dependency_failure")
    assert clean[0].confidence > found[0].confidence


def test_a_shared_package_with_a_transport_fault_is_weak_commit_evidence() -> None:
    """A commit sharing only a package with a dependency's 5xx is blamed weakly at most."""
    s, case = _blob_failing(["reports/schema.py"])
    blame = by_category(CommitAgent().candidates(s.items, case), "code_regression")
    assert all(h.confidence < 0.3 for h in blame)


# --------------------------------------------------------------------------- cosmetic commits


def _read_only_writes(style_only: bool) -> tuple[Signals, IncidentInput]:
    s = Signals()
    s.template(
        "ERROR: cannot execute UPDATE in a read-only transaction",
        files=["app/models/order.rb"],
        count_after=30,
    )
    s.anomaly("pg_in_recovery", 0, 1)
    s.commit(
        SHA_OTHER,
        "standardrb: apply hash shorthand",
        code=["app/models/order.rb"],
        style_only=style_only,
    )
    return s, incident()


def test_a_style_only_commit_in_the_frames_does_not_outrank_failover_evidence() -> None:
    """Read-only-transaction errors through a formatting-only commit's file are the database's."""
    s, case = _read_only_writes(style_only=True)
    top = ranked(s.items, case)
    assert top[0].category == "database"
    assert SHA_OTHER not in blamed_shas(CommitAgent().candidates(s.items, case))


def test_the_same_commit_changing_behaviour_is_still_suspected() -> None:
    """Without the style-only mark the commit in the frames is a suspect (the rule can fail)."""
    s, case = _read_only_writes(style_only=False)
    assert SHA_OTHER in blamed_shas(CommitAgent().candidates(s.items, case))


def test_a_libpq_peer_with_its_port_is_a_database_host() -> None:
    """`server at "10.0.0.5", port 5432` names the peer with its port, hence a database."""
    (host,) = text_hosts('connection to server at "10.0.0.5", port 5432 failed: refused')
    assert host == "10.0.0.5:5432"
    assert is_db_host(host)


# --------------------------------------------------------------------------- dependency bumps


def test_bumped_packages_are_read_from_bump_messages_only() -> None:
    """Bump subjects give the bumped library and any library named with a version."""
    assert bumped_packages("Bump lodash from 4.17.20 to 4.17.21") == ["lodash"]
    assert bumped_packages("chore(deps): update web-kit to 2.0.1 (json-core 1.4.2)") == [
        "web-kit",
        "json-core",
    ]
    assert bumped_packages("Retry payments 3 times (release 2.4.1)") == []


@given(st.text(max_size=120))
def test_bumped_packages_only_name_words_of_the_message(message: str) -> None:
    """Whatever the message, every package found is part of it (lower-cased)."""
    assert all(p in message.lower() for p in bumped_packages(message))


def _new_library_warning(text: str) -> tuple[Signals, IncidentInput]:
    s = Signals()
    s.template(text, level="WARN", count_after=20)
    s.template("GET /orders failed after 30000 ms", count_after=25)
    s.commit(
        SHA_DEP,
        "chore(deps): update app-kit to 5.1.0 (fastorm 3.2.0)",
        dependency=["build.gradle"],
    )
    s.commit(SHA_BAD, "Tax client: log misses", code=["src/tax/TaxClient.java"])
    return s, incident()


def test_a_new_warning_from_a_bumped_librarys_namespace_links_the_bump() -> None:
    """A new WARN logged by `com.fastorm.query` after bumping fastorm blames that bump."""
    s, case = _new_library_warning("com.fastorm.query : FO-77 paging applied in memory")
    assert [link.commit.value.sha for link in bump_links(Evidence.build(s.items, case))] == [
        SHA_DEP
    ]
    top = ranked(s.items, case)
    assert top[0].category == "code_regression"
    assert top[0].suspects == [SHA_DEP]


def test_a_library_reporting_a_transport_fault_does_not_link_its_bump() -> None:
    """`com.fastorm.pool : connection timed out` is the network's doing, not the bump's."""
    s, case = _new_library_warning("com.fastorm.pool : connection timed out after 5000 ms")
    assert bump_links(Evidence.build(s.items, case)) == []
    assert SHA_DEP not in blamed_shas(CommitAgent().candidates(s.items, case))


def test_a_node_leaving_recovery_is_strong_database_evidence() -> None:
    """A replica promoted (in-recovery flag flipping) with nothing changed is the database."""
    s = Signals()
    s.anomaly("pg_in_recovery", 0, 1)
    found = by_category(MetricsAgent().candidates(s.items, incident()), "database")
    assert found and found[0].confidence >= 0.5


# --------------------------------------------------------------------------- tls vs dependency


def test_a_tls_handshake_failure_wrapped_as_unavailable_blames_the_certificate() -> None:
    """Errors to a host that are x509 handshake failures (also `Unavailable`) rank the
    certificate above the host being down, even when the peer's error metric jumps."""
    s = Signals()
    host = "ledger-rpc.svc:9443"
    s.dependency(
        host,
        ["http_5xx", "tls"],
        count_after=60,
        example=f"rpc error: code = Unavailable desc = connection error: dial {host}: "
        "tls: failed to verify certificate: x509: certificate has expired",
    )
    s.template("post ledger entry failed", hosts=[host], count_after=50)
    s.anomaly('rpc_client_errors{peer="ledger-rpc"}', 0.0, 30.0)
    top = ranked(s.items, incident())[0]
    assert top.category == "certificate_or_credentials"
    assert host in top.suspects


def test_the_same_host_unavailable_without_tls_errors_is_a_dependency_failure() -> None:
    """Without a certificate error, `Unavailable` from one host stays that host failing."""
    s = Signals()
    host = "ledger-rpc.svc:9443"
    s.dependency(
        host,
        ["http_5xx"],
        count_after=60,
        example=f"rpc error: code = Unavailable desc = upstream connect error to {host}",
    )
    s.template("post ledger entry failed", hosts=[host], count_after=50)
    top = ranked(s.items, incident())[0]
    assert top.category == "dependency_failure"
    assert top.suspects == [host]


# --------------------------------------------------------------------------- infra component


def test_an_infrastructure_fault_names_the_component_whose_series_moved() -> None:
    """Unrelated hosts timing out while a NAT router's failure series rises name the router."""
    s = Signals()
    for host in ("api.mailer.example:443", "hooks.crm.example", "203.0.113.9:443"):
        s.dependency(host, ["timeout"], example=f"dial tcp {host}: i/o timeout")
    s.anomaly('cloud_nat_allocation_failures{router="edge-router-3"}', 0.0, 900.0)
    infra = by_category(LogAgent().candidates(s.items, incident()), "infrastructure")
    assert infra and infra[0].suspects[0] == "edge-router-3"


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ('conntrack_used{node="ip-10-0-1-5", zone="b"}', ["ip-10-0-1-5", "b"]),
        ("tcp_retransmits_total", []),
    ],
)
def test_metric_label_values_are_read_from_series_names(name: str, values: list[str]) -> None:
    """Label values of a `name{k="v"}` series are its components, in order."""
    assert metric_label_values(name) == values


# --------------------------------------------------------------------------- resource switch


def _forbidden_after(key: str, old: Any, new: Any) -> tuple[Signals, IncidentInput]:
    s = Signals()
    s.exception(
        "Cloud.StorageException",
        "403 Forbidden: caller is not authorized to write objects",
        [],
    )
    s.config_change(key, old, new)
    return s, incident()


def test_switching_the_storage_bucket_before_new_403s_is_the_config_change() -> None:
    """403s right after the bucket a service writes to changed blame that change."""
    s, case = _forbidden_after("archive.bucket", "reports-eu", "reports-eu-2")
    top = ranked(s.items, case)[0]
    assert top.category == "config_change"
    assert top.suspects[0] == "archive.bucket"


def test_an_unrelated_key_change_does_not_take_the_403s() -> None:
    """403s after a thumbnail-size change are not blamed on that change."""
    s, case = _forbidden_after("thumbnails.width_px", 200, 240)
    assert by_category(ConfigAgent().candidates(s.items, case), "config_change") == []


@pytest.mark.parametrize(
    ("key", "family", "member"),
    [
        ("Storage.ContainerName", "resource", True),
        ("s3.bucket", "resource", True),
        ("events.topic", "resource", True),
        ("cache.key_prefix", "resource", True),
        ("ui.container_width", "resource", False),
        ("orders.table_rows_limit", "resource", False),
        ("waf.rules.100412.mode", "request_filter", True),
        ("cdn.waf.managed_rules.version", "request_filter", True),
        ("modsecurity.SecRuleEngine", "request_filter", True),
        ("fab.wafer_size", "request_filter", False),
        ("edge.access_log.format", "request_filter", False),
    ],
)
def test_keys_choosing_a_resource_or_filtering_requests(
    key: str, family: str, member: bool
) -> None:
    """Bucket, container, topic and prefix keys choose a resource; a web application
    firewall's keys filter requests wherever the WAF sits in the key; look-alikes (`wafer`)
    are neither."""
    assert (family in key_families(key)) is member


# --------------------------------------------------------------------------- cluster peers


_CLUSTER_CONFIG = {"vectordb": {"hosts": ["https://vec-a.db.example:7700", "vec-b.db.example"]}}
_JVM_LIB = "src/main/java/io/vectordb/client/HttpTransport.java"


def _cluster_timeouts(throttled: bool) -> tuple[Signals, IncidentInput]:
    s = Signals()
    for name in ("java.net.SocketTimeoutException", "java.io.InterruptedIOException"):
        s.exception(name, "read timed out", [_JVM_LIB, "src/main/java/com/acme/feed/Ranker.java"])
    if throttled:
        s.template("upsert rejected status=429 too many requests, backing off", level="WARN")
    return s, incident(config_snapshot=_CLUSTER_CONFIG)


def test_a_cluster_configured_as_a_list_of_hosts_is_a_peer() -> None:
    """`section.hosts: [url, url]` names the section's peer with every listed host."""
    evidence = Evidence.build([], incident(config_snapshot=_CLUSTER_CONFIG))
    assert configured_peers(evidence) == {"vectordb": ["vec-a.db.example", "vec-b.db.example"]}


def test_timeouts_raised_in_a_jvm_client_of_a_configured_peer_blame_that_peer() -> None:
    """Host-less timeouts through `src/main/java/io/<peer>/client/...` frames blame the peer."""
    s, case = _cluster_timeouts(throttled=False)
    found = by_category(LogAgent().candidates(s.items, case), "dependency_failure")
    assert found and "vectordb" in found[0].suspects


def test_host_less_throttling_alongside_one_failing_peer_strengthens_it() -> None:
    """New 429 back-off lines naming no host, with one peer failing, add to that peer's case."""
    (calm, calm_case), (loud, loud_case) = _cluster_timeouts(False), _cluster_timeouts(True)
    plain = by_category(LogAgent().candidates(calm.items, calm_case), "dependency_failure")
    pushed = by_category(LogAgent().candidates(loud.items, loud_case), "dependency_failure")
    assert pushed[0].confidence > plain[0].confidence
    assert "sig_003" in pushed[0].supporting_signals


# --------------------------------------------------------------------------- client namespaces


_SEARCH_CONFIG = {
    "Search": {"Nodes": ["https://search-a.idx.internal:9200", "search-b.idx.internal"]}
}


def _search_503(exception_type: str) -> tuple[Signals, IncidentInput]:
    s = Signals()
    # .NET frames often carry no file: only the exception's namespace says whose client it is.
    s.exception(exception_type, "Status code 503 from: POST /products/_search", [])
    s.anomaly("search_request_duration_p99_ms", 90, 5000)
    return s, incident(config_snapshot=_SEARCH_CONFIG)


def test_cluster_members_listed_as_nodes_name_a_peer() -> None:
    """`section.nodes: [...]` (also servers, brokers, seeds) configures the section's peer."""
    evidence = Evidence.build([], incident(config_snapshot=_SEARCH_CONFIG))
    assert configured_peers(evidence) == {
        "search": ["search-a.idx.internal", "search-b.idx.internal"]
    }
    kafka = {"kafka": {"bootstrap_servers": "broker-1.mq.internal:9092"}}
    evidence = Evidence.build([], incident(config_snapshot=kafka))
    assert configured_peers(evidence) == {"kafka": ["broker-1.mq.internal"]}


def test_server_errors_from_a_configured_peers_client_namespace_blame_that_peer() -> None:
    """A host-less 503 whose exception class lives in the peer's namespace blames the peer,
    and the log and metric rules agree on it."""
    s, case = _search_503("Search.Net.SearchClientException")
    found = by_category(LogAgent().candidates(s.items, case), "dependency_failure")
    assert found and {"search", "search-a.idx.internal"} <= set(found[0].suspects)
    top = ranked(s.items, case)
    assert top[0].category == "dependency_failure"
    assert {"LogAgent", "MetricsAgent"} <= set(top[0].contributing_agents)


def test_an_exception_in_our_own_namespace_does_not_name_a_peer() -> None:
    """The same 503 raised from the app's own namespace is not the client library's."""
    s, case = _search_503("Acme.Catalog.CatalogException")
    assert not by_category(LogAgent().candidates(s.items, case), "dependency_failure")


# --------------------------------------------------------------------------- retries


def _retries_raised(amplified: bool) -> tuple[Signals, IncidentInput]:
    s = Signals()
    s.config_change("providers.email.retries", 0, 2)
    s.dependency("10.4.0.2:53", ["timeout", "dns"])
    if amplified:
        s.template("email send rejected status=429 too many requests", level="WARN")
    return s, incident()


def test_more_retries_alone_do_not_explain_timeouts() -> None:
    """Raising retries multiplies calls; it does not make calls time out. With only
    timeouts to an unrelated host, the log rules do not blame the change."""
    s, case = _retries_raised(amplified=False)
    assert not by_category(LogAgent().candidates(s.items, case), "config_change")


def test_more_retries_explain_the_peer_pushing_back() -> None:
    """Throttling after retries were raised is the amplification the change causes."""
    s, case = _retries_raised(amplified=True)
    found = by_category(LogAgent().candidates(s.items, case), "config_change")
    assert found and found[0].suspects[0] == "providers.email.retries"


# --------------------------------------------------------------------------- request filters


@pytest.mark.parametrize(
    ("key", "logging", "rate_limit"),
    [
        ("edge.access_log.sampling_rate", True, False),
        ("edge.access_log_sample_rate", True, False),
        ("otel.tracing.samplingRate", True, False),
        ("ingress.rate_limit", False, True),
        ("edge.requests_per_second", False, True),
    ],
)
def test_a_sampling_rate_is_logging_not_a_rate_limit(
    key: str, logging: bool, rate_limit: bool
) -> None:
    """How much is logged or traced is no cap on how much traffic passes."""
    assert ("logging" in key_families(key)) is logging
    assert ("rate_limit" in key_families(key)) is rate_limit


def _edge_cpu_after_rules_and_sampling() -> tuple[Signals, IncidentInput]:
    s = Signals()
    s.template(
        "upstream prematurely closed connection while reading response (502)", count_after=40
    )
    s.template(
        'waf-worker[<*>]: level=warn msg="slow rule evaluation" rule_id=<*> elapsed_ms=<*>',
        level="WARN",
    )
    for host in ("edge-ams-1", "edge-fra-2", "edge-iad-3"):
        s.anomaly(f'cpu_utilization{{host="{host}"}}', 45.0, 100.0)
    s.config_change("edge.access_log.sampling_rate", 0.01, 0.02, shas=[SHA_CONFIG])
    s.commit(SHA_CONFIG, "double access-log sampling", config=["edge.yaml"])
    s.config_change("waf.rules.100412.mode", None, "simulate", shas=[SHA_OTHER])
    s.commit(SHA_OTHER, "add rule 100412", config=["rules.yaml"])
    return s, incident()


def test_a_new_waf_rule_outranks_more_log_sampling_for_saturated_edge_cpu() -> None:
    """Every proxy's CPU pinned after a WAF rule and a sampling change: the rule, which runs
    on every request, is the leading change; logging 2 % of requests instead of 1 % is not."""
    s, case = _edge_cpu_after_rules_and_sampling()
    top = ranked(s.items, case)
    changes = [h for h in top if h.category == "config_change"]
    assert "waf.rules.100412.mode" in changes[0].suspects
    sampling = [h for h in changes if "edge.access_log.sampling_rate" in h.suspects]
    assert not sampling or sampling[0].score < changes[0].score


# --------------------------------------------------------------------------- schema locks


def _migration_while_locks(lock: str) -> tuple[Signals, IncidentInput]:
    s = Signals()
    s.template(
        "LOG: process <*> still waiting for <*> on relation <*> of database <*>",
        level="UNKNOWN",
        example=f"LOG:  process 22987 still waiting for {lock} on relation 16421 of database 1",
    )
    s.template("canceling statement due to statement timeout", count_after=80)
    s.commit(
        SHA_BAD,
        "Widen Order.customer_ref to BigIntegerField",
        code=["orders/models.py"],
        migration=["orders/migrations/0142_widen_customer_ref.py"],
    )
    return s, incident()


def _migration_blame(lock: str) -> float:
    s, case = _migration_while_locks(lock)
    blamed = [h for h in CommitAgent().candidates(s.items, case) if SHA_BAD in h.suspects]
    assert blamed, "a migration shipped while locks pile up is always suspected"
    return blamed[0].confidence


def test_waits_for_a_schema_changes_lock_blame_the_migration_more_than_row_locks() -> None:
    """ACCESS EXCLUSIVE is taken only by a schema change (ALTER TABLE): waits for it point at
    the migration more strongly than waits for a row's ShareLock, which any transaction
    takes."""
    assert _migration_blame("AccessExclusiveLock") > _migration_blame("ShareLock") + 0.05


# --------------------------------------------------------------------------- client settings


def _timeouts_calling(host: str) -> tuple[Signals, IncidentInput]:
    s = Signals()
    s.dependency(host, ["timeout"], example=f"GET https://{host}/v1/charge timed out after 800ms")
    s.config_change("http.clients.profile.timeout_ms", 1200, 800, shas=[SHA_CONFIG])
    return s, incident()


@pytest.mark.parametrize(
    ("host", "governs"), [("profile.internal", True), ("live.paynova.com", False)]
)
def test_a_clients_timeout_governs_the_calls_to_that_client_only(host: str, governs: bool) -> None:
    """`clients.profile.timeout_ms` lowered explains timeouts calling profile, not timeouts
    calling the payment gateway."""
    s, case = _timeouts_calling(host)
    support = key_support("http.clients.profile.timeout_ms", Evidence.build(s.items, case))
    assert ("log symptoms this setting governs" in support.reasons) is governs


@pytest.mark.parametrize(
    ("series", "governs"),
    [("profile_client_pending_requests", True), ("checkout_request_queue_depth", False)],
)
def test_a_clients_timeout_moves_only_the_series_naming_that_client(
    series: str, governs: bool
) -> None:
    """Requests queueing for profile are its timeout's doing; the service's own request
    queue, with nothing naming profile, is not."""
    s = Signals()
    s.anomaly(series, 2.0, 80.0, kind="queue")
    s.anomaly(series + "_p99", 2.0, 80.0, kind="queue")
    s.config_change("http.clients.profile.timeout_ms", 1200, 800, shas=[SHA_CONFIG])
    support = key_support("http.clients.profile.timeout_ms", Evidence.build(s.items, incident()))
    assert ("metrics this setting governs moved after it" in support.reasons) is governs
