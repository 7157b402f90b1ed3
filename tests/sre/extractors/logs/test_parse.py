"""Tests for log line parsing and record grouping (`sre.extractors.logs.parse`)."""

from __future__ import annotations

import json
import math
import random
import re
from calendar import timegm
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sre.extractors.logs.parse import (
    LEVELS,
    LogRecord,
    is_continuation,
    new_record,
    normalize_level,
    parse_iso,
    parse_line,
)
from sre.extractors.logs.shapes import (
    KEY_RE,
    SEPARATORS,
    ZERO_DIGITS,
    LineParser,
    has_collector_prefixes,
    iter_records,
)

T0 = float(timegm((2026, 11, 20, 14, 3, 11, 0, 0, 0)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20T14:03:11Z", T0),
        ("2026-11-20T14:03:11.500Z", T0 + 0.5),
        ("2026-11-20 14:03:11,123", T0 + 0.123),
        ("2026-11-20T16:03:11+02:00", T0),
        ("2026-11-20T09:03:11-0500", T0),
        ("[2026-11-20 14:03:11]", T0),
    ],
)
def test_parse_iso_forms(text: str, expected: float) -> None:
    """ISO-8601 times with Z, offsets, comma millis and brackets give the same epoch."""
    assert parse_iso(text) == pytest.approx(expected)


def test_parse_iso_rejects_impossible_dates() -> None:
    """A month 13 or hour 25 is not a time."""
    assert parse_iso("2026-13-20T14:03:11Z") is None
    assert parse_iso("2026-11-20T25:03:11Z") is None


@pytest.mark.parametrize(
    ("word", "level"),
    [("warning", "WARN"), ("ERR", "ERROR"), ("critical", "FATAL"), ("Info", "INFO"), ("x", None)],
)
def test_normalize_level(word: str, level: str | None) -> None:
    """Level aliases map to canonical names; unknown words map to None."""
    assert normalize_level(word) == level


def test_plain_line_with_timestamp_and_level() -> None:
    """A plain line yields its time, level and the message without both."""
    parsed = parse_line("2026-11-20T14:03:11Z ERROR connect to db:5432 timed out")
    assert parsed.ts == T0
    assert parsed.level == "ERROR"
    assert parsed.message == "connect to db:5432 timed out"


def test_bracketed_level_and_lower_case_prose() -> None:
    """`[warn]` is a level; the word `error` inside prose is not."""
    assert parse_line("2026-11-20 14:03:11 [warn] slow query").level == "WARN"
    assert parse_line("2026-11-20 14:03:11 request had an error in it").level is None


@pytest.mark.parametrize(
    "line",
    [
        '{"ts": "2026-11-20T14:03:11Z", "level": "error", "msg": "boom"}',
        '{"time": "2026-11-20T14:03:11Z", "severity": "ERROR", "message": "boom"}',
        '{"@timestamp": "2026-11-20T14:03:11Z", "lvl": "err", "error": "boom"}',
        '{"timestamp": 1795183391, "level": "error", "msg": "boom"}',
        '{"timestamp": 1795183391000, "level": "error", "msg": "boom"}',
    ],
)
def test_json_variants(line: str) -> None:
    """JSON lines with common key variants and epoch s/ms parse to the same record."""
    parsed = parse_line(line)
    assert parsed.ts == pytest.approx(T0)
    assert parsed.level == "ERROR"
    assert parsed.message == "boom"


def test_json_extra_fields_and_embedded_stack() -> None:
    """Other JSON keys become fields; a multi-line stack field becomes trace lines."""
    line = (
        '{"ts": "2026-11-20T14:03:11Z", "level": "error", "msg": "failed", "upstream": '
        '"http://inv:8080/x", "stack": "Traceback (most recent call last):\\n  File '
        '\\"/app/a.py\\", line 3, in f\\nValueError: bad"}'
    )
    parsed = parse_line(line)
    assert parsed.fields["upstream"] == "http://inv:8080/x"
    assert parsed.stack[-1] == "ValueError: bad"


