"""TLS settings reach a real nats-server that requires TLS (certificates made for the test with openssl)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from spotvortex.runtime.bus import Bus
from spotvortex.runtime.config import NatsSettings
from spotvortex.runtime.metrics import RuntimeMetrics
from spotvortex.runtime.natsserver import NatsServerProcess

pytestmark = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="openssl is needed to make certificates"
)


def _certificates(d: Path) -> tuple[Path, Path, Path]:
    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True, timeout=60)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1",
        "-subj", "/CN=spotvortex-test-ca")  # fmt: skip
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1")  # fmt: skip
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "1", "-extfile", "san.ext")  # fmt: skip
    return d / "ca.pem", d / "server.pem", d / "server.key"


async def test_tls_connection_verifies_the_server(tmp_path: Path) -> None:
    ca, cert, key = _certificates(tmp_path)
    conf = tmp_path / "server.conf"
    conf.write_text(f'tls {{ cert_file: "{cert}", key_file: "{key}" }}\n')
    server = NatsServerProcess(store_dir=tmp_path / "n", config_file=conf)
    await server.start()
    try:
        url = server.url.replace("nats://", "tls://")
        bus = await Bus.connect(
            NatsSettings(servers=[url], tls_ca_file=str(ca)), "tls-test", RuntimeMetrics("t")
        )
        try:
            assert bus.connected
            assert bus.nc.connected_url is not None
            await bus.js.account_info()
        finally:
            await bus.close()
    finally:
        await server.close()
