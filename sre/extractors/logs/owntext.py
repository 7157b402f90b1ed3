"""A cached line's own message and fields, without parsing it again.

`LineParser` gives lines of a cached shape their shape's representative text; error lines
need their own (`LineParser.own_text`), and a full `parse_line` per error line costs as much
as the first parse of a shape. Two cheaper ways, tried in this order:

- *Recipes*: lines with one digit-blind key (every ASCII digit read as `0`) take the same
  branches of `parse_line` at the same offsets. When the first such line's message and
  field values are plain slices of it, a recipe (their offsets) is kept per blind key, and
  the other lines of that key are sliced instead of parsed. See `_find_recipe` for what
  must hold before a recipe is trusted.
- *Memos*: otherwise the result is remembered by the line without its time; that only
  helps when the rest of the line repeats exactly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from sre.extractors.logs.parse import (
    HEAD,
    ISO_RE,
    JSON_TS_RE,
    LOGFMT_START_RE,
    LOGFMT_TS_RE,
    TS_KEYS,
    ParsedLine,
    logfmt_fields,
)

# Memo and recipe entries kept at most, each.
_OWN_LIMIT = 50_000
STR_ZERO_DIGITS = str.maketrans("123456789", "000000000")
# Another digit for every digit: a probe line that differs from the first everywhere.
_NEXT_DIGIT = str.maketrans("0123456789", "1234567890")
_ASCII_DIGIT_RE = re.compile(r"[0-9]")

# Where a line's message and field values are: (message start, end, ((key, start, end), ..)).
Recipe = tuple[int, int, tuple[tuple[str, int, int], ...]]
_Own = tuple[str, dict[str, str]]
_UNTRIED: Recipe = (-1, -1, ())


def field_time_is_inert(raw: str) -> bool:
    """Whether the JSON/logfmt time `_fast_ts` reads is one the full parse drops entirely.

    True only when provably so: JSON without escapes whose time is the string value of the
    only `"<time key>"` (so a top-level key, which `_parse_json` leaves out of message and
    fields); or logfmt whose time value occurs once in the line, belongs to the pair that
    `_parse_logfmt` deletes as the time, and the line takes the logfmt path at all.
    Lines that differ from `raw` only in that value's digits then parse to the same
    message and fields.
    """
    if raw != raw.strip():
        return False
    if raw[:1] == "{":
        m = JSON_TS_RE.search(raw)
        if m is None or "\\" in raw or not raw.endswith("}"):
            return False
        key = raw[m.start() + 1 : raw.index('"', m.start() + 1)]
        try:
            obj = json.loads(raw)
        except ValueError:
            return False
        return isinstance(obj, dict) and key in obj and raw.count(f'"{key}"') == 1
    m = LOGFMT_TS_RE.search(raw)
    if (
        m is None
        or ISO_RE.match(raw) is not None
        or "=" not in raw[:HEAD]
        or LOGFMT_START_RE.match(raw) is None
    ):
        return False
    fields = logfmt_fields(raw)
    if fields is None:
        return False
    key = m.group(0).lstrip().split("=", 1)[0]
    first = next((k for k in TS_KEYS if k in fields), None)
    return first == key and fields[key] == m.group(1) and raw.count(m.group(1)) == 1


class OwnText:
    """Own message and fields of lines whose time `LineParser` has located (see module).

    Args:
        exact: The full parse (`LineParser.exact`).
    """

    def __init__(self, exact: Callable[[str], ParsedLine]) -> None:
        self._exact = exact
        self._recipes: dict[bytes, Recipe | None] = {}
        self._rest: dict[str, _Own] = {}
        self._cut: dict[str, _Own] = {}

    def after_time(self, raw: str, blind: bytes, end: int) -> _Own:
        """Own text of `raw` (blind key `blind`), whose valid leading time ends at `end`.

        After a valid leading time the message depends only on the rest of the line.
        """
        got = self._sliced(raw, blind, 0, end)
        if got is not None:
            return got
        return self._remembered(self._rest, raw[end:], raw, None)

    def around_field_time(self, raw: str, blind: bytes, start: int, end: int) -> _Own:
        """Own text of `raw`, whose JSON/logfmt time field's value is at `start:end`."""
        got = self._sliced(raw, blind, start, end)
        if got is not None:
            return got
        # Lines equal outside the time, and with the same structure inside it (the digits
        # blinded), differ only in the time's digits.
        cut = raw[:start] + raw[start:end].translate(STR_ZERO_DIGITS) + raw[end:]
        return self._remembered(self._cut, cut, raw, field_time_is_inert)

    def _sliced(self, raw: str, blind: bytes, start: int, end: int) -> _Own | None:
        recipe = self._recipes.get(blind, _UNTRIED)
        if recipe is _UNTRIED:
            recipe = self._find_recipe(raw, start, end)
            if len(self._recipes) < _OWN_LIMIT:
                self._recipes[blind] = recipe
        if recipe is None:
            return None
        return _apply(raw, recipe)

    def _find_recipe(self, raw: str, start: int, end: int) -> Recipe | None:
        """A recipe for the lines of `raw`'s blind key, or None when slicing may be wrong.

        Trusted only when: the line has no escapes (unescaping changes the text); a JSON
        line's values are all strings (numbers print differently from their text, and their
        digits decide whether the line is valid JSON); each value is found exactly once in
        the blind line, and no field name has a digit. As a last check, a probe line with
        every digit outside the time changed must parse to what the recipe slices from it.
        """
        if "\\" in raw or (raw[:1] == "{" and not _all_string_values(raw)):
            return None
        recipe = _recipe_of(raw, self._exact(raw))
        if recipe is None:
            return None
        probe = raw[:start].translate(_NEXT_DIGIT) + raw[start:end]
        probe += raw[end:].translate(_NEXT_DIGIT)
        parsed = self._exact(probe)
        message, fields = _apply(probe, recipe)
        if parsed.stack or (parsed.message, list(parsed.fields.items())) != (
            message,
            list(fields.items()),
        ):
            return None
        return recipe

    def _remembered(
        self, memo: dict[str, _Own], key: str, raw: str, check: Callable[[str], bool] | None
    ) -> _Own:
        got = memo.get(key)
        if got is None:
            parsed = self._exact(raw)
            got = (parsed.message, parsed.fields)
            if len(memo) < _OWN_LIMIT and (check is None or check(raw)):
                memo[key] = got
        return got


