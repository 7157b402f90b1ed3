"""The bot's settings, read once from the environment (and `.env`) in `bot.__main__`.

Everything else receives a `BotSettings` instance; no module of `bot/` reads `os.environ`.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Literal

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from alpha.core.errors import ConfigurationError

SlackMode = Literal["http", "socket"]

_CommaList = Annotated[tuple[str, ...], NoDecode]


def _split_commas(value: object) -> object:
    """Accept `A,B , C` (the form people type in a `.env`) as well as real sequences."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


class BotSettings(BaseSettings):
    """Configuration of the Slack app (see `docs/slack.md` for the table).

    Lists (`ALPHA_ALERT_CHANNELS`, `ALPHA_ALLOWED_CHANNELS`, `ALPHA_ALLOWED_USERS`) are
    comma-separated ids. An empty allow-list means "everyone".
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    slack_bot_token: SecretStr = Field(
        default=SecretStr(""), validation_alias=AliasChoices("SLACK_BOT_TOKEN", "slack_bot_token")
    )
    slack_signing_secret: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "slack_signing_secret"),
    )
    slack_app_token: SecretStr = Field(
        default=SecretStr(""), validation_alias=AliasChoices("SLACK_APP_TOKEN", "slack_app_token")
    )
    slack_api_url: str = Field(
        default="https://slack.com/api/",
        validation_alias=AliasChoices("SLACK_API_URL", "slack_api_url"),
    )
    slack_mode: SlackMode | None = Field(
        default=None, validation_alias=AliasChoices("ALPHA_SLACK_MODE", "slack_mode")
    )
    port: int = Field(default=3000, ge=1, le=65535, validation_alias=AliasChoices("PORT", "port"))
    # Every interface by default, as a container needs; `127.0.0.1` behind a local proxy.
    http_host: str = Field(
        default="0.0.0.0", validation_alias=AliasChoices("ALPHA_HTTP_HOST", "http_host")
    )
    # Where the at-most-once keys live (`bot.dedup`): every bot process given the same file
    # shares them, and they survive a restart. `:memory:` keeps them in this process only.
    dedup_path: str = Field(
        default_factory=lambda: str(
            Path(platformdirs.user_data_dir("alpha", appauthor=False)) / "bot-dedup.sqlite3"
        ),
        validation_alias=AliasChoices("ALPHA_DEDUP_PATH", "dedup_path"),
    )
    sentry_dsn: SecretStr = Field(
        default=SecretStr(""), validation_alias=AliasChoices("SENTRY_DSN", "sentry_dsn")
    )
    max_concurrent: int = Field(
        default=4, ge=1, validation_alias=AliasChoices("ALPHA_MAX_CONCURRENT", "max_concurrent")
    )
    alert_channels: _CommaList = Field(
        default=(), validation_alias=AliasChoices("ALPHA_ALERT_CHANNELS", "alert_channels")
    )
    allowed_channels: _CommaList = Field(
        default=(), validation_alias=AliasChoices("ALPHA_ALLOWED_CHANNELS", "allowed_channels")
    )
    allowed_users: _CommaList = Field(
        default=(), validation_alias=AliasChoices("ALPHA_ALLOWED_USERS", "allowed_users")
    )
    # When set, only these Slack app ids (`A...`) or bot ids (`B...`) count as "the Sentry
    # app"; otherwise, as a documented fallback, a bot profile named "Sentry" does.
    sentry_app_ids: _CommaList = Field(
        default=(), validation_alias=AliasChoices("ALPHA_SENTRY_APP_IDS", "sentry_app_ids")
    )
    sentry_client_secret: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=AliasChoices("SENTRY_CLIENT_SECRET", "sentry_client_secret"),
    )
    sentry_webhook_channel: str = Field(
        default="",
        validation_alias=AliasChoices("ALPHA_SENTRY_WEBHOOK_CHANNEL", "sentry_webhook_channel"),
    )
    alert_dedup_window_s: float = Field(
        default=3600.0,
        ge=0,
        validation_alias=AliasChoices("ALPHA_ALERT_DEDUP_WINDOW", "alert_dedup_window_s"),
    )
    update_interval_s: float = Field(
        default=1.0,
        gt=0,
        validation_alias=AliasChoices("ALPHA_SLACK_UPDATE_INTERVAL", "update_interval_s"),
    )
    agent_timeout_s: float = Field(
        default=30.0,
        gt=0,
        validation_alias=AliasChoices("ALPHA_AGENT_TIMEOUT", "agent_timeout_s"),
    )

    @field_validator("http_host")
    @classmethod
    def _host(cls, value: str) -> str:
        """An IP address or a host name, never a URL or a list."""
        value = value.strip()
        try:
            ipaddress.ip_address(value)
        except ValueError:
            labels = value.split(".")
            if (
                not value
                or len(value) > 253
                or not all(
                    label
                    and len(label) <= 63
                    and label.replace("-", "").isalnum()
                    and label.isascii()
                    for label in labels
                )
            ):
                raise ValueError(
                    f"ALPHA_HTTP_HOST must be an IP address or a host name, got {value!r}"
                ) from None
        return value

    _split = field_validator(
        "alert_channels", "allowed_channels", "allowed_users", "sentry_app_ids", mode="before"
    )(_split_commas)

    @property
    def sentry_webhook_enabled(self) -> bool:
        """`POST /sentry/webhook` is served when its secret and its channel are both set."""
        return bool(self.sentry_client_secret.get_secret_value() and self.sentry_webhook_channel)

    @property
    def mode(self) -> SlackMode:
        """Socket Mode when an app token is set, else HTTP, unless `ALPHA_SLACK_MODE` forces one."""
        if self.slack_mode is not None:
            return self.slack_mode
        return "socket" if self.slack_app_token.get_secret_value() else "http"

    def check(self) -> None:
        """Refuse to start with a configuration that cannot work (or would be unsafe).

        Raises:
            ConfigurationError: naming the missing setting.
        """
        if not self.slack_bot_token.get_secret_value():
            raise ConfigurationError("SLACK_BOT_TOKEN is not set")
        if self.mode == "http" and not self.slack_signing_secret.get_secret_value():
            raise ConfigurationError(
                "SLACK_SIGNING_SECRET is not set: HTTP mode refuses to start without it, "
                "because unsigned requests could not be told apart from forged ones"
            )
        if self.mode == "socket" and not self.slack_app_token.get_secret_value():
            raise ConfigurationError("SLACK_APP_TOKEN (xapp-...) is required in Socket Mode")

    def user_allowed(self, user_id: str | None) -> bool:
        """Whether this user may start an investigation (true when no allow-list is set)."""
        return not self.allowed_users or (user_id or "") in self.allowed_users

    def channel_allowed(self, channel_id: str | None) -> bool:
        """Whether investigations may run in this channel (true when no allow-list is set)."""
        return not self.allowed_channels or (channel_id or "") in self.allowed_channels
