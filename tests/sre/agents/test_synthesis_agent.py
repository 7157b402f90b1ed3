"""SynthesisAgent: a deterministic summary and concrete next actions per kind of cause."""

from __future__ import annotations

from typing import Any

from sre.agents import SynthesisAgent, synthesize
from tests.sre.builders import SHA_BAD, SHA_CONFIG, Signals, incident, ranked


async def test_code_regression_rolls_back_the_commit_and_names_the_fix() -> None:
    """A blamed commit gives `Roll back <sha> (<deploy>)` and a fix hint from the exception."""
    s = Signals()
    error = s.exception("KeyError", "KeyError: 'sku'", ["checkout/cart.py"])
    top = ranked(
        "Commit 9f3c2ab introduced KeyError in checkout/cart.py",
        "code_regression",
        [SHA_BAD],
        0.95,
        supporting_signals=[error.id],
        contributing_agents=["LogAgent", "CommitAgent"],
    )
    result = await SynthesisAgent()(incident(), s.items, [top])
    assert result.next_actions[0] == "Roll back 9f3c2ab (deploy-xyz)"
    assert "Fix KeyError in checkout/cart.py before redeploying" in result.next_actions
    assert "LogAgent and CommitAgent agree" in result.summary
    assert "high confidence" in result.summary
    assert result.agent_name == "SynthesisAgent"


def test_config_change_restores_the_old_value() -> None:
    """A config suspect gives `Restore <key> <new> -> <old>` with the commit that changed it."""
    s = Signals()
    change = s.config_change("database.pool_size", 50, 5, [SHA_CONFIG])
    top = ranked(
        "database.pool_size lowered 50 -> 5",
        "config_change",
        ["database.pool_size", SHA_CONFIG],
        0.9,
        supporting_signals=[change.id],
    )
    actions = synthesize(incident(), s.items, [top]).next_actions
    assert actions == ["Restore database.pool_size 5 -> 50 (changed in 4be1f0c)"]


def _dependency_actions(
    label: str, score: float, host: str, kinds: list[str], line: str, **errors: Any
) -> list[str]:
    """The actions for a failing host, cited by its dependency errors and a log line naming it."""
    s = Signals()
    dep = s.dependency(host, kinds, **errors)
    text = s.template(line, hosts=[host])
    top = ranked(label, "dependency_failure", [host], score, supporting_signals=[dep.id, text.id])
    return synthesize(incident(), s.items, [top]).next_actions


def test_dependency_failure_pages_the_owners_with_kinds_and_time() -> None:
    """A failing host pages its owners, naming the error kinds and when they began."""
    actions = _dependency_actions(
        "payments.internal failing (timeout)",
        0.7,
        "payments.internal",
        ["timeout"],
        "payment call timed out",
    )
    assert actions[0] == "Page the owners of payments.internal: timeout since 14:03"
    assert actions[1] == "Switch payments.internal to its fallback or open its circuit breaker"


def test_a_throttling_dependency_asks_for_quota_and_backoff_not_a_status_check() -> None:
    """A host answering only 429 gets quota and back-off actions, not "check its status"."""
    actions = _dependency_actions(
        "api.mailvendor.io failing (rate limited)",
        0.6,
        "api.mailvendor.io",
        [],
        "send failed: 429",
        status_codes=[429],
    )
    assert actions[0] == "Ask api.mailvendor.io to raise our rate limit or quota (429 since 14:03)"
    assert actions[1].startswith("Slow our calls to api.mailvendor.io")


def test_each_category_has_concrete_actions() -> None:
    """Database, infra, surge, credentials and exhaustion causes each map to their playbook."""
    cases = {
        "database": "Page the database on-call",
        "infrastructure": "Page the platform/network on-call",
        "traffic_surge": "Scale out checkout-api",
        "certificate_or_credentials": "Rotate the credential used for the failing dependency "
        "and redeploy it",
        "resource_exhaustion": "Scale out checkout-api, or restart the affected instances of "
        "checkout-api",
    }
    for category, expected in cases.items():
        actions = synthesize(incident(), [], [ranked("cause", category, ["x"], 0.8)]).next_actions
        assert expected in actions, category


def test_a_close_runner_up_also_gets_actions_and_thin_evidence_says_so() -> None:
    """Two causes within 0.1 both get actions; a top score below 0.5 asks for confirmation."""
    first = ranked("a.b changed", "dependency_failure", ["db-proxy"], 0.45)
    second = ranked("other", "database", ["pg-1"], 0.4, rank=2)
    actions = synthesize(incident(), [], [first, second]).next_actions
    assert any("db-proxy" in a for a in actions)
    assert "Page the database on-call" in actions
    assert actions[-1].startswith("Confirm with the service owner")
    assert len(actions) <= 5


def test_no_hypothesis_gives_a_manual_investigation_summary() -> None:
    """With nothing ranked, the summary says so and the actions are generic but concrete."""
    result = synthesize(incident(), [], [])
    assert "No root cause stood out" in result.summary
    assert result.next_actions[0].startswith("Review the error logs of checkout-api")


def test_several_keys_of_one_commit_restore_the_lead_and_revert_the_rest() -> None:
    """The lead key is restored; the other keys of its commit are covered by a revert."""
    s = Signals()
    lead = s.config_change("clients.ledger.timeout_ms", 5000, 250, [SHA_CONFIG])
    other = s.config_change("clients.fx.timeout_ms", 3000, 1000, [SHA_CONFIG])
    top = ranked(
        "clients.ledger.timeout_ms lowered 5000 -> 250",
        "config_change",
        ["clients.ledger.timeout_ms", SHA_CONFIG, "clients.fx.timeout_ms"],
        0.9,
        supporting_signals=[lead.id, other.id],
    )
    assert synthesize(incident(), s.items, [top]).next_actions == [
        "Restore clients.ledger.timeout_ms 250 -> 5000 (changed in 4be1f0c)",
        "Revert commit 4be1f0c (it also changed clients.fx.timeout_ms)",
    ]


def test_metric_suspects_are_not_treated_as_hosts() -> None:
    """A database cause named by a metric checks the database and watches the metric."""
    s = Signals()
    lag = s.anomaly("mysql_replica_lag_seconds", 0.5, 340)
    top = ranked(
        "Database degraded",
        "database",
        ["mysql_replica_lag_seconds"],
        0.6,
        supporting_signals=[lag.id],
    )
    actions = synthesize(incident(), s.items, [top]).next_actions
    assert actions[0] == (
        "Send reads to the primary or take the lagging replica of the database out of "
        "rotation (watch mysql_replica_lag_seconds)"
    )
