"""Settings of the LLM mode: per-agent models, limits, clear errors naming the variable."""

from __future__ import annotations

import pytest

from alpha.core.errors import ConfigurationError
from alpha.llm.settings import LLMSettings
from sre.agents import CommitAgent, LogAgent, MetricsAgent
from sre.llm.refine import LLMMode
from sre.llm.settings import ReasoningSettings, load_settings


@pytest.fixture(autouse=True)
def _no_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    """Run each test where no `.env` file exists, so only the variables set here count."""
    monkeypatch.chdir(str(tmp_path))


def test_defaults_without_configuration() -> None:
    """Nothing set: 8,000-token prompts, 100,000-token cap, no model overrides."""
    settings = ReasoningSettings()
    assert settings.prompt_budget == 8_000
    assert settings.token_cap == 100_000
    assert settings.model_override("LogAgent") is None


def test_per_agent_model_variables_and_global_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """ALPHA_MODEL_<AGENT> picks that agent's model; ALPHA_LLM_MODEL covers the rest."""
    monkeypatch.setenv("ALPHA_MODEL_LOGAGENT", "local/log-model")
    monkeypatch.setenv("ALPHA_LLM_MODEL", "local/everyone")
    monkeypatch.setenv("ALPHA_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("ALPHA_PROMPT_BUDGET", "4000")
    llm, reasoning = load_settings()
    mode = LLMMode.from_settings(llm, reasoning)
    assert mode.model_for(LogAgent()) == "local/log-model"
    assert mode.model_for(MetricsAgent()) == "local/everyone"
    assert mode.prompt_budget == 4_000
    assert mode.provider == "http://127.0.0.1:9/v1"


def test_agent_defaults_follow_the_design() -> None:
    """Without overrides Log and Commit use claude-sonnet-4-6, Metrics gemini-2.0-flash."""
    mode = LLMMode.from_settings(LLMSettings(base_url="http://x/v1"), ReasoningSettings())
    assert mode.model_for(LogAgent()) == "anthropic/claude-sonnet-4-6"
    assert mode.model_for(CommitAgent()) == "anthropic/claude-sonnet-4-6"
    assert mode.model_for(MetricsAgent()) == "google/gemini-2.0-flash"


@pytest.mark.parametrize(
    ("name", "value"),
    [("ALPHA_PROMPT_BUDGET", "100"), ("ALPHA_TOKEN_CAP", "lots"), ("ALPHA_LLM_TIMEOUT", "-1")],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    """A malformed variable gives a ConfigurationError naming it, not a traceback."""
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=name):
        load_settings()


def test_every_roster_agent_has_its_model_variable(monkeypatch) -> None:
    """`ALPHA_MODEL_<NAME>` exists for each agent of the roster, read from the environment."""
    from sre.agents.roster import AGENT_NAMES

    for number, name in enumerate(AGENT_NAMES):
        monkeypatch.setenv(f"ALPHA_MODEL_{name.upper()}", f"vendor/model-{number}")
    reasoning = ReasoningSettings(_env_file=None)  # type: ignore[call-arg]
    assert [reasoning.model_override(name) for name in AGENT_NAMES] == [
        f"vendor/model-{n}" for n in range(len(AGENT_NAMES))
    ]