def test_serilog_compact_json() -> None:
    """Serilog's CLEF (`@t`, `@mt`, `@l`, `@x`): time, level, template and exception read;
    an event without `@l` is Information, as the format defines."""
    line = (
        '{"@t": "2026-11-20T14:03:11.0000000Z", "@mt": "Search failed against {Cluster}",'
        ' "@l": "Error", "Cluster": "es-main", "@x": "Elastic.ClientException: 503 from'
        ' POST /p/_search\\n   at Elastic.Transport.Send() in /src/T.cs:line 9"}'
    )
    parsed = parse_line(line)
    assert parsed.ts == pytest.approx(T0)
    assert (parsed.level, parsed.message) == ("ERROR", "Search failed against {Cluster}")
    assert parsed.fields["Cluster"] == "es-main"
    assert parsed.stack[0].startswith("Elastic.ClientException: 503")
    info = parse_line('{"@t": "2026-11-20T14:03:11Z", "@mt": "Started {Port}", "Port": 80}')
    assert (info.ts, info.level) == (pytest.approx(T0), "INFO")
    assert parse_line('{"@t": "2026-11-20T14:03:11Z", "note": "x"}').level is None


def test_logfmt_line() -> None:
    """logfmt keys give time, level, message and remaining fields (quotes removed)."""
    parsed = parse_line('time=2026-11-20T14:03:11Z level=error msg="dial failed" host=db:5432')
    assert (parsed.ts, parsed.level, parsed.message) == (T0, "ERROR", "dial failed")
    assert parsed.fields == {"host": "db:5432"}


def test_syslog_prefix_uses_default_year() -> None:
    """A syslog time without a year takes the given default year."""
    parsed = parse_line("Nov 20 14:03:11 web-1 app[42]: ERROR disk full", default_year=2026)
    assert parsed.ts == T0
    assert parsed.level == "ERROR"


def test_plain_text_without_anything() -> None:
    """A bare message has no time and no level, and keeps its text."""
    parsed = parse_line("just some words")
    assert (parsed.ts, parsed.level, parsed.message) == (None, None, "just some words")


PY_TRACE = [
    "2026-11-20T14:03:11Z ERROR checkout failed",
    "Traceback (most recent call last):",
    '  File "/app/app/db/pool.py", line 42, in acquire',
    "    conn = pool.get()",
    "psycopg2.OperationalError: pool exhausted",
    "2026-11-20T14:03:12Z INFO next",
]


def test_python_traceback_is_one_record() -> None:
    """A Python traceback, including its final exception line, joins the error record."""
    records = list(iter_records(PY_TRACE))
    assert len(records) == 2
    assert records[0].continuation[-1] == "psycopg2.OperationalError: pool exhausted"
    assert records[0].line_count == 5


def test_java_trace_with_caused_by_is_one_record() -> None:
    """A Java exception line after an ERROR, `at` frames and `Caused by:` form one record."""
    lines = [
        "2026-11-20T14:03:11Z ERROR Checkout failed",
        "java.lang.IllegalStateException: boom",
        "\tat com.x.shop.Checkout.pay(Checkout.java:42)",
        "Caused by: java.sql.SQLTimeoutException: slow",
        "\t... 12 more",
    ]
    records = list(iter_records(lines))
    assert len(records) == 1
    assert len(records[0].continuation) == 4


def test_go_panic_groups_goroutine_dump() -> None:
    """A Go panic line starts an ERROR record that holds the goroutine dump."""
    lines = [
        "panic: runtime error: index out of range",
        "",
        "goroutine 1 [running]:",
        "main.handler(0x0)",
        "\t/src/app/handler.go:123 +0x1d",
    ]
    records = list(iter_records(lines))
    assert len(records) == 1
    assert records[0].level == "ERROR"
    assert records[0].continuation[-1].strip().startswith("/src/app/handler.go")


