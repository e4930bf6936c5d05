"""A real nats-server started with the shipped local-stack config (deploy/nats), and clients per user.

Each user's password is set in the server's environment (``NATS_<USER>_PASSWORD``) exactly as the config
expects; clients record every asynchronous error the server sends (permission violations arrive that way).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import nats
from nats.aio.client import Client

from spotvortex.contracts.nats_auth import password_variable
from spotvortex.contracts.permissions import FEED, OPERATOR, SERVICES
from spotvortex.runtime.natsserver import NatsServerProcess

from .paths import NATS_DIR

USERS = (*SERVICES, FEED, OPERATOR)


def password(user: str) -> str:
    return f"pw-{user}-test"


@contextlib.contextmanager
def server_environment() -> Iterator[None]:
    """The passwords the config reads from the environment, for a server started in this block."""
    saved = {password_variable(u): os.environ.get(password_variable(u)) for u in USERS}
    os.environ.update({password_variable(u): password(u) for u in USERS})
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.asynccontextmanager
async def shipped_server(
    work: Path, config: str = "nats-server.conf", tls_dir: Path | None = None
) -> AsyncIterator[NatsServerProcess]:
    """The shipped config copied to ``work`` (its includes are relative), on a random 127.0.0.1 port;
    with ``tls_dir``, tls.conf's certificate folder is pointed there."""
    conf_dir = work / "conf"
    shutil.copytree(NATS_DIR, conf_dir)
    if tls_dir is not None:
        tls = conf_dir / "tls.conf"
        tls.write_text(tls.read_text().replace("/etc/nats/tls", str(tls_dir)))
    with server_environment():
        server = NatsServerProcess(store_dir=work / "store", config_file=conf_dir / config)
        await server.start()
    try:
        yield server
    finally:
        await server.close()


@dataclass
class UserClient:
    user: str
    nc: Client
    errors: list[str] = field(default_factory=list)

    async def settle(self, seconds: float = 0.3) -> None:
        """Round-trip to the server, then give its asynchronous errors time to reach the callback."""
        await self.nc.flush(timeout=5)
        await asyncio.sleep(seconds)

    def refused(self, candidates: set[str]) -> set[str]:
        """Which of ``candidates`` the server refused ("permissions violation for publish to …" errors).

        The client lower-cases the server's error text, so subjects are matched without case.
        """
        said = {
            err.split('"')[1] for err in self.errors if "permissions violation" in err.lower() and '"' in err
        }
        return {s for s in candidates if s.lower() in said}


async def connect(url: str, user: str) -> UserClient:
    client = UserClient(user=user, nc=Client())

    async def on_error(err: Exception) -> None:
        client.errors.append(str(err))

    client.nc = await nats.connect(
        url, user=user, password=password(user), error_cb=on_error, allow_reconnect=False
    )
    return client
