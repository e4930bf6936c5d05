"""Kubernetes resource quantities (``500m``, ``2``, ``1.5Gi``, ``1e3``) as plain floats.

Requests and allocatable amounts repeat across tens of thousands of pods, so parsed strings are cached.
A malformed or negative quantity counts as zero: one odd manifest must not stop the pool's snapshot (nor
make it fail the telemetry contract, whose amounts are non-negative).
"""

from __future__ import annotations

import re
from functools import lru_cache

_SUFFIX = {
    "": 1.0,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
    "Ki": 2.0**10,
    "Mi": 2.0**20,
    "Gi": 2.0**30,
    "Ti": 2.0**40,
    "Pi": 2.0**50,
    "Ei": 2.0**60,
}
_QUANTITY = re.compile(r"^([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)([a-zA-Z]{0,2})$")


@lru_cache(maxsize=4096)
def _parse(text: str) -> float:
    match = _QUANTITY.match(text.strip())
    if not match or match.group(2) not in _SUFFIX:
        return 0.0
    return max(0.0, float(match.group(1)) * _SUFFIX[match.group(2)])


def quantity(value: object) -> float:
    """``"500m"`` → 0.5, ``"1Gi"`` → 1073741824.0, ``2`` → 2.0; anything unparseable → 0.0."""
    if isinstance(value, bool):
        return 0.0
    if isinstance(value, int | float):
        return max(0.0, float(value))
    if isinstance(value, str):
        return _parse(value)
    return 0.0