def test_node_trace_frames_attach() -> None:
    """Indented Node `at` frames continue the previous record."""
    lines = [
        "2026-11-20T14:03:11Z ERROR TypeError: x is undefined",
        "    at handler (/app/src/routes/cart.js:10:5)",
    ]
    assert len(list(iter_records(lines))) == 1


def test_unrelated_untimed_lines_stay_separate() -> None:
    """Untimed plain lines after an INFO record are records of their own."""
    lines = ["2026-11-20T14:03:11Z INFO a", "starting worker", "ready"]
    assert len(list(iter_records(lines))) == 3


def test_payload_line_with_newlines_is_split() -> None:
    """One payload entry holding a whole trace is split into its lines."""
    records = list(iter_records(["\n".join(PY_TRACE)]))
    assert len(records) == 2


def test_line_parser_matches_parse_line_on_repeated_shapes() -> None:
    """Cached shapes give the same time and level as a full parse."""
    parser = LineParser(2026)
    for second in range(10):
        line = f"2026-11-20T14:03:{second:02d}Z WARN retry {second} of 5"
        parsed, _, _ = parser.parse(line)
        full = parse_line(line)
        assert (parsed.ts, parsed.level) == (full.ts, full.level)
    json_line = '{"ts": "2026-11-20T14:03:0%dZ", "level": "info", "msg": "tick %d"}'
    for second in range(3):
        parsed, exact, _ = parser.parse(json_line % (second, second))
        assert parsed.ts == parse_line(json_line % (second, second)).ts
    assert not exact


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses_to_a_known_level_and_a_real_time(text: str) -> None:
    """Any text parses, without raising, to a canonical level or none, a finite epoch or
    none, and text fields."""
    parsed = parse_line(text)
    assert parsed.level is None or parsed.level in LEVELS
    assert parsed.ts is None or math.isfinite(parsed.ts)
    assert isinstance(parsed.message, str)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in parsed.fields.items())


_MESSAGE_WORDS = st.sampled_from(
    ["pool", "exhausted", "request", "served", "cache", "miss", "user", "42", "/api/orders"]
    + ["took", "ms", "db-1.internal:5432", "ok"]
)


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)),
    st.sampled_from(LEVELS),
    st.lists(_MESSAGE_WORDS, min_size=1, max_size=8).map(" ".join),
    st.sampled_from(["plain", "json", "logfmt"]),
)
def test_a_written_line_parses_back_to_its_time_level_and_message(
    moment: datetime, level: str, message: str, form: str
) -> None:
    """A line written as plain text, JSON or logfmt gives back its time (to the
    millisecond), its level and its message."""
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    line = {
        "plain": f"{stamp} {level} {message}",
        "json": json.dumps({"ts": stamp, "level": level.lower(), "msg": message}),
        "logfmt": f'ts={stamp} level={level.lower()} msg="{message}"',
    }[form]
    parsed = parse_line(line)
    assert (parsed.level, parsed.message) == (level, message)
    assert parsed.ts == pytest.approx(timegm(moment.timetuple()) + moment.microsecond / 1e6)


def _physical_lines(lines: list[str]) -> list[str]:
    """The non-blank lines records are made of: a payload entry holding newlines is split."""
    out: list[str] = []
    for line in lines:
        if "\n" in line:
            out += [part for part in line.splitlines() if part.strip()]
        elif line and not line.isspace():
            out.append(line)
    return out


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(max_size=120), max_size=30))
def test_iter_records_accounts_for_every_line_once_in_order(lines: list[str]) -> None:
    """Grouping any lines never raises; the records' line counts add up to the non-blank
    lines, and each record starts at the next line not yet accounted for."""
    physical = _physical_lines(lines)
    position = 0
    for record in iter_records(lines):
        assert record.raw == physical[position]
        assert record.line_count >= 1
        position += record.line_count
    assert position == len(physical)


