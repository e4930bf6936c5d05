"""Karpenter NodePool disruption budgets: how many of a pool's nodes may be voluntarily disrupted right now.

The meaning of the ``DisruptionBudget`` fields carried in telemetry, implemented once: the gates judge our own
drains with it and the simulator's Karpenter honours it, so both agree by construction.

Karpenter's rule (disruption.md): each active budget allows ``roundup(total × pct)`` (or the count) minus
nodes already being deleted or not ready; the most restrictive active budget wins; a budget with a
``schedule`` is active for ``duration`` after each time its cron expression fires; ``reasons`` restrict a
budget to some disruption reasons. Budgets never hold back spot interruptions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any


def parse_duration(value: str | None) -> float | None:
    """Karpenter durations (``30s``, ``5m``, ``1h30m``, ``Never``) in seconds; ``None`` for Never/absent."""
    if value is None or value == "Never":
        return None
    total, number = 0.0, ""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0}
    for ch in str(value):
        if ch.isdigit() or ch == ".":
            number += ch
        elif ch in units and number:
            total += float(number) * units[ch]
            number = ""
        else:
            raise ValueError(f"not a duration: {value!r}")
    if number:
        raise ValueError(f"duration {value!r} lacks a unit")
    return total


_CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


_NAMES = {
    **{d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))},
    **{
        m: i + 1
        for i, m in enumerate(
            ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
        )
    },
}


def _number(text: str) -> int:
    return _NAMES[text.lower()] if text.lower() in _NAMES else int(text)


def _field(spec: str, lo: int, hi: int) -> set[int]:
    values: set[int] = set()
    for part in spec.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part == "*":
            start, end = lo, hi
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = _number(a), _number(b)
        else:
            start = _number(part)
            end = hi if step > 1 else start
        if start < lo or end > hi or start > end:
            raise ValueError(f"cron field {spec!r} out of range {lo}-{hi}")
        values.update(range(start, end + 1, step))
    return values


def cron_matches(expression: str, moment: datetime) -> bool:
    """Whether a standard 5-field cron expression (UTC) fires at ``moment``'s minute."""
    fields = _MACROS.get(expression.strip(), expression).split()
    if len(fields) != 5:
        raise ValueError(f"cron expression needs 5 fields: {expression!r}")
    minute, hour, dom, month, dow = (
        _field(f, lo, hi) for f, (lo, hi) in zip(fields, _CRON_RANGES, strict=True)
    )
    weekday = (moment.weekday() + 1) % 7  # cron: Sunday = 0
    if 7 in dow:
        dow.add(0)
    day_of_month, day_of_week = fields[2], fields[4]
    if day_of_month.startswith("*") or day_of_week.startswith("*"):
        day_ok = moment.day in dom and weekday in dow
    else:  # both restricted: standard cron matches either
        day_ok = moment.day in dom or weekday in dow
    return moment.minute in minute and moment.hour in hour and moment.month in month and day_ok


def budget_active(budget: Mapping[str, Any], now: datetime) -> bool:
    schedule = budget.get("schedule")
    if not schedule:
        return True
    duration = parse_duration(budget.get("duration")) or 0.0
    minute = now.replace(second=0, microsecond=0)
    for back in range(int(duration // 60) + 1):
        fired = minute - timedelta(minutes=back)
        if cron_matches(schedule, fired) and now < fired + timedelta(seconds=duration):
            return True
    return False


def budget_allowance(budget: Mapping[str, Any], total: int) -> int:
    nodes = str(budget.get("nodes", "10%")).strip()
    if nodes.endswith("%"):
        return math.ceil(total * float(nodes[:-1]) / 100)
    return int(nodes)


def allowed_disruptions(
    budgets: Iterable[Mapping[str, Any]],
    *,
    total: int,
    disrupting: int,
    now: datetime,
    reason: str,
) -> int:
    """Nodes of the pool that may start a voluntary disruption for ``reason`` now (never negative)."""
    allowed: int | None = None
    for budget in budgets:
        reasons = budget.get("reasons")
        if reasons and reason not in reasons:
            continue
        try:
            active = budget_active(budget, now)
        except ValueError:
            return 0  # an unreadable schedule fails closed, as Karpenter does
        if not active:
            continue
        cap = budget_allowance(budget, total)
        allowed = cap if allowed is None else min(allowed, cap)
    if allowed is None:
        return max(0, total - disrupting)
    return max(0, allowed - disrupting)
