"""One aiohttp application on a loopback port, as both API emulators serve theirs.

Binding the socket ourselves (port 0 = any free one) means the real port is known the moment ``start``
returns, so a test or ``spotvortex sim`` can print the URL before any client connects.
"""

from __future__ import annotations

import socket
from typing import Any

from aiohttp import web


class LoopbackSite:
    """Serves an application at ``host:port`` until ``stop``; ``owner`` names it in errors."""

    def __init__(self, owner: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.owner = owner
        self.host = host
        self.requested_port = port
        self._runner: web.AppRunner | None = None
        self._bound: tuple[str, int] | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` once started."""
        return f"http://{self.host}:{self.port}"

    @property
    def port(self) -> int:
        if self._bound is None:
            raise RuntimeError(f"{self.owner} is not started")
        return self._bound[1]

    async def start(self, app: web.Application, **runner_options: Any) -> None:
        self._runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=1.0, **runner_options
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.requested_port))
        self._bound = sock.getsockname()[:2]
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
