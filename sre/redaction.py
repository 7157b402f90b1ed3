"""Secret redaction for everything that leaves the process (LLM prompts) and the app's logs.

The rules follow gitleaks' rule set for the token formats we promise to catch (see
`shared/docs/security.md`), plus generic `key=value` assignments. A secret is replaced by a
stable placeholder, `[REDACTED:aws_key#1]`: the same secret always gets the same number
within one `Redactor`, so a model can still tell two different secrets apart without
seeing either.

Rules run in order; earlier rules win where matches overlap (a JWT inside a URL password is
reported as a JWT), and an already redacted placeholder is never matched again.

Two refinements keep evidence while hiding secrets:

- Known secrets: `Redactor.learn_config(config)` registers the string values of secret-like
  config keys (`database.password`, `api.token`, ...). Text formats that carry no
  `key=value` shape ("api.token changed 'a' -> 'b'", a log line echoing the password) are
  then redacted too, wherever the value appears.
- Quantities: the generic `password=`/`token=` rule leaves a plain number, duration or
  boolean alone when the key names a quantity (`token_ttl_seconds=3600`,
  `secret_rotation_days: 30`): those values are evidence (a TTL cut from 3600 to 30), and
  no secret is a bare "3600" under a key called a TTL.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rule:
    """A secret kind: its placeholder name and the regex whose group `secret` is hidden."""

    kind: str
    pattern: re.Pattern[str]


def _rule(kind: str, regex: str, flags: int = 0) -> Rule:
    return Rule(kind, re.compile(regex, flags))


# Each regex names the part to hide `secret`; the rest of the match (a key name, a scheme)
# stays so the reader keeps the context ("password=[REDACTED:password#1]").
RULES: tuple[Rule, ...] = (
    _rule(
        "private_key",
        r"(?P<secret>-----BEGIN[ A-Z0-9]*PRIVATE KEY( BLOCK)?-----"
        r"[\s\S]*?(-----END[ A-Z0-9]*PRIVATE KEY( BLOCK)?-----|$))",
    ),
    _rule("slack_token", r"(?P<secret>\bxox[abposr]-[0-9A-Za-z-]{10,})"),
    _rule("slack_app_token", r"(?P<secret>\bxapp-\d-[0-9A-Za-z-]{10,})"),
    _rule("slack_webhook", r"(?P<secret>hooks\.slack\.com/(services|workflows)/[A-Za-z0-9/_-]+)"),
    _rule("aws_key", r"(?P<secret>\b(AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b)"),
    _rule(
        "aws_secret",
        r"(?i)aws_?secret_?(access_?)?key[\"']?\s*[:=]\s*[\"']?(?P<secret>[A-Za-z0-9/+=]{40})",
    ),
    _rule("github_token", r"(?P<secret>\b(ghp|gho|ghu|ghs|ghr)_[0-9A-Za-z]{36,255})"),
    _rule("github_token", r"(?P<secret>\bgithub_pat_[0-9A-Za-z_]{22,255})"),
    _rule("api_key", r"(?P<secret>\bsk-(or-v1-|proj-|ant-)?[0-9A-Za-z_-]{20,})"),
    _rule("api_key", r"(?P<secret>\b(sk|rk)_(live|test)_[0-9A-Za-z]{16,})"),
    _rule("api_key", r"(?P<secret>\bAIza[0-9A-Za-z_-]{35})"),
    _rule(
        "jwt",
        r"(?P<secret>\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})",
    ),
    _rule("bearer_token", r"(?i)\bbearer\s+(?P<secret>[A-Za-z0-9._~+/-]{16,}=*)"),
    _rule("url_password", r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]+:(?P<secret>[^\s@/]+)@"),
    _rule(
        "password",
        r"(?i)\b[\w.-]*(password|passwd|pwd|secret|token|api_?key|access_?key|"
        r"client_?secret|credentials?)[\w.-]*[\"']?\s*[:=]\s*"
        r"(?P<secret>\"[^\"\n]{3,}\"|'[^'\n]{3,}'|[^\s\"',;&}\]]{3,})",
    ),
    _rule("email", r"(?P<secret>\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b)"),
)

_PLACEHOLDER = re.compile(r"\[REDACTED:[a-z_]+#\d+\]")

# A config key whose value is a secret (any path segment may say so).
SECRET_KEY = re.compile(
    r"(password|passwd|pwd|secret|token|api_?key|access_?key|private_?key|credentials?|"
    r"auth_?key|signing_?key|dsn|connection_?string)",
    re.I,
)
# Key words naming a quantity about a secret, not the secret itself.
_QUANTITY_KEY = re.compile(
    r"(ttl|timeout|expir|lifetime|rotation|interval|length|size|count|limit|max|min|"
    r"seconds|secs|minutes|hours|days|_ms|_s\b|enabled|required|retries|refresh_?window)",
    re.I,
)
_QUANTITY_VALUE = re.compile(
    r"[\"']?(-?\d+(\.\d+)?(ms|s|m|h|d|%)?|true|false|null|none|yes|no|on|off)[\"']?:?", re.I
)
# Shorter known values are too likely to be ordinary words to replace everywhere.
MIN_KNOWN_SECRET = 4


@dataclass
class Redactor:
    """Replaces secrets with stable, numbered placeholders.

    One instance per investigation: the numbering is shared by every string it redacts, so
    the same token seen in a log line and in a patch gets the same placeholder.
    """

    rules: tuple[Rule, ...] = RULES
    _seen: dict[tuple[str, str], int] = field(default_factory=dict)
    _next: dict[str, int] = field(default_factory=dict)
    _known: dict[str, str] = field(default_factory=dict)

    def add_known(self, secret: str, kind: str = "config_secret") -> None:
        """Hide this literal value wherever it appears (values shorter than 4 are ignored)."""
        if len(secret) >= MIN_KNOWN_SECRET and not _PLACEHOLDER.fullmatch(secret):
            self._known.setdefault(secret, kind)

    def learn_config(self, config: object) -> None:
        """Register the string values of secret-like keys of a nested config as known."""
        for key, value in _leaves(config, ""):
            if isinstance(value, str) and SECRET_KEY.search(key) and not _is_quantity_key(key):
                self.add_known(value)

    def _placeholder(self, kind: str, secret: str) -> str:
        key = (kind, secret)
        number = self._seen.get(key)
        if number is None:
            number = self._next.get(kind, 0) + 1
            self._next[kind] = number
            self._seen[key] = number
        return f"[REDACTED:{kind}#{number}]"

    def redact(self, text: str) -> str:
        """Return `text` with every secret replaced by its placeholder."""
        # Longest first, so a secret containing another is replaced whole.
        for secret in sorted(self._known, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, self._placeholder(self._known[secret], secret))
        for rule in self.rules:
            text = rule.pattern.sub(lambda m, r=rule: self._replace(r, m), text)  # type: ignore[misc]
        return text

    def _replace(self, rule: Rule, match: re.Match[str]) -> str:
        secret = match.group("secret")
        if _PLACEHOLDER.fullmatch(secret.strip("\"'")) or secret.startswith("[REDACTED:"):
            return match.group(0)
        start, end = match.span("secret")
        whole_start = match.start(0)
        text = match.group(0)
        quantity = rule.kind == "password" and _QUANTITY_VALUE.fullmatch(secret) is not None
        if quantity and _is_quantity_key(text[: start - whole_start]):
            return text
        placeholder = self._placeholder(rule.kind, secret)
        return text[: start - whole_start] + placeholder + text[end - whole_start :]

    def redact_lines(self, lines: Iterable[str]) -> list[str]:
        """Redact a sequence of lines, hiding PEM private keys that span several lines."""
        out: list[str] = []
        inside_key = False
        for line in lines:
            if inside_key:
                if "PRIVATE KEY" in line and "-----END" in line:
                    inside_key = False
                continue
            if "-----BEGIN" in line and "PRIVATE KEY" in line and "-----END" not in line:
                inside_key = True
            out.append(self.redact(line))
        return out

    @property
    def count(self) -> int:
        """How many distinct secrets were hidden so far."""
        return len(self._seen)


def _is_quantity_key(key: str) -> bool:
    """Whether the last segment of a key (`auth.token_ttl_seconds`) names a quantity."""
    last = re.split(r"[.\s/]", key.strip().strip("\"':= "))[-1]
    return bool(_QUANTITY_KEY.search(last))


def _leaves(config: object, prefix: str) -> list[tuple[str, object]]:
    """(dotted key, value) of every leaf of a nested mapping; list items keep the key."""
    if isinstance(config, dict):
        found: list[tuple[str, object]] = []
        for name, value in config.items():
            found.extend(_leaves(value, f"{prefix}.{name}" if prefix else str(name)))
        return found
    if isinstance(config, list):
        return [leaf for item in config for leaf in _leaves(item, prefix)]
    return [(prefix, config)]


def redact(text: str) -> str:
    """Redact one string with a fresh `Redactor` (numbering starts at 1)."""
    return Redactor().redact(text)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts secrets from every record's final message.

    Attach it to the handlers of the app's own logs so that a token in an exception message
    or a payload excerpt never reaches a log file or a log service.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        if record.exc_info and record.exc_text is None and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Add a `RedactingFilter` to every handler of `logger` (the root logger by default)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
