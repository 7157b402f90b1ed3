"""Terminal and Slack safety: no control or bidirectional character leaves the process.

An ESC byte from a log line would reach a terminal as an escape sequence; U+202E would
reverse what a reader sees; a newline inside a deployment id would print a line of its own
(`\\n#1 ...` forging a hypothesis). `safe_text` removes every C0/C1 control character
(newline and tab kept) and every bidirectional or invisible formatting character;
`one_line` also folds newlines, for fields that must stay on one line.
"""

from __future__ import annotations

# C0 and C1 controls except tab and newline; bidi embeddings, overrides, isolates and marks;
# zero-width characters and the BOM, which hide text from a reader.
_REMOVED = dict.fromkeys(
    [c for c in [*range(0x20), *range(0x7F, 0xA0)] if c not in (0x09, 0x0A)]
    + [0x061C, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2028, 0x2029]
    + [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF]
)
_FOLDED = {**_REMOVED, 0x0A: " ", 0x09: " "}


def safe_text(text: str) -> str:
    """`text` without control, bidirectional or invisible formatting characters."""
    return text.translate(_REMOVED)


def one_line(text: str) -> str:
    """`safe_text`, with newlines and tabs folded into spaces."""
    return text.translate(_FOLDED)
