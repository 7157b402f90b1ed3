"""Tests of the commit extractor: file kinds, frames, config keys and risky patterns."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alpha.schemas import IncidentInput
from sre.extractors.commits import extract_commits
from sre.extractors.config import extract_config
from sre.extractors.files import classify_file, frame_matches
from sre.extractors.patterns import is_format_patch, risky_changes


def _incident(commits: list[dict[str, Any]], **extra: Any) -> IncidentInput:
    return IncidentInput.model_validate(
        {
            "deployment_id": "deploy-1",
            "logs": [],
            "metrics": {},
            "recent_commits": commits,
            "config_snapshot": extra.pop("config", {}),
            **extra,
        }
    )


def _kinds(filename: str, patch: str) -> list[str]:
    return [c.kind for c in risky_changes(filename, classify_file(filename), patch)]


@pytest.mark.parametrize(
    ("filename", "kind"),
    [
        ("app/payments/client.py", "code"),
        ("src/main/java/com/acme/Foo.java", "code"),
        ("config/production.yaml", "config"),
        ("deploy/prod/worker.toml", "config"),
        ("app/settings.py", "config"),
        ("config/feature_flags.json", "config"),
        ("db/migrate/20261120_add_index.rb", "migration"),
        ("orders/migrations/0042_auto.py", "migration"),
        ("V12__add_column.sql", "migration"),
        ("requirements.txt", "dependency"),
        ("requirements/base.txt", "dependency"),
        ("pyproject.toml", "dependency"),
        ("web/package.json", "dependency"),
        ("go.mod", "dependency"),
        ("pom.xml", "dependency"),
        ("Gemfile.lock", "dependency"),
        ("docs/returns.md", "docs_tests"),
        ("README.md", "docs_tests"),
        ("tests/test_client.py", "docs_tests"),
        ("pkg/router/router_test.go", "docs_tests"),
        ("web/src/cart.spec.ts", "docs_tests"),
        ("src/test/java/com/acme/FooTest.java", "docs_tests"),
        ("templates/emails/refund.html", "other"),
        ("dashboards/latency.json", "other"),
        (".github/workflows/ci.yml", "other"),
    ],
)
def test_file_kinds(filename: str, kind: str) -> None:
    """Files are classified by name and path shape."""
    assert classify_file(filename) == kind


@pytest.mark.parametrize(
    ("frame", "filename", "expected"),
    [
        ("/app/app/db/pool.py", "app/db/pool.py", True),
        ("db/pool.py", "app/db/pool.py", True),
        ("C:\\srv\\app\\db\\pool.py", "app/db/pool.py", True),
        ("/usr/lib/python3.11/site-packages/requests/models.py", "app/models.py", False),
        ("app/db/pool.py", "app/db/pool_test.py", False),
        (
            "com.acme.inventory.BundleService",
            "src/main/java/com/acme/inventory/BundleService.java",
            True,
        ),
        (
            "com.acme.inventory.BundleService.reserve",
            "src/main/java/com/acme/inventory/BundleService.java",
            True,
        ),
        (
            "com.acme.inventory.BundleService$Inner",
            "src/main/java/com/acme/inventory/BundleService.java",
            True,
        ),
        ("BundleService.java", "src/main/java/com/acme/inventory/BundleService.java", True),
        (
            "com.acme.other.BundleService",
            "src/main/java/com/acme/inventory/BundleService.java",
            False,
        ),
        ("orders.serializers", "orders/serializers.py", True),
    ],
)
def test_frame_matching(frame: str, filename: str, expected: bool) -> None:
    """Stack-frame files match repository files by whole-component suffix."""
    assert frame_matches(frame, filename) is expected


def test_commit_signal_has_kinds_size_timing_and_frames() -> None:
    """A commit touching a file in the stack frames is high severity and says so."""
    commit = {
        "sha": "9f3c2ab71d0e4c55a8b1f0e2d3c4b5a697887766",
        "message": "Add retry to payment client\n\nLong body",
        "author": "dana",
        "timestamp": "2026-11-20T13:49:00Z",
        "files": [
            {"filename": "app/payments/client.py", "additions": 10, "deletions": 2},
            {"filename": "app/payments/models.py", "patch": "+a = 1\n+b = 2\n-c = 3"},
            "app/payments/util.py",
            "docs/payments.md",
        ],
    }
    incident = _incident(
        [commit], deployed_at="2026-11-20T14:00:00Z", incident_started_at="2026-11-20T14:03:00Z"
    )
    [finding] = extract_commits(incident, ["/srv/app/app/payments/client.py"], {})
    value = finding.value
    assert value.file_kinds.code == [
        "app/payments/client.py",
        "app/payments/models.py",
        "app/payments/util.py",
    ]
    assert value.file_kinds.docs_tests == ["docs/payments.md"]
    assert (value.additions, value.deletions) == (12, 3)
    assert value.minutes_before_deploy == 11.0
    assert value.minutes_before_incident == 14.0
    assert value.timestamp == "2026-11-20T13:49:00Z"
    assert value.files_in_stack_frames == ["app/payments/client.py"]
    assert finding.severity == "high"
    assert finding.description == (
        "commit 9f3c2ab 'Add retry to payment client' (3 code files, 1 docs/tests file, "
        "14 min before the incident) touches app/payments/client.py, which appears in stack "
        "frames"
    )


def test_docs_only_commit_is_low_and_unknown_times_are_none() -> None:
    """A docs-only commit is still evidence, at low severity; unknown times are None."""
    incident = _incident([{"sha": "d952343", "message": "docs: states", "files": ["docs/a.md"]}])
    [finding] = extract_commits(incident, [], {})
    assert finding.severity == "low"
    assert finding.value.minutes_before_incident is None
    assert finding.value.minutes_before_deploy is None
    assert finding.value.risky_changes == []


def test_config_keys_come_from_the_config_diff_attribution() -> None:
    """The commit lists the diff's keys its patches change, and is then high severity."""
    commit = {
        "sha": "4be1f0c",
        "message": "Tune pool",
        "files": [{"filename": "config/prod.yaml", "patch": "-  pool_size: 50\n+  pool_size: 5"}],
    }
    incident = _incident(
        [commit],
        config={"database": {"pool_size": 5}},
        previous_config_snapshot={"database": {"pool_size": 50}},
    )
    config = extract_config(incident)
    [finding] = extract_commits(incident, [], config.commit_shas)
    assert finding.value.config_keys == ["database.pool_size"]
    assert finding.severity == "high"
    assert "changes config database.pool_size" in finding.description
    assert {
        "file": "config/prod.yaml",
        "kind": "limit_changed",
        "detail": "pool_size: 50 -> 5",
    } in [change.model_dump() for change in finding.value.risky_changes]