def test_records_of_the_parse_loop_equal_constructed_ones() -> None:
    """`new_record` builds the record `LogRecord(...)` does, every field set."""
    args = (T0, "ERROR", "boom", "raw boom", {"k": "v"}, ["  at x"], False, "boom 0")
    assert new_record(*args) == LogRecord(*args)
    assert new_record(*args).line_count == 1


def test_traces_after_cached_shapes_stay_separate() -> None:
    """Continuation lines attach only to their own record, also for cached line shapes."""
    lines = []
    for i in range(3):
        lines += [f"2026-11-20T14:03:1{i}Z ERROR job {i} failed", f"  detail {i}"]
    lines.append("2026-11-20T14:03:19Z ERROR job 9 failed")
    records = list(iter_records(lines))
    assert [r.continuation for r in records] == [["  detail 0"], ["  detail 1"], ["  detail 2"], []]


def test_ctime_header_is_a_time() -> None:
    """An Apache-style `[Fri Nov 20 14:03:11 2026]` prefix is parsed and removed."""
    parsed = parse_line("[Fri Nov 20 14:03:11 2026] [error] mod_jk child init failed")
    assert parsed.ts == T0
    assert parsed.level == "ERROR"
    assert parsed.message == "mod_jk child init failed"
    parser = LineParser()
    parser.parse("[Fri Nov 20 14:03:11 2026] [error] mod_jk child init 1 failed")
    cached, exact, _ = parser.parse("[Fri Nov 20 14:03:11 2026] [error] mod_jk child init 2 failed")
    assert (cached.ts, exact) == (T0, False)


def test_common_log_format_time() -> None:
    """An access-log `[20/Nov/2026:14:03:11 +0000]` time is read and left out of the message."""
    line = '10.0.0.2 - - [20/Nov/2026:15:03:11 +0100] "GET /healthz HTTP/1.1" 200 3996 "-"'
    parsed = parse_line(line)
    assert parsed.ts == T0
    assert "Nov" not in parsed.message
    parser = LineParser()
    parser.parse(line)
    cached, exact, _ = parser.parse(line.replace("3996", "4100"))
    assert (cached.ts, exact) == (T0, False)


def test_kubectl_prefix_keeps_the_time_and_level_that_follow_it() -> None:
    """`kubectl logs --prefix --timestamps` lines: the record's time and level are those
    after the `[pod/...]` prefix, and the record keeps the whole line (its pod)."""
    line = "[pod/cart-7f9c8d6b5-x2k4p/cart] 2026-11-20T14:03:11Z ERROR charge failed"
    lines = [line, line.replace("14:03:11", "14:03:12")]
    records = list(iter_records(lines, 2026))
    assert [r.ts for r in records] == [T0, T0 + 1]
    assert records[0].level == "ERROR" and records[0].message == "charge failed"
    assert records[1].raw.startswith("[pod/cart-7f9c8d6b5-x2k4p/cart] ")


def test_loki_label_set_prefix_keeps_the_level_of_the_line_after_it() -> None:
    """logcli's `<time> {labels} <line>`: the level and message are the application line's;
    without a time of its own, the record takes the prefix's."""
    labels = '{namespace="shop", pod="cart-7f9c8d6b5-x2k4p"}'
    own = f"2026-11-20T14:03:11Z {labels} 2026-11-20 14:03:11.000 ERROR 1 --- charge failed"
    bare = f"2026-11-20T14:03:12Z {labels} WARN cache miss"
    first, second = iter_records([own, bare], 2026)
    assert (first.ts, first.level) == (T0, "ERROR") and "charge failed" in first.message
    assert (second.ts, second.level, second.message) == (T0 + 1, "WARN", "cache miss")


