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

from alpha.aggregator import Aggregator
from alpha.schemas import AgentResult, IncidentInput, RankedHypothesis, Signal
from sre.agents import CommitAgent, ConfigAgent, LogAgent, MetricsAgent
from sre.agents.base import Evidence
from sre.agents.bumps import bump_links, bumped_packages
from sre.agents.hosts import configured_peers, is_db_host
from sre.agents.patterns import key_families, symptoms_in
from sre.agents.reading import text_hosts
from tests.sre.test_agents_base import (
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
    results = [
        AgentResult(agent_name=a.name, hypotheses=a.candidates(signals, case)) for a in AGENTS
    ]
    return Aggregator().aggregate(results)


# --------------------------------------------------------------------------- logging -> disk


@pytest.mark.parametrize(
    ("key", "family"),
    [
        ("logging.level", True),
        ("log.level", True),
        ("app.logger.level", True),
        ("logs.retention_days", True),
        ("logging.rotate_mb", True),
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
    assert [link.commit.value["sha"] for link in bump_links(Evidence.build(s.items, case))] == [
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
