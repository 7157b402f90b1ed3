"""Structured, append-only memory of a run: the signals agents may cite."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from alpha.schemas import Signal


class StructuredMemory:
    """Append-only store of signals, indexed by id.

    Appending a signal whose id is already stored raises `ValueError`: ids are what
    hypotheses cite, so they must never be silently redefined.
    """

    def __init__(self, signals: Iterable[Signal] = ()) -> None:
        self._signals: dict[str, Signal] = {}
        for signal in signals:
            self.add(signal)

    def add(self, signal: Signal) -> None:
        """Store a signal; its id must be new."""
        if signal.id in self._signals:
            raise ValueError(f"signal id {signal.id!r} is already in memory")
        self._signals[signal.id] = signal

    def get(self, signal_id: str) -> Signal | None:
        """The signal with this id, or None."""
        return self._signals.get(signal_id)

    def __contains__(self, signal_id: object) -> bool:
        return signal_id in self._signals

    def __iter__(self) -> Iterator[Signal]:
        return iter(list(self._signals.values()))

    def __len__(self) -> int:
        return len(self._signals)

    @property
    def signals(self) -> list[Signal]:
        """All signals in insertion order (a copy)."""
        return list(self._signals.values())