def test_a_stack_trace_exported_line_by_line_behind_a_pod_prefix_is_one_record() -> None:
    """Promtail's `<time> <pod> <line>`: the exception and frames that follow an error line
    of the same pod continue its record; the other pod's line between them does not, and
    the next pod's own line starts a record of its own."""
    pod, other = "preserve-7d9f8c6b5-x2k4p", "station-5c8d7f9b6-q8mwn"
    lines = [
        f"2026-11-20T14:03:11.1Z {pod} 2026-11-20 14:03:11.100 ERROR [exec-1] Servlet failed",
        f"2026-11-20T14:03:11.2Z {pod} org.springframework.web.client.HttpServerErrorException:"
        ' 503 Service Unavailable: "upstream connect error"',
        f"2026-11-20T14:03:11.3Z {pod} \tat org.springframework.web.client.RestTemplate.x"
        "(RestTemplate.java:791)",
        f"2026-11-20T14:03:11.4Z {pod} Caused by: java.net.ConnectException: refused",
        f"2026-11-20T14:03:11.5Z {other} 2026-11-20 14:03:11.500 INFO [exec-2] query stations",
        f"2026-11-20T14:03:11.6Z {other} org.example.StaleCacheException: after an INFO line",
    ]
    records = list(iter_records(lines, 2026, prefixes=True))
    assert [r.level for r in records] == ["ERROR", "INFO", "INFO"]
    assert [len(r.continuation) for r in records] == [3, 0, 0]
    assert records[0].continuation[0].startswith("org.springframework")
    assert records[0].continuation[2].startswith("Caused by: java.net.ConnectException")
    assert records[1].raw.startswith("2026-11-20T14:03:11.5Z station-")


def test_sterns_columns_are_a_prefix_and_a_json_line_after_a_time_is_parsed() -> None:
    """stern's `<pod> <container> <time> {json}`: the record's time, level and message are
    the JSON line's; `kubectl logs --timestamps` of a JSON log (`<time> {json}`) too."""
    pod = "frontend-xckbf2249-7f292 server"
    lines = [
        f'{pod} 2026-11-20T14:03:11Z {{"severity":"warning","message":"request failed",'
        '"error":"could not retrieve cart"}',
        '2026-11-20T14:03:12Z {"level":"error","msg":"charge failed","order":"o-1"}',
    ]
    assert has_collector_prefixes(lines[:1])
    first, second = iter_records(lines, 2026, prefixes=True)
    assert (first.ts, first.level, first.message) == (T0, "WARN", "request failed")
    assert first.fields["error"] == "could not retrieve cart"
    assert first.raw.startswith(pod)
    assert (second.ts, second.level, second.message) == (T0 + 1, "ERROR", "charge failed")
    assert second.fields["order"] == "o-1"


def test_collector_prefixes_are_detected_on_a_sample() -> None:
    """A log whose lines carry logcli label sets is seen to have prefixes; a plain one is
    not, so its lines are never looked at for one."""
    loki = [
        f'2026-11-20T14:03:{i % 60:02d}Z {{pod="cart-7f9c8d6b5-x2k4p"}} INFO x' for i in range(50)
    ]
    plain = [f"2026-11-20T14:03:{i % 60:02d}Z INFO handled {{json}}" for i in range(50)]
    assert has_collector_prefixes(loki) and not has_collector_prefixes(plain)


def test_lower_case_level_prefix_after_time() -> None:
    """`<time> error: msg` (winston style) has a level; without a time it stays text."""
    assert parse_line("2026-11-20T14:03:11Z error: PATCH /x failed").level == "ERROR"
    assert parse_line("2026-11-20T14:03:11Z info: GET /ping 200").message == "GET /ping 200"
    assert parse_line("error: no time here").level is None


