"""A SIGKILLed inference replica loses no decision: what it held is redelivered to the survivor."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from spotvortex.contracts import subjects
from spotvortex.contracts.subjects import PoolKind
from tests.helpers import eventually

from .test_service import bus, inference_settings, replica, snapshot

SPOTVORTEX = str(Path(sys.executable).parent / "spotvortex")


async def test_killing_one_replica_keeps_decisions_flowing(nats_url: str, cluster: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOTVORTEX_")}
    env.update(
        {
            "SPOTVORTEX_NATS_URL": nats_url,
            "SPOTVORTEX_CLUSTER": cluster,
            "SPOTVORTEX_HTTP__HOST": "127.0.0.1",
            "SPOTVORTEX_HTTP__PORT": "0",
            "SPOTVORTEX_FETCH_BATCH": "4",
        }
    )
    async with bus(nats_url, cluster) as client:
        doomed = await asyncio.create_subprocess_exec(
            SPOTVORTEX, "run", "inference", env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        try:
            await client.send(snapshot(cluster, "warm-up"))
            await client.take(client.actions, 1)  # the process replica is up and deciding
            pools = [snapshot(cluster, f"pool-{i}") for i in range(20)]
            for t in pools:
                await client.send(t)
            doomed.send_signal(signal.SIGKILL)  # mid-stream: some messages are in its hands, unacked
            await doomed.wait()
        finally:
            if doomed.returncode is None:
                doomed.kill()
                await doomed.wait()
        config = inference_settings(nats_url, cluster)
        async with replica(config):
            await eventually(client.drained, timeout=40)  # in-flight ones come back after the ack wait
        stored = await client.stored_per_subject()
    for t in pools:
        assert stored.get(subjects.pool(cluster, PoolKind.ACTION, t.pool)) == 1, t.pool
