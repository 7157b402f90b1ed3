"""Sentry fields are capped as they are read, and the `Link` header parser is linear."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from sre.integrations.http import parse_link_header
from sre.integrations.sentry import (
    MAX_FRAMES_READ,
    MAX_NAME_CHARS,
    MAX_TEXT_CHARS,
    event_log_lines,
    issue_summary_line,
)

OLD_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[\w-]+\s*=\s*(?:\"[^\"]*\"|[^;,\s]*))*)")


def _event(value: str, frames: list[dict[str, object]] | None = None) -> dict[str, object]:
    exception = {"type": "ValueError", "value": value, "stacktrace": {"frames": frames or []}}
    return {
        "dateCreated": "2026-11-20T14:03:11Z",
        "entries": [{"type": "exception", "data": {"values": [exception]}}],
    }


def test_an_8_mb_exception_value_is_cut_at_the_field_cap() -> None:
    """An 8 MB exception value contributes at most MAX_TEXT_CHARS characters to its line."""
    (line,) = event_log_lines(_event("boom " * 1_600_000))
    assert line.startswith("2026-11-20T14:03:11Z ERROR ValueError: boom boom")
    assert len(line) <= MAX_TEXT_CHARS + 100


def test_names_and_source_lines_are_capped() -> None:
    """Huge file names, function names and source lines are cut to MAX_NAME_CHARS each."""
    frame = {"filename": "f" * 10**6, "function": "g" * 10**6, "lineNo": 1, "inApp": True}
    frame["context_line"] = "c" * 10**6
    lines = event_log_lines(_event("bad", [frame]))
    assert max(len(line) for line in lines) <= 2 * MAX_NAME_CHARS + MAX_TEXT_CHARS + 100
    assert all(len(line) < 3 * MAX_NAME_CHARS for line in lines[1:])


def test_a_million_frames_are_read_from_the_innermost_and_counted() -> None:
    """Only the innermost MAX_FRAMES_READ frames are looked at; the omitted count is exact."""
    frames: list[dict[str, object]] = [
        {"filename": f"f{i}.py", "function": "f", "lineNo": i} for i in range(1_000_000)
    ]
    lines = event_log_lines(_event("bad", frames), max_frames=25)
    assert lines[1] == "  ... 999975 outer frame(s) omitted"
    assert lines[-1] == '  File "f999999.py", line 999999, in f'
    assert MAX_FRAMES_READ < 1_000_000


def test_odd_shapes_of_exception_data_do_not_crash() -> None:
    """`values` or `frames` of the wrong type are skipped, never raised on."""
    event = {"entries": [{"type": "exception", "data": {"values": {"a": 1}}}], "title": "t"}
    assert event_log_lines(event) == ["- ERROR t"]
    odd = _event("bad")
    odd["entries"][0]["data"]["values"][0]["stacktrace"] = {"frames": {"x": 1}}  # type: ignore[index]
    assert event_log_lines(odd) == ["2026-11-20T14:03:11Z ERROR ValueError: bad"]


def test_issue_summary_fields_are_capped() -> None:
    """An issue's title and culprit are cut before they become a log line."""
    issue = {
        "firstSeen": "2026-11-20T14:00:00Z",
        "title": "t" * 10**6,
        "culprit": "c" * 10**6,
        "shortId": "S" * 10**6,
    }
    line = issue_summary_line(issue, None)
    assert line is not None and len(line) < MAX_TEXT_CHARS + 3 * MAX_NAME_CHARS + 200


URLS = st.text(alphabet="abc/:?=&.", min_size=1, max_size=20)
PARAMS = st.lists(
    st.tuples(st.sampled_from(["rel", "results", "cursor"]), st.text('abc:0" ;', max_size=8)),
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(URLS, PARAMS), max_size=3), st.text(' ,;>"=a', max_size=10))
def test_link_header_parses_like_its_quadratic_form(
    links: list[tuple[str, list[tuple[str, str]]]], noise: str
) -> None:
    """For URLs without a raw `<` (RFC 3986), the linear pattern reads what the old one did."""
    header = ", ".join(
        f"<{url}>" + "".join(f'; {key}="{value}"' for key, value in params) for url, params in links
    )
    header += noise
    old = [(m.group(1), m.group(2)) for m in OLD_LINK.finditer(header) if "<" not in m.group(1)]
    from sre.integrations.http import _LINK_RE

    new = [(m.group(1), m.group(2)) for m in _LINK_RE.finditer(header)]
    assert new == old
    assert isinstance(parse_link_header(header), list)