def _all_string_values(raw: str) -> bool:
    try:
        obj = json.loads(raw)
    except ValueError:
        return False
    return isinstance(obj, dict) and all(isinstance(v, str) for v in obj.values())


def _recipe_of(raw: str, parsed: ParsedLine) -> Recipe | None:
    if parsed.stack:
        return None
    blind = raw.translate(STR_ZERO_DIGITS)
    message = _unique_span(blind, parsed.message)
    if message is None:
        return None
    fields: list[tuple[str, int, int]] = []
    for key, value in parsed.fields.items():
        span = _unique_span(blind, value)
        if span is None or _ASCII_DIGIT_RE.search(key):
            return None
        fields.append((key, *span))
    return (*message, tuple(fields))


def _unique_span(blind: str, text: str) -> tuple[int, int] | None:
    """Where `text` (digits blinded) occurs in the blind line, if it occurs exactly once."""
    needle = text.translate(STR_ZERO_DIGITS)
    at = blind.find(needle)
    if not needle or at < 0 or blind.find(needle, at + 1) >= 0:
        return None
    return at, at + len(needle)


def _apply(raw: str, recipe: Recipe) -> _Own:
    start, end, fields = recipe
    if not fields:  # the common case; skips building a comprehension
        return raw[start:end], {}
    return raw[start:end], {key: raw[a:b] for key, a, b in fields}
