"""Line shapes: `LineParser`, its per-shape plans, and `iter_records`.

Throughput: `LineParser` parses each line *shape* once. Lines are first looked up by a
digit-blind key (every ASCII digit read as `0`); since all the regexes here treat digits
alike, lines with one blind key take the same branches, so a stored *plan* says where
their time is and which shape they have. Lines that differ in hexadecimal ids too (uuids,
trace ids) each have a new digit-blind key; they share a hex-blind key (`a`-`f` read as
`0` as well), whose plan is reused once a few byte tests show it holds for the line
(`LineParser._hex_plan`), instead of being built again. The full path
(`LineParser._parse_slow`) stays the reference; `tests/sre/extractors/logs/test_parse.py`
checks the plans against it, and `bench/extract_throughput.py --check-snapshot` checks whole
extractions.

A *record* is one log event: its first line plus the continuation lines that follow it
(stack-trace frames, `Caused by:`, Go goroutine dumps, ...). `iter_records` groups lines
into records in a single streaming pass so that a million lines never become a million
objects held at once. The line-format primitives it builds on live in `parse`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator, Sequence

from sre.extractors.entities import (
    CONTAINER_LOG_PREFIX,
    STERN_PREFIX,
    generated_pod,
    pod_workload,
)
from sre.extractors.logs.owntext import OwnText
from sre.extractors.logs.parse import (
    CLF_RE,
    CONT_START_RE,
    ERROR_LEVELS,
    EXC_HEADER_RE,
    GO_FRAME_FUNC_RE,
    HEAD,
    ISO_RE,
    JSON_TS_RE,
    LOGFMT_TS_RE,
    MAX_CONTINUATION,
    MONTHS,
    PANIC_WORD_RE,
    WEEKDAYS,
    LogRecord,
    MinuteCache,
    ParsedLine,
    clf_ts,
    ctime_ts,
    iso_from_match,
    new_record,
    parse_line,
    syslog_ts,
    ts_from_value,
)

# Shape key: the line with every separator-delimited run containing a digit replaced.
# Two lines with the same key differ only in such runs, so they have the same level and
# the same template; only their time and variable values differ. `templates.mask` replaces
# the same runs (its second pass is this pattern), so equal keys mean equal masks.
SEPARATORS = r"\s=:,;/()\[\]{}<>\"'"
# Possessive (`*+`): a word's letters up to its first digit, then the rest of the word; the
# same matches as `[^sep]*\d[^sep]*`, without backtracking through words that hold no digit.
KEY_RE = re.compile(rf"(?<![^{SEPARATORS}])[^{SEPARATORS}\d]*+\d[^{SEPARATORS}]*+")
_SHAPE_LIMIT = 100_000
_RECORD_STARTS = frozenset("0123456789{")
_NO_STACK: list[str] = []  # shared, never mutated: cached shapes carry no stack
# Collector prefixes before the application's own line: `kubectl logs --prefix`, stern's
# `<pod> <container> `, a tailed container log file's name, and logcli's `<time> {labels} `.
_KUBECTL_PREFIX = re.compile(r"\[pod/[^/\]\s]+/[^\]\s]+\]\s")
_PREFIX_TIME = r"\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})? "
_LOKI_PREFIX = re.compile(_PREFIX_TIME + r"\{[^{}\n]*\} ")
# Promtail's and `kubectl logs --timestamps` exports that name the pod: `<time> <pod> `.
_POD_PREFIX = re.compile(_PREFIX_TIME + r"(?P<pod>[a-z0-9][a-z0-9.-]{2,252}) ")


def collector_prefix(raw: str) -> int:
    """Where the application's own text starts after a collector prefix (0: no prefix)."""
    if raw.startswith("[pod/"):
        m = _KUBECTL_PREFIX.match(raw)
        return m.end() if m is not None else 0
    if raw.find(" {", 10, 48) > 0:
        m = _LOKI_PREFIX.match(raw)
        return m.end() if m is not None else 0
    if raw[10:11] == "T":
        m = _POD_PREFIX.match(raw)
        return m.end() if m is not None and pod_workload(m.group("pod")) is not None else 0
    if raw[:1] in "k/":
        m = CONTAINER_LOG_PREFIX.match(raw)
        if m is not None:
            return m.end()
    if raw[:1].islower():
        m = STERN_PREFIX.match(raw)
        return m.end() if m is not None and generated_pod(m.group("pod")) else 0
    return 0


