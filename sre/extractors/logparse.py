"""Log line parsing: timestamps, levels, JSON/logfmt fields and multi-line records.

Every function here is pure and total: any text parses (possibly to a record with no time
and no level); nothing raises on malformed input. Timestamps become epoch seconds (float,
UTC). An ISO time with no offset is taken as UTC, because incident payloads carry UTC times
and guessing a local zone would move lines across the deploy boundary.

A *record* is one log event: its first line plus the continuation lines that follow it
(stack-trace frames, `Caused by:`, Go goroutine dumps, ...). `iter_records` groups lines
into records in a single streaming pass so that a million lines never become a million
objects held at once.

Throughput: `LineParser` parses each line *shape* once. Lines are first looked up by a
digit-blind key (every ASCII digit read as `0`); since all the regexes here treat digits
alike, lines with one blind key take the same branches, so a stored *plan* says where
their time is and which shape they have. The full path (`LineParser._parse_slow`) stays
the reference; `tests/sre/test_logparse.py` checks the plans against it, and
`bench/extract_throughput.py --check-snapshot` checks whole extractions.
"""

from __future__ import annotations

import json
import re
import sys
from calendar import timegm
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

# Canonical level names, most severe last; `LEVEL_RANK` orders them.
LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
LEVEL_RANK = {name: rank for rank, name in enumerate(LEVELS)}
ERROR_LEVELS = frozenset({"ERROR", "FATAL"})

_LEVEL_ALIASES = {
    "trace": "TRACE",
    "debug": "DEBUG",
    "dbug": "DEBUG",
    "info": "INFO",
    "information": "INFO",
    "notice": "INFO",
    "warn": "WARN",
    "warning": "WARN",
    "error": "ERROR",
    "err": "ERROR",
    "eror": "ERROR",
    "severe": "ERROR",
    "critical": "FATAL",
    "crit": "FATAL",
    "fatal": "FATAL",
    "panic": "FATAL",
    "emerg": "FATAL",
    "alert": "FATAL",
}

# Max continuation lines kept per record: a runaway dump must not hold memory unbounded.
MAX_CONTINUATION = 200
# Only this many leading characters are searched for a timestamp or a level.
_HEAD = 80

# Groups: the minute (`2026-11-20T14:03`; Go's `2026/11/20 14:03` too), seconds, fraction,
# zone.
_ISO_RE = re.compile(
    r"\[?(\d{4}[-/]\d{2}[-/]\d{2}[T ]\d{2}:\d{2}):(\d{2})(?:[.,](\d{1,9}))?"
    r"\s?(Z|z|UTC|[+-]\d{2}:?\d{2})?\]?"
)
_SYSLOG_RE = re.compile(
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})"
    r"(?:\.(\d{1,6}))?"
)
# ctime-style, as Apache writes it: `[Sun Dec 04 04:47:44 2005]`.
_CTIME_RE = re.compile(
    r"\[?(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r" {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))? (\d{4})\]?"
)
# Common/combined log format, after the client: `[11/May/2026:18:40:00 +0000]`.
_CLF_RE = re.compile(
    r"\[(\d{2})/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/(\d{4}):(\d{2}):(\d{2}):(\d{2})"
    r"(?: ([+-]\d{4}))?\]"
)
_WEEKDAYS = frozenset({"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"})
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, 1)}
# A level word near the start of a plain line: upper case, or any case inside brackets,
# or a logfmt-ish `level=`; lower-case words elsewhere are message text ("error" in prose).
_LEVEL_RE = re.compile(
    r"(?:^|[\s\[|(<])(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|SEVERE|CRITICAL|CRIT|"
    r"FATAL|PANIC|EMERG|ALERT)(?=[\]\s:|)>-]|$)"
    r"|\[(trace|debug|info|notice|warn|warning|error|err|critical|fatal|"
    r"Trace|Debug|Info|Notice|Warn|Warning|Error|Critical|Fatal)\]"
)
_LOWER_LEVEL_RE = re.compile(r"(trace|debug|info|warn|warning|error|fatal|critical)(?=:)()")
_LOGFMT_PAIR_RE = re.compile(r'([A-Za-z_@][\w.@-]*)=("(?:[^"\\]|\\.)*"|\S*)')
_LOGFMT_START_RE = re.compile(r'[A-Za-z_@][\w.@-]*=(?:"|\S)')

_TS_KEYS = ("ts", "time", "timestamp", "@timestamp", "t", "date", "datetime", "asctime")
_LEVEL_KEYS = ("level", "severity", "lvl", "loglevel", "log.level", "levelname", "log_level")
_MSG_KEYS = ("msg", "message", "error", "err", "event", "log", "text")
_STACK_KEYS = ("stack", "stack_trace", "stacktrace", "traceback", "exc_info", "exception")

