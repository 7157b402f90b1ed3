"""Linear scans and the line cap: each rewritten pattern matches exactly what its quadratic
form did, and a line past the cap is read as its head.

Timings live in `bench/long_lines.py`; here only behaviour is checked.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from alpha.schemas import IncidentInput
from sre.extractors.logs import trace
from sre.extractors.logs.extract import extract_logs
from sre.extractors.logs.parse import GO_FRAME_FUNC_RE, MAX_LINE_CHARS
from sre.extractors.logs.shapes import iter_records

# The forms these patterns had before they were made linear.
OLD_GO_FRAME_FUNC = re.compile(r"[\w./*()-]+\(.*\)$")
OLD_GO_FUNC = re.compile(r"([\w./*()-]+?)\(.*\)\s*$")
OLD_INLINE_EXC = re.compile(
    r"\b((?:[a-z_][\w]*\.)*[A-Z][A-Za-z0-9]*(?:Error|Exception|Timeout|Fault))\b"
)

GO_TEXT = st.text(alphabet="()a.*/- x\n\t", max_size=40)
# At most 20 tokens, so no dotted chain exceeds the 20 package segments the new form reads.
EXC_TOKENS = st.sampled_from(["a", "b_", "Foo", "Error", "Exception", ".", " ", ":", "1", "x.y"])


@settings(max_examples=500, deadline=None)
@given(GO_TEXT)
def test_go_frame_function_pattern_matches_like_its_quadratic_form(text: str) -> None:
    """The atomic Go frame-function pattern accepts exactly the lines the old form did."""
    assert bool(GO_FRAME_FUNC_RE.match(text)) == bool(OLD_GO_FRAME_FUNC.match(text))


@settings(max_examples=500, deadline=None)
@given(GO_TEXT)
def test_go_function_name_is_read_like_its_quadratic_form(text: str) -> None:
    """The trace reader's Go function pattern matches and captures what the old form did."""
    new, old = trace._GO_FUNC_RE.match(text), OLD_GO_FUNC.match(text)
    assert (new is None) == (old is None)
    if new is not None and old is not None:
        assert new.group(1) == old.group(1)


@settings(max_examples=500, deadline=None)
@given(st.lists(EXC_TOKENS, max_size=20).map("".join))
def test_inline_exception_pattern_finds_what_its_quadratic_form_did(text: str) -> None:
    """Within 20 package segments the bounded pattern finds the same exception type."""
    new, old = trace._INLINE_EXC_RE.search(text), OLD_INLINE_EXC.search(text)
    assert (new and new.group(1)) == (old and old.group(1))


def _incident(lines: list[str]) -> IncidentInput:
    return IncidentInput(
        deployment_id="d-1",
        logs=lines,
        metrics={},
        recent_commits=[],
        config_snapshot={},
    )


def test_a_line_past_the_cap_is_read_as_its_head() -> None:
    """A 1,000,000-character line gives the records and findings of its first MAX_LINE_CHARS."""
    head = "2026-11-20T14:03:11Z ERROR upstream failed: " + "timeout calling db-1 " * 10
    huge = head + "x" * (1_000_000 - len(head))
    capped = huge[:MAX_LINE_CHARS]
    around = ["2026-11-20T14:00:00Z INFO started"]
    records = list(iter_records([*around, huge]))
    assert len(records[-1].raw) == MAX_LINE_CHARS
    assert records[-1].raw == list(iter_records([*around, capped]))[-1].raw
    assert extract_logs(_incident([*around, huge])) == extract_logs(_incident([*around, capped]))


def test_continuation_lines_are_capped_too() -> None:
    """A huge indented continuation line is kept at most MAX_LINE_CHARS long."""
    lines = ["2026-11-20T14:03:11Z ERROR boom", "    at " + "a" * 200_000]
    (record,) = iter_records(lines)
    assert [len(line) for line in record.continuation] == [MAX_LINE_CHARS]


def test_a_multi_line_payload_entry_is_split_before_it_is_capped() -> None:
    """A payload line holding a whole trace keeps every part, each capped on its own."""
    entry = "2026-11-20T14:03:11Z ERROR boom\n" + "    at a.b(C.java:1)\n" * 3
    (record,) = iter_records([entry + "    " + "y" * (2 * MAX_LINE_CHARS)])
    assert record.line_count == 5
    assert len(record.continuation[-1]) == MAX_LINE_CHARS
