"""Fixtures of the drainer's service tests: the Kubernetes API emulator and a test's own NATS connection."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from spotvortex.sim.kube import KubeEmulator

from .support import Bus, bus


@pytest.fixture
async def kube() -> AsyncIterator[KubeEmulator]:
    async with KubeEmulator(seed=5) as emulator:
        yield emulator


@pytest.fixture
async def nats_bus(nats_url: str, cluster: str) -> AsyncIterator[Bus]:
    async with bus(nats_url, cluster) as b:
        yield b