# Lines that continue the previous record even when they are not indented.
_CONT_START_RE = re.compile(
    r"(?:Traceback \(most recent call last\)|Caused by:|goroutine \d+ \[|"
    r"During handling of the above exception|The above exception was the direct cause|"
    r"\.\.\. \d+ more|created by |Suppressed: )"
)
# An exception header line: `ValueError: x`, `java.lang.IllegalStateException: x`, `panic: x`.
EXC_HEADER_RE = re.compile(
    r"(?:Exception in thread \"[^\"]*\" )?"
    r"((?:[A-Za-z_][\w$]*\.)*[A-Z]\w*(?:Error|Exception|Exit|Interrupt|Fault|Failure|Timeout))"
    r"(?::\s?(.*))?$"
)
_PANIC_WORD_RE = re.compile(r"\bpanic(?::| serving )")
_GO_FRAME_FUNC_RE = re.compile(r"[\w./*()-]+\(.*\)$")


@dataclass(slots=True)
class ParsedLine:
    """One physical line, parsed.

    Attributes:
        ts: Epoch seconds (UTC) or None when the line carries no recognisable time.
        level: Canonical level (see `LEVELS`) or None.
        message: The line without its timestamp and level (for JSON/logfmt: the message field).
        fields: Other key/value fields (JSON or logfmt), values as strings.
        stack: Stack-trace lines embedded in a JSON field, if any.
    """

    ts: float | None
    level: str | None
    message: str
    fields: dict[str, str] = field(default_factory=dict)
    stack: list[str] = field(default_factory=list)


@dataclass(slots=True)
class LogRecord:
    """One log event: its first line plus continuation lines (stack traces)."""

    ts: float | None
    level: str | None
    message: str
    raw: str
    fields: dict[str, str] = field(default_factory=dict)
    continuation: list[str] = field(default_factory=list)
    exact: bool = True
    shape: str = ""
    line_count: int = 1


class _MinuteCache:
    """Epoch of each (minute, zone) text; logs repeat the same minute many times."""

    __slots__ = ("known",)

    def __init__(self) -> None:
        # Keyed by minute + zone text; read directly by `LineParser`'s hot path.
        self.known: dict[str, float | None] = {}

    def epoch(self, minute: str, zone: str) -> float | None:
        key = minute + zone
        got = self.known.get(key, -1.0)
        if got != -1.0:
            return got
        value = _minute_epoch(minute, zone)
        if len(self.known) < 100_000:
            self.known[key] = value
        return value


def _minute_epoch(minute: str, zone: str) -> float | None:
    year, month, day = int(minute[0:4]), int(minute[5:7]), int(minute[8:10])
    hour, mins = int(minute[11:13]), int(minute[14:16])
    # Year 0 is valid ISO text but not a date `timegm` accepts: no time rather than a crash.
    if not (year >= 1 and 1 <= month <= 12 and 1 <= day <= 31 and hour <= 23 and mins <= 59):
        return None
    offset = 0
    if zone and zone not in ("Z", "z", "UTC"):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = sign * (int(digits[:2]) * 3600 + int(digits[2:4]) * 60)
    return float(timegm((year, month, day, hour, mins, 0, 0, 0, 0)) - offset)


_DEFAULT_CACHE = _MinuteCache()


def parse_iso(text: str) -> float | None:
    """Epoch seconds of an ISO-8601 time at the start of `text` (also `14:03:11,123`), or None."""
    m = _ISO_RE.match(text)
    if m is None:
        return None
    return _iso_from_match(m, _DEFAULT_CACHE)


def _iso_from_match(m: re.Match[str], cache: _MinuteCache) -> float | None:
    minute, sec, frac, zone = m.groups()
    base = cache.epoch(minute, zone or "")
    if base is None or sec > "60":
        return None
    return base + int(sec) + (float("0." + frac) if frac else 0.0)


def _epoch_number(value: float) -> float | None:
    """Epoch seconds from a number in seconds, milliseconds, micro- or nanoseconds."""
    if value != value or value <= 0:  # NaN or non-positive
        return None
    for scale in (1.0, 1e3, 1e6, 1e9):
        seconds = value / scale
        if seconds < 1e11:  # later than year 5000 in seconds means a finer unit
            return seconds
    return None


def _ts_from_value(value: Any, default_year: int) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _epoch_number(float(value))
    if isinstance(value, str):
        text = value.strip()
        if text.replace(".", "", 1).isdigit():
            return _epoch_number(float(text))
        return parse_iso(text) or _syslog_ts(text, default_year)
    return None


