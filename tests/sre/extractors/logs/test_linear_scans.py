"""Linear scans: each rewritten pattern matches exactly what its quadratic form did.

Timings live in `bench/long_lines.py`; here only behaviour is checked. (Lines are capped
where the payload is read: `alpha.schemas.incident.MAX_LOG_LINE_CHARS`.)
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from sre.extractors.logs import trace
from sre.extractors.logs.parse import GO_FRAME_FUNC_RE

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
