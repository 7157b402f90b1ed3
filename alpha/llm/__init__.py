"""LLM clients: the abstract interface, OpenRouter (any OpenAI-compatible endpoint), a fake."""

from alpha.llm.base import LLMClient

__all__ = ["LLMClient"]