def _syslog_ts(text: str, default_year: int) -> float | None:
    m = _SYSLOG_RE.match(text)
    if m is None:
        return None
    mon, day, h, mi, s, frac = m.groups()
    if int(day) > 31 or int(h) > 23 or int(mi) > 59 or int(s) > 60:
        return None
    base = timegm((default_year, _MONTHS[mon], int(day), int(h), int(mi), int(s), 0, 0, 0))
    return base + (float("0." + frac) if frac else 0.0)


def _ctime_ts(text: str) -> tuple[float, int] | None:
    """Epoch and end offset of a ctime-style time at the start of `text`."""
    m = _CTIME_RE.match(text)
    if m is None:
        return None
    mon, day, h, mi, sec, frac, year = m.groups()
    if int(day) > 31 or int(h) > 23 or int(mi) > 59 or int(sec) > 60 or int(year) == 0:
        return None
    base = timegm((int(year), _MONTHS[mon], int(day), int(h), int(mi), int(sec), 0, 0, 0))
    return base + (float("0." + frac) if frac else 0.0), m.end()


def _clf_ts(text: str) -> tuple[float, int, int] | None:
    """Epoch, start and end of a common-log-format time within the head of `text`."""
    m = _CLF_RE.search(text, 0, _HEAD)
    if m is None:
        return None
    day, mon, year, h, mi, sec, zone = m.groups()
    # Year 0 matches the pattern but is no date `timegm` accepts: no time, not a crash.
    if int(day) > 31 or int(h) > 23 or int(mi) > 59 or int(sec) > 60 or int(year) == 0:
        return None
    base = timegm((int(year), _MONTHS[mon], int(day), int(h), int(mi), int(sec), 0, 0, 0))
    offset = 0
    if zone:
        offset = (-1 if zone[0] == "-" else 1) * (int(zone[1:3]) * 3600 + int(zone[3:5]) * 60)
    return float(base - offset), m.start(), m.end()


def normalize_level(value: str) -> str | None:
    """The canonical level for a level word (`warning` -> `WARN`), or None if unknown."""
    return _LEVEL_ALIASES.get(value.strip().lower())


def _scalar_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return _error_dict(value)[0]
    return json.dumps(value, default=str) if isinstance(value, list) else str(value)


def _error_dict(value: dict[str, Any]) -> tuple[str, list[str]]:
    """Text and stack of `{"type": "X", "message": "y", "stack": "..."}`-style objects."""
    stack: list[str] = []
    parts: list[str] = []
    for key, item in value.items():
        if key in _STACK_KEYS and isinstance(item, str) and "\n" in item:
            stack = item.splitlines()[:MAX_CONTINUATION]
        elif isinstance(item, str | int | float) and not isinstance(item, bool):
            parts.append(str(item))
    kind = value.get("type") or value.get("name") or value.get("class") or value.get("kind")
    text = value.get("message") or value.get("msg")
    if isinstance(kind, str) and isinstance(text, str):
        return f"{kind}: {text}", stack
    return ": ".join(parts), stack


def _numeric_level(value: float) -> str | None:
    """pino/bunyan numeric levels: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal."""
    for limit, name in ((60, "FATAL"), (50, "ERROR"), (40, "WARN"), (30, "INFO"), (20, "DEBUG")):
        if value >= limit:
            return name
    return "TRACE" if value >= 10 else None


def _parse_json(line: str, default_year: int) -> ParsedLine | None:
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    ts = level = message = None
    for key in _TS_KEYS:
        if key in obj:
            ts = _ts_from_value(obj[key], default_year)
            if ts is not None:
                break
    for key in _LEVEL_KEYS:
        raw_level = obj.get(key)
        if isinstance(raw_level, str):
            level = normalize_level(raw_level)
            break
        if isinstance(raw_level, int | float) and not isinstance(raw_level, bool):
            level = _numeric_level(raw_level)
            break
    msg_key = None
    for key in _MSG_KEYS:
        if key in obj and obj[key] is not None:
            message, msg_key = _scalar_str(obj[key]), key
            break
    stack: list[str] = []
    fields: dict[str, str] = {}
    for key, value in obj.items():
        if key == msg_key or key in _TS_KEYS or key in _LEVEL_KEYS:
            continue
        if isinstance(value, dict):
            text, inner = _error_dict(value)
            stack = stack or inner
        else:
            text = _scalar_str(value)
        if key in _STACK_KEYS and "\n" in text:
            stack = text.splitlines()[:MAX_CONTINUATION]
        else:
            fields[key] = text
    if message is None:
        message = " ".join(f"{k}={v}" for k, v in fields.items())
    if "\n" in message:
        first, *rest = message.splitlines() or [""]
        message, stack = first, rest[:MAX_CONTINUATION] + stack
    return ParsedLine(ts, level, message, fields, stack)


