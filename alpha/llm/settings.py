"""LLM settings, read once from the environment (and `.env`) at an entry point.

| variable                    | field                | default                        |
| --------------------------- | -------------------- | ------------------------------ |
| `OPENROUTER_API_KEY`        | `openrouter_api_key` | unset                          |
| `ALPHA_LLM_BASE_URL`        | `base_url`           | unset (OpenRouter)             |
| `ALPHA_LLM_MODEL`           | `model`              | unset (the caller chooses)     |
| `ALPHA_LLM_TIMEOUT`         | `timeout`            | 30 s per attempt               |
| `ALPHA_LLM_RETRIES`         | `retries`            | 2 (5xx, timeouts, connection)  |
| `ALPHA_LLM_MAX_RETRY_AFTER` | `max_retry_after`    | 30 s (longest 429 wait honoured)|
| `ALPHA_LLM_APP_URL`         | `app_url`            | unset (`HTTP-Referer` header)  |
| `ALPHA_LLM_APP_TITLE`       | `app_title`          | unset (`X-Title` header)       |

No module reads these at import time: build `LLMSettings()` in `main()` and pass it down.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

OPENROUTER_BASE_URL = "https://openrouter.ai/api/v1"


def _env(name: str, field_name: str) -> AliasChoices:
    return AliasChoices(name, field_name)


class LLMSettings(BaseSettings):
    """How to reach the LLM endpoint (OpenRouter or any OpenAI-compatible server)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    openrouter_api_key: SecretStr | None = Field(
        default=None, validation_alias=_env("OPENROUTER_API_KEY", "openrouter_api_key")
    )
    base_url: str | None = Field(
        default=None, validation_alias=_env("ALPHA_LLM_BASE_URL", "base_url")
    )
    model: str | None = Field(default=None, validation_alias=_env("ALPHA_LLM_MODEL", "model"))
    timeout: float = Field(
        default=30.0, gt=0, le=600, validation_alias=_env("ALPHA_LLM_TIMEOUT", "timeout")
    )
    retries: int = Field(
        default=2, ge=0, le=10, validation_alias=_env("ALPHA_LLM_RETRIES", "retries")
    )
    max_retry_after: float = Field(
        default=30.0,
        ge=0,
        validation_alias=_env("ALPHA_LLM_MAX_RETRY_AFTER", "max_retry_after"),
    )
    app_url: str | None = Field(default=None, validation_alias=_env("ALPHA_LLM_APP_URL", "app_url"))
    app_title: str | None = Field(
        default=None, validation_alias=_env("ALPHA_LLM_APP_TITLE", "app_title")
    )

    @property
    def configured(self) -> bool:
        """True when an LLM can be reached: a key is set, or another endpoint is named."""
        has_key = (
            self.openrouter_api_key is not None
            and self.openrouter_api_key.get_secret_value().strip() != ""
        )
        return has_key or bool(self.base_url and self.base_url.strip())

    @property
    def effective_base_url(self) -> str:
        """The endpoint actually used: `base_url`, else OpenRouter."""
        return (self.base_url or "").strip() or OPENROUTER_BASE_URL

    def api_key(self) -> str | None:
        """The key as plain text (None when unset or blank)."""
        if self.openrouter_api_key is None:
            return None
        return self.openrouter_api_key.get_secret_value().strip() or None
