"""The app's logs: every record's final message and traceback pass the redaction boundary.

Attach `RedactingFilter` to the handlers of the app's own logs (`install_log_redaction`) so
that a token in an exception message or a payload excerpt never reaches a log file or a log
service. Control and bidirectional characters are stripped too: a logged payload field
cannot forge a log line.
"""

from __future__ import annotations

import logging

from sre.redaction.redactor import Redactor
from sre.redaction.text import safe_text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts secrets from every record's final message.

    Args:
        redactor: Shared with the investigation when given, so values learned from its
            payload are hidden in its log lines too; a fresh one per record otherwise.
    """

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self._redactor = redactor

    def _redact(self, text: str) -> str:
        redactor = self._redactor or Redactor()
        return safe_text(redactor.redact(text))

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self._redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        if record.exc_info and record.exc_text is None and record.exc_info[1] is not None:
            record.exc_text = self._redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Add a `RedactingFilter` to every handler of `logger` (the root logger by default)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
