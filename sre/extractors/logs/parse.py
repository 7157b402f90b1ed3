"""Log line-format primitives: timestamps, levels, JSON/logfmt fields, continuation lines.

Every function here is pure and total: any text parses (possibly to a record with no time
and no level); nothing raises on malformed input. Timestamps become epoch seconds (float,
UTC). An ISO time with no offset is taken as UTC, because incident payloads carry UTC times
and guessing a local zone would move lines across the deploy boundary.

A *record* (`LogRecord`) is one log event: its first line plus the continuation lines that
follow it (stack-trace frames, `Caused by:`, Go goroutine dumps, ...); `is_continuation`
says which lines continue one. The shape-caching `LineParser` and the streaming grouper
`iter_records` built on these primitives live in `shapes`; `parse_line` here stays the
reference they reproduce.
"""

from __future__ import annotations

import json
import re
from calendar import timegm
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
    "verbose": "TRACE",
    "panic": "FATAL",
    "emerg": "FATAL",
    "alert": "FATAL",
}

# Max continuation lines kept per record: a runaway dump must not hold memory unbounded.
MAX_CONTINUATION = 200
# Only this many leading characters are searched for a timestamp or a level.
HEAD = 80

# Groups: the minute (`2026-11-20T14:03`; Go's `2026/11/20 14:03` too), seconds, fraction,
# zone.
ISO_RE = re.compile(
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
CLF_RE = re.compile(
    r"\[(\d{2})/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/(\d{4}):(\d{2}):(\d{2}):(\d{2})"
    r"(?: ([+-]\d{4}))?\]"
)
WEEKDAYS = frozenset({"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"})
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, 1)}
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
LOGFMT_START_RE = re.compile(r'[A-Za-z_@][\w.@-]*=(?:"|\S)')

# Where `LineParser` reads a JSON or logfmt time field's value from.
JSON_TS_RE = re.compile(
    r'"(?:ts|time|timestamp|@timestamp|t|@t|date|datetime|asctime)"\s*:\s*"?([^",}]+)'
)
LOGFMT_TS_RE = re.compile(r'(?:^|\s)(?:ts|time|timestamp|t)="?([^"\s]+)')
# `@t`, `@l`, `@m`/`@mt` and `@x` are Serilog's compact JSON (CLEF, also read by Seq).
TS_KEYS = ("ts", "time", "timestamp", "@timestamp", "t", "@t", "date", "datetime", "asctime")
_LEVEL_KEYS = (
    "level",
    "severity",
    "lvl",
    "loglevel",
    "log.level",
    "levelname",
    "log_level",
    "@l",
)
_MSG_KEYS = ("msg", "message", "@m", "@mt", "error", "err", "event", "log", "text")
_STACK_KEYS = ("stack", "stack_trace", "stacktrace", "traceback", "exc_info", "exception", "@x")

