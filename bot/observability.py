"""Logging and error reporting for the bot process, with secrets redacted on the way out."""

from __future__ import annotations

import logging
from typing import Any

from alpha.core.http import NetworkPolicy
from bot.settings import BotSettings
from sre.redaction import Redactor, install_log_redaction


def scrub(value: Any, redactor: Redactor | None = None) -> Any:
    """Return `value` (a JSON-like structure) with every string redacted of secrets."""
    return (redactor or Redactor()).redact_tree(value)


def scrub_event(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """sentry-sdk `before_send`: the bot's error reports never carry a token or a password.

    Sentry's logging integration reads records before handler filters run, so the log
    redaction filter alone would not cover what is sent to Sentry.
    """
    scrubbed: dict[str, Any] = scrub(event)
    return scrubbed


def configure(settings: BotSettings, network: NetworkPolicy | None = None) -> None:
    """Log to stderr with secrets redacted, and report errors to Sentry when a DSN is set
    (through the process's proxy and CA bundle, like every other client)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    install_log_redaction()
    dsn = settings.sentry_dsn.get_secret_value()
    if dsn:
        import sentry_sdk

        # The default logging integration turns ERROR records (a crashed investigation is
        # logged with its traceback) into Sentry events.
        network = network or NetworkPolicy()
        proxy = network.proxy_for(dsn)
        sentry_sdk.init(
            dsn=dsn,
            send_default_pii=False,
            before_send=scrub_event,  # type: ignore[arg-type]
            http_proxy=proxy or "",
            https_proxy=proxy or "",
            ca_certs=network.ca_bundle,
        )