def _logfmt_fields(text: str) -> dict[str, str] | None:
    """The key/value pairs of a logfmt line (unquoted), or None if it is not logfmt."""
    pairs = _LOGFMT_PAIR_RE.findall(text)
    if len(pairs) < 2:
        return None
    fields: dict[str, str] = {}
    for key, raw in pairs:
        if len(raw) >= 2 and raw[0] == '"' and raw[-1] == '"':
            raw = raw[1:-1].replace('\\"', '"')
        fields[key] = raw
    if not any(k in fields for k in ("msg", "message", "level", "lvl", "severity")):
        return None
    return fields


def _parse_logfmt(text: str, ts: float | None, default_year: int) -> ParsedLine | None:
    fields = _logfmt_fields(text)
    if fields is None:
        return None
    level = message = None
    for key in _TS_KEYS:
        if key in fields:
            if ts is None:
                ts = _ts_from_value(fields[key], default_year)
            del fields[key]
            break
    for key in _LEVEL_KEYS:
        if key in fields:
            level = normalize_level(fields.pop(key))
            break
    for key in _MSG_KEYS:
        if key in fields:
            message = fields.pop(key)
            break
    if message is None:
        message = " ".join(f"{k}={v}" for k, v in fields.items())
    return ParsedLine(ts, level, message, fields)


def parse_line(
    line: str, default_year: int = 1970, cache: _MinuteCache | None = None
) -> ParsedLine:
    """Parse one physical line (plain, logfmt or JSON). Never raises.

    Args:
        line: The raw line.
        default_year: Year for syslog-style times that omit it (use the deploy's year).
        cache: Optional per-run minute cache (a private default is used otherwise).

    Returns:
        The parsed line; `message` is the text to mine templates from.
    """
    text = line.strip()
    if text.startswith("{") and text.endswith("}"):
        parsed = _parse_json(text, default_year)
        if parsed is not None:
            return parsed
    ts: float | None = None
    rest = text
    m = _ISO_RE.match(text)
    if m is not None:
        ts = _iso_from_match(m, cache or _DEFAULT_CACHE)
        if ts is not None:
            rest = text[m.end() :].lstrip(" |-")
    elif text[:3] in _MONTHS:
        ts = _syslog_ts(text, default_year)
        if ts is not None:
            rest = text[16:].lstrip()
    elif text[:3] in _WEEKDAYS or text[1:4] in _WEEKDAYS:
        got = _ctime_ts(text)
        if got is not None:
            ts, end = got
            rest = text[end:].lstrip()
    if ts is None and "/" in text[:_HEAD]:
        clf = _clf_ts(text)
        if clf is not None:
            ts = clf[0]
            rest = (text[: clf[1]] + text[clf[2] :]).strip()
    if "=" in rest[:_HEAD] and _LOGFMT_START_RE.match(rest):
        parsed = _parse_logfmt(rest, ts, default_year)
        if parsed is not None:
            return parsed
    level = None
    lm = _LEVEL_RE.search(rest, 0, _HEAD)
    if lm is None and ts is not None:
        # winston/console style: `<time> error: message` (lower case, right after the time).
        lm = _LOWER_LEVEL_RE.match(rest)
    if lm is not None:
        level = normalize_level(lm.group(1) or lm.group(2))
        rest = (rest[: lm.start()] + " " + rest[lm.end() :].lstrip(" ]:|)>-")).strip()
    return ParsedLine(ts, level, rest)


def is_continuation(line: str, prev: LogRecord | None) -> bool:
    """Whether `line` (with no timestamp of its own) continues the previous record."""
    if prev is None:
        return False
    if line[:1] in (" ", "\t"):
        return True
    if _CONT_START_RE.match(line):
        return True
    in_trace = bool(prev.continuation)
    if EXC_HEADER_RE.match(line):
        # `ValueError: x` closing a Python traceback, or a Java exception logged right
        # after an error line: both belong to that event.
        return in_trace or prev.level in ERROR_LEVELS
    return in_trace and bool(_GO_FRAME_FUNC_RE.match(line))


