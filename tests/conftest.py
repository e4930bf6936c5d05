"""Shared fixtures: a real NATS server per test and unique cluster names."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from spotvortex.runtime.natsserver import NatsServerProcess

pytest_plugins = ["tests.nats_harness"]


@pytest.fixture
def cluster() -> str:
    """A cluster name no other test uses, so tests can share an external NATS server."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def nats_process(tmp_path: Path) -> AsyncIterator[NatsServerProcess]:
    """A local nats-server this test may kill and restart (fault tests need this one)."""
    server = NatsServerProcess(store_dir=tmp_path / "nats")
    await server.start()
    try:
        yield server
    finally:
        await server.close()
