"""Tests of the config extractor: the diff, commit attribution and risky values."""

from __future__ import annotations

from typing import Any

from alpha.schemas import IncidentInput
from sre.extractors.config import ConfigChange, diff_config, extract_config, flatten_config


def _incident(
    current: dict[str, Any], previous: dict[str, Any] | None = None, **extra: Any
) -> IncidentInput:
    return IncidentInput.model_validate(
        {
            "deployment_id": "deploy-1",
            "logs": [],
            "metrics": {},
            "recent_commits": extra.pop("commits", []),
            "config_snapshot": current,
            "previous_config_snapshot": previous,
            **extra,
        }
    )


def _commit(sha: str, message: str, filename: str, patch: str) -> dict[str, Any]:
    """A commit payload that changes one file with `patch`."""
    return {"sha": sha, "message": message, "files": [{"filename": filename, "patch": patch}]}


def _by_key(extraction_findings: list[Any], kind: str) -> dict[str, Any]:
    return {f.value.key: f.value for f in extraction_findings if f.type == kind}


def test_flatten_nested_dicts_with_dotted_keys() -> None:
    """Nested objects become dotted keys; lists and empty objects stay leaf values."""
    flat = flatten_config({"a": {"b": {"c": 1}, "l": [1, 2]}, "e": {}, "x": None})
    assert flat == {"a.b.c": 1, "a.l": [1, 2], "e": {}, "x": None}


def test_diff_reports_modified_added_and_removed_sorted() -> None:
    """The diff finds nested modifications, additions and removals, sorted by key."""
    previous = {"database": {"pool_size": 50, "host": "pg"}, "cache": {"ttl": 300}}
    current = {"database": {"pool_size": 5, "host": "pg", "ssl": True}}
    assert diff_config(previous, current) == [
        ConfigChange("cache.ttl", 300, None, "removed", None),
        ConfigChange("database.pool_size", 50, 5, "modified", 0.1),
        ConfigChange("database.ssl", None, True, "added", None),
    ]


def test_lists_are_compared_as_values_and_bool_is_not_one() -> None:
    """A reordered list is a change; `1 -> true` is a change although 1 == True in Python."""
    changes = diff_config({"a": [1, 2], "b": 1, "c": 2.0}, {"a": [2, 1], "b": True, "c": 2})
    assert [c.key for c in changes] == ["a", "b"]


def test_dict_order_does_not_change_the_diff() -> None:
    """Snapshots with the same content in another key order give the same findings."""
    previous = {"b": {"y": 1, "x": 2}, "a": 1}
    current = {"a": 2, "b": {"x": 3, "y": 1}}
    forward = extract_config(_incident(current, previous)).findings
    backward = extract_config(
        _incident({"b": {"y": 1, "x": 3}, "a": 2}, {"a": 1, "b": {"x": 2, "y": 1}})
    ).findings
    assert forward == backward


def test_change_description_reads_like_a_human_wrote_it() -> None:
    """A numeric change shows old, new and the ratio."""
    extraction = extract_config(
        _incident({"database": {"pool_size": 5}}, {"database": {"pool_size": 50}})
    )
    change = next(f for f in extraction.findings if f.type == "config_change")
    assert change.description == "database.pool_size changed 50 -> 5 (x0.1)"
    assert change.value.ratio == 0.1
    assert change.severity == "high"


def test_commit_attributed_by_leaf_key_on_a_changed_patch_line() -> None:
    """A commit whose patch changes `pool_size:` is attributed; one only mentioning it is not."""
    touching = _commit(
        "4be1f0c1",
        "Lower DB pool",
        "config/production.yaml",
        "@@ -1,3 +1,3 @@\n database:\n-  pool_size: 50\n+  pool_size: 5",
    )
    context_only = _commit(
        "aaaaaaa1", "Unrelated", "config/production.yaml", " pool_size: 50\n+debug: false"
    )
    docs = _commit("bbbbbbb1", "Docs", "docs/db.md", "+pool_size: tune it")
    extraction = extract_config(
        _incident(
            {"database": {"pool_size": 5}},
            {"database": {"pool_size": 50}},
            commits=[touching, context_only, docs],
        )
    )
    assert extraction.commit_shas == {"database.pool_size": ["4be1f0c1"]}
    assert "in commit 4be1f0c" in extraction.findings[0].description


def test_env_style_and_kebab_spellings_of_the_leaf_count() -> None:
    """`DB_MAX_POOL_SIZE=5` and `max-pool-size: 5` both touch `max_pool_size`."""
    commits = [
        _commit("1111111", "env", ".env.prod", "-DB_MAX_POOL_SIZE=50\n+DB_MAX_POOL_SIZE=5"),
        _commit("2222222", "yaml", "app.yaml", "+  max-pool-size: 5"),
    ]
    extraction = extract_config(
        _incident({"db": {"max_pool_size": 5}}, {"db": {"max_pool_size": 50}}, commits=commits)
    )
    assert extraction.commit_shas["db.max_pool_size"] == ["1111111", "2222222"]


def test_short_leaf_needs_its_parent_or_value_in_the_patch() -> None:
    """A short leaf (`size`) alone on a changed line does not attribute the commit."""
    unrelated = _commit("3333333", "x", "ui.yaml", "+size: 12")
    related = _commit("4444444", "y", "cache.yaml", " cache:\n+  size: 64")
    extraction = extract_config(
        _incident({"cache": {"size": 64}}, {"cache": {"size": 128}}, commits=[unrelated, related])
    )
    assert extraction.commit_shas["cache.size"] == ["4444444"]