# Shape key: the line with every separator-delimited run containing a digit replaced.
# Two lines with the same key differ only in such runs, so they have the same level and
# the same template; only their time and variable values differ.
# Separators: keep in step with `templates._PASS2_RE`, so that equal keys mean equal masks.
SEPARATORS = r"\s=:,;/()\[\]{}<>\"'"
_SEP = SEPARATORS
_KEY_RE = re.compile(rf"(?<![^{_SEP}])[^{_SEP}]*\d[^{_SEP}]*")
_JSON_TS_RE = re.compile(
    r'"(?:ts|time|timestamp|@timestamp|t|date|datetime|asctime)"\s*:\s*"?([^",}]+)'
)
_LOGFMT_TS_RE = re.compile(r'(?:^|\s)(?:ts|time|timestamp|t)="?([^"\s]+)')
_SHAPE_LIMIT = 100_000
_RECORD_STARTS = frozenset("0123456789{")
_NO_STACK: list[str] = []  # shared, never mutated: cached shapes carry no stack
_INVALID = object()  # a plan's leading time that is not a valid time


# Digit-blind line key: every ASCII digit byte becomes `0` (UTF-8 never uses those bytes
# inside a multi-byte character). Two lines with equal keys differ only in which digits they
# hold, so every regex here (they treat all digits alike) matches both at the same spans:
# the shape key, the place of the time and the branch `_fast_ts` takes are the same.
_ZERO_DIGITS = bytes.maketrans(b"123456789", b"000000000")
_PLAN_LIMIT = 100_000
# Plans kept per shape key at most (see `LineParser._keep_plan`).
_PLANS_PER_SHAPE = 256
# Plans stored before the share of lines that reuse one is checked.
_PLAN_TRIAL = 5_000
# Continuation rules remembered at most (only lines not starting with a time ask).
_CONT_LIMIT = 20_000
# Plan kinds: where a shape's time is read from (see `LineParser._plan`).
_AT_START = 0  # an ISO time at the start of the line; the shape key is of the rest
_IN_FIELD = 1  # an ISO time inside a JSON/logfmt field; the shape key is of the whole line
_GENERIC = 2  # `_fast_ts` reads the time; the shape key is of the whole line
# (kind, shape key, minute start, minute end, second start, fraction start or -1,
#  fraction end, zone start or -1, zone end, end of a leading time or 0)
_Plan = tuple[int, str, int, int, int, int, int, int, int, int]
_OWN_LIMIT = 50_000
_STR_ZERO_DIGITS = str.maketrans("123456789", "000000000")


def _field_time_is_inert(raw: str) -> bool:
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
        m = _JSON_TS_RE.search(raw)
        if m is None or "\\" in raw or not raw.endswith("}"):
            return False
        key = raw[m.start() + 1 : raw.index('"', m.start() + 1)]
        try:
            obj = json.loads(raw)
        except ValueError:
            return False
        return isinstance(obj, dict) and key in obj and raw.count(f'"{key}"') == 1
    m = _LOGFMT_TS_RE.search(raw)
    if (
        m is None
        or _ISO_RE.match(raw) is not None
        or "=" not in raw[:_HEAD]
        or _LOGFMT_START_RE.match(raw) is None
    ):
        return False
    fields = _logfmt_fields(raw)
    if fields is None:
        return False
    key = m.group(0).lstrip().split("=", 1)[0]
    first = next((k for k in _TS_KEYS if k in fields), None)
    return first == key and fields[key] == m.group(1) and raw.count(m.group(1)) == 1


def _iso_spans(m: re.Match[str], base: int) -> tuple[int, int, int, int, int, int, int]:
    """Where an `_ISO_RE` match's minute, second, fraction and zone are, offset by `base`."""
    frac_start, frac_end = m.span(3)
    zone_start, zone_end = m.span(4)
    return (
        base + m.start(1),
        base + m.end(1),
        base + m.start(2),
        base + frac_start if frac_start >= 0 else -1,
        base + frac_end,
        base + zone_start if zone_start >= 0 else -1,
        base + zone_end,
    )


