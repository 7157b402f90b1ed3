"""The suite's own guarantees (tests/conftest.py): hermetic tests, the CI Hypothesis profile,
and golden files that are rewritten only on request and then never count as passed.

The fixtures are exercised in a separate pytest process (pytester) whose environment holds
what a developer or a CI runner might export, so each check can fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

CONFTEST = Path(__file__).with_name("conftest.py")

# Variables a developer or CI might export, and the names the hermetic fixture must clear.
EXPORTED = {
    "ALPHA_LLM_MODEL": "junk/model",
    "alpha_slack_update_interval": "junk",
    "ALPHA_UPDATE_GOLDEN": "0",
    "SLACK_SIGNING_SECRET": "junk-secret",
    "SENTRY_DSN": "https://junk@sentry.invalid/1",
    "GITHUB_TOKEN": "ghp_junk",
    "OPENROUTER_API_KEY": "sk-or-v1-junk",
    "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
    "PORT": "junk",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "ALL_PROXY": "http://127.0.0.1:9",
    "no_proxy": "*",
}

INNER_HERMETIC_TEST = f"""
import os
from pathlib import Path

import pytest

NAMES = {sorted(EXPORTED)!r}


@pytest.fixture(scope="module")
def seen_by_a_module_fixture():
    return [name for name in NAMES if name in os.environ]


def test_inner(hermetic_environment, seen_by_a_module_fixture):
    assert seen_by_a_module_fixture == []
    for name in NAMES:
        assert name not in os.environ, name
    assert os.environ["KEEP_ME"] == "kept"
    for name in ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        assert Path(os.environ[name]).parent == hermetic_environment, name
    assert Path.cwd() == hermetic_environment
    assert not Path(".env").exists()
"""

INNER_GOLDEN_TEST = """
from pathlib import Path


def test_render(golden):
    golden(Path(__file__).parent / "expected.txt", "new rendering\\n")
"""


def test_the_ci_hypothesis_profile_is_loaded() -> None:
    """Property tests run without deadlines or the speed health check (machine speed varies),
    on the same examples every run."""
    assert settings.default.deadline is None
    assert HealthCheck.too_slow in settings.default.suppress_health_check
    assert settings.default.derandomize


def test_each_test_starts_without_project_or_proxy_variables(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exported Alpha, Slack, Sentry, GitHub, OpenRouter and proxy variables (any case) and a
    `.env` in the working directory are invisible to a test and to module-scoped fixtures;
    HOME and XDG dirs are the test's own."""
    for name, value in EXPORTED.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("KEEP_ME", "kept")
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makefile(".env", "ALPHA_LLM_MODEL=from/dotenv\n")
    pytester.makepyfile(test_inner=INNER_HERMETIC_TEST)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("flag", "outcome", "written"),
    [(None, "failed", False), ("0", "failed", False), ("1", "skipped", True)],
)
def test_goldens_are_rewritten_only_with_update_flag_1_and_then_skipped(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    flag: str | None,
    outcome: str,
    written: bool,
) -> None:
    """A stale golden fails the test unless ALPHA_UPDATE_GOLDEN=1 exactly; then the file is
    rewritten and the test is reported skipped, saying so, never passed."""
    if flag is None:
        monkeypatch.delenv("ALPHA_UPDATE_GOLDEN", raising=False)
    else:
        monkeypatch.setenv("ALPHA_UPDATE_GOLDEN", flag)
    pytester.makeconftest(CONFTEST.read_text())
    expected = pytester.path / "expected.txt"
    expected.write_text("old rendering\n")
    pytester.makepyfile(test_golden=INNER_GOLDEN_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(**{outcome: 1})
    assert expected.read_text() == ("new rendering\n" if written else "old rendering\n")
    if written:
        result.stdout.fnmatch_lines(["*golden file written*expected.txt*"])
