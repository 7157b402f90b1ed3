"""Settings of the agents' LLM reasoning mode, read once at the entry point.

The transport (key, endpoint, per-attempt timeout, retries) is `alpha.llm.LLMSettings`;
this module adds what the SRE agents need on top of it:

| variable                      | field                   | default                          |
| ----------------------------- | ----------------------- | -------------------------------- |
| `ALPHA_MODEL_<AGENTNAME>`     | `model_<agentname>`     | the agent's own `model`          |
| `ALPHA_PROMPT_BUDGET`         | `prompt_budget`         | 8,000 estimated tokens a prompt  |
| `ALPHA_TOKEN_CAP`             | `token_cap`             | 100,000 tokens per investigation |
| `ALPHA_LLM_MAX_TOKENS`        | `max_completion_tokens` | 1,500 tokens per answer          |
| `ALPHA_LLM_DEADLINE`          | `deadline`              | 45 s for one agent's LLM work    |
| `ALPHA_LLM_BREAKER_FAILURES`  | `breaker_failures`      | 3 consecutive failures           |
| `ALPHA_LLM_BREAKER_COOLDOWN`  | `breaker_cooldown`      | 60 s before one trial call       |

There is one `ALPHA_MODEL_<AGENTNAME>` per agent of the roster (`sre.agents.roster`):
`ALPHA_MODEL_LOGAGENT`, `ALPHA_MODEL_METRICSAGENT`, ... A model is chosen per agent:
`ALPHA_MODEL_<AGENTNAME>` first, then `ALPHA_LLM_MODEL` (one model for every agent, e.g. a
local vLLM), then the agent's built-in default.
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field, ValidationError, create_model
from pydantic_settings import BaseSettings, SettingsConfigDict

from alpha.core.errors import ConfigurationError
from alpha.llm.settings import LLMSettings
from sre.agents.roster import AGENT_NAMES

DEFAULT_PROMPT_BUDGET = 8_000
DEFAULT_DEADLINE = 45.0
DEFAULT_COMPLETION_TOKENS = 1_500
DEFAULT_TOKEN_CAP = 100_000
# Below this the fixed part of a prompt (rules, taxonomy, schema) leaves no room for evidence.
MIN_PROMPT_BUDGET = 2_000


class _Reasoning(BaseSettings):
    """Per-agent models, prompt budget, token cap and failure handling of the LLM mode."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    prompt_budget: int = Field(
        default=DEFAULT_PROMPT_BUDGET,
        ge=MIN_PROMPT_BUDGET,
        le=1_000_000,
        validation_alias=AliasChoices("ALPHA_PROMPT_BUDGET", "prompt_budget"),
    )
    token_cap: int = Field(
        default=DEFAULT_TOKEN_CAP,
        ge=0,
        validation_alias=AliasChoices("ALPHA_TOKEN_CAP", "token_cap"),
    )
    max_completion_tokens: int = Field(
        default=DEFAULT_COMPLETION_TOKENS,
        ge=100,
        le=100_000,
        validation_alias=AliasChoices("ALPHA_LLM_MAX_TOKENS", "max_completion_tokens"),
    )
    deadline: float = Field(
        default=DEFAULT_DEADLINE,
        gt=0,
        le=3_600,
        validation_alias=AliasChoices("ALPHA_LLM_DEADLINE", "deadline"),
    )
    breaker_failures: int = Field(
        default=3,
        ge=1,
        le=1_000,
        validation_alias=AliasChoices("ALPHA_LLM_BREAKER_FAILURES", "breaker_failures"),
    )
    breaker_cooldown: float = Field(
        default=60.0,
        ge=0,
        validation_alias=AliasChoices("ALPHA_LLM_BREAKER_COOLDOWN", "breaker_cooldown"),
    )

    def model_override(self, agent_name: str) -> str | None:
        """The `ALPHA_MODEL_<AGENTNAME>` value for this agent, or None when unset or blank."""
        value = getattr(self, _model_field(agent_name), None)
        if isinstance(value, str) and value.strip():
            return value.strip()
        return None


def _model_field(agent_name: str) -> str:
    return f"model_{agent_name.lower()}"


def _model_fields() -> dict[str, Any]:
    return {
        _model_field(name): (
            str | None,
            Field(
                default=None,
                validation_alias=AliasChoices(f"ALPHA_MODEL_{name.upper()}", _model_field(name)),
            ),
        )
        for name in AGENT_NAMES
    }


# One `model_<agentname>` field per agent of the roster, so a new agent needs no edit here.
ReasoningSettings = create_model("ReasoningSettings", __base__=_Reasoning, **_model_fields())
ReasoningSettings.__doc__ = _Reasoning.__doc__


def load_settings() -> tuple[LLMSettings, ReasoningSettings]:
    """Read both settings objects from the environment and `.env` (call at an entry point).

    Raises:
        ConfigurationError: a variable is malformed; the message names it.
    """
    try:
        return LLMSettings(), ReasoningSettings()
    except ValidationError as exc:
        raise ConfigurationError(describe_settings_error(exc)) from None


def describe_settings_error(exc: ValidationError) -> str:
    """One line naming the first bad variable and what is wrong with it."""
    first = exc.errors(include_url=False)[0]
    name = ".".join(str(part) for part in first["loc"]) or "(settings)"
    shown = "" if "key" in name.lower() else f" (got {first.get('input')!r})"
    return f"setting {name.upper()}: {first['msg']}{shown}"
