"""Which mode a drain runs in: the stricter of the job's and the drainer's own.

A shadow drainer never mutates, even for a job planned in enforce; an enforce drainer honours a shadow job.
"""

from __future__ import annotations

from spotvortex.contracts import Mode

_STRICTNESS = (Mode.OBSERVE, Mode.SHADOW, Mode.ENFORCE)  # strictest first


def effective_mode(*modes: Mode) -> Mode:
    """The strictest of ``modes`` (observe < shadow < enforce in what they are allowed to do)."""
    if not modes:
        raise ValueError("effective_mode needs at least one mode")
    return min(modes, key=_STRICTNESS.index)