# Line forms whose `{}` slots take digits: the fast path of `LineParser` must treat every
# digit variant of a form exactly as the full path does (impossible dates included).
_FORMS = [
    "{4}-{2}-{2}T{2}:{2}:{2}Z INFO request GET /api/orders/{3} took {2}ms status={3}",
    "{4}-{2}-{2} {2}:{2}:{2},{3} [error] connect to db-{1}.internal:{4} timed out",
    "[{4}-{2}-{2}T{2}:{2}:{2}.{6}+{2}:{2}] WARN retry {1} of {1}",
    "{4}-{2}-{2}T{2}:{2}:{2}Z error: job {2} failed",
    '{{"ts": "{4}-{2}-{2}T{2}:{2}:{2}.{3}Z", "level": "error", "msg": "dial 10.0.0.{1}:{4}"}}',
    '{{"time": {10}, "level": "info", "msg": "tick {2}"}}',
    '{{"msg": "nested", "ctx": {{"ts": "{4}-{2}-{2}T{2}:{2}:{2}Z"}}, "level": "warn"}}',
    '{{"@t": "{4}-{2}-{2}T{2}:{2}:{2}.{7}Z", "@mt": "GET {{Path}} took {{Ms}}", "Ms": {3}}}',
    'time={4}-{2}-{2}T{2}:{2}:{2}Z level=error msg="upstream returned {3}" host=api-{1}:{4}',
    'level=warn msg="saw time={4}-{2}-{2}T{2}:{2}:{2}Z in text" ts={4}-{2}-{2}T{2}:{2}:{2}Z',
    "Nov {2} {2}:{2}:{2} web-{1} app[{3}]: ERROR disk {2}% full",
    '10.0.0.{1} - - [{2}/Nov/{4}:{2}:{2}:{2} +0{1}00] "GET /x/{2} HTTP/1.1" {3} {4}',
    "[Fri Nov {2} {2}:{2}:{2} {4}] [error] child {2} failed",
    "{10} worker {2} started",
    "{4}-{2}-{2} {2}:{2}:{2}.{9} UTC ERROR pool {2} exhausted",
    "{4}-{2}-{2}T{2}:{2}:{2}z INFO tick {2}",
    "plain words with number {3}",
    # Own text that is not one slice of the line, or not at the same offsets for every digit
    # variant: a JSON number (`1.50` reads as `1.5`), a level inside the message, a logfmt
    # message joined from its fields, and a repeated key.
    '{{"ts": "{4}-{2}-{2}T{2}:{2}:{2}Z", "level": "error", "msg": "took {2}", "n": {1}.{2}}}',
    "{4}-{2}-{2}T{2}:{2}:{2}Z [worker-{1}] ERROR job {2} failed",
    "time={4}-{2}-{2}T{2}:{2}:{2}Z level=error a={2} b={3}",
    "time={4}-{2}-{2}T{2}:{2}:{2}Z level=error msg={1} msg={1} host=db-{1}",
]


def _render(form: str, digits: list[str]) -> str:
    slots = iter(digits)

    def fill(width: str) -> str:
        return next(slots)[: int(width)].rjust(int(width), "0")

    return (
        re.sub(r"(?<!\{)\{(\d+)\}", lambda m: fill(m.group(1)), form)
        .replace("{{", "{")
        .replace("}}", "}")
    )


_line_lists = st.lists(
    st.tuples(
        st.sampled_from(_FORMS),
        st.lists(st.text("0123456789", min_size=1, max_size=10), min_size=16, max_size=16),
    ).map(lambda pair: _render(*pair)),
    min_size=1,
    max_size=40,
)


def _assert_fast_matches_full(fast: LineParser, full: LineParser, line: str) -> None:
    """`line` through the plans of `fast` parses as through the full path of `full`."""
    ts, parsed, exact, key = fast.parse_parts(line)
    ref_ts, ref, ref_exact, ref_key = full._parse_slow(line)
    assert (ts, exact, key) == (ref_ts, ref_exact, ref_key), line
    assert (parsed.level, parsed.message, parsed.fields) == (ref.level, ref.message, ref.fields)


@settings(max_examples=150, deadline=None)
@given(_line_lists)
def test_fast_path_matches_full_path(lines: list[str]) -> None:
    """Per-shape plans give the same time, level, message, fields and shape as the full path."""
    fast, full = LineParser(2026), LineParser(2026)
    for line in lines:
        _assert_fast_matches_full(fast, full, line)


