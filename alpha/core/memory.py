"""Structured memory of one run: typed, append-only, in RAM, gone when the run ends.

The runtime writes the extracted signals into it before any agent runs, and every hypothesis
the judge accepts after; the judge checks citations against it. Nothing is ever removed or
replaced: a signal id, once stored, names the same fact for the whole run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from alpha.schemas import Hypothesis, Signal

__all__ = ["StructuredMemory"]


class StructuredMemory:
    """Append-only store of a run's signals (indexed by id) and accepted hypotheses.

    Adding a signal whose id is already stored raises `ValueError`: ids are what hypotheses
    cite, so they must never be silently redefined.
    """

    def __init__(self, signals: Iterable[Signal] = ()) -> None:
        self._signals: dict[str, Signal] = {}
        self._hypotheses: list[Hypothesis] = []
        self.add_signals(signals)

    def add_signal(self, signal: Signal) -> None:
        """Store a signal; its id must be new."""
        if signal.id in self._signals:
            raise ValueError(f"signal id {signal.id!r} is already in memory")
        self._signals[signal.id] = signal

    def add_signals(self, signals: Iterable[Signal]) -> None:
        """Store signals in order; stops at the first id already stored (ValueError)."""
        for signal in signals:
            self.add_signal(signal)

    def add_hypothesis(self, hypothesis: Hypothesis) -> None:
        """Record a hypothesis (the runtime records those the judge accepted)."""
        self._hypotheses.append(hypothesis)

    def get_signals(self) -> list[Signal]:
        """All signals in insertion order (a copy)."""
        return list(self._signals.values())

    def get_hypotheses(self) -> list[Hypothesis]:
        """All recorded hypotheses in insertion order (a copy)."""
        return list(self._hypotheses)

    def get_signal(self, signal_id: str) -> Signal | None:
        """The signal with this id, or None."""
        return self._signals.get(signal_id)

    def __contains__(self, signal_id: object) -> bool:
        """Whether a signal with this id is stored (what the judge asks of a citation)."""
        return signal_id in self._signals

    def __iter__(self) -> Iterator[Signal]:
        return iter(list(self._signals.values()))

    def __len__(self) -> int:
        return len(self._signals)
