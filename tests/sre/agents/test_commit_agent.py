"""CommitAgent rules: blame needs specific evidence; innocent recent commits stay innocent."""

from __future__ import annotations

from sre.agents import CommitAgent
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

AGENT = CommitAgent()


def test_frames_in_changed_files_blame_the_commit_with_high_confidence() -> None:
    """A new NPE whose frames are in a file the commit changed is a strong code_regression."""
    s = Signals()
    s.exception(
        "java.lang.NullPointerException",
        "Cannot invoke getQuantity() because stock is null",
        ["src/main/java/com/shop/inventory/BundleReservation.java"],
    )
    s.commit(
        SHA_BAD,
        "Reserve bundle SKUs component by component",
        code=["src/main/java/com/shop/inventory/BundleReservation.java"],
    )
    s.commit(SHA_OTHER, "Rename metrics tag", code=["src/main/java/com/shop/metrics/Tags.java"])
    found = AGENT.candidates(s.items, incident())
    assert found[0].category == "code_regression"
    assert found[0].suspects == [SHA_BAD]
    assert found[0].confidence >= 0.6
    assert SHA_OTHER not in blamed_shas(found)


def test_docs_only_and_unrelated_commits_are_not_blamed_for_a_dependency_outage() -> None:
    """With only timeouts to a host, docs, dependency and unrelated code commits stay clear."""
    s = Signals()
    s.dependency("api.paygate.io", ["timeout"])
    s.template(
        "capture failed",
        exception_types=["requests.exceptions.ReadTimeout"],
        files=["payments/processor.py"],
    )
    s.commit(SHA_DOCS, "ADR: idempotency keys", docs=["docs/adr/0012.md"])
    s.commit(SHA_DEP, "Bump pydantic-settings from 2.3.4 to 2.4.0", dependency=["poetry.lock"])
    s.commit(SHA_OTHER, "Stream CSV export", code=["payments/reports/export.py"])
    assert AGENT.candidates(s.items, incident()) == []


def test_dependency_bump_is_blamed_only_when_the_library_is_in_the_stack() -> None:
    """A bump of jackson is blamed for errors raised inside jackson, not for others."""
    in_stack = Signals()
    in_stack.exception(
        "com.fasterxml.jackson.databind.exc.MismatchedInputException",
        "Cannot deserialize value",
        ["com/fasterxml/jackson/databind/DeserializationContext.java"],
    )
    in_stack.commit(SHA_DEP, "Upgrade jackson-databind to 2.17.2", dependency=["pom.xml"])
    elsewhere = Signals()
    elsewhere.exception("java.lang.IllegalStateException", "bad state", ["com/shop/Cart.java"])
    elsewhere.commit(SHA_DEP, "Upgrade jackson-databind to 2.17.2", dependency=["pom.xml"])
    assert blamed_shas(AGENT.candidates(in_stack.items, incident())) == {SHA_DEP}
    assert blamed_shas(AGENT.candidates(elsewhere.items, incident())) == set()


def test_a_commit_that_changed_a_relevant_key_is_blamed_as_config_change() -> None:
    """The commit that lowered the pool is a config_change suspect with the key."""
    s = Signals()
    s.template("QueuePool limit of size 5 overflow 0 reached, connection timed out")
    s.config_change("database.pool_size", 50, 5, [SHA_CONFIG])
    s.commit(
        SHA_CONFIG,
        "Lower DB pool size",
        config=["config/production.yaml"],
        config_keys=["database.pool_size"],
    )
    found = by_category(AGENT.candidates(s.items, incident()), "config_change")
    assert found and found[0].suspects[:2] == ["database.pool_size", SHA_CONFIG]


def test_a_config_commit_whose_keys_explain_nothing_is_not_blamed() -> None:
    """A log-level change does not explain connection refusals to a cache."""
    s = Signals()
    s.dependency("redis-cart:6379", ["connection_refused"])
    s.config_change("logging.format", "text", "json", [SHA_CONFIG])
    s.commit(SHA_CONFIG, "JSON logs", config=["config/app.yaml"], config_keys=["logging.format"])
    assert AGENT.candidates(s.items, incident()) == []


def test_the_only_code_change_is_a_moderate_suspect_for_new_program_errors() -> None:
    """New TypeErrors with no frames and one code commit: blamed, but not strongly."""
    s = Signals()
    s.template("push delivery failed", exception_types=["TypeError"])
    s.commit(SHA_BAD, "Move template rendering", code=["src/render.js"])
    s.commit(SHA_DOCS, "docs", docs=["docs/a.md"])
    found = AGENT.candidates(s.items, incident())
    assert [h.suspects for h in found] == [[SHA_BAD]]
    assert 0.35 <= found[0].confidence <= 0.55


def test_data_access_code_with_rising_database_load_is_blamed() -> None:
    """A serializer change plus database load rising after the deploy blames the commit."""
    s = Signals()
    s.anomaly("db_queries_per_second", 300, 4200)
    s.anomaly("http_requests_per_second", 100, 104)
    s.commit(SHA_BAD, "Show thumbnails in order history", code=["orders/serializers.py"])
    s.commit(SHA_OTHER, "Move refund emails", code=["refunds/emails.py"])
    found = AGENT.candidates(s.items, incident())
    assert blamed_shas(found) == {SHA_BAD}
    assert found[0].category == "code_regression"