# Digit-blind line key: every ASCII digit byte becomes `0` (UTF-8 never uses those bytes
# inside a multi-byte character). Two lines with equal keys differ only in which digits they
# hold, so every regex here (they treat all digits alike) matches both at the same spans:
# the shape key, the place of the time and the branch `_fast_ts` takes are the same.
ZERO_DIGITS = bytes.maketrans(b"123456789", b"000000000")
_PLAN_LIMIT = 100_000
# Seconds (time text up to the second, with zone) whose epoch is remembered at most.
_SECOND_LIMIT = 100_000
# Fractions of a second (their digits) whose value is remembered at most.
_FRACTION_LIMIT = 100_000
# Plans kept per shape key at most (see `LineParser._keep_plan`).
_PLANS_PER_SHAPE = 256
# Plans stored before the share of lines that reuse one is checked.
_PLAN_TRIAL = 5_000
# Continuation rules remembered at most (only lines not starting with a time ask).
_CONT_LIMIT = 20_000
# Hex-blind key: the digit-blind key with `a`-`f` read as `0` too. Lines that differ only in
# hexadecimal ids (`e5a7c452-8baf-...`, `cc220dfa290f0821`) share one, where each has a
# digit-blind key of its own, so a plan found for one line is checked for the others (see
# `LineParser._hex_plan`) instead of being built again: the shape-key pass costs most of a
# miss. At most this many are remembered.
_HEX_BLIND = bytes.maketrans(b"abcdef", b"000000")
_HEX_PLAN_LIMIT = 20_000
# `ISO_RE` reads at most 5 characters past the end of its match (a zone it fails to read) and
# fewer than this many from the start of a line when it does not match there.
_ISO_LOOKAHEAD = 6
_ISO_READ_MAX = 48
# Plan kinds: where a shape's time is read from (see `LineParser._plan`).
_AT_START = 0  # an ISO time at the start of the line; the shape key is of the rest
_IN_FIELD = 1  # an ISO time inside a JSON/logfmt field; the shape key is of the whole line
_GENERIC = 2  # `_fast_ts` reads the time; the shape key is of the whole line
# (kind, shape key, minute start, minute end, end of the seconds, fraction start or -1,
#  fraction end, fraction divisor, zone start or -1, zone end, end of a leading time or 0)
_Plan = tuple[int, str, int, int, int, int, int, float, int, int, int]
# A plan as found for one line, for the lines of its hex-blind key: (plan, the digit-blind
# bytes the plan's time and branches depend on, the spans its shape key masks, the spans it
# keeps, and those of the kept spans that are not empty).
_HexPlan = tuple[_Plan, bytes, tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]
# Zones that mean UTC, as no zone does: a plan leaves them out of the time it looks up, so
# their lines share one remembered epoch per second and skip a concatenation.
_UTC_ZONES = frozenset({"Z", "z", "UTC"})
# 10**n for a fraction of n digits: `int(digits) / 10**n` is the double nearest to
# `0.digits` (both operands are exact and IEEE division rounds correctly), as `float` reads it.
_FRACTION_DIVISORS = tuple(float(10**n) for n in range(10))