def test_removed_error_handling_and_null_checks() -> None:
    """Removing `try/except` or a null check is flagged; adding one is not."""
    removed = "-    try:\n-        charge()\n-    except Timeout:\n-        retry()\n+    charge()"
    assert "removed_error_handling" in _kinds("app/pay.py", removed)
    added = "+    try:\n+        charge()\n+    except Timeout:\n+        log()\n-    charge()"
    assert "removed_error_handling" not in _kinds("app/pay.py", added)
    null = "-    if (bundle == null) {\n-        return;\n-    }\n+    bundle.reserve();"
    assert "removed_null_check" in _kinds("src/Reservation.java", null)


def test_query_in_loop_is_n_plus_one_even_with_context_loop() -> None:
    """An added query under a loop (added or context) is `query_in_loop`; alone `new_query`."""
    patch = (
        "@@ -1,3 +1,5 @@\n"
        "     for item in order.items.all():\n"
        "+        product = Product.objects.get(pk=item.product_id)\n"
        "         out.append(item)\n"
    )
    assert _kinds("orders/serializers.py", patch) == ["query_in_loop"]
    assert _kinds("orders/views.py", "+    rows = db.execute(sql)") == ["new_query"]


def test_retry_timeouts_limits_flags_and_schema() -> None:
    """Retries, timeout and limit changes, flag defaults and DDL are each recognised."""
    assert "added_retry" in _kinds(
        "app/c.py", "+    for attempt in range(5):\n+        time.sleep(1)"
    )
    assert _kinds("app/c.py", "-client = Client(timeout=30)\n+client = Client(timeout=2)") == [
        "timeout_changed"
    ]
    assert _kinds("conf/app.toml", "-max_workers = 16\n+max_workers = 2") == ["limit_changed"]
    assert _kinds("app/flags.py", "-    'enabled': False,\n+    'enabled': True,") == [
        "flag_switched"
    ]
    ddl = "+ALTER TABLE orders ADD COLUMN note text NOT NULL DEFAULT '';"
    assert _kinds("db/migrations/0042.sql", ddl) == ["schema_change"]
    assert _kinds("db/migrations/0043.py", "+        migrations.AddIndex(") == ["schema_change"]


