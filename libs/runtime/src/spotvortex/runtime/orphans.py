"""Child processes that cannot outlive their parent.

On Linux a child can ask the kernel to send it SIGTERM when the process that started it dies
(``PR_SET_PDEATHSIG``), so a parent killed with SIGKILL (a test run cut short, a stack killed from outside)
leaves no nats-server or service behind. Elsewhere this is a no-op and clean shutdown does the job.
"""

from __future__ import annotations

import ctypes
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` for subprocesses, or ``None`` where the platform cannot do it."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None

    def _set() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)

    return _set
