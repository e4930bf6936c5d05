"""Running the collector against the Kubernetes emulator and a real NATS, and reading what it publishes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg

from spotvortex.collector import SPEC, AwsSettings, CollectorConfig, CollectorSettings
from spotvortex.contracts import DeadLetter, PoolTelemetry, decode, subjects
from spotvortex.runtime.kube import KubeSettings
from spotvortex.runtime.service import ServiceRunner
from spotvortex.sim.kube import KubeEmulator
from tests.runtime.support import settings as base_settings

from .builders import node, nodepool, pdb, pod

WAIT = 10.0  # seconds; a backstop so a broken path fails instead of hanging


def collector_settings(
    nats_url: str,
    cluster: str,
    kube_url: str,
    *,
    cadence: float = 0.3,
    watch_timeout: int = 300,
    aws: AwsSettings | None = None,
) -> CollectorSettings:
    base = base_settings(nats_url, cluster)
    return CollectorSettings(
        **{f: getattr(base, f) for f in base.__struct_fields__},
        collector=CollectorConfig(cadence_seconds=cadence),
        kube=KubeSettings(url=kube_url, watch_timeout_seconds=watch_timeout, request_timeout_seconds=5),
        aws=aws or AwsSettings(),
    )


@contextlib.asynccontextmanager
async def running(settings: CollectorSettings) -> AsyncIterator[ServiceRunner]:
    runner = ServiceRunner(SPEC, settings)
    await runner.start()
    try:
        yield runner
    finally:
        await runner.stop()


class Tap:
    """Every telemetry and dead letter of one cluster, from a plain NATS subscription."""

    def __init__(self, nc: Client) -> None:
        self.nc = nc
        self.telemetry: asyncio.Queue[PoolTelemetry] = asyncio.Queue()
        self.letters: asyncio.Queue[DeadLetter] = asyncio.Queue()

    @classmethod
    @contextlib.asynccontextmanager
    async def on(cls, nats_url: str, cluster: str) -> AsyncIterator[Tap]:
        nc = await nats.connect(nats_url)
        tap = cls(nc)

        async def on_telemetry(msg: Msg) -> None:
            await tap.telemetry.put(decode(msg.data, PoolTelemetry))

        async def on_letter(msg: Msg) -> None:
            await tap.letters.put(decode(msg.data, DeadLetter))

        await nc.subscribe(subjects.pool_all(cluster, "telemetry"), cb=on_telemetry)
        await nc.subscribe(subjects.dlq_all(cluster), cb=on_letter)
        await nc.flush()
        try:
            yield tap
        finally:
            await nc.close()

    async def until(self, matches: Callable[[PoolTelemetry], bool], timeout: float = WAIT) -> PoolTelemetry:
        """The first telemetry (from now on) that ``matches``."""
        async with asyncio.timeout(timeout):
            while True:
                telemetry = await self.telemetry.get()
                if matches(telemetry):
                    return telemetry

    async def letter(self, timeout: float = WAIT) -> DeadLetter:
        return await asyncio.wait_for(self.letters.get(), timeout)


def populate(kube: KubeEmulator, karpenter: str = "v1") -> None:
    """Pool ``web``: two spot nodes and one on-demand node (twin NodePools), four web pods under a PDB.
    Pool ``batch``: one node of an EKS managed node group. Plus a control-plane and an unmanaged node."""
    store = kube.store
    store.create(nodepool("web-spot", capacity_types=["spot"], weight=100, version=karpenter))
    store.create(nodepool("web-od", capacity_types=["on-demand"], weight=10, version=karpenter))
    store.create(node("spot-1", pool="web", zone="us-east-1a", instance_id="i-0000000000000aaa1"))
    store.create(node("spot-2", pool="web", zone="us-east-1b"))
    store.create(node("od-1", pool="web", capacity="on-demand", zone="us-east-1c"))
    store.create(
        node(
            "ng-1",
            capacity=None,
            labels={"eks.amazonaws.com/nodegroup": "batch-spot", "eks.amazonaws.com/capacityType": "SPOT"},
        )
    )
    store.create(node("cp-1", capacity=None, labels={"node-role.kubernetes.io/control-plane": ""}))
    store.create(node("loose-1", capacity=None))
    for i, where in enumerate(("spot-1", "spot-1", "spot-2", "od-1")):
        store.create(pod(f"web-{i}", where))
    store.create(pod("agent-spot-1", "spot-1", app="agent", owner=("DaemonSet", "agent")))
    store.create(pod("job-1", "ng-1", app="job", owner=("Job", "nightly")))
    store.create(pdb("web", {"app": "web"}, min_available=3, allowed=None))


def web(t: PoolTelemetry) -> bool:
    return t.pool == "web"


def has(**expected: Any) -> Callable[[PoolTelemetry], bool]:
    """Telemetry of pool ``web`` whose ``nodes``/``workload`` fields hold ``expected`` (``nodes__cordoned=1``)."""

    def check(t: PoolTelemetry) -> bool:
        if t.pool != "web":
            return False
        for path, value in expected.items():
            obj: Any = t
            for part in path.split("__"):
                obj = getattr(obj, part)
            if obj != value:
                return False
        return True

    return check
