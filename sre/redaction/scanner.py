"""Finding secrets in a text: the maintained rules, our rules, key blocks, encoded forms.

`find_secrets(text)` returns every secret value in `text`, each exactly as it appears there,
so that replacing those values hides them. Encoded forms are checked too:

- **Decoded views**: percent-decoding (`%5F`, `%40`) and backslash escapes (`\\u0078`,
  `\\"`, `\\/`, `\\n`) are undone and the decoded text scanned; a secret found there is
  located back in the original by a pattern that accepts each character either plainly or
  escaped, and that original (encoded) span is what gets reported.
- **Base64-wrapped secrets**: a base64 run that decodes to printable text holding a secret
  (`Basic` credentials, a wrapped JSON document, a Kubernetes secret value) is itself
  reported whole.

Both recurse at most `MAX_DEPTH` times (double-encoded JSON), and only texts that contain an
escape or a long base64 run pay for them.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import urllib.parse

from sre.redaction.maintained import find_maintained
from sre.redaction.rules import Found, find_blocks, find_by_rules, lines_with

MAX_DEPTH = 2
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_ENCODED = re.compile(r"%[0-9A-Fa-f]{2}|\\")
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|x([0-9A-Fa-f]{2})|([\"'/\\])|([nrt]))")
_CONTROL_ESCAPES = {"n": "\n", "r": "\r", "t": "\t"}
_BASE64_RUN = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{20,8000}={0,2}")
# Decoded base64 is text when at least this share of it is printable.
_PRINTABLE_SHARE = 0.9


def find_secrets(text: str, depth: int = 0) -> list[Found]:
    """Every secret value in `text`, as it appears there (see the module docstring)."""
    found = find_maintained(text) + find_by_rules(text) + find_blocks(text)
    if depth < MAX_DEPTH:
        found += _in_decoded_view(text, depth)
        found += _base64_wrapped(text, depth)
    return found


def decode_view(text: str) -> str:
    """`text` with percent-encoding and backslash escapes undone."""
    view = text
    if "%" in view and _PERCENT.search(view):
        view = urllib.parse.unquote(view, errors="replace")
    if "\\" in view:
        view = _ESCAPE.sub(_unescape, view)
    return view


def _unescape(match: re.Match[str]) -> str:
    hex4, hex2, char, control = match.groups()
    if hex4 or hex2:
        code = int(hex4 or hex2, 16)
        # A surrogate half cannot stand alone in a str that must be encodable.
        return "?" if 0xD800 <= code <= 0xDFFF else chr(code)
    if char:
        return str(char)
    return _CONTROL_ESCAPES[control]


def _in_decoded_view(text: str, depth: int) -> list[Found]:
    if "%" not in text and "\\" not in text:
        return []
    # Only the lines holding an escape have a decoded view that differs.
    encoded = lines_with(text, _ENCODED)
    view = decode_view(encoded)
    if view == encoded:
        return []
    located: list[Found] = []
    for secret in find_secrets(view, depth + 1):
        if secret.value in text:
            located.append(secret)
            continue
        for match in _encoded_form(secret.value).finditer(text):
            located.append(Found(secret.kind, match.group(0)))
    return located


@functools.lru_cache(maxsize=1024)
def _encoded_form(value: str) -> re.Pattern[str]:
    """A pattern matching `value` with any of its characters percent- or backslash-escaped."""
    parts = []
    for char in value:
        options = [re.escape(char)]
        encoded = char.encode("utf-8")
        options.append("".join(f"%(?i:{byte:02x})" for byte in encoded))
        options.append(f"\\\\u(?i:{ord(char):04x})")
        if ord(char) < 0x100:
            options.append(f"\\\\x(?i:{ord(char):02x})")
        if char in "\"'/\\":
            options.append(re.escape("\\" + char))
        if char == "\n":
            options.append(r"\\n")
        parts.append("(?:" + "|".join(options) + ")")
    return re.compile("".join(parts))


def _base64_wrapped(text: str, depth: int) -> list[Found]:
    found: list[Found] = []
    for match in _BASE64_RUN.finditer(text):
        run = match.group(0)
        decoded = _decode_base64(run)
        if decoded is None:
            continue
        inner = find_secrets(decoded, depth + 1)
        if inner:
            found.append(Found(f"base64_{inner[0].kind}", run))
    return found


def _decode_base64(run: str) -> str | None:
    """The text a base64 run encodes, or None when it is not printable text."""
    body = run.replace("-", "+").replace("_", "/").rstrip("=")
    try:
        raw = base64.b64decode(body + "=" * (-len(body) % 4))
        decoded = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    if len(decoded) < 12:
        return None
    printable = sum(1 for c in decoded if c.isprintable() or c in "\n\t")
    return decoded if printable >= _PRINTABLE_SHARE * len(decoded) else None