def test_trouble_long_after_the_deploy_weakens_the_blame() -> None:
    """The same evidence against a commit weighs less when the incident began a day later."""
    s = Signals()
    s.exception("KeyError", "KeyError: 'sku'", ["checkout/cart.py"])
    s.commit(SHA_BAD, "Rework cart", code=["checkout/cart.py"])
    fresh = AGENT.candidates(s.items, incident())[0]
    stale = AGENT.candidates(s.items, incident(incident_started_at="2026-11-21T14:00:00Z"))[0]
    assert stale.confidence < fresh.confidence


def test_model_is_the_configured_default() -> None:
    """CommitAgent keeps its default model id for the later LLM mode."""
    assert AGENT.model == "anthropic/claude-sonnet-4-6"
    assert AGENT.name == "CommitAgent"


def test_an_http_library_bump_is_not_blamed_for_timeouts_raised_through_it() -> None:
    """requests is in the stack of every ReadTimeout: its bump is not the cause of one."""
    s = Signals()
    s.exception(
        "requests.exceptions.ReadTimeout",
        "HTTPSConnectionPool(host='api.paygate.io', port=443): Read timed out.",
        ["payments/processor.py", "site-packages/requests/adapters.py"],
    )
    s.commit(SHA_DEP, "Bump requests from 2.31.0 to 2.32.3", dependency=["requirements.txt"])
    assert AGENT.candidates(s.items, incident()) == []


def test_an_unattributed_key_falls_back_to_the_commit_that_touched_config() -> None:
    """With no patch to say which commit set a key, the one config-touching commit is named."""
    s = Signals()
    s.template("429 Too Many Requests client=partner-x", status_codes=[429])
    s.config_change("ratelimit.partner_rps", 500, 50)
    s.commit(SHA_CONFIG, "Tighten partner limits", config=["config/gateway.yaml"])
    found = by_category(AGENT.candidates(s.items, incident()), "config_change")
    assert found and found[0].suspects[:2] == ["ratelimit.partner_rps", SHA_CONFIG]


def test_a_logging_only_commit_is_not_blamed_for_lock_waits_through_its_file() -> None:
    """Lock timeouts passing through a file whose commit only changed log calls blame nobody."""
    s = Signals()
    s.template(
        "orders/repository.py:88 update failed: canceling statement due to lock timeout",
        files=["orders/repository.py"],
    )
    s.anomaly("db_lock_waits", 1, 40)
    s.commit(
        SHA_BAD,
        "Log the customer id on update failures",
        code=["orders/repository.py"],
        observability_only=True,
    )
    assert blamed_shas(AGENT.candidates(s.items, incident())) == set()


def test_the_same_file_changed_for_real_is_still_blamed_for_the_lock_waits() -> None:
    """Lock timeouts through a data-access file a behavioural commit changed blame it."""
    s = Signals()
    s.template(
        "orders/repository.py:88 update failed: canceling statement due to lock timeout",
        files=["orders/repository.py"],
    )
    s.anomaly("db_lock_waits", 1, 40)
    s.commit(SHA_BAD, "Batch order updates", code=["orders/repository.py"])
    assert blamed_shas(AGENT.candidates(s.items, incident())) == {SHA_BAD}


def test_a_logging_only_commit_is_blamed_at_reduced_weight_for_errors_in_its_file() -> None:
    """A new TypeError in the file of a logging-only change blames it, below a real change."""
    logging_only = Signals()
    logging_only.exception("TypeError", "TypeError: bad format", ["/srv/app/orders/repository.py"])
    logging_only.commit(
        SHA_BAD, "Log order totals", code=["orders/repository.py"], observability_only=True
    )
    real = Signals()
    real.exception("TypeError", "TypeError: bad format", ["/srv/app/orders/repository.py"])
    real.commit(SHA_BAD, "Compute order totals", code=["orders/repository.py"])
    weak = by_category(AGENT.candidates(logging_only.items, incident()), "code_regression")
    strong = by_category(AGENT.candidates(real.items, incident()), "code_regression")
    assert weak and weak[0].suspects == [SHA_BAD]
    assert weak[0].confidence < strong[0].confidence


def test_a_data_access_change_is_not_blamed_for_database_load_a_day_later() -> None:
    """DB load rising right after a repository change blames it; two days later it does not."""
    s = Signals()
    s.anomaly("db_queries_per_second", 200, 900)
    s.commit(SHA_BAD, "Batch order updates", code=["orders/repository.py"])
    fresh = AGENT.candidates(s.items, incident())
    late = AGENT.candidates(s.items, incident(incident_started_at="2026-11-22T14:10:00Z"))
    assert blamed_shas(fresh) == {SHA_BAD}
    assert blamed_shas(late) == set()


def test_a_commit_that_only_changed_a_caller_frame_weighs_less_than_the_raising_file() -> None:
    """A TypeError raised in tiers.js blames the commit to tiers.js more than one to the caller."""
    frames = ["/srv/app/src/quotes/tiers.js", "/srv/app/src/quotes/router.js"]
    raising = Signals()
    raising.exception("TypeError", "Cannot read properties of undefined", frames)
    raising.commit(SHA_BAD, "Rework tier lookup", code=["src/quotes/tiers.js"])
    caller = Signals()
    caller.exception("TypeError", "Cannot read properties of undefined", frames)
    caller.commit(SHA_BAD, "Tidy quote routing", code=["src/quotes/router.js"])
    strong = by_category(AGENT.candidates(raising.items, incident()), "code_regression")
    weak = by_category(AGENT.candidates(caller.items, incident()), "code_regression")
    assert strong and weak and weak[0].suspects == [SHA_BAD]
    assert weak[0].confidence < strong[0].confidence
