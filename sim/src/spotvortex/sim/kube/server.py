"""``KubeEmulator``: the store, served over real HTTP on a random loopback port.

Use it as ``async with KubeEmulator() as kube:`` and point clients at ``kube.url``. Faults and the audit
log see every request exactly as a client sent it, watches included.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType

from aiohttp import web

from ..loopback import LoopbackSite
from .audit import AuditEntry, AuditLog
from .faults import FaultInjector
from .handlers import ApiHandler, is_dry_run
from .objects import wall_now
from .resources import KARPENTER_VERSIONS, Registry
from .store import Store
from .stream import WatchSettings
from .watch import WatchHub

DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class KubeEmulator:
    """A Kubernetes API server test double (see ``docs/kube-emulator.md`` for what it covers)."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        karpenter_versions: Sequence[str] = KARPENTER_VERSIONS,
        bookmark_interval: float = 5.0,
        max_watch_seconds: float = 1800.0,
        history_size: int = 1000,
        namespaces: Sequence[str] = DEFAULT_NAMESPACES,
        now: Callable[[], datetime] = wall_now,
        seed: int | None = None,
    ) -> None:
        self.registry = Registry(karpenter_versions)
        self.hub = WatchHub(history_size)
        self.store = Store(self.registry, self.hub, now=now, seed=seed)
        self.faults = FaultInjector()
        self.audit = AuditLog()
        self._now = now
        self._settings = WatchSettings(bookmark_interval=bookmark_interval, max_seconds=max_watch_seconds)
        self._site = LoopbackSite("KubeEmulator", host, port)
        for ns in namespaces:
            self.store.create(
                {
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {"name": ns},
                    "status": {"phase": "Active"},
                }
            )

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` once started."""
        return self._site.url

    @property
    def port(self) -> int:
        return self._site.port

    async def start(self) -> None:
        handler = ApiHandler(
            self.store, self._settings, self.faults, lambda: f"{self._site.host}:{self.port}"
        )
        app = web.Application(client_max_size=16 * 2**20)
        app.router.add_route("*", "/{tail:.*}", handler.handle)
        app.on_response_prepare.append(self._audit)
        await self._site.start(app)

    async def stop(self) -> None:
        """Close open watches cleanly, then the listener."""
        self.hub.close_all()
        await asyncio.sleep(0)  # let streams see their end-of-stream marker
        await self._site.stop()

    async def __aenter__(self) -> KubeEmulator:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def _audit(self, request: web.Request, response: web.StreamResponse) -> None:
        """Record each request when its response starts, so open watches are already in the log."""
        self.audit.record(
            AuditEntry(
                time=self._now(),
                method=request.method,
                path=request.path,
                query=request.query_string,
                content_type=request.headers.get("Content-Type", ""),
                status=response.status,
                user_agent=request.headers.get("User-Agent", ""),
                dry_run=is_dry_run(request),
            )
        )
