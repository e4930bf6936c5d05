"""A drainer process SIGKILLed in the middle of a job: its successor resumes from the job record in KV and
drains the node once — no second cordon, no lost result."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from spotvortex.contracts import Mode, jetstream
from spotvortex.runtime.local_env import local_service_env
from spotvortex.sim.kube import KubeEmulator
from tests.helpers import eventually

from .support import Bus, blocked_node, drain_job, refused_while_evicting

SPOTVORTEX = str(Path(sys.executable).parent / "spotvortex")
NODE_PATCH = r"^/api/v1/nodes/"


def drainer_env(nats_url: str, cluster: str, kube: KubeEmulator, instance: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOTVORTEX_")}
    env |= local_service_env(
        nats_url=nats_url,
        cluster=cluster,
        region="us-east-1",
        mode=Mode.ENFORCE,
        instance=instance,
        kube_url=kube.url,
    )
    env |= {
        "SPOTVORTEX_LEASE_TTL_SECONDS": "2",  # the killed holder's lease lapses quickly
        "SPOTVORTEX_DRAINER__BACKOFF_INITIAL_SECONDS": "0.05",
        "SPOTVORTEX_DRAINER__BACKOFF_MAX_SECONDS": "0.2",
        "SPOTVORTEX_DRAINER__POLL_SECONDS": "0.05",
        "SPOTVORTEX_DRAINER__RETRY_SECONDS": "0.2",
        "SPOTVORTEX_DRAINER__RESCHEDULE_TIMEOUT_SECONDS": "0",  # the emulator runs no controllers
    }
    return env


async def spawn(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        SPOTVORTEX, "run", "drainer", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


@pytest.mark.fault
async def test_a_sigkilled_drainer_is_resumed_from_its_record_and_drains_the_node_once(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    blocked_node(kube)  # holds the job in its eviction phase

    first = await spawn(drainer_env(nats_url, cluster, kube, "drainer-1"))
    try:
        await nats_bus.publish(drain_job(cluster, ["n1"], deadline_in=120))
        await eventually(refused_while_evicting(nats_bus, kube), timeout=30)
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    assert kube.store.get("nodes", "n1")["spec"].get("unschedulable") is True
    assert nats_bus.results == []

    kube.store.delete("poddisruptionbudgets", "web", "default")  # the budget frees up while none runs
    second = await spawn(drainer_env(nats_url, cluster, kube, "drainer-2"))
    try:
        result = await nats_bus.result("n1", timeout=30)
    finally:
        second.send_signal(signal.SIGTERM)
        await second.wait()
    assert (result.outcome, result.pods_evicted) == ("drained", 2)
    assert kube.audit.count_mutations(method="PATCH", path=NODE_PATCH) == 1  # resumed, not cordoned again
    assert [r.node for r in nats_bus.results] == ["n1"]  # one result, not one per process
    info = await nats_bus.js.consumer_info(jetstream.actuation_stream(cluster), "drainer")
    assert info.num_ack_pending == 0
