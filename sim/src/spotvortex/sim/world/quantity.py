"""Kubernetes resource quantities as the simulator counts them: CPU in millicores, memory in MiB.

Scheduling compares requests with allocatable capacity, so both sides must parse the same notation the API
accepts (``500m``, ``2``, ``1.5``, ``512Mi``, ``2Gi``, ``1G``, plain bytes). A simulation sees a handful of
distinct quantities many thousands of times, so conversions are memoised.
"""

from __future__ import annotations

import functools
import re

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18, "m": 10**-3}
_QUANTITY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$")


def _value(quantity: str | int | float) -> float:
    if isinstance(quantity, int | float):
        return float(quantity)
    match = _QUANTITY.match(quantity.strip())
    if not match:
        raise ValueError(f"not a resource quantity: {quantity!r}")
    number, suffix = float(match.group(1)), match.group(2)
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * _DECIMAL[suffix]
    if suffix:
        raise ValueError(f"unknown quantity suffix in {quantity!r}")
    return number


@functools.lru_cache(maxsize=4096, typed=True)
def cpu_millis(quantity: str | int | float) -> int:
    """``"500m"`` → 500, ``"2"`` → 2000."""
    return round(_value(quantity) * 1000)


@functools.lru_cache(maxsize=4096, typed=True)
def memory_mib(quantity: str | int | float) -> int:
    """``"512Mi"`` → 512, ``"1Gi"`` → 1024, ``"1G"`` → 953 (bytes rounded to whole MiB)."""
    return round(_value(quantity) / 2**20)


def format_cpu(millis: int) -> str:
    return f"{millis // 1000}" if millis % 1000 == 0 else f"{millis}m"


def format_memory(mib: int) -> str:
    return f"{mib // 1024}Gi" if mib % 1024 == 0 else f"{mib}Mi"
