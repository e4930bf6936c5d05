"""/healthz, /readyz and /metrics answer; /readyz is not ready while NATS is down, and recovers."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from tests.helpers import eventually
from tests.runtime.support import consumer, one_subscription, settings

from spotvortex.contracts import ProposedAction
from spotvortex.runtime.consumer import Delivery, decoder_for
from spotvortex.runtime.natsserver import NatsServerProcess
from spotvortex.runtime.service import ServiceContext, ServiceRunner


async def _noop(_e: ProposedAction, _d: Delivery, _c: ServiceContext) -> None:
    return None


@pytest.mark.fault
async def test_health_endpoints_and_readiness_follow_nats(
    nats_process: NatsServerProcess, cluster: str
) -> None:
    spec = one_subscription(
        "gates", consumer(cluster, "action", "health"), decoder_for(ProposedAction), _noop
    )
    runner = ServiceRunner(spec, settings(nats_process.url, cluster))
    await runner.start()
    assert runner.http is not None
    base = f"http://127.0.0.1:{runner.http.port}"
    try:
        async with aiohttp.ClientSession() as http:

            async def ready() -> tuple[int, dict[str, object]]:
                async with http.get(f"{base}/readyz") as r:
                    return r.status, await r.json()

            async with http.get(f"{base}/healthz") as r:
                assert r.status == 200
                assert (await r.json())["status"] == "ok"
            await asyncio.wait_for(runner.working.wait(), 10)
            status, body = await ready()
            assert status == 200
            assert body["ready"] is True
            assert {c["name"] for c in body["checks"]} == {"nats", "streams", "lease"}  # type: ignore[union-attr]
            async with http.get(f"{base}/metrics") as r:
                text = await r.text()
                assert r.status == 200
                assert 'spotvortex_nats_connected{service="gates"} 1.0' in text
                assert "spotvortex_handler_duration_seconds" in text

            await nats_process.stop()

            async def not_ready() -> bool:
                return (await ready())[0] == 503

            await eventually(not_ready, timeout=10)
            status, body = await ready()
            failing = [c["name"] for c in body["checks"] if not c["ok"]]  # type: ignore[union-attr]
            assert "nats" in failing
            async with http.get(f"{base}/healthz") as r:
                assert r.status == 200, "liveness does not depend on NATS"
            async with http.get(f"{base}/metrics") as r:
                assert 'spotvortex_nats_connected{service="gates"} 0.0' in await r.text()

            await nats_process.start()

            async def is_ready() -> bool:
                return (await ready())[0] == 200

            await eventually(is_ready, timeout=15)
    finally:
        await runner.stop()