def _time_plan(m: re.Match[str], base: int) -> tuple[int, int, int, int, int, float, int, int]:
    """Where an `ISO_RE` match's minute, second and fraction (with its divisor) and zone are,
    offset by `base` (see `_Plan`)."""
    frac_start, frac_end = m.span(3)
    zone_start, zone_end = m.span(4)
    if zone_start >= 0 and m.group(4) in _UTC_ZONES:
        zone_start = -1
    return (
        base + m.start(1),
        base + m.end(1),
        base + m.end(2),
        base + frac_start if frac_start >= 0 else -1,
        base + frac_end,
        _FRACTION_DIVISORS[frac_end - frac_start] if frac_start >= 0 else 1.0,
        base + zone_start if zone_start >= 0 else -1,
        base + zone_end,
    )


class LineParser:
    """`parse_line` with a cache of line shapes, for throughput on large inputs.

    The first line of each shape (see `KEY_RE`) is parsed fully; later lines of the same
    shape only have their time read, and reuse the first line's level and message (the
    *representative*, which masks to the same template). Such results are marked inexact;
    `exact` re-parses a line when its own message and fields are needed (error lines).

    Computing a shape key is a regex pass; most lines instead hit a *plan* found by their
    digit-blind key (`ZERO_DIGITS`): the shape key and where the time sits, so a repeated
    line costs a byte translation, two dict lookups and reading its time from fixed slices.
    Anything the plan cannot vouch for (an impossible date) takes the full path.
    """

    def __init__(self, default_year: int = 1970) -> None:
        self.default_year = default_year
        self._minutes = MinuteCache()
        self._seconds: dict[str, float | None] = {}
        self._fractions: dict[str, float] = {}  # fraction digits -> their value
        self._shapes: dict[str, ParsedLine] = {}
        self._plans: dict[bytes, _Plan | str] = {}
        self._own = OwnText(self.exact)
        self._cont: dict[bytes, int] = {}
        self._plans_per_shape: dict[str, int] = {}
        self._hex_plans: dict[bytes, _HexPlan] = {}
        self._lines = self._misses = 0

    def prefix_time(self, raw: str) -> float | None:
        """The time a collector prefix carries (`<time> {labels} ...`), or None."""
        m = ISO_RE.match(raw)
        return iso_from_match(m, self._minutes) if m is not None else None

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
            blind = raw.encode("utf-8", "surrogatepass").translate(ZERO_DIGITS)
        plan = self._plans.get(blind)
        if plan is None:
            plan = self._hex_plan(raw, blind) if with_time and self._hex_plans else None
            if plan is None:
                self._misses += 1
                if with_time and self._misses > _PLAN_TRIAL and self._misses * 2 > self._lines:
                    # Few lines repeat a blind key: building plans would cost more than they save.
                    return self._parse_slow(raw)
                plan = sys.intern(KEY_RE.sub("0", raw)) if not with_time else self._plan(raw, blind)
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
        # `_second_base`, inlined: this runs once per line. Logs repeat each second many
        # times, so the time up to its second (with its zone, unless UTC) is looked up whole.
        kind, _, m0, _, s2, f0, f1, scale, z0, z1, _ = plan
        second = raw[m0:s2] if z0 < 0 else raw[m0:s2] + raw[z0:z1]
        base = self._seconds.get(second, -1.0)
        if base == -1.0:  # not known (or that very epoch, which is then recomputed)
            base = self._second_epoch(raw, plan, second)
        ts: float | None = None
        if base is not None:
            ts = base
            if f0 >= 0:
                digits = raw[f0:f1]
                fraction = self._fractions.get(digits)
                if fraction is None:
                    fraction = int(digits) / scale
                    if len(self._fractions) < _FRACTION_LIMIT:
                        self._fractions[digits] = fraction
                ts = base + fraction
            if not ts and kind == _IN_FIELD:
                ts = None  # `parse_iso(..) or ..`: epoch 0 reads as no time there
        elif kind == _AT_START:
            # The full path keys an untimed line by all of it: not this plan's key.
            return self._parse_slow(raw)
        shape = self._shapes.get(key)
        if shape is None:
            return self._first_of_shape(raw, key)
        return ts, shape, False, key

    def _second_epoch(self, raw: str, plan: _Plan, second: str) -> float | None:
        """Epoch of the time at `plan`'s slices without its fraction (None: no valid time),
        remembered by `second`, that text up to the second with its zone (unless UTC)."""
        _, _, m0, m1, s2, _, _, _, z0, z1, _ = plan
        sec = raw[s2 - 2 : s2]
        base = self._minutes.epoch(raw[m0:m1], raw[z0:z1] if z0 >= 0 else "")
        value = None if base is None or sec > "60" else base + int(sec)
        if len(self._seconds) < _SECOND_LIMIT:
            self._seconds[second] = value
        return value

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

    def _second_base(self, raw: str, plan: _Plan) -> float | None:
        """Epoch of the time at `plan`'s slices without its fraction (None: not a valid time)."""
        _, _, m0, _, s2, _, _, _, z0, z1, _ = plan
        second = raw[m0:s2] if z0 < 0 else raw[m0:s2] + raw[z0:z1]
        base = self._seconds.get(second, -1.0)
        return self._second_epoch(raw, plan, second) if base == -1.0 else base

    def own_text(self, raw: str) -> tuple[str, dict[str, str]]:
        """`exact(raw)`'s message and fields, for a line that took a cached shape.

        Lines whose time the plan locates are sliced or remembered (see `OwnText`); others
        are parsed again.
        """
        blind = raw.encode("utf-8", "surrogatepass").translate(ZERO_DIGITS)
        plan = self._plans.get(blind)
        if isinstance(plan, tuple):
            if plan[0] == _AT_START and self._second_base(raw, plan) is not None:
                return self._own.after_time(raw, blind, plan[10])
            if plan[0] == _IN_FIELD:
                return self._own.around_field_time(raw, blind, plan[2], plan[10])
        parsed = self.exact(raw)
        return parsed.message, parsed.fields

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

    def _plan(self, raw: str, blind: bytes) -> _Plan:
        """Shape key and time position for every line of `raw`'s digit-blind key `blind`.

        Follows the branches of `_parse_slow` and `_fast_ts`; each test taken is one that
        lines differing only in digits pass or fail together. A timed plan of an ASCII line
        is also remembered by its hex-blind key (`_hex_plan`).
        """
        first = raw[:1]
        m = ISO_RE.match(raw) if first.isdigit() or first == "[" else None
        if m is not None:
            end = m.end()
            rest = raw[end:]
            key = sys.intern(KEY_RE.sub("0", rest))  # plans share few shape keys
            plan: _Plan = (_AT_START, key, *_time_plan(m, 0), end)
            if raw.isascii():
                self._remember_hex(plan, rest, end, blind, blind[: end + _ISO_LOOKAHEAD])
            return plan
        key = sys.intern(KEY_RE.sub("0", raw))
        value = self._ts_field(raw)
        if value is not None:
            start, text = value
            lead = len(text) - len(text.lstrip())
            im = ISO_RE.match(text.strip())
            if im is not None:
                at = start + lead
                plan = (_IN_FIELD, key, *_time_plan(im, at), at + im.end())
                # `_ts_field`'s branches read the line up to the character after the field's
                # value (and `ISO_RE` its start); a logfmt line may also take the CLF branch,
                # whose month names are hex letters: only without a `/` in its head.
                if raw.isascii() and (first == "{" or "/" not in raw[:HEAD]):
                    head = start + len(text) + 1
                    if first.isdigit() or first == "[":
                        head = max(head, _ISO_READ_MAX)
                    self._remember_hex(plan, raw, 0, blind, blind[:head])
                return plan
        return (_GENERIC, key, 0, 0, 0, -1, 0, 1.0, -1, 0, 0)

    def _remember_hex(self, plan: _Plan, body: str, base: int, blind: bytes, head: bytes) -> None:
        """Keep `plan` for the lines of its hex-blind key; `body` (the line from `base` on)
        is the text its shape key is of, `head` the digit-blind bytes it depends on."""
        if len(self._hex_plans) >= _HEX_PLAN_LIMIT:
            return
        masked = tuple((base + m.start(), base + m.end()) for m in KEY_RE.finditer(body))
        kept = []
        at = base
        for start, end in masked:
            kept.append((at, start))
            at = end
        kept.append((at, base + len(body)))
        if "0".join([body[a - base : b - base] for a, b in kept]) != plan[1]:
            return  # the spans do not rebuild the key (they always should): keep nothing
        self._hex_plans.setdefault(blind.translate(_HEX_BLIND), (plan, head, masked, tuple(kept)))

    def _hex_plan(self, raw: str, blind: bytes) -> _Plan | None:
        """The plan of a line of a known hex-blind key, when the checks show it is the one
        `_plan` would build; None otherwise.

        Lines of one hex-blind key have their separators, and every character other than
        a digit or `a`-`f`, at the same places, so `KEY_RE` sees the same words. The plan
        holds when the bytes its time and branches read are the same digit-blind bytes, every
        word it masks holds a digit and no other text does: then its shape key is the kept
        text of this line with `0` between.
        """
        if not raw.isascii():
            return None
        found = self._hex_plans.get(blind.translate(_HEX_BLIND))
        if found is None:
            return None
        plan, head, masked, kept = found
        if not blind.startswith(head):
            return None
        for start, end in masked:
            if blind.find(b"0", start, end) < 0:
                return None
        for start, end in kept:
            if blind.find(b"0", start, end) >= 0:
                return None
        key = sys.intern("0".join([raw[start:end] for start, end in kept]))
        return (plan[0], key, *plan[2:])

    def _ts_field(self, raw: str) -> tuple[int, str] | None:
        """Start and text of the field `_fast_ts` reads a JSON/logfmt time from, if it
        would reach one whatever the line's digits; None otherwise."""
        if raw[:1] == "{":
            m = JSON_TS_RE.search(raw)
        elif raw[:3] in MONTHS or raw[:3] in WEEKDAYS or raw[1:4] in WEEKDAYS:
            return None
        elif "/" in raw[:HEAD] and CLF_RE.search(raw, 0, HEAD) is not None:
            return None  # whether the CLF time is valid depends on its digits
        elif "=" in raw:
            m = LOGFMT_TS_RE.search(raw)
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
        m = ISO_RE.match(raw) if first.isdigit() or first == "[" else None
        ts = None
        if m is not None:
            ts = iso_from_match(m, self._minutes)
        body = raw if ts is None or m is None else raw[m.end() :]
        key = KEY_RE.sub("0", body)
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
            EXC_HEADER_RE.match(parsed.message) or PANIC_WORD_RE.search(parsed.message)
        ):
            parsed.level = "ERROR"
        return parsed

    def _fast_ts(self, raw: str) -> float | None:
        first = raw[:1]
        if first == "{":
            m = JSON_TS_RE.search(raw)
            return ts_from_value(m.group(1).strip(), self.default_year) if m else None
        if raw[:3] in MONTHS:
            return syslog_ts(raw, self.default_year)
        if raw[:3] in WEEKDAYS or raw[1:4] in WEEKDAYS:
            got = ctime_ts(raw)
            return got[0] if got else None
        if "/" in raw[:HEAD]:
            clf = clf_ts(raw)
            if clf is not None:
                return clf[0]
        if "=" in raw:
            m = LOGFMT_TS_RE.search(raw)
            return ts_from_value(m.group(1), self.default_year) if m else None
        return None