class LineParser:
    """`parse_line` with a cache of line shapes, for throughput on large inputs.

    The first line of each shape (see `_KEY_RE`) is parsed fully; later lines of the same
    shape only have their time read, and reuse the first line's level and message (the
    *representative*, which masks to the same template). Such results are marked inexact;
    `exact` re-parses a line when its own message and fields are needed (error lines).

    Computing a shape key is a regex pass; most lines instead hit a *plan* found by their
    digit-blind key (`_ZERO_DIGITS`): the shape key and where the time sits, so a repeated
    line costs a byte translation, two dict lookups and reading its time from fixed slices.
    Anything the plan cannot vouch for (an impossible date) takes the full path.
    """

    def __init__(self, default_year: int = 1970) -> None:
        self.default_year = default_year
        self._minutes = _MinuteCache()
        self._shapes: dict[str, ParsedLine] = {}
        self._plans: dict[bytes, _Plan | str] = {}
        self._own_rest: dict[str, tuple[str, dict[str, str]]] = {}
        self._own_cut: dict[str, tuple[str, dict[str, str]]] = {}
        self._cont: dict[bytes, int] = {}
        self._plans_per_shape: dict[str, int] = {}
        self._lines = self._misses = 0

    def parse(self, raw: str, with_time: bool = True) -> tuple[ParsedLine, bool, str]:
        """The parsed line, whether it is exact (False: a cached representative), its shape.

        With `with_time=False` the time of cached shapes is not read (`ts` is None); use one
        parser per mode, as the two modes key shapes differently.
        """
        ts, parsed, exact, key = self.parse_parts(raw, with_time)
        if exact or not with_time:
            return parsed, exact, key
        return ParsedLine(ts, parsed.level, parsed.message, parsed.fields, _NO_STACK), False, key

    def parse_parts(
        self, raw: str, with_time: bool = True, blind: bytes | None = None
    ) -> tuple[float | None, ParsedLine, bool, str]:
        """`parse` without building a new `ParsedLine` per cached line (the hot path).

        Args:
            raw: The line.
            with_time: As for `parse`.
            blind: The line's digit-blind key, when the caller has computed it already.

        Returns:
            The line's time, the parsed line (for a cached shape: the shape's representative,
            whose time and stack are not this line's), whether it is exact, and its shape.
        """
        self._lines += 1
        if blind is None:
            blind = raw.encode("utf-8", "surrogatepass").translate(_ZERO_DIGITS)
        plan = self._plans.get(blind)
        if plan is None:
            self._misses += 1
            if with_time and self._misses > _PLAN_TRIAL and self._misses * 2 > self._lines:
                # Few lines repeat a blind key: building plans would cost more than they save.
                return self._parse_slow(raw)
            plan = sys.intern(_KEY_RE.sub("0", raw)) if not with_time else self._plan(raw)
            self._keep_plan(blind, plan)
        if isinstance(plan, str):  # `with_time=False`: the plan is the shape key
            shape = self._shapes.get(plan)
            if shape is None:
                return self._first_of_shape(raw, plan)
            return None, shape, False, plan
        key = plan[1]
        if plan[0] == _GENERIC:
            shape = self._shapes.get(key)
            if shape is None:
                return self._first_of_shape(raw, key)
            return self._fast_ts(raw), shape, False, key
        # `_plan_ts`, inlined: this runs once per line.
        kind, _, m0, m1, s0, f0, f1, z0, z1, _ = plan
        sec = raw[s0 : s0 + 2]
        minute, zone = raw[m0:m1], raw[z0:z1] if z0 >= 0 else ""
        # `_MinuteCache.epoch`'s lookup, inlined (-1.0 is never a minute's epoch).
        base = self._minutes.known.get(minute + zone, -1.0)
        if base == -1.0:
            base = self._minutes.epoch(minute, zone)
        ts: float | None = None
        if base is not None and sec <= "60":
            ts = base + int(sec) + (float("0." + raw[f0:f1]) if f0 >= 0 else 0.0)
            if not ts and kind == _IN_FIELD:
                ts = None  # `parse_iso(..) or ..`: epoch 0 reads as no time there
        elif kind == _AT_START:
            # The full path keys an untimed line by all of it: not this plan's key.
            return self._parse_slow(raw)
        shape = self._shapes.get(key)
        if shape is None:
            return self._first_of_shape(raw, key)
        return ts, shape, False, key

    def _keep_plan(self, blind: bytes, plan: _Plan | str) -> None:
        # A shape whose lines keep bringing new blind keys differs in letters too (hex ids,
        # names): its plans would not be met again, so stop storing them for that shape.
        # Likewise for a log whose lines rarely repeat a blind key at all: after a few
        # thousand plans, keep storing only while at least half the lines reuse one.
        if self._misses > _PLAN_TRIAL and self._misses * 2 > self._lines:
            return
        key = plan if isinstance(plan, str) else plan[1]
        seen = self._plans_per_shape.get(key, 0)
        if seen < _PLANS_PER_SHAPE and len(self._plans) < _PLAN_LIMIT:
            self._plans[blind] = plan
            if len(self._plans_per_shape) < _PLAN_LIMIT:
                self._plans_per_shape[key] = seen + 1

    def _plan_ts(self, raw: str, plan: _Plan) -> float | None | object:
        """The time at a plan's slices, None, or `_INVALID` (a leading time that is not one).

        `_iso_from_match` inlined on the slices, with the same arithmetic in the same order.
        """
        kind, _, m0, m1, s0, f0, f1, z0, z1, _ = plan
        sec = raw[s0 : s0 + 2]
        base = self._minutes.epoch(raw[m0:m1], raw[z0:z1] if z0 >= 0 else "")
        if base is None or sec > "60":
            return _INVALID if kind == _AT_START else None
        ts = base + int(sec) + (float("0." + raw[f0:f1]) if f0 >= 0 else 0.0)
        if kind == _IN_FIELD and not ts:
            return None  # `parse_iso(..) or ..`: epoch 0 reads as no time there
        return ts

    def own_text(self, raw: str) -> tuple[str, dict[str, str]]:
        """`exact(raw)`'s message and fields, for a line that took a cached shape.

        Error lines repeat their text with only the time changed, so the result is
        remembered by the line without its time: after a valid leading time the message
        depends only on the rest; a time inside a JSON/logfmt field is cut out when
        `_field_time_is_inert` proves the parse ignores it.
        """
        plan = self._plans.get(raw.encode("utf-8", "surrogatepass").translate(_ZERO_DIGITS))
        if isinstance(plan, tuple):
            if plan[0] == _AT_START and self._plan_ts(raw, plan) is not _INVALID:
                return self._remembered(self._own_rest, raw[plan[9] :], raw, None)
            if plan[0] == _IN_FIELD:
                # Lines equal outside the time, and with the same structure inside it (the
                # digits blinded), differ only in the time's digits.
                m0, end = plan[2], plan[9]
                cut = raw[:m0] + raw[m0:end].translate(_STR_ZERO_DIGITS) + raw[end:]
                return self._remembered(self._own_cut, cut, raw, _field_time_is_inert)
        parsed = self.exact(raw)
        return parsed.message, parsed.fields

    def _remembered(
        self,
        memo: dict[str, tuple[str, dict[str, str]]],
        key: str,
        raw: str,
        check: Callable[[str], bool] | None,
    ) -> tuple[str, dict[str, str]]:
        got = memo.get(key)
        if got is None:
            parsed = self.exact(raw)
            got = (parsed.message, parsed.fields)
            if len(memo) < _OWN_LIMIT and (check is None or check(raw)):
                memo[key] = got
        return got

    def continues(self, raw: str, blind: bytes, current: LogRecord) -> bool:
        """Whether `raw` (blind key `blind`) continues `current`: `is_continuation` with the
        part that depends on the line alone remembered per blind key (its regexes treat all
        digits alike)."""
        rule = self._cont.get(blind)
        if rule is None:
            rule = _continuation_rule(raw)
            if len(self._cont) < _CONT_LIMIT:
                self._cont[blind] = rule
        if rule == _NEVER:
            return False
        if rule == _ALWAYS:
            return True
        in_trace = bool(current.continuation)
        if rule == _IF_TRACE_OR_ERROR:
            return in_trace or current.level in ERROR_LEVELS
        return in_trace

    def _first_of_shape(self, raw: str, key: str) -> tuple[float | None, ParsedLine, bool, str]:
        parsed = self.exact(raw)
        if not parsed.stack and len(self._shapes) < _SHAPE_LIMIT:
            self._shapes[key] = parsed
        return parsed.ts, parsed, True, key

    def _plan(self, raw: str) -> _Plan:
        """Shape key and time position for every line of `raw`'s digit-blind key.

        Follows the branches of `_parse_slow` and `_fast_ts`; each test taken is one that
        lines differing only in digits pass or fail together.
        """
        first = raw[:1]
        m = _ISO_RE.match(raw) if first.isdigit() or first == "[" else None
        if m is not None:
            key = sys.intern(_KEY_RE.sub("0", raw[m.end() :]))  # plans share few shape keys
            return (_AT_START, key, *_iso_spans(m, 0), m.end())
        key = sys.intern(_KEY_RE.sub("0", raw))
        value = self._ts_field(raw)
        if value is not None:
            start, text = value
            lead = len(text) - len(text.lstrip())
            im = _ISO_RE.match(text.strip())
            if im is not None:
                at = start + lead
                return (_IN_FIELD, key, *_iso_spans(im, at), at + im.end())
        return (_GENERIC, key, 0, 0, 0, -1, 0, -1, 0, 0)

    def _ts_field(self, raw: str) -> tuple[int, str] | None:
        """Start and text of the field `_fast_ts` reads a JSON/logfmt time from, if it
        would reach one whatever the line's digits; None otherwise."""
        if raw[:1] == "{":
            m = _JSON_TS_RE.search(raw)
        elif raw[:3] in _MONTHS or raw[:3] in _WEEKDAYS or raw[1:4] in _WEEKDAYS:
            return None
        elif "/" in raw[:_HEAD] and _CLF_RE.search(raw, 0, _HEAD) is not None:
            return None  # whether the CLF time is valid depends on its digits
        elif "=" in raw:
            m = _LOGFMT_TS_RE.search(raw)
        else:
            return None
        if m is None:
            return None
        text = m.group(1)
        if text.strip().replace(".", "", 1).isdigit():
            return None  # epoch numbers: their unit depends on their size
        return m.start(1), text

    def _parse_slow(self, raw: str) -> tuple[float | None, ParsedLine, bool, str]:
        """The full path (with time): what every plan reproduces for its lines."""
        first = raw[:1]
        m = _ISO_RE.match(raw) if first.isdigit() or first == "[" else None
        ts = None
        if m is not None:
            ts = _iso_from_match(m, self._minutes)
        body = raw if ts is None or m is None else raw[m.end() :]
        key = _KEY_RE.sub("0", body)
        shape = self._shapes.get(key)
        if shape is None:
            return self._first_of_shape(raw, key)
        if ts is None:
            ts = self._fast_ts(raw)
        return ts, shape, False, key

    def exact(self, raw: str) -> ParsedLine:
        """Parse `raw` fully (no shape cache)."""
        parsed = parse_line(raw, self.default_year, self._minutes)
        if parsed.level is None and (
            EXC_HEADER_RE.match(parsed.message) or _PANIC_WORD_RE.search(parsed.message)
        ):
            parsed.level = "ERROR"
        return parsed

    def _fast_ts(self, raw: str) -> float | None:
        first = raw[:1]
        if first == "{":
            m = _JSON_TS_RE.search(raw)
            return _ts_from_value(m.group(1).strip(), self.default_year) if m else None
        if raw[:3] in _MONTHS:
            return _syslog_ts(raw, self.default_year)
        if raw[:3] in _WEEKDAYS or raw[1:4] in _WEEKDAYS:
            got = _ctime_ts(raw)
            return got[0] if got else None
        if "/" in raw[:_HEAD]:
            clf = _clf_ts(raw)
            if clf is not None:
                return clf[0]
        if "=" in raw:
            m = _LOGFMT_TS_RE.search(raw)
            return _ts_from_value(m.group(1), self.default_year) if m else None
        return None


