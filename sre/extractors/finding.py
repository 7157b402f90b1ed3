"""A signal before it is numbered."""

from __future__ import annotations

from dataclasses import dataclass

from alpha.schemas import Severity
from sre.signals import SignalType, SreSignal, signal_class, signal_type
from sre.signals.values import SignalValue


@dataclass(frozen=True)
class Finding:
    """A deterministic fact; `number_findings` turns findings into typed signals with ids.

    Its type (and the source that goes with it) follows from the class of its value.
    """

    description: str
    value: SignalValue
    severity: Severity = "medium"

    @property
    def type(self) -> SignalType:
        """The signal type of its value."""
        return signal_type(self.value)


def number_findings(findings: list[Finding]) -> list[SreSignal]:
    """Give findings stable ids `sig_001`, `sig_002`, ... in the order given."""
    return [
        signal_class(f.value)(
            id=f"sig_{index:03d}",
            description=f.description,
            value=f.value,
            severity=f.severity,
        )
        for index, f in enumerate(findings, start=1)
    ]
