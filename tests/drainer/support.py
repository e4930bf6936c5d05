"""Builders for drainer tests: pod/node/PDB manifests, drain jobs, and a drainer running on real NATS."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import nats
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from spotvortex.contracts import (
    Direction,
    DrainJob,
    DrainResult,
    Mode,
    Provisioner,
    decode,
    encode,
    jetstream,
    subjects,
)
from spotvortex.contracts.subjects import PoolKind
from spotvortex.drainer import SPEC, DrainerConfig, DrainerSettings, JobRecord
from spotvortex.runtime import kvstore
from spotvortex.runtime.kube import KubeSettings
from spotvortex.runtime.provision import ensure_all
from spotvortex.runtime.service import ServiceRunner
from spotvortex.sim.kube import KubeEmulator
from tests.runtime.support import settings

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
POOL = "web"


def node(
    name: str,
    *,
    unschedulable: bool = False,
    capacity_type: str | None = None,
    ready: bool | None = None,
    nodepool: str | None = None,
) -> dict[str, Any]:
    """A node; ``capacity_type`` sets Karpenter's label, ``ready`` its Ready condition."""
    labels: dict[str, str] = {}
    if capacity_type:
        labels["karpenter.sh/capacity-type"] = capacity_type
    if nodepool:
        labels["karpenter.sh/nodepool"] = nodepool
    body: dict[str, Any] = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels}}
    if unschedulable:
        body["spec"] = {"unschedulable": True}
    if ready is not None:
        body["status"] = {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}
    return body


def pod(
    name: str,
    node_name: str,
    *,
    namespace: str = "default",
    labels: dict[str, str] | None = None,
    owner: str | None = "ReplicaSet",
    annotations: dict[str, str] | None = None,
    phase: str = "Running",
    ready: bool = True,
    deleting: bool = False,
    finalizers: list[str] | None = None,
    owner_name: str | None = None,
    requests: dict[str, str] | None = None,
    emptydir: bool = False,
) -> dict[str, Any]:
    """A pod as the API returns it; ``owner`` is its controller's kind (``None``: a bare pod), by default
    one of its own (``owner_name`` shares one between pods)."""
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "labels": labels or {}}
    if owner:
        meta["ownerReferences"] = [
            {
                "apiVersion": "apps/v1",
                "kind": owner,
                "name": owner_name or f"{name}-owner",
                "uid": f"u-{owner_name or name}",
                "controller": True,
            }
        ]
    if annotations:
        meta["annotations"] = annotations
    if deleting:
        meta["deletionTimestamp"] = "2026-03-02T11:59:00Z"
    if finalizers:
        meta["finalizers"] = finalizers
    status: dict[str, Any] = {"phase": phase}
    if ready and phase == "Running":
        status["conditions"] = [{"type": "Ready", "status": "True"}]
    container: dict[str, Any] = {"name": "app", "image": "registry.local/app:1"}
    if requests:
        container["resources"] = {"requests": requests}
    spec: dict[str, Any] = {"nodeName": node_name, "containers": [container]}
    if emptydir:
        spec["volumes"] = [{"name": "scratch", "emptyDir": {}}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


def pdb(name: str, app: str, *, min_available: int, namespace: str = "default") -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"selector": {"matchLabels": {"app": app}}, "minAvailable": min_available},
    }


def drain_job(
    cluster: str,
    nodes: list[str],
    *,
    job_id: str = "job-1",
    mode: Mode = Mode.ENFORCE,
    deadline_in: float = 30.0,
    grace: int = 45,
    emergency: bool = False,
    time: datetime | None = None,
    replacement_first: bool = False,
    provisioner: Provisioner = Provisioner.KARPENTER,
    nodepools: list[str] | None = None,
    direction: Direction = Direction.SPOT_TO_ON_DEMAND,
) -> DrainJob:
    """A job for ``nodes``. Tests of eviction mechanics leave the replacement phase out; those of the
    replacement phase ask for it (as the router does by default)."""
    now = time or datetime.now(UTC)
    return DrainJob(
        job_id=job_id,
        cluster=cluster,
        pool=POOL,
        decision_id=f"d-{job_id}",
        time=now,
        mode=mode,
        direction=direction,
        nodes=nodes,
        deadline=now + timedelta(seconds=deadline_in),
        grace_period_seconds=grace,
        emergency=emergency,
        replacement_first=replacement_first,
        provisioner=provisioner,
        nodepools=nodepools or [],
    )


FAST = DrainerConfig(
    backoff_initial_seconds=0.05,
    backoff_max_seconds=0.2,
    poll_seconds=0.05,
    retry_seconds=0.2,
    reschedule_timeout_seconds=0,  # the emulator runs no controllers: look once, do not wait
)


