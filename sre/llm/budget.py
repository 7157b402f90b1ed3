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


@dataclass
class TokenCap:
    """A per-investigation cap on LLM tokens, shared by every agent of one run.

    `reserve(n)` is asked before a call with the prompt's estimate plus the completion
    allowance; it refuses once the cap would be exceeded, so no call starts that could
    overshoot it. `record(actual)` replaces the reservation with what the provider
    reported.
    """

    limit: int
    used: int = 0
    refused: list[str] = field(default_factory=list)

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
        return max(0, self.limit - self.used)