def test_dependency_versions_are_read_from_manifests() -> None:
    """Version bumps in manifests are reported with old and new versions."""
    patch = "-boto3==1.35.0\n+boto3==1.35.30\n+httpx>=0.27"
    details = [c.detail for c in risky_changes("requirements.txt", "dependency", patch)]
    assert details == ["boto3 1.35.0 -> 1.35.30", "httpx 0.27 added"]
    changes = risky_changes("go.mod", "dependency", None)
    assert [c.kind for c in changes] == ["dependency_version"]


def test_docs_patches_are_not_judged_for_code_patterns() -> None:
    """A README that shows a `try:` removal is not removed error handling."""
    assert _kinds("README.md", "-    try:\n-    except X:\n+    pass") == []


def test_commit_order_follows_the_payload() -> None:
    """Commits come out in payload order (a list's order is meaningful)."""
    commits = [
        {"sha": "bbbbbbb", "message": "b", "files": []},
        {"sha": "aaaaaaa", "message": "a", "files": []},
    ]
    findings = extract_commits(_incident(commits), [], {})
    assert [f.value.sha for f in findings] == ["bbbbbbb", "aaaaaaa"]
    assert findings[0].description == "commit bbbbbbb 'b' (no files listed)"


def test_config_key_alone_makes_a_commit_high() -> None:
    """A patchless config commit that changes a diffed key is high, with no risky pattern."""
    commit = {"sha": "5555555", "message": "db", "files": ["config/database.yml"]}
    incident = _incident(
        [commit],
        config={"database": {"host": "pg-2"}},
        previous_config_snapshot={"database": {"host": "pg-1"}},
    )
    [finding] = extract_commits(incident, [], extract_config(incident).commit_shas)
    assert finding.value.risky_changes == []
    assert finding.value.config_keys == ["database.host"]
    assert finding.severity == "high"


@pytest.mark.parametrize(
    "filename",
    [".eslintrc.cjs", "jest.config.js", ".babelrc", "webpack.config.ts", "tsconfig.json"],
)
def test_developer_tooling_files_are_not_production_code(filename: str) -> None:
    """Lint/build/test tooling written in code is 'other', so it never looks like a code change."""
    assert classify_file(filename) == "other"


def _logging_commit(patch: str, filename: str = "billing/ledger.go") -> dict[str, Any]:
    return {
        "sha": "a1b2c3d4e5",
        "message": "tweak",
        "files": [{"filename": filename, "status": "modified", "patch": patch}],
    }


@pytest.mark.parametrize(
    "patch",
    [
        '@@ -1 +1 @@\n-\tl.log.Warn("retry", zap.Int("n", n))\n'
        '+\tl.log.Warn("retry", zap.Int("n", n), zap.String("acct", a.ID))',
        '@@ -3,2 +3,3 @@\n-    logger.info("charged %s", order.id)\n'
        '+    # keep the amount for audits\n+    logger.info("charged %s %s", order.id, total)',
        "@@ -8 +8 @@\n-  console.log('sent', id);\n+  this.logger.debug({ id, ms }, 'sent');",
        '@@ -5 +5,3 @@\n-    log.info("paid %s", inv)\n+    log.info(\n'
        '+        "paid %s in %d ms", inv, elapsed(start)\n+    )',
    ],
)
def test_a_commit_that_only_changes_log_calls_is_observability_only(patch: str) -> None:
    """Changed lines that are all logger calls (and comments) mark the commit observability_only."""
    (finding,) = extract_commits(_incident([_logging_commit(patch)]), [], {})
    assert finding.value.observability_only is True


