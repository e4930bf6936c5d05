"""List, then watch, one kind of object through kubernetes_asyncio, reading raw JSON.

The list is paged (``limit``/``continue``) and decoded with msgspec into plain dictionaries; the watch
starts from the list's ``resourceVersion`` with bookmarks, and resumes from the last version seen when the
stream ends or drops. A 410 (an ``ERROR`` event with code 410, or a 410 answer) means the history is gone:
the kind is listed again. Other failures back off exponentially. Model objects are never built: at 50,000
pods they would cost more than everything else the collector does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import msgspec

from spotvortex.collector.gcpause import paused_gc
from spotvortex.collector.index import Key, object_key
from spotvortex.collector.metrics import CollectorMetrics

log = logging.getLogger("spotvortex.collector.kubewatch")

ListCall = Callable[..., Awaitable[Any]]
"""A kubernetes_asyncio list method (``CoreV1Api.list_node`` …) bound to its path arguments."""


class Sink(Protocol):
    def apply(self, kind: str, event_type: str, obj: dict[str, Any]) -> None: ...

    def retain(self, kind: str, keys: Iterable[Key]) -> int: ...


class Gone(Exception):
    """The requested resourceVersion is no longer in the server's history (410): list again."""


class ApiFailure(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


class NotServed(Exception):
    """The API server does not serve this resource (a CRD that is not installed)."""


class _ListMeta(
    msgspec.Struct, frozen=True, rename={"continue_": "continue", "resource_version": "resourceVersion"}
):
    resource_version: str = ""
    continue_: str | None = None


class _ListBody(msgspec.Struct):
    metadata: _ListMeta = _ListMeta()
    items: list[dict[str, Any]] | None = None


class _WatchEvent(msgspec.Struct):
    type: str
    object: dict[str, Any]


_list_decoder = msgspec.json.Decoder(_ListBody)
APPLY_SLICE = 2000
_event_decoder = msgspec.json.Decoder(_WatchEvent)


@dataclass(frozen=True)
class WatchTiming:
    request_timeout_seconds: float = 30.0
    watch_timeout_seconds: int = 300
    page_size: int = 500
    backoff_initial_seconds: float = 0.2
    backoff_max_seconds: float = 30.0
    absent_recheck_seconds: float = 60.0


async def _body(response: Any) -> bytes:
    """The body of a 2xx answer; 410 raises :class:`Gone`, 404 :class:`NotServed`, others :class:`ApiFailure`."""
    async with response:
        data: bytes = await response.read()
        status = int(response.status)
    if 200 <= status < 300:
        return data
    _raise_for(status, data)
    raise AssertionError("unreachable")


def _raise_for(status: int, data: bytes) -> None:
    if status == 410:
        raise Gone(data[:200].decode(errors="replace"))
    if status == 404:
        raise NotServed(data[:200].decode(errors="replace"))
    raise ApiFailure(status, data[:500].decode(errors="replace"))


def _resource_version(obj: dict[str, Any]) -> str | None:
    rv = (obj.get("metadata") or {}).get("resourceVersion")
    return str(rv) if rv else None


class ResourceWatcher:
    """Keeps ``sink`` in step with one kind; ``synced`` is set once the first list has been applied.

    ``resolve`` is asked before every list which list method to use (``None``: the API is not served).
    """

    def __init__(
        self,
        kind: str,
        resolve: Callable[[], Awaitable[ListCall | None]],
        sink: Sink,
        metrics: CollectorMetrics,
        timing: WatchTiming = WatchTiming(),
    ) -> None:
        self.kind = kind
        self._resolve = resolve
        self._sink = sink
        self._metrics = metrics
        self._timing = timing
        self.resource_version: str | None = None
        self.synced = asyncio.Event()
        self.lists = 0
        self._call: ListCall | None = None

    async def run(self) -> None:
        """Run until cancelled."""
        delay = self._timing.backoff_initial_seconds
        while True:
            try:
                if self.resource_version is None or self._call is None:
                    self._call = await self._resolve()
                    if self._call is None:
                        await self._absent()
                        continue
                    await self._list(self._call)
                started = asyncio.get_running_loop().time()
                if await self._watch(self._call) or asyncio.get_running_loop().time() - started > 1.0:
                    delay = self._timing.backoff_initial_seconds
                else:  # a stream that ends at once with nothing in it: do not hammer the server
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self._timing.backoff_max_seconds)
            except Gone:
                log.info("%s history expired; listing again", self.kind)
                self._metrics.watch_restarts.labels(self.kind, "expired").inc()
                self.resource_version = None
            except NotServed:
                log.warning("%s is no longer served; checking again later", self.kind)
                self._metrics.watch_restarts.labels(self.kind, "not_served").inc()
                self.resource_version = None
            except (aiohttp.ClientError, TimeoutError, ApiFailure, msgspec.DecodeError) as err:
                log.warning("%s watch failed (%r); retrying in %.1fs", self.kind, err, delay)
                self._metrics.watch_restarts.labels(self.kind, "error").inc()
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._timing.backoff_max_seconds)
            except Exception:  # a watcher must outlive any surprise, or the pool's telemetry goes stale
                log.exception("%s watch failed unexpectedly; listing again in %.1fs", self.kind, delay)
                self._metrics.watch_restarts.labels(self.kind, "error").inc()
                self.resource_version = None
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._timing.backoff_max_seconds)

    async def _absent(self) -> None:
        """No such API: nothing of this kind exists, which is a complete (empty) list."""
        self._sink.retain(self.kind, ())
        self.resource_version = None
        self.synced.set()
        await asyncio.sleep(self._timing.absent_recheck_seconds)

    async def _list(self, call: ListCall) -> None:
        keys: list[Key] = []
        token: str | None = None
        version = ""
        while True:
            kwargs: dict[str, Any] = {"limit": self._timing.page_size}
            if token:
                kwargs["_continue"] = token
            response = await call(
                **kwargs,
                _preload_content=False,
                _request_timeout=(self._timing.request_timeout_seconds, self._timing.request_timeout_seconds),
            )
            data = await _body(response)
            with paused_gc():
                body = _list_decoder.decode(data)
            del data
            items = body.items or []
            for first in range(0, len(items), APPLY_SLICE):
                with paused_gc():
                    for item in items[first : first + APPLY_SLICE]:
                        self._sink.apply(self.kind, "MODIFIED", item)
                        keys.append(object_key(self.kind, item))
                await asyncio.sleep(0)  # a server that does not page sends everything at once: let others run
            version = body.metadata.resource_version
            token = body.metadata.continue_
            if not token:
                break
        removed = self._sink.retain(self.kind, keys)
        self.resource_version = version or None
        self.lists += 1
        self._metrics.lists.labels(self.kind).inc()
        log.info("listed %d %s objects (%d gone) at version %s", len(keys), self.kind, removed, version)
        self.synced.set()

    async def _watch(self, call: ListCall) -> int:
        """Stream events until the server ends the watch; returns how many lines arrived."""
        timeout = self._timing.watch_timeout_seconds
        response = await call(
            watch=True,
            resource_version=self.resource_version,
            allow_watch_bookmarks=True,
            timeout_seconds=timeout,
            _preload_content=False,
            _request_timeout=(self._timing.request_timeout_seconds, timeout + 30),
        )
        async with response:
            if not 200 <= int(response.status) < 300:
                _raise_for(int(response.status), await response.read())
            buffer = bytearray()
            lines = 0
            async for chunk in response.content.iter_any():
                buffer += chunk
                start = 0
                while (end := buffer.find(b"\n", start)) >= 0:
                    if end > start:
                        self._event(bytes(buffer[start:end]))
                        lines += 1
                    start = end + 1
                del buffer[:start]
            if buffer.strip():
                self._event(bytes(buffer))
                lines += 1
        return lines

    def _event(self, line: bytes) -> None:
        event = _event_decoder.decode(line)
        if event.type == "ERROR":
            code = event.object.get("code")
            if code == 410:
                raise Gone(str(event.object.get("message", "")))
            raise ApiFailure(int(code) if isinstance(code, int) else 0, str(event.object.get("message", "")))
        version = _resource_version(event.object)
        if event.type != "BOOKMARK":
            self._sink.apply(self.kind, event.type, event.object)
        if version:
            self.resource_version = version
