"""Settings of the history store, read once at the entry point (CLI or bot).

`ALPHA_DATABASE_URL` unset means an embedded SQLite file in the user's data directory
(`$XDG_DATA_HOME/alpha/alpha.db`, usually `~/.local/share/alpha/alpha.db`; platformdirs
picks the platform's equivalent). A PostgreSQL server is used with
`ALPHA_DATABASE_URL=postgresql+asyncpg://user:password@host/db`; the plain `postgresql://`
and `sqlite:///` forms are accepted and given their async driver.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from alpha.core.errors import ConfigurationError

DEFAULT_RETENTION_DAYS = 90
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def default_database_path() -> Path:
    """The embedded database file: `alpha.db` in the user's data directory."""
    from platformdirs import user_data_path

    return user_data_path("alpha", appauthor=False) / "alpha.db"


def async_url(url: str) -> str:
    """The URL with its async driver (`sqlite+aiosqlite`, `postgresql+asyncpg`).

    Raises:
        ConfigurationError: the scheme is not one the store supports.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ConfigurationError(
            "ALPHA_DATABASE_URL: expected a URL such as postgresql+asyncpg://user@host/db "
            "or sqlite:///path/alpha.db"
        )
    driver = _ASYNC_DRIVERS.get(scheme.lower())
    if driver is None:
        raise ConfigurationError(
            f"ALPHA_DATABASE_URL: unsupported scheme {scheme!r}; "
            "use postgresql+asyncpg:// or sqlite:///"
        )
    return f"{driver}://{rest}"


class HistorySettings(BaseSettings):
    """Where the history lives and how long it is kept.

    Attributes:
        database_url: `ALPHA_DATABASE_URL`; empty for the embedded SQLite file.
        retention_days: `ALPHA_RETENTION_DAYS`; runs older than this are purged by the bot
            (and by `alpha purge` without `--older-than`). 0 keeps everything.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=AliasChoices("ALPHA_DATABASE_URL", "database_url"),
    )
    retention_days: int = Field(
        default=DEFAULT_RETENTION_DAYS,
        ge=0,
        validation_alias=AliasChoices("ALPHA_RETENTION_DAYS", "retention_days"),
    )

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: SecretStr) -> SecretStr:
        raw = value.get_secret_value().strip()
        if raw:
            try:
                async_url(raw)
            except ConfigurationError as error:
                raise ValueError(str(error).removeprefix("ALPHA_DATABASE_URL: ")) from None
        return SecretStr(raw)

    def url(self) -> str:
        """The async SQLAlchemy URL to connect to (the default file when unset)."""
        raw = self.database_url.get_secret_value()
        if not raw:
            return f"sqlite+aiosqlite:///{default_database_path()}"
        return async_url(raw)