# Lines sampled, at most, to decide whether a log carries collector prefixes at all.
PREFIX_SAMPLE = 2_000


def has_collector_prefixes(lines: Sequence[str]) -> bool:
    """Whether an even sample of the lines shows a collector prefix: looking for one on
    every line of a million costs a third of a second, and a collector writes all of its
    lines the same way."""
    stride = max(1, len(lines) // PREFIX_SAMPLE)
    return any(collector_prefix(line) for line in lines[::stride])


def iter_records(
    lines: Iterable[str],
    default_year: int = 1970,
    parser: LineParser | None = None,
    prefixes: bool = True,
) -> Iterator[LogRecord]:
    """Group lines into records (first line + continuation lines), streaming.

    Lines with a timestamp always start a record. A line without one continues the
    previous record when it is indented, starts a known stack-trace form, or is an
    exception header following an error (see `is_continuation`). Blank lines are skipped.
    Records built from a cached shape have `exact=False` (see `LineParser`). With
    `prefixes` False, no line is looked at for a collector prefix (`has_collector_prefixes`).
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
            yield from iter_records(parts, parser.default_year, parser, prefixes)
            continue
        try:
            blind = raw.encode().translate(ZERO_DIGITS)  # naming no handler is faster
        except UnicodeEncodeError:  # a lone surrogate (JSON's `\ud800`)
            blind = raw.encode("utf-8", "surrogatepass").translate(ZERO_DIGITS)
        # Most lines start with a digit (a time) or `{` (JSON): skip the continuation checks.
        if (
            current is not None
            and raw[0] not in _RECORD_STARTS
            and parser.continues(raw, blind, current)
        ):
            _append(current, raw)
            continue
        cut = collector_prefix(raw) if prefixes else 0
        if cut:
            # The record keeps the whole line (the prefix names its pod); its time, level
            # and message are those of the application's own line after the prefix.
            text = raw[cut:]
            text_blind = blind[len(raw[:cut].encode("utf-8", "surrogatepass")) :]
            if (
                current is not None
                and text[:1] not in _RECORD_STARTS
                and _same_source(raw, cut, current.raw)
                and _continuation_rule(text) != _NEVER
                and parser.continues(text, text_blind, current)
            ):
                # A stack trace exported line by line, each behind the collector's prefix.
                _append(current, text)
                continue
            ts, parsed, exact, shape = parser.parse_parts(text, True, text_blind)
            stamped = parser.prefix_time(raw)
            if stamped is not None and (ts is None or abs(ts - stamped) >= ZONE_GAP):
                # The application's own time that far from its collector's is local time
                # written without its zone: the collector's clock, one for every line, wins.
                ts = stamped
        else:
            ts, parsed, exact, shape = parser.parse_parts(raw, True, blind)
        if current is not None:
            yield current
        # Positional arguments: keyword passing costs measurably at one record per line.
        current = new_record(
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


# Seconds between an application's own time and its collector prefix's beyond which the
# application's is read as local time without a zone (zones differ by whole hours; a
# collector receives a line within seconds).
ZONE_GAP = 1800.0

# What a line's own text says about continuing the record before it (see `is_continuation`).
_NEVER, _ALWAYS, _IF_TRACE_OR_ERROR, _IF_TRACE = range(4)


def _continuation_rule(raw: str) -> int:
    """`is_continuation` for a line without a time, split into what the line alone decides."""
    first = raw[:1]
    if first in ("{", "[") or first.isdigit() or ISO_RE.match(raw) is not None:
        return _NEVER
    if first in (" ", "\t") or CONT_START_RE.match(raw):
        return _ALWAYS
    if EXC_HEADER_RE.match(raw):
        return _IF_TRACE_OR_ERROR
    return _IF_TRACE if GO_FRAME_FUNC_RE.match(raw) else _NEVER


def _same_source(raw: str, cut: int, other: str) -> bool:
    """Whether two lines carry the same collector prefix apart from its time (the same
    pod, container or label set)."""
    source = raw[raw.find(" ") + 1 if raw[:1].isdigit() else 0 : cut]
    other_cut = collector_prefix(other)
    return other_cut > 0 and other[other_cut - len(source) : other_cut] == source


def _append(record: LogRecord, line: str) -> None:
    record.line_count += 1
    if len(record.continuation) < MAX_CONTINUATION:
        record.continuation.append(line)
