"""NodePool disruption budgets as Karpenter computes them (cron via robfig/cron ``ParseStandard``, UTC)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from spotvortex.contracts.disruption_budgets import (
    allowed_disruptions,
    budget_active,
    budget_allowance,
    cron_matches,
)

MONDAY = datetime(2021, 3, 8, tzinfo=UTC)  # 2021-03-08 is a Monday
SATURDAY = datetime(2021, 3, 13, tzinfo=UTC)


def at(day: datetime, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return day.replace(hour=hour, minute=minute, second=second)


@pytest.mark.parametrize(
    ("expression", "moment", "expected"),
    [
        ("* * * * *", at(MONDAY, 13, 37), True),
        ("*/15 * * * *", at(MONDAY, 10, 30), True),
        ("*/15 * * * *", at(MONDAY, 10, 31), False),
        ("5/20 * * * *", at(MONDAY, 10, 45), True),
        ("0 9 * * 1-5", at(MONDAY, 9), True),
        ("0 9 * * 1-5", at(SATURDAY, 9), False),
        ("0 9 * * 0,6", at(SATURDAY, 9), True),
        ("0 9-17/4 * * *", at(MONDAY, 13), True),
        ("0 9-17/4 * * *", at(MONDAY, 15), False),
        ("30 2 8 3 *", at(MONDAY, 2, 30), True),
        ("30 2 8 4 *", at(MONDAY, 2, 30), False),
        ("@daily", at(MONDAY, 0), True),
        ("@daily", at(MONDAY, 0, 1), False),
        ("@hourly", at(MONDAY, 7), True),
        ("@weekly", at(datetime(2021, 3, 7, tzinfo=UTC), 0), True),  # a Sunday
        ("@monthly", at(datetime(2021, 3, 1, tzinfo=UTC), 0), True),
    ],
)
def test_cron_matches(expression: str, moment: datetime, expected: bool) -> None:
    assert cron_matches(expression, moment) is expected


@pytest.mark.parametrize(
    ("expression", "moment", "expected"),
    [
        ("0 9 * * mon-fri", at(MONDAY, 9), True),
        ("0 9 * * MON-FRI", at(SATURDAY, 9), False),
        ("0 9 * * sat,sun", at(SATURDAY, 9), True),
        ("0 0 1 jan *", datetime(2021, 1, 1, tzinfo=UTC), True),
    ],
)
def test_cron_accepts_day_and_month_names(expression: str, moment: datetime, expected: bool) -> None:
    """Karpenter's own examples write ``0 9 * * mon-fri``; robfig/cron accepts names in any case."""
    assert cron_matches(expression, moment) is expected


def test_restricted_day_of_month_and_day_of_week_are_ored() -> None:
    """Standard cron (and robfig/cron's ``dayMatches``): when both day fields are restricted, either one
    matching is enough. ``0 0 1 * 1`` fires on the 1st of each month and on every Monday."""
    assert cron_matches("0 0 1 * 1", MONDAY)  # Monday the 8th
    assert cron_matches("0 0 1 * 1", datetime(2021, 4, 1, tzinfo=UTC))  # Thursday the 1st
    assert not cron_matches("0 0 1 * 1", datetime(2021, 3, 9, tzinfo=UTC))  # Tuesday the 9th


def test_cron_rejects_malformed_expressions() -> None:
    with pytest.raises(ValueError):
        cron_matches("0 9 * *", MONDAY)
    with pytest.raises(ValueError):
        cron_matches("61 * * * *", MONDAY)


def test_budget_without_schedule_is_always_active() -> None:
    assert budget_active({"nodes": "0"}, MONDAY)
    assert budget_active({"nodes": "10%"}, at(SATURDAY, 23, 59, 59))


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(MONDAY, 8, 59, 59), False),
        (at(MONDAY, 9), True),
        (at(MONDAY, 12, 30), True),
        (at(MONDAY, 16, 59, 59), True),
        (at(MONDAY, 17), False),  # [hit, hit + duration)
        (at(SATURDAY, 10), False),
    ],
)
def test_business_hours_window(moment: datetime, expected: bool) -> None:
    budget = {"nodes": "0", "schedule": "0 9 * * 1-5", "duration": "8h"}
    assert budget_active(budget, moment) is expected


def test_window_crossing_midnight() -> None:
    budget = {"nodes": "0", "schedule": "0 22 * * *", "duration": "4h"}
    assert budget_active(budget, at(MONDAY, 23))
    assert budget_active(budget, at(MONDAY, 1, 59))  # from Sunday 22:00
    assert not budget_active(budget, at(MONDAY, 2))
    assert not budget_active(budget, at(MONDAY, 21, 59))


def test_sub_minute_and_mixed_durations() -> None:
    budget = {"nodes": "0", "schedule": "0 * * * *", "duration": "1h30m"}
    assert budget_active(budget, at(MONDAY, 5, 59))  # every hour's window overlaps the next
    short = {"nodes": "0", "schedule": "0 * * * *", "duration": "30s"}
    assert budget_active(short, at(MONDAY, 5, 0, 29))
    assert not budget_active(short, at(MONDAY, 5, 0, 30))


@pytest.mark.parametrize(
    ("nodes", "total", "expected"),
    [
        ("10%", 25, 3),  # rounds up, as Karpenter (and PDB maxUnavailable) do
        ("10%", 3, 1),
        ("10%", 0, 0),
        ("0%", 10, 0),
        ("100%", 7, 7),
        ("0", 10, 0),
        ("3", 10, 3),
        (5, 2, 5),
    ],
)
def test_budget_allowance(nodes: str | int, total: int, expected: int) -> None:
    assert budget_allowance({"nodes": nodes}, total) == expected


def test_most_restrictive_active_budget_wins() -> None:
    budgets = [{"nodes": "50%"}, {"nodes": "2"}, {"nodes": "0", "schedule": "0 9 * * 1-5", "duration": "8h"}]
    assert allowed_disruptions(budgets, total=10, disrupting=0, now=at(MONDAY, 10), reason="Empty") == 0
    assert allowed_disruptions(budgets, total=10, disrupting=0, now=at(MONDAY, 18), reason="Empty") == 2


def test_nodes_already_disrupting_use_up_the_budget() -> None:
    budgets = [{"nodes": "3"}]
    assert allowed_disruptions(budgets, total=10, disrupting=1, now=MONDAY, reason="Empty") == 2
    assert allowed_disruptions(budgets, total=10, disrupting=3, now=MONDAY, reason="Empty") == 0
    assert allowed_disruptions(budgets, total=10, disrupting=5, now=MONDAY, reason="Empty") == 0


def test_budgets_apply_only_to_their_reasons() -> None:
    budgets: list[dict[str, Any]] = [
        {"nodes": "0", "reasons": ["Underutilized", "Drifted"]},
        {"nodes": "20%"},
    ]
    now = at(MONDAY, 12)
    assert allowed_disruptions(budgets, total=10, disrupting=0, now=now, reason="Underutilized") == 0
    assert allowed_disruptions(budgets, total=10, disrupting=0, now=now, reason="Empty") == 2


def test_no_applicable_budget_leaves_disruption_unbounded() -> None:
    """Karpenter starts from MaxInt32: specified budgets that are inactive or for other reasons do not
    fall back to the 10 % default (that default only exists when no budget is specified at all)."""
    budgets = [{"nodes": "0", "schedule": "0 9 * * 1-5", "duration": "8h"}]
    assert allowed_disruptions(budgets, total=4, disrupting=1, now=at(SATURDAY, 12), reason="Empty") >= 3
