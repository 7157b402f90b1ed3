"""`Signal`: a deterministic fact extracted from an incident, cited by hypotheses by id."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["SEVERITIES", "Severity", "Signal"]

Severity = Literal["low", "medium", "high"]
# The severities from the lowest to the highest.
SEVERITIES: tuple[Severity, ...] = get_args(Severity)


class Signal(BaseModel):
    """A deterministic fact extracted from the incident, cited by hypotheses by `id`.

    `value` carries the fact's structured payload (a number for the design's simple
    signals; a mapping of named fields for a vertical's richer ones).
    """

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    type: str
    description: str
    value: Any = None
    severity: Severity = "medium"
    source: str
