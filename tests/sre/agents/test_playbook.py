"""The next-actions table: category and evidence to actions, no repeats, no deploy advice
without a deploy, endpoints merged across IP and name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sre.agents.cues import Endpoint, lock_waits, merge_endpoints, migration_of
from sre.agents.synthesis_agent import PLAYBOOK, synthesize
from sre.engine import investigate
from sre.payload import load_payload
from sre.taxonomy import VALID_CATEGORIES
from tests.sre.builders import SHA_BAD, SHA_CONFIG, Signals, incident, ranked

HELDOUT = Path(__file__).parents[1]


def no_deploy(**overrides: Any) -> Any:
    """An incident that started from an alert: no `deployed_at`, no recent commits."""
    return incident(deployed_at=None, recent_commits=[], deployment_id="alert-4411", **overrides)


def test_every_category_of_the_taxonomy_has_a_row() -> None:
    """The table covers every root-cause category the judge accepts."""
    assert set(PLAYBOOK) == set(VALID_CATEGORIES) - {"unknown"}


def test_a_tie_is_said_in_the_summary_and_both_causes_get_actions() -> None:
    """Two causes with the same shown score are called a tie; actions cover both."""
    s = Signals()
    change = s.config_change("database.pool_size", 50, 10, [SHA_CONFIG])
    first = ranked(
        "database.pool_size lowered 50 -> 10",
        "config_change",
        ["database.pool_size"],
        1.0,
        supporting_signals=[change.id],
    )
    second = ranked("Commit 9f3c2ab regressed", "code_regression", [SHA_BAD], 0.998, rank=2)
    result = synthesize(incident(), s.items, [first, second])
    assert "Two causes tie at score 1.00" in result.summary
    assert result.next_actions == [
        "Restore database.pool_size 10 -> 50 (changed in 4be1f0c)",
        "Roll back 9f3c2ab (deploy-xyz)",
    ]


def test_revert_and_roll_back_of_one_commit_give_one_action() -> None:
    """A config cause reverting a commit and a code cause rolling it back: one action."""
    s = Signals()
    lead = s.config_change("database.pool_size", 50, 10, [SHA_CONFIG])
    other = s.config_change("database.max_overflow", 20, 0, [SHA_CONFIG])
    config = ranked(
        "database.pool_size lowered",
        "config_change",
        ["database.pool_size", SHA_CONFIG, "database.max_overflow"],
        1.0,
        supporting_signals=[lead.id, other.id],
    )
    code = ranked("Commit 4be1f0c regressed", "code_regression", [SHA_CONFIG], 1.0, rank=2)
    actions = synthesize(incident(), s.items, [config, code]).next_actions
    assert actions == [
        "Restore database.pool_size 10 -> 50 (changed in 4be1f0c)",
        "Revert commit 4be1f0c (it also changed database.max_overflow)",
    ]


def test_without_a_deploy_nothing_is_said_or_advised_about_one() -> None:
    """No deployed_at and no commits: no rollback, and the summary names no deployment."""
    s = Signals()
    error = s.exception("KeyError", "KeyError: 'sku'", ["checkout/cart.py"])
    top = ranked(
        "KeyError in checkout/cart.py", "code_regression", [], 0.8, supporting_signals=[error.id]
    )
    result = synthesize(no_deploy(), s.items, [top])
    text = " ".join([result.summary, *result.next_actions]).lower()
    assert "deploy" not in text
    assert "roll back" not in text
    assert result.next_actions == ["Fix KeyError in checkout/cart.py"]
    assert result.summary.startswith("1 signal in checkout-api (alert-4411).")
    empty = synthesize(no_deploy(), [], [])
    assert not any("roll" in a.lower() for a in empty.next_actions)


def test_with_a_deploy_and_no_blamed_commit_the_deployment_is_rolled_back() -> None:
    """A code cause with a deploy but no commit suspect rolls back the deployment."""
    top = ranked("Errors after the deploy", "code_regression", [], 0.7)
    assert synthesize(incident(), [], [top]).next_actions == ["Roll back deploy-xyz"]


def test_a_migration_holding_a_lock_cancels_the_blocker_instead_of_a_rollback() -> None:
    """Lock waits plus a migration in the blamed commit: cancel the backend, rebuild
    concurrently, and no "Roll back" (it would not release the lock)."""
    s = Signals()
    s.commit(SHA_BAD, "Speed up email lookup", migration=["accounts/migrations/0087_email_idx.py"])
    locks = s.template("canceling statement due to lock timeout")
    top = ranked(
        "Commit 9f3c2ab regressed the failing path",
        "code_regression",
        [SHA_BAD],
        0.76,
        supporting_signals=[locks.id],
    )
    patch = "+        migrations.AddIndex(model_name='user', index=models.Index(Lower('email')))"
    payload = incident(
        recent_commits=[
            {
                "sha": SHA_BAD,
                "message": "Speed up email lookup",
                "files": [{"filename": "accounts/migrations/0087_email_idx.py", "patch": patch}],
            }
        ]
    )
    actions = synthesize(payload, s.items, [top]).next_actions
    assert actions[0].startswith("Cancel the backend running migration 0087_email_idx")
    assert "pg_blocking_pids()" in actions[0]
    assert actions[1].startswith("Rebuild the index of 0087_email_idx concurrently")
    assert not any(a.startswith("Roll back") for a in actions)


def test_a_migration_without_lock_waits_is_rolled_back_as_usual() -> None:
    """A migration alone is no lock: the blamed commit is rolled back."""
    s = Signals()
    s.commit(SHA_BAD, "Add column", migration=["db/migrate/20260101_add_col.rb"])
    top = ranked("Commit 9f3c2ab regressed", "code_regression", [SHA_BAD], 0.8)
    assert (
        synthesize(incident(), s.items, [top]).next_actions[0] == "Roll back 9f3c2ab (deploy-xyz)"
    )


def test_lock_waits_in_a_database_cause_cancel_the_blocking_query() -> None:
    """A database cause whose evidence shows lock waits: cancel the blocking query first."""
    s = Signals()
    locks = s.template("Lock wait timeout exceeded; try restarting transaction")
    top = ranked(
        "Queries wait on locks",
        "database",
        ["pg-main.internal"],
        0.8,
        supporting_signals=[locks.id],
    )
    actions = synthesize(incident(), s.items, [top]).next_actions
    assert actions[0].startswith("Cancel the blocking query on pg-main.internal")
    assert actions[1] == "Page the database on-call"


def test_one_endpoint_under_an_ip_and_a_name_is_paged_once() -> None:
    """An IP and a host name a log line names together (same port) are one endpoint."""
    s = Signals()
    line = (
        'level=error msg="cache get failed" err="dial tcp 10.42.7.19:6379: connect: connection '
        'refused" addr=redis-cart-0.cache.svc:6379'
    )
    by_ip = s.dependency("10.42.7.19:6379", ["connection_refused"], example=line)
    by_name = s.dependency("redis-cart-0.cache.svc:6379", ["connection_refused"], example=line)
    text = s.template(line, hosts=["10.42.7.19:6379", "redis-cart-0.cache.svc:6379"])
    top = ranked(
        "10.42.7.19:6379 failing (refused)",
        "dependency_failure",
        ["10.42.7.19:6379", "redis-cart-0.cache.svc:6379"],
        0.66,
        supporting_signals=[by_ip.id, by_name.id, text.id],
    )
    actions = synthesize(incident(), s.items, [top]).next_actions
    assert actions == [
        "Page the owners of redis-cart-0.cache.svc:6379 (10.42.7.19:6379): connection refused "
        "since 14:03",
        "Switch redis-cart-0.cache.svc:6379 to its fallback or open its circuit breaker",
    ]


def test_endpoints_are_not_merged_without_a_line_naming_both() -> None:
    """Two endpoints on one port that no line connects stay two."""
    s = Signals()
    s.template("dial tcp 10.0.0.9:6379: refused", hosts=["10.0.0.9:6379"])
    s.template("timeout talking to cache-b:6379", hosts=["cache-b:6379"])
    merged = merge_endpoints(["10.0.0.9:6379", "cache-b:6379", "cache-b"], s.items)
    assert merged == [Endpoint("10.0.0.9:6379"), Endpoint("cache-b:6379", ("cache-b",))]


def test_an_expired_certificate_is_renewed_and_a_refused_credential_rotated() -> None:
    """TLS signatures ask for a renewal, refused logins (401) for a rotation of the key."""
    s = Signals()
    from sre.signals.values import SignatureValue

    tls = s.add(
        SignatureValue(
            kind="tls_expired",
            family="tls",
            category="certificate_or_credentials",
            strength=0.9,
            summary="a TLS certificate expired",
            obj="api.carrier.com",
            emitter=None,
            count_before=0,
            count_after=12,
            trend="new",
            first_seen=None,
            example="x509: certificate has expired",
            template="x509: certificate has expired",
            hosts=["api.carrier.com"],
            obj_active=None,
        )
    )
    cert = ranked(
        "A TLS certificate expired",
        "certificate_or_credentials",
        ["api.carrier.com", "carriers.client_cert"],
        0.9,
        supporting_signals=[tls.id],
    )
    payload = incident(config_snapshot={"carriers": {"client_cert": "/etc/cert.pem"}})
    assert synthesize(payload, s.items, [cert]).next_actions == [
        "Renew the TLS certificate used for api.carrier.com (carriers.client_cert)"
    ]
    refused = Signals()
    denied = refused.template("login to ledger failed: 401 Unauthorized", status_codes=[401])
    creds = ranked(
        "Credentials rejected",
        "certificate_or_credentials",
        ["ledger.api_key"],
        0.7,
        supporting_signals=[denied.id],
    )
    payload = incident(config_snapshot={"ledger": {"api_key": "[hidden]"}})
    assert synthesize(payload, refused.items, [creds]).next_actions == [
        "Rotate ledger.api_key and redeploy it (HTTP 401)"
    ]


def test_an_added_key_is_removed_not_restored_from_unset() -> None:
    """A key that did not exist before is removed: no "unset ->" in an action."""
    s = Signals()
    added = s.config_change("features.rerank", None, True, [SHA_CONFIG])
    top = ranked(
        "features.rerank added",
        "config_change",
        ["features.rerank"],
        0.9,
        supporting_signals=[added.id],
    )
    actions = synthesize(incident(), s.items, [top]).next_actions
    assert actions == ["Remove features.rerank (added as true)"]


def test_a_generic_action_yields_to_a_specific_one_of_the_same_verb() -> None:
    """Two credential causes, one naming the key: one rotation, the specific one."""
    first = ranked("Credentials rejected", "certificate_or_credentials", ["aws.role"], 0.58)
    second = ranked("Credentials are refused", "certificate_or_credentials", [], 0.58, rank=2)
    payload = incident(config_snapshot={"aws": {"role": "reader"}})
    assert synthesize(payload, [], [first, second]).next_actions == [
        "Rotate aws.role and redeploy it"
    ]


def test_a_dns_failure_names_the_resolver_apart_from_the_names() -> None:
    """A resolver address (port 53) is what to check; the other hosts are what fails."""
    top = ranked(
        "Names do not resolve",
        "infrastructure",
        ["dns", "pricing.internal", "10.96.0.10:53"],
        0.9,
    )
    s = Signals()
    from sre.signals.values import SignatureValue

    sig = s.add(
        SignatureValue(
            kind="dns_failure",
            family="dns",
            category="infrastructure",
            strength=0.9,
            summary="names do not resolve",
            obj=None,
            emitter=None,
            count_before=0,
            count_after=40,
            trend="new",
            first_seen=None,
            example="lookup pricing.internal on 10.96.0.10:53: no such host",
            template="lookup <*> on <*>: no such host",
            hosts=[],
            obj_active=None,
        )
    )
    top = top.model_copy(update={"supporting_signals": [sig.id]})
    assert synthesize(incident(), s.items, [top]).next_actions == [
        "Page the platform/network on-call",
        "Check the DNS resolvers (10.96.0.10:53) and CoreDNS: pricing.internal do not resolve",
    ]


@pytest.mark.parametrize(
    ("path", "first", "absent"),
    [
        (
            "heldout2/accounts-login-writes-blocked.json",
            "Cancel the backend running migration 0087_user_email_lower_idx",
            "Roll back",
        ),
        (
            "../../sre/scenarios/cart-redis-refused.json",
            "Page the owners of redis-cart-0",
            "10.42.7.19:6379 failing",
        ),
        ("../../sre/scenarios/incident_b.json", "Restore database.pool_size 10 -> 50", "Roll back"),
    ],
)
async def test_the_engine_advises_by_cause_on_recorded_incidents(
    path: str, first: str, absent: str
) -> None:
    """End to end: the advice of three real payloads follows their cause, without repeats."""
    payload = load_payload(str((HELDOUT / path).resolve())).incident
    result = await investigate(payload)
    assert result.next_actions[0].startswith(first)
    assert not any(absent in a for a in result.next_actions)
    assert len(result.next_actions) == len(set(result.next_actions))


def test_cues_read_lock_waits_and_migrations() -> None:
    """Lock waits come from text or metrics; a migration from the commit's file kinds."""
    s = Signals()
    assert not lock_waits(s.items)
    s.anomaly("pg_locks_waiting", 0, 56)
    assert lock_waits(s.items)
    commit = s.commit(SHA_BAD, "m", migration=["app/migrations/0002_idx.py"])
    found = migration_of(SHA_BAD[:7], [commit], incident())
    assert found is not None and found.name == "0002_idx" and found.builds_index
    assert migration_of(SHA_CONFIG, [commit], incident()) is None
