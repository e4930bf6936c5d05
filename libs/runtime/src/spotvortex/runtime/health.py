"""``/healthz``, ``/readyz`` and ``/metrics`` over aiohttp, for Kubernetes probes and Prometheus.

``/healthz`` says the process and its event loop answer. ``/readyz`` runs the service's readiness checks
(NATS connected, its streams present, lease state) and answers 503 with the failing checks named.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import msgspec
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest


class Check(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    ok: bool
    detail: str = ""


ReadinessCheck = Callable[[], Awaitable[Check]]


class HealthServer:
    def __init__(self, service: str, registry: CollectorRegistry, checks: list[ReadinessCheck]) -> None:
        self.service = service
        self._registry = registry
        self._checks = checks
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        self._app = app

    async def start(self, host: str, port: int) -> int:
        self._runner = web.AppRunner(self._app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        address = self._runner.addresses[0]  # (host, port[, ...]) of the socket actually bound
        self.port = int(address[1])
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "service": self.service})

    async def run_checks(self) -> list[Check]:
        results: list[Check] = []
        for check in self._checks:
            try:
                results.append(await asyncio.wait_for(check(), timeout=2.0))
            except Exception as err:
                results.append(Check(name=getattr(check, "__name__", "check"), ok=False, detail=repr(err)))
        return results

    async def _readyz(self, _request: web.Request) -> web.Response:
        results = await self.run_checks()
        ready = all(c.ok for c in results)
        body = {"ready": ready, "service": self.service, "checks": msgspec.to_builtins(results)}
        return web.json_response(body, status=200 if ready else 503)

    async def _metrics(self, _request: web.Request) -> web.Response:
        return web.Response(
            body=generate_latest(self._registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )
