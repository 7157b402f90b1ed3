"""A signal before it is numbered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from alpha.schemas import Severity, Signal


@dataclass(frozen=True)
class Finding:
    """A deterministic fact; `number_findings` turns findings into `Signal`s with ids."""

    type: str
    description: str
    source: str
    value: dict[str, Any] = field(default_factory=dict)
    severity: Severity = "medium"


def number_findings(findings: list[Finding]) -> list[Signal]:
    """Give findings stable ids `sig_001`, `sig_002`, ... in the order given."""
    return [
        Signal(
            id=f"sig_{index:03d}",
            type=f.type,
            description=f.description,
            value=f.value,
            severity=f.severity,
            source=f.source,
        )
        for index, f in enumerate(findings, start=1)
    ]
