"""Time helpers shared by the extractors: payload times may be naive or aware."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """The moment as an aware UTC datetime; naive times are taken to be UTC already.

    Payload producers mix `...Z` and zone-less timestamps; comparing the two raises in
    Python, so every comparison goes through this.
    """
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso(moment: datetime | None) -> str | None:
    """ISO-8601 text of the moment in UTC (`2026-11-20T14:02:00Z`), or None."""
    if moment is None:
        return None
    return as_utc(moment).isoformat().replace("+00:00", "Z")


def minutes_between(earlier: datetime | None, later: datetime | None) -> float | None:
    """Minutes from `earlier` to `later` (negative when `later` is before), rounded to 0.1."""
    if earlier is None or later is None:
        return None
    return round((as_utc(later) - as_utc(earlier)).total_seconds() / 60.0, 1)
