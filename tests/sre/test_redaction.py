"""Redaction of the secret kinds promised in shared/docs/security.md."""

from __future__ import annotations

import io
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sre.redaction import Redactor, install_log_redaction, redact

# Canary secrets: realistic shapes, obviously fake values.
CANARIES: dict[str, str] = {
    "slack_token": "xoxb-1234567890-0987654321-CANARYslackBOTtoken",
    "slack_user_token": "xoxp-1111111111-2222222222-CANARYslackUSER",
    "slack_app_token": "xapp-1-A0CANARY-1234567890-abcdef0123456789",
    "aws_key": "AKIAIOSFODNN7CANARY1",
    "github_token": "ghp_CANARY0123456789abcdefghijABCDEFGHIJ",
    "github_pat": "github_pat_11CANARY0000000000_abcdefghijklmnopqrstuvwxyz0123456789",
    "openrouter_key": "sk-or-v1-CANARY0123456789abcdef0123456789abcdef0123456789",
    "openai_key": "sk-proj-CANARYabcdefghijklmnopqrstuvwxyz012345",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJDQU5BUlkiLCJyb2xlIjoiYWRtaW4ifQ.CANARYsig0123456789abc",
}

CONTEXTS = [
    "2026-11-20T14:03:11Z ERROR auth failed with token {s} for request",
    'level=error msg="upstream rejected" key={s}',
    '{{"ts": "2026-11-20T14:03:11Z", "msg": "calling api", "auth": "{s}"}}',
    "+    api_key: {s}",
    "export TOKEN_VALUE={s}",
]


@pytest.mark.parametrize("kind", sorted(CANARIES))
@pytest.mark.parametrize("context", CONTEXTS)
def test_each_canary_is_hidden_in_each_context(kind: str, context: str) -> None:
    """Every promised token kind disappears, whatever line format carries it."""
    secret = CANARIES[kind]
    out = redact(context.format(s=secret))
    assert secret not in out
    assert "[REDACTED:" in out


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("postgres://app:Sup3rS3cret!@db.internal:5432/app", "Sup3rS3cret!"),
        ("password=hunter2hunter2 user=bob", "hunter2hunter2"),
        ('DB_PASSWORD: "correct horse battery"', "correct horse battery"),
        ("client_secret = 'abcDEF123456'", "abcDEF123456"),
        ("token=tok_live_123456789", "tok_live_123456789"),
        ("contact dana.smith@example.com for access", "dana.smith@example.com"),
        ("Authorization: Bearer abcdefghijklmnop1234567890", "abcdefghijklmnop1234567890"),
        ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI"),
    ],
)
def test_generic_secrets_are_hidden(text: str, secret: str) -> None:
    """Passwords in URLs, key=value secrets, bearer tokens and emails are hidden."""
    out = redact(text)
    assert secret not in out, out


def test_pem_private_key_in_one_string_is_hidden() -> None:
    """A multi-line PEM private key inside one string (a patch) is hidden whole."""
    patch = (
        "+-----BEGIN RSA PRIVATE KEY-----\n+MIIEowIBAAKCAQEAcanaryPEMbody\n"
        "+-----END RSA PRIVATE KEY-----\n"
    )
    out = redact(patch)
    assert "canaryPEMbody" not in out
    assert "[REDACTED:private_key#1]" in out


def test_pem_private_key_across_lines_is_hidden() -> None:
    """A PEM key split over consecutive log lines is dropped line by line."""
    lines = [
        "ERROR loading key",
        "-----BEGIN PRIVATE KEY-----",
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAAScanaryBODY",
        "-----END PRIVATE KEY-----",
        "INFO retrying",
    ]
    out = Redactor().redact_lines(lines)
    assert not any("canaryBODY" in line for line in out)
    assert out[0] == "ERROR loading key" and out[-1] == "INFO retrying"


def test_placeholders_are_stable_and_distinct() -> None:
    """The same secret gets the same placeholder; two secrets get two numbers."""
    r = Redactor()
    a = r.redact(f"first {CANARIES['aws_key']}")
    b = r.redact(f"again {CANARIES['aws_key']} and AKIAABCDEFGHIJKLMNOP")
    assert a == "first [REDACTED:aws_key#1]"
    assert b == "again [REDACTED:aws_key#1] and [REDACTED:aws_key#2]"
    assert r.count == 2


def test_redaction_is_idempotent() -> None:
    """Redacting redacted text changes nothing."""
    r = Redactor()
    once = r.redact("password=hunter2hunter2 xoxb-1234567890-abcdefghijk")
    assert r.redact(once) == once


def test_ordinary_text_is_untouched() -> None:
    """Log lines without secrets pass through unchanged."""
    lines = [
        "2026-11-20T14:03:11Z ERROR KeyError: 'sku' in checkout/cart.py line 42",
        "GET /api/v1/orders/123 500 12ms",
        "commit 9f3c2ab71d0e4c55a8b1f0e2d3c4b5a697887766 Lower DB pool size",
        "database.pool_size changed 50 -> 5",
        "connect to payments.internal:443 timed out after 3000ms",
    ]
    assert [redact(line) for line in lines] == lines


@given(st.text(max_size=300))
def test_redaction_never_raises(text: str) -> None:
    """Arbitrary text never makes the redactor raise."""
    assert isinstance(redact(text), str)


def test_log_filter_hides_secrets_in_messages_and_tracebacks() -> None:
    """The logging filter redacts formatted messages and exception text."""
    stream = io.StringIO()
    logger = logging.getLogger("alpha.test.redaction")
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    install_log_redaction(logger)
    try:
        logger.warning("token is %s", CANARIES["slack_token"])
        try:
            raise RuntimeError(f"bad key {CANARIES['github_token']}")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert CANARIES["slack_token"] not in out
    assert CANARIES["github_token"] not in out
    assert "[REDACTED:slack_token#1]" in out


def test_secret_config_values_are_hidden_wherever_they_appear() -> None:
    """Values of secret-like config keys are hidden even without a `key=value` shape."""
    r = Redactor()
    r.learn_config({"api": {"token": "tokOLDvalue1"}, "db": [{"password": "pw-in-a-list"}]})
    out = r.redact("api.token changed 'tokOLDvalue1' -> 'x'; login with pw-in-a-list failed")
    assert "tokOLDvalue1" not in out and "pw-in-a-list" not in out
    assert "[REDACTED:config_secret#1]" in out


def test_quantities_about_secrets_stay_visible() -> None:
    """A TTL or rotation period under a secret-like key is evidence, not a secret."""
    for text in (
        "token_ttl_seconds=3600",
        "auth.token_ttl changed 3600 -> 30",
        "auth.token_ttl = 30: tiny timeout",
        "secret_rotation_days: 30",
    ):
        assert redact(text) == text
    assert "123456" not in redact("password=123456")
    r = Redactor()
    r.learn_config({"auth": {"token_ttl": "3600s", "token": "realTokenValue"}})
    assert r.redact("ttl 3600s") == "ttl 3600s"
    assert "realTokenValue" not in r.redact("sent realTokenValue")


@given(st.text(max_size=80), st.text(max_size=80))
def test_learned_secret_is_hidden_in_any_context(before: str, after: str) -> None:
    """A learned config secret never survives, whatever text surrounds it."""
    r = Redactor()
    r.learn_config({"service": {"api_key": "Zq9-learned-SECRET"}})
    assert "Zq9-learned-SECRET" not in r.redact(before + "Zq9-learned-SECRET" + after)
