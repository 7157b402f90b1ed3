"""Which keys name secrets, and which values under them are hidden."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sre.redaction.keys import SECRET_KEY_HINT, looks_random, secret_key_strength, secret_value


@pytest.mark.parametrize(
    ("key", "strength"),
    [
        ("database.password", "strong"),
        ("DB_PASS", "strong"),
        ("Pwd", "strong"),
        ("X-Api-Key", "strong"),
        ("client_secret", "strong"),
        ("slack.bot_token", "strong"),
        ("cookieSecret", "strong"),
        ("jwt.signing_key", "strong"),
        ("AccountKey", "strong"),
        ("smtp.credentials", "strong"),
        ("passphrase", "strong"),
        ("webhooks.hmac_salt", "weak"),
        ("auth", "weak"),
        ("sig", "weak"),
        ("legacy.license_key", "weak"),
        ("token_ttl_seconds", None),
        ("password_min_length", None),
        ("secret_name", None),
        ("api_key_id", None),
        ("token_url", None),
        ("cache.key_prefix", None),
        ("database.pool_size", None),
        ("author", None),
        ("passed", None),
        ("keyboard", None),
    ],
)
def test_key_strength(key: str, strength: str | None) -> None:
    """Keys are judged by their words: strong, weak, or about a secret rather than one."""
    assert secret_key_strength(key) == strength


@pytest.mark.parametrize(
    ("key", "value", "hidden"),
    [
        ("password", "hunter2", True),
        ("password", "30", False),
        ("password", "true", False),
        ("password", "${DB_PASSWORD}", False),
        ("password", "[REDACTED:secret_assignment#1]", False),
        ("password", "abc", False),
        ("hmac_salt", "orders", False),
        ("hmac_salt", "Zk3p9QvL2mX8rT4w", True),
        ("token_ttl", "3600", False),
        ("pool_size", "Zk3p9QvL2mX8rT4w", False),
        ("client_key", "/etc/certs/carrierlink/client.key", False),
        ("key", "wh/fra2/2807663.json.gz", False),
        ("aws_secret_access_key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzX9pLq2Wv4Tn8", True),
        # Secrets listed by name (Kubernetes imagePullSecrets, compose secrets): references.
        ("orders-api.imagePullSecrets[0]", "ecr-registry-creds", False),
        ("services.api.secrets[1]", "db-password-v2", False),
        ("imagePullSecrets[0]", "Zk3p9QvL2mX8rT4w-k", True),
        ("secrets", "hunter2pass", True),
        ("db.secret", "ecr-registry-creds", True),
    ],
)
def test_secret_values(key: str, value: str, hidden: bool) -> None:
    """Strong keys hide any real value; weak keys only random-looking ones; none hides
    quantities, flags, placeholders or references."""
    assert secret_value(key, value) is hidden


def test_random_values_look_random_and_words_do_not() -> None:
    """Entropy, length and a mix of letters and digits make a value look generated."""
    assert looks_random("Zk3p9QvL2mX8rT4w")
    assert not looks_random("orders-service")
    assert not looks_random("aaaaaaaaaaaaaaaa1")


_key_words = st.sampled_from(
    ["db", "api", "access", "client", "private", "service", "cache", "value", "x", "my"]
    + ["password", "passwd", "pwd", "pass", "secret", "token", "credentials", "creds"]
    + ["key", "auth", "sig", "salt", "hmac", "dsn", "license", "seed", "cookie", "sas"]
    + ["cert", "pem", "ttl", "name", "id", "dbpassword", "cookiesecret", "apikey"]
)


@given(
    words=st.lists(_key_words, min_size=1, max_size=4),
    joiner=st.sampled_from(["_", "-", ".", "", "camel"]),
    upper=st.booleans(),
)
def test_every_secret_key_holds_a_hint_word(words: list[str], joiner: str, upper: bool) -> None:
    """The cheap line filter (`SECRET_KEY_HINT`) never drops a key the full test accepts."""
    if joiner == "camel":
        key = words[0] + "".join(w.capitalize() for w in words[1:])
    else:
        key = joiner.join(words)
    key = key.upper() if upper else key
    if secret_key_strength(key) is not None:
        assert SECRET_KEY_HINT.search(key.lower()), key
