"""Number and value formatting for signal descriptions read by humans."""

from __future__ import annotations

import json
from typing import Any

_MAX_SHOWN = 60


def fmt_num(value: float) -> str:
    """A number as a person would write it: `495`, `0.35`, `1.5`, `12000`."""
    if value != value:  # NaN never reaches here from the extractors; be safe in text anyway.
        return "nan"
    magnitude = abs(value)
    if magnitude >= 100 or float(value).is_integer():
        return f"{value:.0f}"
    if magnitude >= 1:
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


def fmt_ratio(ratio: float) -> str:
    """A ratio as `x4.1`, `x0.1`, `x12`."""
    if ratio >= 10:
        return f"x{ratio:.0f}"
    return f"x{ratio:.2g}"


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in `...` when cut."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def show_value(value: Any) -> str:
    """A config value in JSON notation (`true`, `5`, `"debug"`), cut to a readable length."""
    try:
        text = json.dumps(value, sort_keys=True, default=str)
    except ValueError:  # circular structures cannot come from JSON, but stay total
        text = repr(value)
    return clip(text, _MAX_SHOWN)


def is_number(value: Any) -> bool:
    """Whether a config value is a real number (booleans are not numbers here)."""
    return isinstance(value, int | float) and not isinstance(value, bool)
