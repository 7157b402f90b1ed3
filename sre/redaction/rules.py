"""Our additions to the maintained rule set: what a shape-based scanner cannot know.

The maintained rules (`sre.redaction.maintained`) recognise provider tokens by their shape.
These rules cover what they miss, each measured on the canary corpus
(`bench/redaction.py`):

- **Passwords in URLs**, in every form: `scheme://user:pass@host`, an empty user
  (`redis://:pass@host`), a password holding `@` or `/`, percent-encoded.
- **Assignments to secret-like keys**: `password=`, `DB_PASS:`, `"client_secret": "..."`,
  `X-Api-Key:`, `Pwd=...;`, `auth=`; the key is judged by `sre.redaction.keys` (weak keys
  need a random-looking value).
- **Authorization headers**: `Basic`, `Bearer`, `token` credentials.
- **Private key blocks** (PEM, OpenSSH, PGP) over several lines, with a log collector's or a
  patch's prefix on every line, or as one value with escaped newlines (`\\n`): every body
  line is reported, so each is hidden wherever it appears later, one line at a time.
- A few shapes the maintained set reports only in company or not at all, measured: an AWS
  access key id alone (paired only), Slack `xoxa-2-`/`xoxr-`/`xoxe.xoxp-` tokens, Stripe
  `whsec_` webhook secrets, a Google `AIza` key followed by `&`; and the prefixes
  `docs/security.md` promises by name (`ghp_`, `github_pat_`, `xapp-`, `sk-`) at any
  length or entropy.
- E-mail addresses (personal data, promised in `docs/security.md`).

Every rule finds *values*; the redactor replaces each value wherever it appears.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sre.redaction.keys import SECRET_KEY_HINT, is_trivial_value, secret_value


@dataclass(frozen=True)
class Found:
    """A secret found in a text: its kind (names the placeholder) and its exact value."""

    kind: str
    value: str


@dataclass(frozen=True)
class Rule:
    """One regex rule; group `secret` is the value, `check` may veto a match.

    `keywords` (lower case), as in gitleaks' rules: a match holds one of them, so only the
    lines whose lower-cased form holds one are searched (`find_in`; finding those lines is
    far cheaper than the rule's own scan). Empty: the whole text is searched.
    """

    kind: str
    pattern: re.Pattern[str]
    check: Callable[[re.Match[str]], bool] | None = None
    keywords: tuple[str, ...] = ()

    def may_match(self, lowered: str) -> bool:
        """Whether a text, lower-cased, holds one of the keywords (or none are set)."""
        return not self.keywords or any(word in lowered for word in self.keywords)

    def find_in(self, text: str, lowered: str) -> Iterator[Found]:
        """`find` on the lines of `text` holding a keyword (`lowered`: text lower-cased).

        Every rule matches within one line, so the other lines cannot hold a match.
        """
        if not self.keywords:
            yield from self.find(text)
        elif self.may_match(lowered):
            keyword_lines = lines_with(text, _keyword_pattern(self.keywords), lowered=lowered)
            yield from self.find(keyword_lines)

    def find(self, text: str) -> Iterator[Found]:
        """Every value this rule finds in `text`.

        A vetoed match is searched again from just after its first group, so that in
        `ssh-add: passphrase=x` the refused `ssh-add: ...` does not hide `passphrase=x`.
        """
        position = 0
        while (match := self.pattern.search(text, position)) is not None:
            value = match.group("secret")
            if value and (self.check is None or self.check(match)):
                yield Found(self.kind, value)
                position = match.end()
            else:
                position = max(match.end(1) if match.re.groups else 0, match.start() + 1)


@functools.cache
def _keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(map(re.escape, keywords)))


# A command-line option (`--dry-run=client`): lower-case words joined by dashes, maybe with
# a value. `--docker-password= --dry-run=client` is an empty option followed by the next
# one; taking the next option for the password would hide that word everywhere.
OPTION = re.compile(r"--[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?:=\S*)?")


def is_option(value: str) -> bool:
    """Whether `value` is shaped like a command-line option, not a secret."""
    return OPTION.fullmatch(value) is not None


def _assignment_ok(match: re.Match[str]) -> bool:
    value = match.group("secret").rstrip("\\")
    if is_option(value) and match.string[match.start("secret") - 1] in " \t":
        return False
    return secret_value(match.group("key"), value)


def _credential_ok(match: re.Match[str]) -> bool:
    return not is_trivial_value(match.group("secret"))


# Key, separator, optional quote (JSON, YAML, shell, query strings, headers, ODBC strings).
# The value ends at whitespace, a quote, or a separator of the surrounding syntax.
_ASSIGNMENT = re.compile(
    r"(?P<key>[A-Za-z_][\w.-]{0,60})\\?[\"']?[ \t]*(?:=>|:=|=|:)[ \t]*(?P<q>\\?[\"'])?"
    r"(?P<secret>(?(q)[^\"'\\\n]{1,300}|[^\s\"'\\,;&}\]<>)]{1,300}))",
)
RULES: tuple[Rule, ...] = (
    Rule(
        "url_password",
        # Greedy up to the last `@` of the token: a password may itself hold `@` or `/`.
        re.compile(
            r"\b[A-Za-z][A-Za-z0-9+.-]{1,20}://[^\s:/@\"'<>]*:(?P<secret>[^\s\"'<>]+)"
            r"@[A-Za-z0-9.\-\[\]_]+"
        ),
        _credential_ok,
        ("://",),
    ),
    Rule(
        "auth_header",
        re.compile(
            r"(?i)\b(?:basic|bearer|token|digest|sso-key)[ \t]+(?P<secret>[A-Za-z0-9._~+/=:-]{12,})"
        ),
        _credential_ok,
        ("basic", "bearer", "token", "digest", "sso-key"),
    ),
    Rule(
        "aws_access_key_id",
        re.compile(r"\b(?P<secret>(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})\b"),
        keywords=("a3t", "akia", "asia", "abia", "acca"),
    ),
    Rule(
        "slack_token",
        re.compile(r"(?i)\b(?P<secret>xox[a-z](?:\.xox[a-z])?-[0-9a-z-]{10,})"),
        keywords=("xox",),
    ),
    # The prefixes `docs/security.md` promises by name, at any length and entropy: the
    # maintained rules want exact lengths and random-looking bodies.
    Rule(
        "github_token",
        re.compile(r"(?i)\b(?P<secret>gh[pousr]_[0-9a-z]{20,255})"),
        keywords=("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    ),
    Rule(
        "github_token",
        re.compile(r"(?i)\b(?P<secret>github_pat_[0-9a-z_]{20,255})"),
        keywords=("github_pat_",),
    ),
    Rule(
        "slack_app_token",
        re.compile(r"(?i)\b(?P<secret>xapp-\d-[0-9a-z-]{10,})"),
        keywords=("xapp-",),
    ),
    Rule(
        "api_key",
        re.compile(r"(?i)\b(?P<secret>sk-(?:or-v1-|proj-|ant-[a-z0-9]{2,6}-)?[0-9a-z_-]{20,})"),
        keywords=("sk-",),
    ),
    Rule(
        "stripe_webhook_secret",
        re.compile(r"(?i)\b(?P<secret>whsec_[0-9a-z]{24,})"),
        keywords=("whsec_",),
    ),
    Rule("gcp_api_key", re.compile(r"\b(?P<secret>AIza[\w-]{35})"), keywords=("aiza",)),
    Rule(
        "email",
        # Matches may only start where a run of local-part characters starts, and the run
        # is taken possessively: each character is read once (linear on `a.a.a...` text).
        re.compile(
            r"(?P<secret>(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]++@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b)"
        ),
        keywords=("@",),
    ),
)
ASSIGNMENT = Rule("secret_assignment", _ASSIGNMENT, _assignment_ok)


def find_by_rules(text: str) -> list[Found]:
    """Every value our own rules find in `text` (blocks excepted, see `find_blocks`)."""
    found: list[Found] = []
    lowered = _lower_aligned(text)
    for rule in RULES:
        found.extend(rule.find_in(text, lowered))
    # An assignment never spans lines and its key holds a hint word: only the lines with
    # one are read by the (slow, Python-level) assignment scan.
    hinted = lines_with(text, SECRET_KEY_HINT, lowered=lowered)
    if hinted:
        found.extend(ASSIGNMENT.find(hinted))
    return found


def lines_with(text: str, pattern: re.Pattern[str], *, lowered: str | None = None) -> str:
    """The lines of `text` holding a match of `pattern`, joined by newlines, in order.

    Each line is taken once however many matches it holds; the search itself runs at the
    regex engine's speed over the whole text. With `lowered` (`text` lower-cased by
    `_lower_aligned`), `pattern` (lower case) is searched there instead.
    """
    haystack = text if lowered is None else lowered
    lines: list[str] = []
    position = 0
    while (match := pattern.search(haystack, position)) is not None:
        start = text.rfind("\n", 0, match.start()) + 1
        end = text.find("\n", match.end())
        end = len(text) if end < 0 else end
        lines.append(text[start:end])
        position = end + 1
    return "\n".join(lines)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _lower_aligned(text: str) -> str:
    """`text` lower-cased, character for character (positions in it are positions in text).

    `str.lower` lengthens a few characters (`İ` becomes two); then only ASCII is folded.
    """
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else text.translate(_ASCII_LOWER)


# --------------------------------------------------------------------------- key blocks

_BEGIN = re.compile(
    r"-----BEGIN[ A-Z0-9_-]{0,40}(?:PRIVATE KEY|PRIVATE KEY BLOCK|OPENSSH PRIVATE KEY)-----"
)
_END = re.compile(r"-----END[ A-Z0-9_-]{0,40}-----")
# A body line: base64 (PEM, OpenSSH, PGP), possibly after a prefix (`+`, a timestamp).
_BODY = re.compile(r"(?P<body>[A-Za-z0-9+/]{16,}={0,2})\s*$")
# The last body line is often short; it is taken when the END line follows it.
_SHORT_BODY = re.compile(r"(?P<body>[A-Za-z0-9+/]{4,}={0,2})\s*$")
_HEADER = re.compile(r"^[A-Za-z-]+: .*$|^\s*$|^=[A-Za-z0-9+/]{4}\s*$")
# A block without its END still ends: a key body is never longer than this many lines.
MAX_BLOCK_LINES = 200


def find_blocks(text: str) -> list[Found]:
    """The body lines of every private key block in `text` (each one a `Found`).

    Lines may carry a prefix (a patch's `+`, a collector's timestamp and pod): the body is
    the base64 run at the end of each line. Escaped newlines (`\\n` inside a JSON or YAML
    string) separate lines too. A block ends at its END line, at a line that is not part of
    a key, or after `MAX_BLOCK_LINES`.
    """
    if "-----BEGIN" not in text:
        return []
    lines = text.replace("\\r\\n", "\n").replace("\\n", "\n").splitlines()
    found: list[Found] = []
    index = 0
    while index < len(lines):
        begin = _BEGIN.search(lines[index])
        index += 1
        if begin is None:
            continue
        # A one-line block (`-----BEGIN ... KEY----- MIIE... -----END ...`): the body between.
        rest = lines[index - 1][begin.end() :]
        end_inline = _END.search(rest)
        if end_inline is not None:
            body = rest[: end_inline.start()].strip()
            found.extend(Found("private_key", part) for part in body.split() if len(part) >= 8)
            continue
        for _ in range(MAX_BLOCK_LINES):
            if index >= len(lines):
                break
            line = lines[index]
            if _END.search(line):
                index += 1
                break
            body_match = _BODY.search(line)
            if body_match is None and index + 1 < len(lines) and _END.search(lines[index + 1]):
                body_match = _SHORT_BODY.search(line)
            if body_match is None:
                # Armor headers (`Version: GnuPG v2`) and the blank line after them, also
                # behind the collector's prefix the BEGIN line had (same width).
                if _HEADER.match(line.lstrip("+- ")) or _HEADER.match(
                    line[begin.start() :].lstrip("+- ")
                ):
                    index += 1
                    continue
                break
            found.append(Found("private_key", body_match.group("body")))
            index += 1
    return found
