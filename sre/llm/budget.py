"""Token estimates and per-investigation token accounting, with no network.

`estimate_tokens` is deliberately pessimistic: one token per 3 UTF-8 bytes, where English
text and code average about 4 characters per token in the common BPE vocabularies. A
prompt that fits the estimate fits the real tokenizer with room to spare.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BYTES_PER_TOKEN = 3


def estimate_tokens(text: str) -> int:
    """A conservative token count for `text` (never an underestimate for typical text)."""
    if not text:
        return 0
    return len(text.encode("utf-8")) // BYTES_PER_TOKEN + 1


def truncate_to_tokens(text: str, max_tokens: int, marker: str = " …[truncated]") -> str:
    """Cut `text` so that its estimate (marker included) stays within `max_tokens`."""
    if estimate_tokens(text) <= max_tokens:
        return text
    budget_bytes = max(0, (max_tokens - 1) * BYTES_PER_TOKEN - len(marker.encode("utf-8")))
    cut = text.encode("utf-8")[:budget_bytes].decode("utf-8", errors="ignore")
    return cut + marker


def truncate_lines(text: str, max_tokens: int) -> str:
    """Keep whole lines of `text` within `max_tokens`, counting the lines left out.

    The note ("(312 more lines not shown)") is part of the budget. A first line too long
    to fit on its own is cut by `truncate_to_tokens`.
    """
    if estimate_tokens(text) <= max_tokens:
        return text
    lines = text.split("\n")
    note_reserve = estimate_tokens(f"\n({len(lines):,} more lines not shown)")
    kept: list[str] = []
    used = 0
    for line in lines:
        cost = len(line.encode("utf-8")) + 1
        if (used + cost) // BYTES_PER_TOKEN + 1 + note_reserve > max_tokens:
            break
        kept.append(line)
        used += cost
    if not kept:
        return truncate_to_tokens(lines[0], max_tokens - note_reserve) + (
            f"\n({len(lines) - 1:,} more lines not shown)" if len(lines) > 1 else ""
        )
    return "\n".join(kept) + f"\n({len(lines) - len(kept):,} more lines not shown)"


@dataclass
class TokenCap:
    """A per-investigation cap on LLM tokens, shared by every agent of one run.

    `reserve(n, who)` is asked before a call with the worst case of that call (prompt
    estimate plus completion limit, for every attempt it may make); it refuses once the cap
    would be exceeded, so no call starts that could overshoot it. `settle(reserved, actual)`
    replaces the reservation with what was really spent. One event loop runs the agents,
    so reserve-then-spend needs no lock.
    """

    limit: int
    used: int = 0
    refused: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.limit < 0:
            raise ValueError(f"token cap must be >= 0, got {self.limit!r}")

    def reserve(self, tokens: int, who: str) -> bool:
        """Reserve `tokens` for `who`; False (and recorded) when the cap would be exceeded."""
        if self.used + tokens > self.limit:
            self.refused.append(who)
            return False
        self.used += tokens
        return True

    def settle(self, reserved: int, actual: int) -> None:
        """Replace a reservation by the tokens really spent."""
        self.used += actual - reserved

    @property
    def remaining(self) -> int:
        """Tokens still available."""
        return max(0, self.limit - self.used)
