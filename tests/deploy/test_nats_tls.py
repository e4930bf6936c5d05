"""The shipped TLS option: nats-server-tls.conf (the local config plus tls.conf) serves TLS only, and a
service configured with the CA (``SPOTVORTEX_NATS__TLS_CA_FILE``) connects with its user and publishes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from spotvortex.contracts import jetstream, subjects
from spotvortex.runtime.bus import Bus
from spotvortex.runtime.config import ServiceSettings, load_settings
from spotvortex.runtime.metrics import RuntimeMetrics
from spotvortex.runtime.provision import ensure_all

from .natsusers import password, shipped_server

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl makes the certificates")


def certificates(d: Path) -> None:
    """ca.crt, tls.crt and tls.key, named as a kubernetes.io/tls Secret names them."""

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True, timeout=60)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1",
        "-subj", "/CN=spotvortex-test-ca")  # fmt: skip
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "tls.key", "-out", "tls.csr", "-subj", "/CN=nats")
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "tls.crt", "-days", "1", "-extfile", "san.ext")  # fmt: skip


async def test_a_service_connects_over_tls_with_its_user(tmp_path: Path) -> None:
    certs = tmp_path / "certs"
    certs.mkdir()
    certificates(certs)
    async with shipped_server(tmp_path / "nats", "nats-server-tls.conf", tls_dir=certs) as server:
        env = {
            "SPOTVORTEX_NATS_URL": server.url.replace("nats://", "tls://"),
            "SPOTVORTEX_NATS__USER": "gates",
            "SPOTVORTEX_NATS__PASSWORD": password("gates"),
            "SPOTVORTEX_NATS__TLS_CA_FILE": str(certs / "ca.crt"),
        }
        settings = load_settings(ServiceSettings, env=env)
        bus = await Bus.connect(settings.nats, "tls-test", RuntimeMetrics("gates"))
        try:
            await ensure_all(bus.js, jetstream.all_stream_specs("local"), [], jetstream.kv_specs("local"))
            ack = await bus.js.publish(subjects.pool("local", "approved", "web"), b"{}", timeout=5)
            assert ack.seq == 1
        finally:
            await bus.close()
