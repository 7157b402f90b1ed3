"""LLM clients: the abstract interface, OpenRouter (any OpenAI-compatible endpoint), a fake.

`OpenRouterClient` is imported lazily so that importing `alpha.llm` does not load the
`openai` SDK (the deterministic mode never needs it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alpha.llm.base import LLMClient
from alpha.llm.fake import LLMCall, ScriptedLLMClient, ScriptExhaustedError
from alpha.llm.settings import OPENROUTER_BASE_URL, LLMSettings
from alpha.llm.structured import complete_structured, extract_json, parse_structured

if TYPE_CHECKING:
    from alpha.llm.openrouter import OpenRouterClient

__all__ = [
    "OPENROUTER_BASE_URL",
    "LLMCall",
    "LLMClient",
    "LLMSettings",
    "OpenRouterClient",
    "ScriptExhaustedError",
    "ScriptedLLMClient",
    "complete_structured",
    "extract_json",
    "parse_structured",
]


def __getattr__(name: str) -> object:
    if name == "OpenRouterClient":
        from alpha.llm.openrouter import OpenRouterClient

        return OpenRouterClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