def test_patchless_config_file_named_like_the_section_is_attributed() -> None:
    """Without a patch, `config/database.yml` is taken to change `database.*` keys."""
    commit = {"sha": "5555555", "message": "db", "files": ["config/database.yml", "app/x.py"]}
    extraction = extract_config(
        _incident(
            {"database": {"timeout_ms": 10}}, {"database": {"timeout_ms": 1000}}, commits=[commit]
        )
    )
    assert extraction.commit_shas["database.timeout_ms"] == ["5555555"]


def test_patchless_whole_config_files_are_attributed_for_any_section() -> None:
    """Without a patch, `deploy/values-production.yaml` or `<service>.toml` may hold any key."""
    generic = {"sha": "6666666", "message": "tune", "files": ["deploy/values-production.yaml"]}
    named = {"sha": "7777777", "message": "tune", "files": ["conf/ledger-worker.toml"]}
    for commit in (generic, named):
        extraction = extract_config(
            _incident(
                {"queue": {"max_batch": 10}},
                {"queue": {"max_batch": 500}},
                commits=[commit],
                service="ledger-worker",
                environment="production",
            )
        )
        assert extraction.commit_shas["queue.max_batch"] == [commit["sha"]]
        change = _by_key(extraction.findings, "config_change")["queue.max_batch"]
        assert change.commit_shas == [commit["sha"]]


def test_patchless_config_files_of_other_sections_are_not_attributed() -> None:
    """A patchless `config/locales.yml` or translations file does not claim `queue.*` keys."""
    commit = {
        "sha": "8888888",
        "message": "copy",
        "files": ["config/locales.yml", "src/main/resources/messages_nl.properties"],
    }
    extraction = extract_config(
        _incident(
            {"queue": {"max_batch": 10}},
            {"queue": {"max_batch": 500}},
            commits=[commit],
            service="ledger-worker",
            environment="production",
        )
    )
    assert extraction.commit_shas["queue.max_batch"] == []


def test_risky_values_of_changed_keys() -> None:
    """Each generic risk rule fires on a changed key, with a readable reason."""
    previous = {
        "db": {"max_connections": 100},
        "clients": {"ledger": {"timeout_ms": 5000}, "fx": {"timeout_s": 30}},
        "http": {"max_retries": 3},
        "logging": {"level": "info"},
        "features": {"new_checkout": False},
        "api": {"rate_limit_per_minute": 1000},
        "tls": {"verify": True},
        "batch": {"size": 100},
    }
    current = {
        "db": {"max_connections": 3},
        "clients": {"ledger": {"timeout_ms": 50}, "fx": {"timeout_s": 1}},
        "http": {"max_retries": 25},
        "logging": {"level": "DEBUG"},
        "features": {"new_checkout": True},
        "api": {"rate_limit_per_minute": 100},
        "tls": {"verify": False},
        "batch": {"size": 1000},
    }
    risks = _by_key(extract_config(_incident(current, previous)).findings, "config_risk")
    reasons = {key: value.reason for key, value in risks.items()}
    assert "tiny connection pool" in reasons["db.max_connections"]
    assert "tiny timeout" in reasons["clients.ledger.timeout_ms"]
    assert "tiny timeout" in reasons["clients.fx.timeout_s"]
    assert "retries set very high" in reasons["http.max_retries"]
    assert "debug logging on" in reasons["logging.level"]
    assert "feature flag newly turned on" in reasons["features.new_checkout"]
    assert "limit slashed" in reasons["api.rate_limit_per_minute"]
    assert "TLS verification off" in reasons["tls.verify"]
    assert "value changed x10" in reasons["batch.size"]
    assert all(value.changed for value in risks.values())


def test_harmless_changes_and_unchanged_risky_values_are_not_risks() -> None:
    """Moderate changes are no risk, and old values are not judged when a diff exists."""
    previous = {"db": {"pool_size": 3}, "http": {"timeout_s": 30}, "name": "a"}
    current = {"db": {"pool_size": 3}, "http": {"timeout_s": 20}, "name": "b"}
    findings = extract_config(_incident(current, previous)).findings
    assert [f.type for f in findings] == ["config_change", "config_change"]
    assert all(f.severity == "medium" for f in findings)


def test_without_previous_snapshot_current_values_are_judged_at_medium() -> None:
    """With no previous snapshot there is no diff, and risky current values are medium."""
    extraction = extract_config(_incident({"db": {"pool_size": 2}, "features": {"x": True}}))
    assert extraction.changes == []
    [risk] = extraction.findings
    assert risk.value.key == "db.pool_size"
    assert risk.severity == "medium"


def test_debug_logging_outside_production_is_no_risk() -> None:
    """Debug logging in a staging environment is not flagged."""
    extraction = extract_config(_incident({"log_level": "debug"}, environment="staging"))
    assert extraction.findings == []
    extraction = extract_config(_incident({"log_level": "debug"}, environment="production"))
    assert [f.type for f in extraction.findings] == ["config_risk"]


def test_durations_in_strings_and_zero_timeouts() -> None:
    """`"50ms"` is a tiny timeout; `0` is flagged as disabling it; `"2s"` is fine."""
    previous = {"a_timeout": "5s", "b_timeout": 30, "c_timeout": "10s"}
    current = {"a_timeout": "50ms", "b_timeout": 0, "c_timeout": "2s"}
    risks = _by_key(extract_config(_incident(current, previous)).findings, "config_risk")
    assert sorted(risks) == ["a_timeout", "b_timeout"]


def test_leaf_inside_a_longer_word_is_not_a_touch() -> None:
    """`mypoolsize` does not spell `pool_size`; whole `_`-separated parts are required."""
    commit = _commit("6666666", "x", "app.yaml", "-mypoolsize: 1\n+mypoolsize: 2")
    extraction = extract_config(
        _incident({"db": {"pool_size": 5}}, {"db": {"pool_size": 50}}, commits=[commit])
    )
    assert extraction.commit_shas["db.pool_size"] == []
