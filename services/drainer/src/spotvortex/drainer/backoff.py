"""How long to wait before asking again for an eviction a PodDisruptionBudget refused (HTTP 429).

Exponential and bounded: a budget usually frees up when a replacement pod becomes Ready, seconds to minutes
later, so early retries are quick and later ones settle at ``max_seconds``. Jitter spreads the retries of
many pods behind one budget; it comes from an injected random generator (seeded from the job and pod by
:func:`rng_for`), so a replay waits exactly as the original run did.
"""

from __future__ import annotations

import random

import msgspec

_MAX_EXPONENT = 64  # beyond this every factor >= 2 is far past any cap; avoids float overflow


class BackoffPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """``jitter`` is a fraction: each delay is scaled by a factor drawn from ``[1 - jitter, 1 + jitter]``."""

    initial_seconds: float = 1.0
    factor: float = 2.0
    max_seconds: float = 30.0
    jitter: float = 0.2


def backoff_delay(
    policy: BackoffPolicy,
    attempt: int,
    rng: random.Random | None = None,
    *,
    retry_after: float | None = None,
) -> float:
    """The wait before retry number ``attempt`` (0 for the first retry); never above ``max_seconds``.

    A server's ``Retry-After`` is honoured as a lower bound, still within the cap.
    """
    base = policy.initial_seconds * policy.factor ** min(max(attempt, 0), _MAX_EXPONENT)
    delay = min(policy.max_seconds, base)
    if rng is not None and policy.jitter > 0:
        delay *= 1.0 + policy.jitter * (2.0 * rng.random() - 1.0)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return max(0.0, min(policy.max_seconds, delay))


def backoff_schedule(policy: BackoffPolicy, attempts: int, rng: random.Random | None = None) -> list[float]:
    """The first ``attempts`` delays, in order (what a pod behind an exhausted budget would wait)."""
    return [backoff_delay(policy, i, rng) for i in range(attempts)]


def rng_for(*parts: str) -> random.Random:
    """A generator seeded from stable names (job id, namespace, pod), identical on every run and replay."""
    return random.Random("/".join(parts))