@settings(max_examples=150, deadline=None)
@given(_line_lists)
def test_own_text_matches_exact_parse(lines: list[str]) -> None:
    """A cached line's own message and fields (remembered without its time) equal a full parse."""
    parser = LineParser(2026)
    for line in lines:
        parser.parse_parts(line)
        parsed = parser.exact(line)
        assert parser.own_text(line) == (parsed.message, parsed.fields)


def test_time_inside_a_message_is_not_cut_out() -> None:
    """A logfmt time that also sits inside the quoted message keeps each line's own message."""
    parser = LineParser(2026)
    form = 'level=warn msg="saw ts=2026-11-20T14:03:1{0}Z" ts=2026-11-20T14:03:1{0}Z'
    for second in range(3):
        line = form.format(second)
        parser.parse_parts(line)
        assert parser.own_text(line)[0] == f"saw ts=2026-11-20T14:03:1{second}Z"


def test_cached_continuation_rules_match_is_continuation() -> None:
    """Remembered continuation decisions equal `is_continuation` for the same neighbours."""
    candidates = [
        '  File "/app/x.py", line 3, in f',
        "ValueError: bad 1",
        "Caused by: java.io.IOException: x2",
        "main.handler(0x4000)",
        "goroutine 7 [running]:",
        "time=2026-11-20T14:03:11Z level=info msg=ok",
        "plain text 12",
    ]
    prevs = [
        LogRecord(T0, "ERROR", "boom", "boom"),
        LogRecord(T0, "INFO", "ok", "ok"),
        LogRecord(T0, "INFO", "ok", "ok", continuation=["  at x"]),
    ]
    parser = LineParser(2026)
    for _ in range(2):  # the second round answers from the cache
        for line in candidates:
            blind = line.encode().translate(ZERO_DIGITS)
            for prev in prevs:
                assert parser.continues(line, blind, prev) == is_continuation(line, prev)


def test_year_zero_is_no_time() -> None:
    """An ISO time in year 0 parses to no time instead of raising."""
    assert parse_line("0000-01-01T00:00:00Z INFO x").ts is None
    assert parse_iso("0000-01-01T00:00:00Z") is None


def test_fast_path_matches_full_path_when_plans_stop() -> None:
    """Past the plan limits (lines that never repeat a blind key) results stay the full path's."""
    rng = random.Random(3)
    fast, full = LineParser(2026), LineParser(2026)
    for i in range(12_000):
        if i % 3:
            line = f"2026-11-20T14:{i % 60:02d}:{i % 59:02d}Z WARN id {rng.getrandbits(48):x} gone"
        else:
            line = f'{{"ts": "2026-11-20T14:03:{i % 60:02d}Z", "level": "info", "msg": "ok {i}"}}'
        _assert_fast_matches_full(fast, full, line)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=" =:,;/()[]{}<>\"'\tab.-_x019٣", max_size=40))
def test_possessive_shape_key_matches_backtracking_form(text: str) -> None:
    """The possessive shape-key pattern replaces exactly what the plain form does."""
    plain = re.compile(rf"(?<![^{SEPARATORS}])[^{SEPARATORS}]*\d[^{SEPARATORS}]*")
    assert KEY_RE.sub("0", text) == plain.sub("0", text)


# Line forms whose `{h}` slots take hexadecimal ids of varying width, with and without digits
# (`cafe` has none: that word stays in the shape key), `{n}` slots digits and `{t}` a time:
# plans found through a hex-blind key must be the ones built for the line itself.
_HEX_FORMS = [
    "{t} INFO Completed refund for account {h}-{h}-{h}",
    "{t} INFO session {h} expired after {n} minutes",
    '{{"ts": "{t}", "level": "warn", "msg": "trace {h} span {h} took {n}ms"}}',
    'time={t} level=error msg="job {h} failed" worker={h}',
    "{t} ERROR bad {h} fed {h} at {h}/{n}",
]