# Lines that continue the previous record even when they are not indented.
CONT_START_RE = re.compile(
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
PANIC_WORD_RE = re.compile(r"\bpanic(?::| serving )")
# The atomic group stops at the first `(` for good: the tail fails at a later `(` whenever it
# fails at the first, and retrying each one made `((((...` quadratic (10,000 chars: 0.3 s).
GO_FRAME_FUNC_RE = re.compile(r"(?>[\w./*()-]+?\().*\)$")


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


@dataclass(slots=True, init=False)
class LogRecord:
    """One log event: its first line plus continuation lines (stack traces)."""

    ts: float | None
    level: str | None
    message: str
    raw: str
    fields: dict[str, str]
    continuation: list[str]
    exact: bool
    shape: str
    line_count: int

    # Written out rather than generated: the generated `__init__` (with its default-factory
    # tests) costs more per record; the parse loop builds its records with `new_record`.
    def __init__(
        self,
        ts: float | None,
        level: str | None,
        message: str,
        raw: str,
        fields: dict[str, str] | None = None,
        continuation: list[str] | None = None,
        exact: bool = True,
        shape: str = "",
        line_count: int = 1,
    ) -> None:
        self.ts = ts
        self.level = level
        self.message = message
        self.raw = raw
        self.fields = {} if fields is None else fields
        self.continuation = [] if continuation is None else continuation
        self.exact = exact
        self.shape = shape
        self.line_count = line_count


_new_log_record = LogRecord.__new__


def new_record(
    ts: float | None,
    level: str | None,
    message: str,
    raw: str,
    fields: dict[str, str],
    continuation: list[str],
    exact: bool,
    shape: str,
) -> LogRecord:
    """`LogRecord(ts, level, message, raw, fields, continuation, exact, shape)`, for the parse
    loop: one record per log line, built without `type.__call__` entering `__init__` (that
    entry cost 0.1 s on a million lines)."""
    record = _new_log_record(LogRecord)
    record.ts = ts
    record.level = level
    record.message = message
    record.raw = raw
    record.fields = fields
    record.continuation = continuation
    record.exact = exact
    record.shape = shape
    record.line_count = 1
    return record


class MinuteCache:
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
    return float(timegm((year, month, day, hour, mins, 0, 0, 0, 0)) - _zone_offset(zone))


def _zone_offset(zone: str) -> int:
    """Seconds east of UTC of a zone text (`Z`, `UTC`, `+02:00`, `-0500`; empty: UTC)."""
    if not zone or zone in ("Z", "z", "UTC"):
        return 0
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    return sign * (int(digits[:2]) * 3600 + int(digits[2:4]) * 60)


def _clock_epoch(year: int, month: int, day: str, hour: str, mins: str, sec: str) -> int | None:
    """Epoch (UTC) of a date and a time of day read from text, or None when a field is out
    of range. Year 0 matches the patterns but is no date `timegm` accepts: no time, not a
    crash."""
    if int(day) > 31 or int(hour) > 23 or int(mins) > 59 or int(sec) > 60 or year == 0:
        return None
    return timegm((year, month, int(day), int(hour), int(mins), int(sec), 0, 0, 0))


_DEFAULT_CACHE = MinuteCache()


def parse_iso(text: str) -> float | None:
    """Epoch seconds of an ISO-8601 time at the start of `text` (also `14:03:11,123`), or None."""
    m = ISO_RE.match(text)
    if m is None:
        return None
    return iso_from_match(m, _DEFAULT_CACHE)


def iso_from_match(m: re.Match[str], cache: MinuteCache) -> float | None:
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


def ts_from_value(value: Any, default_year: int) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _epoch_number(float(value))
    if isinstance(value, str):
        text = value.strip()
        if text.replace(".", "", 1).isdigit():
            return _epoch_number(float(text))
        return parse_iso(text) or syslog_ts(text, default_year)
    return None


def syslog_ts(text: str, default_year: int) -> float | None:
    m = _SYSLOG_RE.match(text)
    if m is None:
        return None
    mon, day, h, mi, s, frac = m.groups()
    base = _clock_epoch(default_year, MONTHS[mon], day, h, mi, s)
    if base is None:
        return None
    return base + (float("0." + frac) if frac else 0.0)


def ctime_ts(text: str) -> tuple[float, int] | None:
    """Epoch and end offset of a ctime-style time at the start of `text`."""
    m = _CTIME_RE.match(text)
    if m is None:
        return None
    mon, day, h, mi, sec, frac, year = m.groups()
    base = _clock_epoch(int(year), MONTHS[mon], day, h, mi, sec)
    if base is None:
        return None
    return base + (float("0." + frac) if frac else 0.0), m.end()


def clf_ts(text: str) -> tuple[float, int, int] | None:
    """Epoch, start and end of a common-log-format time within the head of `text`."""
    m = CLF_RE.search(text, 0, HEAD)
    if m is None:
        return None
    day, mon, year, h, mi, sec, zone = m.groups()
    base = _clock_epoch(int(year), MONTHS[mon], day, h, mi, sec)
    if base is None:
        return None
    return float(base - _zone_offset(zone or "")), m.start(), m.end()


def normalize_level(value: str) -> str | None:
    """The canonical level for a level word (`warning` -> `WARN`), or None if unknown."""
    return _LEVEL_ALIASES.get(value.strip().lower())


def _scalar_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return _error_dict(value)[0]
    return json.dumps(value, default=str) if isinstance(value, list) else str(value)


# Collectors nest what a line is about: Fluent Bit's `kubernetes: {pod_name: ...}`, Cloud
# Logging's `resource: {labels: {pod_name: ...}}` and `jsonPayload: {message: ...}`, ECS's
# `service: {name: ...}`. Nested objects become dotted fields (`resource.labels.pod_name`) to
# this depth; an error object (`error: {type, message, stack}`) stays one text.
NESTED_DEPTH = 4
_ERROR_OBJECT_KEYS = frozenset({"error", "err", "exception", "exc", "fault", "@x"})


def _is_error_object(key: str, value: dict[str, Any]) -> bool:
    return key.lower() in _ERROR_OBJECT_KEYS or any(k in value for k in _STACK_KEYS)


def _flatten(prefix: str, value: dict[str, Any], fields: dict[str, str], depth: int) -> None:
    for key, item in value.items():
        name = f"{prefix}.{key}"
        if isinstance(item, dict) and depth > 1 and not _is_error_object(key, item):
            _flatten(name, item, fields, depth - 1)
        else:
            fields[name] = _scalar_str(item)


def _nested_message(
    fields: dict[str, str], message: str | None, level: str | None
) -> tuple[str | None, str | None]:
    """The message and level of a record that nests them (`jsonPayload.message`,
    `jsonPayload.level`), taken out of `fields`; the given ones when already known."""
    for name in list(fields):
        if "." not in name:
            continue
        last = name.rsplit(".", 1)[1]
        if message is None and last in _MSG_KEYS:
            message = fields.pop(name)
        elif level is None and last in _LEVEL_KEYS:
            raw = fields[name]
            try:
                found = _numeric_level(float(raw))
            except ValueError:
                found = normalize_level(raw)
            if found is not None:
                level = found
                del fields[name]
    return message, level


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
    for key in TS_KEYS:
        if key in obj:
            ts = ts_from_value(obj[key], default_year)
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
    if level is None and "@t" in obj and ("@mt" in obj or "@m" in obj):
        level = "INFO"  # CLEF leaves `@l` out for Information events
    msg_key = None
    for key in _MSG_KEYS:
        if key in obj and obj[key] is not None:
            message, msg_key = _scalar_str(obj[key]), key
            break
    stack: list[str] = []
    fields: dict[str, str] = {}
    for key, value in obj.items():
        if key == msg_key or key in TS_KEYS or key in _LEVEL_KEYS:
            continue
        if isinstance(value, dict) and not _is_error_object(key, value):
            _flatten(key, value, fields, NESTED_DEPTH)
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
    if message is None or level is None:
        message, level = _nested_message(fields, message, level)
    if message is None:
        message = " ".join(f"{k}={v}" for k, v in fields.items())
    if "\n" in message:
        first, *rest = message.splitlines() or [""]
        message, stack = first, rest[:MAX_CONTINUATION] + stack
    return ParsedLine(ts, level, message, fields, stack)


def logfmt_fields(text: str) -> dict[str, str] | None:
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
    fields = logfmt_fields(text)
    if fields is None:
        return None
    level = message = None
    for key in TS_KEYS:
        if key in fields:
            if ts is None:
                ts = ts_from_value(fields[key], default_year)
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


def parse_line(line: str, default_year: int = 1970, cache: MinuteCache | None = None) -> ParsedLine:
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
    m = ISO_RE.match(text)
    if m is not None:
        ts = iso_from_match(m, cache or _DEFAULT_CACHE)
        if ts is not None:
            rest = text[m.end() :].lstrip(" |-")
    elif text[:3] in MONTHS:
        ts = syslog_ts(text, default_year)
        if ts is not None:
            rest = text[16:].lstrip()
    elif text[:3] in WEEKDAYS or text[1:4] in WEEKDAYS:
        got = ctime_ts(text)
        if got is not None:
            ts, end = got
            rest = text[end:].lstrip()
    if ts is None and "/" in text[:HEAD]:
        clf = clf_ts(text)
        if clf is not None:
            ts = clf[0]
            rest = (text[: clf[1]] + text[clf[2] :]).strip()
    if "=" in rest[:HEAD] and LOGFMT_START_RE.match(rest):
        parsed = _parse_logfmt(rest, ts, default_year)
        if parsed is not None:
            return parsed
    if ts is not None and rest.startswith("{") and rest.endswith("}"):
        # `kubectl logs --timestamps` (and stern's) of a JSON log: `<time> {...}`.
        parsed = _parse_json(rest, default_year)
        if parsed is not None:
            return ParsedLine(
                parsed.ts if parsed.ts is not None else ts,
                parsed.level,
                parsed.message,
                parsed.fields,
                parsed.stack,
            )
    level = None
    lm = _LEVEL_RE.search(rest, 0, HEAD)
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
    if CONT_START_RE.match(line):
        return True
    in_trace = bool(prev.continuation)
    if EXC_HEADER_RE.match(line):
        # `ValueError: x` closing a Python traceback, or a Java exception logged right
        # after an error line: both belong to that event.
        return in_trace or prev.level in ERROR_LEVELS
    return in_trace and bool(GO_FRAME_FUNC_RE.match(line))