def iter_records(
    lines: Iterable[str], default_year: int = 1970, parser: LineParser | None = None
) -> Iterator[LogRecord]:
    """Group lines into records (first line + continuation lines), streaming.

    Lines with a timestamp always start a record. A line without one continues the
    previous record when it is indented, starts a known stack-trace form, or is an
    exception header following an error (see `is_continuation`). Blank lines are skipped.
    Records built from a cached shape have `exact=False` (see `LineParser`).
    """
    parser = parser or LineParser(default_year)
    current: LogRecord | None = None
    for raw in lines:
        if not raw or raw.isspace():
            continue
        if "\n" in raw:
            # A payload line holding a whole trace: treat its parts as separate lines.
            if current is not None:
                yield current
                current = None
            parts = [p for p in raw.splitlines() if p.strip()]
            yield from iter_records(parts, parser.default_year, parser)
            continue
        blind = raw.encode("utf-8", "surrogatepass").translate(_ZERO_DIGITS)
        # Most lines start with a digit (a time) or `{` (JSON): skip the continuation checks.
        if (
            current is not None
            and raw[0] not in _RECORD_STARTS
            and parser.continues(raw, blind, current)
        ):
            _append(current, raw)
            continue
        ts, parsed, exact, shape = parser.parse_parts(raw, True, blind)
        if current is not None:
            yield current
        # Positional arguments: keyword passing costs measurably at one record per line.
        current = LogRecord(
            ts,
            parsed.level,
            parsed.message,
            raw,
            parsed.fields,
            parsed.stack or [],  # a fresh list: `_append` mutates it
            exact,
            shape,
        )
    if current is not None:
        yield current


# What a line's own text says about continuing the record before it (see `is_continuation`).
_NEVER, _ALWAYS, _IF_TRACE_OR_ERROR, _IF_TRACE = range(4)


def _continuation_rule(raw: str) -> int:
    """`is_continuation` for a line without a time, split into what the line alone decides."""
    first = raw[:1]
    if first in ("{", "[") or first.isdigit() or _ISO_RE.match(raw) is not None:
        return _NEVER
    if first in (" ", "\t") or _CONT_START_RE.match(raw):
        return _ALWAYS
    if EXC_HEADER_RE.match(raw):
        return _IF_TRACE_OR_ERROR
    return _IF_TRACE if _GO_FRAME_FUNC_RE.match(raw) else _NEVER


def _append(record: LogRecord, line: str) -> None:
    record.line_count += 1
    if len(record.continuation) < MAX_CONTINUATION:
        record.continuation.append(line)
