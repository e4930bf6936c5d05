"""What a pod asks the scheduler for: its effective cpu and memory requests, from the manifest alone.

A placeholder that stands in for a pod must need exactly the room that pod needs, or the capacity brought up
for it is too small (the evicted pod stays Pending) or too large (money spent for nothing). The scheduler's
rule is used: the sum of the app containers and sidecars (init containers with ``restartPolicy: Always``),
or the largest ordinary init container plus the sidecars started before it, whichever is larger, plus the
pod's ``overhead``. Quantities are Kubernetes quantities (``250m``, ``1.5``, ``512Mi``, ``1e3``, ``2G``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

RESOURCES = ("cpu", "memory")

_QUANTITY = re.compile(
    r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$"
)
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "P": Decimal(10**15),
    "E": Decimal(10**18),
}


def parse_quantity(value: str | int | float) -> Decimal:
    """A quantity as a number of base units (cores, bytes); ``ValueError`` when it is not one."""
    if isinstance(value, bool):
        raise ValueError(f"not a quantity: {value!r}")
    if isinstance(value, int | float):
        return Decimal(str(value))
    match = _QUANTITY.match(value.strip())
    if match is None:
        raise ValueError(f"not a quantity: {value!r}")
    number, exponent, suffix = match.groups()
    try:
        amount = Decimal(number)
        if exponent:
            return amount * Decimal(10) ** int(exponent[1:])
    except InvalidOperation as err:  # pragma: no cover - the pattern admits only valid decimals
        raise ValueError(f"not a quantity: {value!r}") from err
    if suffix in _BINARY:
        return amount * _BINARY[suffix]
    if suffix:
        return amount * _DECIMAL[suffix]
    return amount


def format_quantity(resource: str, amount: Decimal) -> str:
    """cpu in whole millicores, everything else in whole units, both rounded up (never asks for less)."""
    if resource == "cpu":
        return f"{math.ceil(amount * 1000)}m"
    return str(math.ceil(amount))


def _requests(container: Mapping[str, Any]) -> dict[str, Decimal]:
    asked = ((container.get("resources") or {}).get("requests")) or {}
    out: dict[str, Decimal] = {}
    for resource in RESOURCES:
        if resource in asked:
            out[resource] = parse_quantity(asked[resource])
    return out


def _add(total: dict[str, Decimal], more: Mapping[str, Decimal]) -> dict[str, Decimal]:
    return {r: total.get(r, Decimal(0)) + more.get(r, Decimal(0)) for r in {*total, *more}}


def _largest(parts: Iterable[Mapping[str, Decimal]]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for part in parts:
        for resource, amount in part.items():
            out[resource] = max(out.get(resource, Decimal(0)), amount)
    return out


def pod_requests(pod: Mapping[str, Any]) -> dict[str, Decimal]:
    """The pod's effective cpu and memory requests; a resource nobody requests is absent."""
    spec = pod.get("spec") or {}
    running: dict[str, Decimal] = {}
    for container in spec.get("containers") or []:
        running = _add(running, _requests(container))
    sidecars: dict[str, Decimal] = {}
    init_peaks: list[dict[str, Decimal]] = []
    for container in spec.get("initContainers") or []:
        if container.get("restartPolicy") == "Always":
            sidecars = _add(sidecars, _requests(container))
        else:
            init_peaks.append(_add(sidecars, _requests(container)))
    effective = _largest([_add(running, sidecars), *init_peaks])
    overhead = {r: parse_quantity(v) for r, v in (spec.get("overhead") or {}).items() if r in RESOURCES}
    return {r: v for r, v in _add(effective, overhead).items() if v > 0}


def request_texts(pod: Mapping[str, Any]) -> dict[str, str]:
    """``pod_requests`` as manifest quantities (``{"cpu": "250m", "memory": "268435456"}``)."""
    return {r: format_quantity(r, v) for r, v in sorted(pod_requests(pod).items())}