@st.composite
def _hex_line(draw: st.DrawFn) -> str:
    form = draw(st.sampled_from(_HEX_FORMS))
    second = draw(st.integers(0, 59))
    zone = draw(st.sampled_from(["Z", "", ".123Z", ".5 UTC", "+02:00"]))
    time = f"2026-11-20T14:03:{second:02d}{zone}"
    hexes = iter(draw(st.lists(st.text("0123456789abcdef", min_size=1, max_size=12), min_size=4)))
    numbers = iter(draw(st.lists(st.text("0123456789", min_size=1, max_size=4), min_size=2)))
    return (
        re.sub(
            r"\{([htn])\}",
            lambda m: {"t": time, "h": next(hexes, "0"), "n": next(numbers, "1")}[m.group(1)],
            form,
        )
        .replace("{{", "{")
        .replace("}}", "}")
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(_hex_line(), min_size=1, max_size=40))
def test_plans_found_by_hex_blind_key_match_full_path(lines: list[str]) -> None:
    """Lines that differ only in hex ids take a plan checked against the first one's, with the
    same time, level, message, fields and shape as the full path."""
    fast, full = LineParser(2026), LineParser(2026)
    for line in lines:
        _assert_fast_matches_full(fast, full, line)


def test_hex_ids_reuse_one_plan_instead_of_building_one_per_line() -> None:
    """A million-line log of ids is not a million plans: lines differing only in hex ids
    (uuids with and without letters in each group) are served by the first line's plan."""
    rng = random.Random(11)
    parser, full = LineParser(2026), LineParser(2026)
    lines = [
        f"2026-11-20T14:03:{i % 60:02d}.{i:06d}Z INFO Completed refund for account "
        f"{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-0259-{rng.getrandbits(48):012x}"
        for i in range(2_000)
    ]
    for line in lines:
        _assert_fast_matches_full(parser, full, line)
    assert parser._misses < 20  # the shape key was built for a handful of lines, not 2,000


@pytest.mark.parametrize(
    "lines",
    [
        # A word of hex letters is kept in the shape key; with a digit it is masked.
        ["2026-11-20T14:03:11Z INFO bad cafe", "2026-11-20T14:03:12Z INFO bad c4fe"],
        ["2026-11-20T14:03:11Z INFO bad c4fe", "2026-11-20T14:03:12Z INFO bad cafe"],
        # A hex letter where the time has a digit: no time at all.
        ["2026-11-20T14:03:11Z INFO x", "2026-11-2aT14:03:11Z INFO x"],
        # A field name that differs in hex letters only: `fate` is no time key.
        [
            '{"date": "2026-11-20T14:03:11Z", "m": "x"}',
            '{"fate": "2026-11-20T14:03:11Z", "m": "x"}',
        ],
        ['time=2026-11-20T14:03:11Z msg="x"', 'tide=2026-11-20T14:03:11Z msg="x"'],
    ],
)
def test_hex_blind_plans_are_checked_before_use(lines: list[str]) -> None:
    """A line with the hex-blind key of a known plan, but other words, time or field name,
    parses as the full path does."""
    fast, full = LineParser(2026), LineParser(2026)
    for line in lines:
        _assert_fast_matches_full(fast, full, line)


def test_a_collectors_zoned_time_wins_over_an_applications_local_time() -> None:
    """`<UTC time> <pod> <local time, no zone> ERROR ...`: an application writing its local
    time (UTC+8 here) without the zone would put its lines hours after the incident; the
    collector's time is one clock for every line. Within seconds of each other, the
    application's own (finer) time is kept. The second pair comes from cached shapes."""
    prefix = "2026-11-20T14:03:1{0}.000Z ts-order-service-5b67c48447-mv5hb"
    lines = []
    for second in (1, 3):
        lines += [
            f"{prefix.format(second)} 2026-11-20 22:03:1{second}.250 ERROR c.a.Orders - failed",
            f"{prefix.format(second)} 2026-11-20 14:03:1{second + 1}.500 ERROR c.a.Orders - failed",
        ]
    records = list(iter_records(lines))
    assert [r.ts for r in records] == [T0, T0 + 1.5, T0 + 2, T0 + 3.5]
