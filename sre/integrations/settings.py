"""Settings of the live-data sources (Sentry, GitHub), read once at the entry point.

`IntegrationSettings()` reads the environment and `.env`; every other module receives the
instance. A source whose settings are incomplete is skipped and the investigation says so
(`missing_sentry()` / `missing_github()` name what is missing).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from alpha.core.http import RetryPolicy

_CommaList = Annotated[tuple[str, ...], NoDecode]


def _unset(settings: dict[str, str]) -> list[str]:
    """The names whose value is blank, in order."""
    return [name for name, value in settings.items() if not value.strip()]


class IntegrationSettings(BaseSettings):
    """Where Sentry and GitHub live, how to authenticate, and how hard to try.

    The first eight settings are the documented ones (see `.env.example`); the tuning knobs
    below them have production defaults and exist so tests can run without waiting.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    sentry_url: str = Field(
        default="https://sentry.io", validation_alias=AliasChoices("SENTRY_URL", "sentry_url")
    )
    sentry_auth_token: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=AliasChoices("SENTRY_AUTH_TOKEN", "sentry_auth_token"),
    )
    sentry_org: str = Field(default="", validation_alias=AliasChoices("SENTRY_ORG", "sentry_org"))
    sentry_project: str = Field(
        default="", validation_alias=AliasChoices("SENTRY_PROJECT", "sentry_project")
    )
    github_api_url: str = Field(
        default="https://api.github.com",
        validation_alias=AliasChoices("GITHUB_API_URL", "github_api_url"),
    )
    github_token: SecretStr = Field(
        default=SecretStr(""), validation_alias=AliasChoices("GITHUB_TOKEN", "github_token")
    )
    github_repository: str = Field(
        default="", validation_alias=AliasChoices("GITHUB_REPOSITORY", "github_repository")
    )
    config_paths: _CommaList = Field(
        default=(), validation_alias=AliasChoices("ALPHA_CONFIG_PATHS", "config_paths")
    )

    # Tuning knobs (production defaults).
    http_timeout: float = Field(
        default=15.0, gt=0, validation_alias=AliasChoices("ALPHA_HTTP_TIMEOUT", "http_timeout")
    )
    http_retries: int = Field(
        default=2, ge=0, le=10, validation_alias=AliasChoices("ALPHA_HTTP_RETRIES", "http_retries")
    )
    retry_backoff: float = Field(
        default=0.5, ge=0, validation_alias=AliasChoices("ALPHA_HTTP_BACKOFF", "retry_backoff")
    )
    max_retry_wait: float = Field(
        default=30.0, ge=0, validation_alias=AliasChoices("ALPHA_HTTP_MAX_WAIT", "max_retry_wait")
    )
    retry_jitter: float = Field(
        default=0.5,
        ge=0,
        le=1,
        validation_alias=AliasChoices("ALPHA_HTTP_JITTER", "retry_jitter"),
    )
    github_seconds_between_requests: float | None = Field(
        default=0.25,
        validation_alias=AliasChoices("ALPHA_GITHUB_THROTTLE", "github_seconds_between_requests"),
    )
    source_timeout: float = Field(
        default=120.0, gt=0, validation_alias=AliasChoices("ALPHA_SOURCE_TIMEOUT", "source_timeout")
    )

    @field_validator("config_paths", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if value is None:
            return ()
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("github_repository")
    @classmethod
    def _owner_name(cls, value: str) -> str:
        value = value.strip()
        if value and (value.count("/") != 1 or not all(value.split("/"))):
            raise ValueError(f"GITHUB_REPOSITORY must look like 'owner/name', got {value!r}")
        return value

    @field_validator("sentry_url", "github_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https://, got {value!r}")
        return value

    def missing_sentry(self) -> list[str]:
        """Names of the Sentry settings that are not set (empty when Sentry is usable)."""
        return _unset(
            {
                "SENTRY_AUTH_TOKEN": self.sentry_auth_token.get_secret_value(),
                "SENTRY_ORG": self.sentry_org,
                "SENTRY_PROJECT": self.sentry_project,
            }
        )

    def missing_github(self) -> list[str]:
        """Names of the GitHub settings that are not set (empty when GitHub is usable)."""
        return _unset(
            {
                "GITHUB_TOKEN": self.github_token.get_secret_value(),
                "GITHUB_REPOSITORY": self.github_repository,
            }
        )

    def retry_policy(self) -> RetryPolicy:
        """The retry policy of both live sources (`alpha.core.http.RetryPolicy`)."""
        return RetryPolicy(
            retries=self.http_retries,
            backoff=self.retry_backoff,
            max_wait=self.max_retry_wait,
            jitter=self.retry_jitter,
            timeout=self.http_timeout,
        )

    @property
    def service_name(self) -> str | None:
        """The service investigated: the repository's name, else the Sentry project."""
        if self.github_repository:
            return self.github_repository.split("/", 1)[1]
        return self.sentry_project or None
