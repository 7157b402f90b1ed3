"""Which keys name a secret, and which values under them are really secrets.

A key is tokenised into words (`DB_PASSWORD` -> db, password; `cookieSecret` -> cookie,
secret; `X-Api-Key` -> x, api, key) and judged by its words:

- **strong**: a word that always names a secret (`password`, `passwd`, `pwd`, `pass`,
  `passphrase`, `secret`, `token`, `credential(s)`, `creds`, `apikey`), a compound ending in
  one (`dbpassword`, `cookiesecret`), or a pair (`api key`, `access key`, `private key`,
  `signing key`). Any non-trivial value under it is hidden.
- **weak**: a word that often names a secret but not always (`key`, `auth`, `sig`,
  `signature`, `salt`, `hmac`, `dsn`, `license`, `seed`). Only a value that looks random
  (entropy and length, `looks_random`) is hidden: `cache.key_prefix: orders` stays.
- **not a secret**: the last words say the value is about the secret, not the secret
  (`token_ttl_seconds`, `password_min_length`, `secret_name`, `key_id`, `token_url`), or a
  `key` that is a data key (`service_key`, `partition_key`, `routing_key`, `cache_key`).

Values that are never secrets whatever the key: numbers and durations, booleans, null,
placeholders (`${DB_PASSWORD}`, `<redacted>`, `***`, `[REDACTED:...]`), paths
(`/run/secrets/db_password`); and a weak key's file or object name (`wh/2807663.json.gz`)
does not look random.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Literal

Strength = Literal["strong", "weak"]

_STRONG_WORDS = frozenset(
    {"password", "passwd", "pwd", "pass", "passphrase", "passcode", "secret", "secrets"}
    | {"token", "tokens", "credential", "credentials", "creds", "apikey", "privatekey"}
)
_STRONG_SUFFIXES = ("password", "passwd", "passphrase", "secret", "token", "apikey")
_STRONG_PAIRS = frozenset(
    {("api", "key"), ("access", "key"), ("private", "key"), ("signing", "key")}
    | {("secret", "key"), ("master", "key"), ("encryption", "key"), ("session", "key")}
    | {("account", "key"), ("unseal", "key"), ("shared", "key"), ("client", "key")}
)
_WEAK_WORDS = frozenset(
    {"key", "auth", "sig", "signature", "salt", "hmac", "dsn", "license", "seed"}
    | {"authorization", "cookie", "sas", "cert", "pem"}
)
# Last words that make the value a property of the secret rather than the secret.
_ABOUT_WORDS = frozenset(
    {"ttl", "timeout", "expiry", "expires", "expiration", "lifetime", "rotation", "interval"}
    | {"length", "len", "size", "count", "limit", "max", "min", "seconds", "secs", "minutes"}
    | {"hours", "days", "ms", "s", "enabled", "enable", "required", "retries", "window"}
    | {"id", "ids", "name", "names", "file", "path", "dir", "url", "uri", "endpoint", "type"}
    | {"header", "field", "param", "prefix", "version", "algorithm", "alg", "format", "env"}
    | {"provider", "source", "store", "kind", "mode", "policy", "ref", "hint", "label"}
)
# Words before `key` that make it a data key (an identifier), not a cryptographic one.
_DATA_KEY_WORDS = frozenset(
    {"service", "aggregation", "partition", "routing", "cache", "primary", "sort", "dedup"}
    | {"idempotency", "group", "foreign", "object", "bucket", "lookup", "map", "hash", "range"}
    | {"shard", "index", "row", "composite", "unique", "natural", "sharding", "message", "s3"}
)
# Every key `secret_key_strength` accepts holds one of these words, lower-cased: a text
# whose lower-cased form has none holds no secret-like assignment. Searched in lower case
# on purpose: `re.I` on an alternation is about fifteen times slower in CPython's engine.
SECRET_KEY_HINT = re.compile(
    "|".join(sorted(_STRONG_WORDS | _WEAK_WORDS | set(_STRONG_SUFFIXES), key=len, reverse=True))
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")

_QUANTITY = re.compile(
    r"-?\d+(?:\.\d+)?\s*(?:ms|s|sec|secs|m|min|h|d|days|%|k|kb|mb|gb)?|true|false|null|nil|"
    r"none|yes|no|on|off|enabled|disabled|unset",
    re.I,
)
_PLACEHOLDER = re.compile(
    r"\$\{[^}]*\}|\$[A-Z_][A-Z0-9_]*|%\([a-z_]+\)s|\{\{[^}]*\}\}|<[^<>]*>|\*+|x+|\.+|"
    r"\[REDACTED:[^\]]*\]|redacted|changeme|hidden|\(value hidden\)",
    re.I,
)
# A reference to where a secret lives is no secret: an absolute or home-relative path.
_PATH = re.compile(r"(?:/|~/|\./)[\w.@+-]+(?:/[\w.@+-]*)*")
# A file or object name ends in a lower-case extension (`2807663.json.gz`, `client.key`);
# generated secrets do not.
_FILE_NAME = re.compile(r".*\.[a-z]{2,4}(?:\.[a-z]{2,3})?")
# Below this many characters a strong key's value is too short to be worth hiding
# (`pwd=ab`), and a hidden value that short would still tell nothing.
MIN_SECRET = 4
# A weak key's value must look random: this long, with this much entropy per character.
RANDOM_MIN_LENGTH = 12
RANDOM_MIN_BITS = 3.0


def key_words(key: str) -> list[str]:
    """The lower-case words of a key: `DB_PASSWORD`, `cookieSecret`, `x-api-key`."""
    spaced = _CAMEL.sub(" ", key)
    return [w.lower() for w in _SPLIT.split(spaced) if w]


def secret_key_strength(key: str) -> Strength | None:
    """Whether `key` (a dotted config path or an assignment's name) names a secret.

    Only the last dotted segment is judged (`auth.token_ttl` is about a TTL), with the
    parent segment's words when the leaf is a bare `value`/`key`-like word
    (`credentials.value`).
    """
    segments = [s for s in re.split(r"[./\s]", key.strip().strip("\"'\\:=")) if s]
    if not segments:
        return None
    words = key_words(segments[-1])
    if not words or words[-1] in _ABOUT_WORDS:
        return None
    if len(words) == 1 and words[0] in {"value", "data", "string"} and len(segments) > 1:
        words = key_words(segments[-2]) + words
    if any(w in _STRONG_WORDS or w.endswith(_STRONG_SUFFIXES) for w in words):
        return "strong"
    if any(pair in _STRONG_PAIRS for pair in zip(words, words[1:], strict=False)):
        return "strong"
    if words[-1] == "key" and len(words) >= 2 and words[-2] in _DATA_KEY_WORDS:
        return None
    if any(w in _WEAK_WORDS for w in words):
        return "weak"
    return None


def is_secret_key(key: str) -> bool:
    """Whether `key` names a secret at all (strong or weak)."""
    return secret_key_strength(key) is not None


def entropy_bits(text: str) -> float:
    """Shannon entropy of `text` in bits per character."""
    if not text:
        return 0.0
    counts = Counter(text)
    total = len(text)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def looks_random(value: str) -> bool:
    """A generated secret rather than words: long, high entropy, and one run of letters and
    digits that mixes them (or mixes case beyond a capital initial).

    `default/Deployment/analytics-exporter-fast` is words joined by separators, not random;
    `aB3xK9qLmP2wZ7` is.
    """
    if len(value) < RANDOM_MIN_LENGTH or entropy_bits(value) < RANDOM_MIN_BITS:
        return False
    if _FILE_NAME.fullmatch(value):
        return False
    return any(_random_run(run) for run in _RUN.findall(value))


_RUN = re.compile(r"[A-Za-z0-9]{8,}")


def _random_run(run: str) -> bool:
    has_digit = any(c.isdigit() for c in run)
    has_alpha = any(c.isalpha() for c in run)
    inner_upper = any(c.isupper() for c in run[1:])
    mixed_case = inner_upper and any(c.islower() for c in run)
    return has_alpha and (has_digit or mixed_case)


def is_trivial_value(value: str) -> bool:
    """A value that is never a secret: a quantity, a flag, a placeholder, or too short."""
    stripped = value.strip().strip("\"'")
    return (
        len(stripped) < MIN_SECRET
        or _QUANTITY.fullmatch(stripped) is not None
        or _PLACEHOLDER.fullmatch(stripped) is not None
        or _PATH.fullmatch(stripped) is not None
    )


# A Kubernetes object name (DNS-1123): lower-case words joined by `-` or `.`.
_OBJECT_NAME = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)+")


def names_secret_objects(key: str) -> bool:
    """Whether `key` lists secrets by name: a plural `secrets` (`imagePullSecrets[0]`,
    compose's `secrets`), whose entries reference Secret objects rather than hold values."""
    words = [w for w in key_words(key.rsplit(".", 1)[-1]) if not w.isdigit()]
    return bool(words) and words[-1] == "secrets"


def holds_secret_name(key: str) -> bool:
    """Whether `key` holds the name of one Secret object (`secretName`, `secretRef`,
    `secret_name`, `existingSecretName`): a reference, not a value."""
    words = key_words(key.rsplit(".", 1)[-1])
    return len(words) >= 2 and words[-1] in ("name", "ref") and "secret" in words


def secret_value(key: str, value: str) -> bool:
    """Whether `value`, found under `key`, is a secret to hide.

    Under a key that lists secrets by name, an entry shaped like an object name
    (`ecr-registry-creds`) that does not look random is a reference, not a secret.
    """
    strength = secret_key_strength(key)
    if strength is None or is_trivial_value(value):
        return False
    bare = value.strip().strip("\"'")
    if names_secret_objects(key) and _OBJECT_NAME.fullmatch(bare) and not looks_random(bare):
        return False
    return strength == "strong" or looks_random(bare)
