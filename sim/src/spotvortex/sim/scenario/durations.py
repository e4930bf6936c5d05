"""Durations as scenarios write them: ``90s``, ``5m``, ``1h30m``, ``7d``, or a number of seconds."""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def seconds(value: str | int | float) -> float:
    if isinstance(value, int | float):
        return float(value)
    text = value.strip()
    parts = _PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {value!r} (use e.g. 90s, 5m, 1h30m, 7d)")
    return sum(float(n) * _UNITS[u] for n, u in parts)
