"""The five services in one test process, each configured exactly as ``spotvortex up`` configures its
processes (``SPOTVORTEX_*`` variables through ``load_settings``), against a real NATS and the emulator."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from spotvortex.contracts.enums import Mode
from spotvortex.runtime.config import load_settings
from spotvortex.runtime.local_env import local_service_env
from spotvortex.runtime.service import ServiceRunner

SERVICES = ("collector", "inference", "gates", "router", "drainer")


@dataclass
class Swarm:
    runners: dict[str, ServiceRunner] = field(default_factory=dict)

    async def start(self, name: str, runner: ServiceRunner) -> None:
        self.runners[name] = runner
        await runner.start()

    async def stop(self, name: str) -> None:
        await self.runners.pop(name).stop()


@asynccontextmanager
async def swarm(
    *,
    nats_url: str,
    cluster: str,
    kube_url: str,
    mode: Mode,
    inference_replicas: int = 1,
    extra: Mapping[str, str] | None = None,
) -> AsyncIterator[Swarm]:
    """Start every service (inference ``inference_replicas`` times); wait until the lease holders work."""
    running = Swarm()
    try:
        for service in SERVICES:
            module = importlib.import_module(f"spotvortex.{service}")
            copies = inference_replicas if service == "inference" else 1
            for i in range(copies):
                instance = f"{service}-{i + 1}"
                env = local_service_env(
                    nats_url=nats_url,
                    cluster=cluster,
                    region="us-east-1",
                    mode=mode,
                    instance=instance,
                    kube_url=kube_url,
                ) | {"SPOTVORTEX_NATS__RECONNECT_WAIT_SECONDS": "0.1", **(extra or {})}
                settings = load_settings(module.SETTINGS, env=env)
                await running.start(instance, ServiceRunner(module.SPEC, settings))
        for runner in running.runners.values():
            await asyncio.wait_for(runner.working.wait(), 15)
        yield running
    finally:
        for name in list(running.runners):
            await running.stop(name)
