"""Which secret a refused credential comes from (`sre.agents.credentials`), and the
refusal hypotheses naming it first."""

from __future__ import annotations

from typing import Any

from sre.agents.base import Evidence
from sre.agents.credentials import credential_refs
from sre.agents.platform_agent import PlatformAgent
from tests.sre.builders import Signals, incident

BILLING_AND_SEARCH = {
    "billing_api": {"db": {"host": "billing-db.prod.internal", "secret_id": "prod/billing/pg"}},
    "search_api": {"es": {"host": "es.prod.internal", "secret_id": "prod/search/es"}},
}


def _refs(config: dict[str, Any], words: set[str]) -> list[str]:
    return credential_refs(Evidence.build([], incident(config_snapshot=config)), words)


def test_the_reference_sharing_the_refusals_words_comes_first() -> None:
    """A login refused by the billing database names the billing secret, not the search one."""
    assert _refs(BILLING_AND_SEARCH, {"billing", "db"}) == ["prod/billing/pg"]
    assert _refs(BILLING_AND_SEARCH, {"search", "billing", "db"}) == [
        "prod/billing/pg",
        "prod/search/es",
    ]


def test_a_reference_sharing_no_word_is_not_named() -> None:
    """The config's secrets unrelated to the refusal are no suspects."""
    assert _refs(BILLING_AND_SEARCH, {"payments", "ledger"}) == []


def test_kubernetes_references_by_key_list_and_kind_prefix() -> None:
    """`secretName` beside a certificate's `dnsNames`, `imagePullSecrets` entries and
    `envFrom: secret/<name>` are references; the words of the settings beside them count."""
    config = {
        "certificate/gateway/api-public-tls": {
            "dnsNames": ["api.acme-app.com"],
            "secretName": "api-public-tls",
        },
        "orders-api": {
            "imagePullSecrets": ["ecr-registry-creds"],
            "envFrom": ["secret/orders-db-credentials", "configmap/orders-env"],
        },
    }
    assert _refs(config, {"acme"}) == ["api-public-tls"]
    assert set(_refs(config, {"orders"})) == {"ecr-registry-creds", "orders-db-credentials"}


def test_a_value_the_redaction_boundary_would_hide_is_never_named() -> None:
    """A random-looking entry under a secrets list may be the secret itself."""
    config = {"orders-api": {"imagePullSecrets": ["kJ8sd7F6gH5jK4lZ3xC2vB1nM0qW9eR8"]}}
    assert _refs(config, {"orders"}) == []


def test_a_refused_login_names_the_secret_behind_it_first() -> None:
    """`password authentication failed` from the billing database: the secret the billing
    API reads is what to rotate, so it leads the suspects, before the database."""
    s = Signals()
    s.signature(
        "auth_failed",
        "certificate_or_credentials",
        'FATAL: password authentication failed for user "billing_app"',
        family="auth",
        obj="billing-db.prod.internal",
        emitter="billing-api",
    )
    case = incident(deployed_at=None, config_snapshot=BILLING_AND_SEARCH)
    found = [
        h
        for h in PlatformAgent().candidates(s.items, case)
        if h.category == "certificate_or_credentials"
    ]
    assert found and found[0].suspects[:2] == ["prod/billing/pg", "billing-db.prod.internal"]
