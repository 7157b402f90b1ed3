"""The project's exception tree.

    AlphaError
    ├── ConfigurationError        a setting is missing or malformed
    ├── InputError                a payload or file does not match its contract
    ├── IntegrationError          an external source (Sentry, GitHub, Slack) failed
    │   └── NotFoundError         the thing asked for does not exist upstream
    ├── StorageError              the history database cannot be reached, read or written
    └── LLMError                  an LLM call failed
        ├── LLMTimeoutError       no answer within the deadline
        ├── LLMRateLimitError     429 after the retry budget
        ├── LLMProviderError      non-2xx, or a 2xx carrying an `error` object
        └── LLMOutputError        the answer is not valid JSON for the requested schema

Expected failures become typed results at the edges (agent fallbacks, recorded gaps);
unexpected ones propagate.
"""

from __future__ import annotations


class AlphaError(Exception):
    """Root of every error this project raises on purpose."""


class ConfigurationError(AlphaError):
    """A setting is missing or malformed."""


class InputError(AlphaError):
    """A payload, scenario or file does not match its contract."""


class IntegrationError(AlphaError):
    """An external source failed; the message names the request and the upstream error."""


class NotFoundError(IntegrationError):
    """The requested object (deployment, issue, ref) does not exist upstream."""


class StorageError(AlphaError):
    """The history database failed; the message names the database (never its password)."""


class LLMError(AlphaError):
    """An LLM call failed."""


class LLMTimeoutError(LLMError):
    """The provider did not answer within the deadline."""


class LLMRateLimitError(LLMError):
    """The provider kept answering 429."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class LLMProviderError(LLMError):
    """The provider answered with an error status or an `error` object."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class LLMOutputError(LLMError):
    """The answer could not be parsed or validated against the requested schema."""

    def __init__(self, message: str, raw: str = "") -> None:
        super().__init__(message)
        self.raw = raw
