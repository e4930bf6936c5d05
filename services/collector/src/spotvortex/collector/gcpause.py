"""Pause the cyclic garbage collector while a large list is decoded and indexed.

Decoding tens of thousands of objects allocates millions of containers; each allocation burst would
trigger collections that walk every live object, which makes a 50,000-pod list several times slower
(measured in benchmarks/collector_scale.py). Nothing decoded here forms cycles, so nothing is lost by
collecting afterwards instead.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
