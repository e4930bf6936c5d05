"""The router service as router tests run it: settings against an emulator, and a runner under the lease."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from spotvortex.contracts import Mode
from spotvortex.router import SPEC, RouterSettings
from spotvortex.runtime.kube import KubeSettings
from spotvortex.runtime.service import ServiceRunner
from tests.runtime.support import settings


def router_settings(
    nats_url: str, cluster: str, kube_url: str, mode: Mode, **overrides: Any
) -> RouterSettings:
    base = settings(nats_url, cluster, mode=mode)
    fields = {f: getattr(base, f) for f in base.__struct_fields__}
    return RouterSettings(**fields, kube=KubeSettings(url=kube_url), **overrides)


@asynccontextmanager
async def working(config: RouterSettings) -> AsyncIterator[ServiceRunner]:
    """A started router that holds the cluster lease (it works only under it); stopped on exit."""
    runner = ServiceRunner(SPEC, config)
    await runner.start()
    try:
        await asyncio.wait_for(runner.working.wait(), 10)
        yield runner
    finally:
        await runner.stop()