@pytest.mark.parametrize(
    ("patch", "filename"),
    [
        ('@@ -1 +1 @@\n-\tlog.Info("x")\n+\tlog.Info("x")\n+\trows, err := db.Query(q)', "a.go"),
        ('@@ -1 +1 @@\n+    logger.info("x"); cache.clear()', "billing/ledger.py"),
        ('@@ -1 +1 @@\n+    log.info(\n+        "x", y\n+    )\n+    cache.clear()', "b/ledger.py"),
        ("@@ -1 +1 @@\n-  timeout: 5\n+  timeout: 50", "config/production.yaml"),
        ("", "billing/ledger.go"),
    ],
)
def test_behaviour_changes_or_unknown_patches_are_not_observability_only(
    patch: str, filename: str
) -> None:
    """A query, a second statement, a config file or a missing patch is not logging-only."""
    (finding,) = extract_commits(_incident([_logging_commit(patch, filename)]), [], {})
    assert finding.value.observability_only is False


def _style_commit(message: str, files: list[dict[str, Any]]) -> dict[str, Any]:
    return {"sha": "c0ffee1234", "message": message, "files": files}


@pytest.mark.parametrize(
    ("message", "files"),
    [
        # A linter run without patches: the message and the files decide.
        (
            "standardrb: apply hash shorthand",
            [{"filename": "lib/billing/invoice.rb"}, {"filename": ".standard.yml"}],
        ),
        (
            "style: reformat with the project formatter",
            [{"filename": "svc/ledger.py"}, {"filename": ".editorconfig"}],
        ),
        # With a patch: the same tokens, laid out differently.
        (
            "Apply prettier to the invoice module",
            [
                {
                    "filename": "web/invoice.ts",
                    "patch": "@@ -1,2 +1,4 @@\n-const total = sum(lines, 'amount');\n"
                    "-export { total }\n+const total = sum(\n+  lines,\n"
                    '+  "amount",\n+);\n+export { total };',
                }
            ],
        ),
    ],
)
def test_a_formatting_only_commit_is_style_only(message: str, files: list[dict[str, Any]]) -> None:
    """A formatter/linter subject over code and linter settings only marks it style_only."""
    (finding,) = extract_commits(_incident([_style_commit(message, files)]), [], {})
    assert finding.value.style_only is True


@pytest.mark.parametrize(
    ("message", "files"),
    [
        # The patch changes behaviour, whatever the subject says.
        (
            "eslint: tidy invoice module",
            [{"filename": "web/invoice.ts", "patch": "@@ -1 +1 @@\n-if (a == b) {\n+if (a) {"}],
        ),
        # A subject that also announces behaviour.
        ("rubocop fixes and add retry on ledger timeout", [{"filename": "lib/ledger.rb"}]),
        # Not a style subject at all.
        ("Speed up invoice totals", [{"filename": "lib/invoice.rb"}]),
        # A formatter subject with a production config file alongside.
        (
            "style: reformat",
            [{"filename": "lib/invoice.rb"}, {"filename": "config/production.yaml"}],
        ),
        # `black` as an ordinary word is not the formatter.
        ("Fix black screen on the invoice page", [{"filename": "web/invoice.ts"}]),
    ],
)
def test_behaviour_or_unannounced_changes_are_not_style_only(
    message: str, files: list[dict[str, Any]]
) -> None:
    """A semantic patch, behaviour words, production config or no style subject: not style."""
    (finding,) = extract_commits(_incident([_style_commit(message, files)]), [], {})
    assert finding.value.style_only is False


@given(
    st.lists(
        st.text(alphabet="abcxyz019=+(){}[]:.'\" ", min_size=1, max_size=30),
        min_size=1,
        max_size=6,
    )
)
def test_relaid_out_lines_are_format_only(lines: list[str]) -> None:
    """Lines re-wrapped with other indentation and quote style are format-only; new text is not."""
    removed = "".join(f"-{line}\n" for line in lines)
    spaced = " ".join(lines).replace("'", '"')
    added = "".join(f"+    {word}\n" for word in spaced.split(" ") if word)
    patch = "@@ -1 +1 @@\n" + removed + added
    assert is_format_patch(patch)
    # One extra token on the added side is a change of text, not of layout.
    assert not is_format_patch(patch + "+zz9\n")


def test_build_tool_wrapper_versions_are_dependencies() -> None:
    """The Gradle/Maven wrapper and version catalogue pin versions like a manifest."""
    assert classify_file("gradle/wrapper/gradle-wrapper.properties") == "dependency"
    assert classify_file(".mvn/wrapper/maven-wrapper.properties") == "dependency"
    assert classify_file("gradle/libs.versions.toml") == "dependency"
    assert classify_file("src/main/resources/application.properties") == "config"
