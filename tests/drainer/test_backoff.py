"""The eviction back-off: exponential, capped, jittered only by an injected generator, reproducible."""

from __future__ import annotations

import random

import pytest

from spotvortex.drainer import BackoffPolicy, backoff_delay, backoff_schedule, rng_for


def test_without_jitter_the_schedule_doubles_up_to_the_cap() -> None:
    policy = BackoffPolicy(initial_seconds=1.0, factor=2.0, max_seconds=30.0, jitter=0.2)
    assert backoff_schedule(policy, 7) == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


def test_jitter_stays_within_its_band_and_under_the_cap() -> None:
    policy = BackoffPolicy(initial_seconds=1.0, factor=2.0, max_seconds=30.0, jitter=0.2)
    rng = random.Random(1)
    for attempt in range(200):
        plain = backoff_delay(policy, attempt)
        jittered = backoff_delay(policy, attempt, rng)
        assert plain * 0.8 <= jittered <= min(30.0, plain * 1.2)


def test_a_seeded_generator_reproduces_the_schedule() -> None:
    policy = BackoffPolicy(jitter=0.5)
    first = backoff_schedule(policy, 10, rng_for("job-1", "default", "web-0"))
    again = backoff_schedule(policy, 10, rng_for("job-1", "default", "web-0"))
    other = backoff_schedule(policy, 10, rng_for("job-1", "default", "web-1"))
    assert first == again
    assert first != other


def test_retry_after_is_a_floor_but_never_exceeds_the_cap() -> None:
    policy = BackoffPolicy(initial_seconds=1.0, max_seconds=10.0, jitter=0.0)
    assert backoff_delay(policy, 0, retry_after=5.0) == 5.0
    assert backoff_delay(policy, 0, retry_after=60.0) == 10.0
    assert backoff_delay(policy, 3, retry_after=1.0) == 8.0


@pytest.mark.parametrize("attempt", [100, 10_000])
def test_huge_attempt_numbers_stay_bounded(attempt: int) -> None:
    assert backoff_delay(BackoffPolicy(max_seconds=30.0), attempt) == 30.0
