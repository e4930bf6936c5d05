"""Credentials reach a real nats-server that enforces them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from spotvortex.runtime.bus import Bus, BusAuthError
from spotvortex.runtime.config import NatsSettings
from spotvortex.runtime.metrics import RuntimeMetrics
from spotvortex.runtime.natsserver import NatsServerProcess


@pytest.mark.parametrize(
    ("server_conf", "good", "bad"),
    [
        (
            'authorization { user: "svc", password: "s3cret" }',
            {"user": "svc", "password": "s3cret"},
            {"user": "svc", "password": "wrong"},
        ),
        ('authorization { token: "tok-123" }', {"token": "tok-123"}, {"token": "nope"}),
    ],
)
async def test_credentials(
    tmp_path: Path, server_conf: str, good: dict[str, str], bad: dict[str, str]
) -> None:
    conf = tmp_path / "server.conf"
    conf.write_text(server_conf + "\n")
    server = NatsServerProcess(store_dir=tmp_path / "n", config_file=conf)
    await server.start()
    try:
        bus = await Bus.connect(NatsSettings(servers=[server.url], **good), "auth-test", RuntimeMetrics("t"))
        assert bus.connected
        await bus.js.account_info()
        await bus.close()
        with pytest.raises(BusAuthError, match="refused the configured credentials"):
            await asyncio.wait_for(
                Bus.connect(NatsSettings(servers=[server.url], **bad), "auth-test", RuntimeMetrics("t")), 10
            )
    finally:
        await server.close()
