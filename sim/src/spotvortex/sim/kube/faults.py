"""Fault injection: make chosen requests fail, stall, or lose their watch stream.

Resilience code (retry on 409, back off on 429, relist after a dropped watch) is only tested if those
failures can be produced on demand. A fault matches on method and a path regex, optionally skips the
first few matching requests, fires a bounded number of ``times``, and then stays out of the way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import ApiError


@dataclass(eq=False)
class Fault:
    """One rule. ``status`` answers with an error ``Status``; ``delay`` stalls first (alone, it only
    slows the request); ``drop_watch_after`` cuts a watch stream after that many events."""

    method: str | None
    path: re.Pattern[str]
    status: int | None = None
    delay: float = 0.0
    drop_watch_after: int | None = None
    watch: bool | None = None
    times: int | None = 1
    skip: int = 0
    message: str | None = None
    retry_after: int | None = None
    seen: int = 0
    fired: int = 0

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.fired >= self.times

    def matches(self, method: str, path: str, is_watch: bool) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.watch is not None and self.watch != is_watch:
            return False
        return self.path.search(path) is not None


@dataclass
class FaultInjector:
    """The rules in force; the first live matching rule takes each request."""

    faults: list[Fault] = field(default_factory=list)

    def add(
        self,
        *,
        method: str | None = None,
        path: str = ".*",
        status: int | None = None,
        delay: float = 0.0,
        drop_watch_after: int | None = None,
        watch: bool | None = None,
        times: int | None = 1,
        skip: int = 0,
        message: str | None = None,
        retry_after: int | None = None,
    ) -> Fault:
        """Install a rule; ``times=None`` keeps it firing until removed."""
        fault = Fault(
            method,
            re.compile(path),
            status,
            delay,
            drop_watch_after,
            True if drop_watch_after is not None else watch,
            times,
            skip,
            message,
            retry_after,
        )
        self.faults.append(fault)
        return fault

    def fail(
        self,
        method: str | None,
        path: str,
        status: int,
        *,
        times: int | None = 1,
        skip: int = 0,
        message: str | None = None,
        retry_after: int | None = None,
    ) -> Fault:
        """Answer matching requests with ``status`` (409, 429, 500, ...) instead of serving them."""
        return self.add(
            method=method,
            path=path,
            status=status,
            times=times,
            skip=skip,
            message=message,
            retry_after=retry_after,
        )

    def delay(
        self, method: str | None, path: str, seconds: float, *, times: int | None = 1, skip: int = 0
    ) -> Fault:
        """Serve matching requests normally, but only after ``seconds``."""
        return self.add(method=method, path=path, delay=seconds, times=times, skip=skip)

    def drop_watch(self, path: str, *, after_events: int = 0, times: int | None = 1) -> Fault:
        """Abort matching watch streams after ``after_events`` events, without a clean end of stream."""
        return self.add(method="GET", path=path, drop_watch_after=after_events, times=times)

    def remove(self, fault: Fault) -> None:
        if fault in self.faults:
            self.faults.remove(fault)

    def clear(self) -> None:
        self.faults.clear()

    def take(self, method: str, path: str, is_watch: bool) -> Fault | None:
        """The rule that fires for this request, counting it; ``None`` lets the request through."""
        for fault in self.faults:
            if fault.exhausted or not fault.matches(method, path, is_watch):
                continue
            fault.seen += 1
            if fault.seen <= fault.skip:
                continue
            fault.fired += 1
            return fault
        return None


def fault_error(fault: Fault) -> ApiError:
    """The ``Status`` a status fault answers with (``Retry-After`` only when asked for)."""
    assert fault.status is not None
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
    details = {"retryAfterSeconds": fault.retry_after} if fault.retry_after is not None else None
    return ApiError(
        fault.status,
        fault.message or f"injected fault: HTTP {fault.status}",
        details=details,
        headers=headers,
    )