def drainer_settings(
    nats_url: str, cluster: str, kube: KubeEmulator, *, mode: Mode = Mode.ENFORCE, **config: Any
) -> DrainerSettings:
    base = settings(nats_url, cluster, mode=mode)
    fields = {f: getattr(base, f) for f in base.__struct_fields__}
    drainer = DrainerConfig(**{**{f: getattr(FAST, f) for f in FAST.__struct_fields__}, **config})
    return DrainerSettings(**fields, kube=KubeSettings(url=kube.url), drainer=drainer)


@dataclass
class Bus:
    """A test's own NATS connection: publishes jobs, reads results as stored in the stream."""

    nc: NATS
    js: JetStreamContext
    cluster: str
    results: list[DrainResult] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def publish(self, job: DrainJob, msg_id: str | None = None) -> None:
        await self.js.publish(
            subjects.pool(self.cluster, PoolKind.DRAIN, job.pool),
            encode(job),
            headers={"Nats-Msg-Id": msg_id or job.fact_id()},
        )

    async def result(self, node: str, timeout: float = 10.0) -> DrainResult:
        """The first stored result for ``node``, waiting for it."""
        async with asyncio.timeout(timeout):
            while True:
                for r in self.results:
                    if r.node == node:
                        return r
                self.arrived.clear()
                await self.arrived.wait()

    async def finished(self, job_id: str, timeout: float = 10.0) -> JobRecord:
        """The job's record once it is closed (every node's result published)."""
        async with asyncio.timeout(timeout):
            while True:
                record = await self.record(job_id)
                if record is not None and record.finished:
                    return record
                await asyncio.sleep(0.02)

    async def record(self, job_id: str) -> JobRecord | None:
        kv = await self.js.key_value(jetstream.jobs_bucket(self.cluster))
        _, record = await kvstore.read(kv, job_id, JobRecord)
        return record


@contextlib.asynccontextmanager
async def bus(nats_url: str, cluster: str) -> AsyncIterator[Bus]:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_all(js, jetstream.all_stream_specs(cluster), [], jetstream.kv_specs(cluster))
    b = Bus(nc=nc, js=js, cluster=cluster)

    async def on_result(msg: Any) -> None:
        b.results.append(decode(msg.data, DrainResult))
        b.arrived.set()

    sub = await js.subscribe(
        subjects.pool_all(cluster, PoolKind.DRAINED), cb=on_result, ordered_consumer=True
    )
    try:
        yield b
    finally:
        await sub.unsubscribe()
        await nc.close()


@contextlib.asynccontextmanager
async def running(config: DrainerSettings) -> AsyncIterator[ServiceRunner]:
    runner = ServiceRunner(SPEC, config)
    await runner.start()
    try:
        await asyncio.wait_for(runner.working.wait(), 10)  # the drainer works only under the cluster lease
        yield runner
    finally:
        await runner.stop()


PLACEHOLDER_NAMESPACE = "spotvortex"


def placeholders(kube: KubeEmulator) -> list[dict[str, Any]]:
    """The replacement placeholder pods that exist now."""
    return kube.store.list(
        "pods", namespace=PLACEHOLDER_NAMESPACE, label_selector="spotvortex.io/placeholder=true"
    )


def bind(kube: KubeEmulator, node_name: str) -> None:
    """Play the scheduler: put every placeholder on ``node_name``, as Karpenter's new node would take them."""
    for p in placeholders(kube):
        kube.store.patch(
            "pods", p["metadata"]["name"], {"spec": {"nodeName": node_name}}, namespace=PLACEHOLDER_NAMESPACE
        )


def event_reasons(kube: KubeEmulator, node_name: str) -> list[str]:
    """The reasons of the Events about ``node_name``, in the order they were written."""
    events = kube.store.list("events", field_selector=f"involvedObject.name={node_name}")
    events.sort(key=lambda e: int(e["metadata"]["resourceVersion"]))
    return [e["reason"] for e in events]


EVICTIONS = r"/eviction$"
"""Audit-log path of Eviction requests."""


def blocked_node(kube: KubeEmulator, name: str = "n1") -> None:
    """``name`` runs two web pods under a PDB that needs both: every eviction is refused (429) until it goes."""
    kube.store.create(node(name))
    for i in range(2):
        kube.store.create(pod(f"web-{i}", name, labels={"app": "web"}))
    kube.store.create(pdb("web", "web", min_available=2))


def refused_while_evicting(
    bus: Bus, kube: KubeEmulator, job_id: str = "job-1", times: int = 2
) -> Callable[[], Awaitable[bool]]:
    """A condition: the job's first node is in its eviction phase and ``times`` evictions were refused."""

    async def holds() -> bool:
        record = await bus.record(job_id)
        refusals = [e for e in kube.audit.mutations(path=EVICTIONS) if e.status == 429]
        return record is not None and record.nodes[0].phase == "evicting" and len(refusals) >= times

    return holds
