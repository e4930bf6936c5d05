"""Serving a watch: chunked JSON lines, bookmarks, server-side timeout and injected stream drops.

The stream ends cleanly at ``timeoutSeconds`` (clients then re-watch from their last version), sends
BOOKMARKs while idle if asked, and turns an expired resume into the single ``ERROR`` event a real server
sends. A ``drop_watch`` fault aborts the connection mid-stream instead, which is a different failure
for a client (a transport error, not an end of stream).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .errors import ApiError
from .faults import Fault
from .present import as_version
from .resources import ResourceType
from .store import Store
from .watch import EndOfStream, Subscription


@dataclass(frozen=True)
class WatchSettings:
    bookmark_interval: float = 5.0
    """Seconds of idleness between BOOKMARK events, for watches that allow them."""
    max_seconds: float = 1800.0
    """Server-side limit for watches that do not set ``timeoutSeconds``."""
    liveness_check: float = 1.0
    """How often an idle stream checks that its client is still connected."""


@dataclass(frozen=True)
class WatchRequest:
    rt: ResourceType
    version: str
    namespace: str | None
    label_selector: str
    field_selector: str
    resource_version: str | None
    timeout_seconds: float | None
    bookmarks: bool
    initial_events_marker: bool


def _line(kind: str, obj: dict[str, Any]) -> bytes:
    return (json.dumps({"type": kind, "object": obj}, separators=(",", ":")) + "\n").encode()


def _bookmark(wr: WatchRequest, rv: int, initial_end: bool = False) -> bytes:
    meta: dict[str, Any] = {"resourceVersion": str(rv)}
    if initial_end:
        meta["annotations"] = {"k8s.io/initial-events-end": "true"}
    return _line(
        "BOOKMARK", {"kind": wr.rt.kind, "apiVersion": wr.rt.api_version(wr.version), "metadata": meta}
    )


async def _open(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse(
        status=200, headers={"Content-Type": "application/json", "Cache-Control": "no-cache"}
    )
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    return resp


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


def _abort(request: web.Request) -> None:
    if request.transport is not None:
        request.transport.abort()


async def serve_watch(
    request: web.Request, store: Store, wr: WatchRequest, settings: WatchSettings, fault: Fault | None
) -> web.StreamResponse:
    try:
        sub = store.watch(wr.rt, wr.namespace, wr.label_selector, wr.field_selector, wr.resource_version)
    except ApiError as err:
        if err.code != 410:
            raise
        resp = await _open(request)
        await resp.write(_line("ERROR", err.status()))
        await resp.write_eof()
        return resp
    try:
        return await _pump(request, store, sub, wr, settings, fault)
    finally:
        store.hub.unsubscribe(sub)


async def _pump(
    request: web.Request,
    store: Store,
    sub: Subscription,
    wr: WatchRequest,
    settings: WatchSettings,
    fault: Fault | None,
) -> web.StreamResponse:
    resp = await _open(request)
    # A client that left mid-stream raises on the next write; there is nobody to finish the stream for.
    with contextlib.suppress(ConnectionResetError):
        await _send_events(request, resp, store, sub, wr, settings, fault)
    return resp


async def _send_events(
    request: web.Request,
    resp: web.StreamResponse,
    store: Store,
    sub: Subscription,
    wr: WatchRequest,
    settings: WatchSettings,
    fault: Fault | None,
) -> None:
    drop_after = fault.drop_watch_after if fault is not None else None
    initial_left = sub.queue.qsize() if wr.initial_events_marker else -1
    sent = 0
    start = time.monotonic()
    deadline = start + min(wr.timeout_seconds or settings.max_seconds, settings.max_seconds)
    next_bookmark = start + settings.bookmark_interval
    while True:
        if drop_after is not None and sent >= drop_after:
            _abort(request)
            return
        if initial_left == 0:
            await resp.write(_bookmark(wr, sub.start_rv, initial_end=True))
            initial_left = -1
        now = time.monotonic()
        if now >= deadline:
            break
        if wr.bookmarks and now >= next_bookmark and sub.queue.empty():
            # Only when nothing is pending, so the bookmark never runs ahead of undelivered events.
            await resp.write(_bookmark(wr, store.resource_version))
            next_bookmark = now + settings.bookmark_interval
            continue
        wake = min(deadline, now + settings.liveness_check)
        if wr.bookmarks:
            wake = min(wake, next_bookmark)
        try:
            item = await asyncio.wait_for(sub.queue.get(), timeout=max(0.0, wake - now))
        except TimeoutError:
            if _client_gone(request):
                return
            continue
        if isinstance(item, EndOfStream):
            break
        kind, obj = item
        await resp.write(_line(kind, as_version(obj, wr.rt, wr.version)))
        sent += 1
        if initial_left > 0:
            initial_left -= 1
    await resp.write_eof()
