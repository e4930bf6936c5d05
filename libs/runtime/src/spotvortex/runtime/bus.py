"""The NATS connection: credentials, TLS, endless reconnect with backoff, and an honest ``connected`` flag."""

from __future__ import annotations

import logging
import ssl

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext

from spotvortex.runtime.config import NatsSettings
from spotvortex.runtime.metrics import RuntimeMetrics

log = logging.getLogger("spotvortex.runtime.bus")

_AUTH_FAILURES = ("authorization violation", "authentication", "user authentication expired")


class BusAuthError(Exception):
    """NATS refused the configured credentials; retrying cannot help, so start-up stops."""


async def _quiet(_err: Exception) -> None:
    return None


async def _probe_credentials(options: dict[str, object]) -> None:
    """One connection without reconnects, so refused credentials fail loudly instead of retrying forever.

    An unreachable server is not an error here: the reconnecting connection that follows waits for it.
    """
    probe = {**options, "allow_reconnect": False, "error_cb": _quiet}
    for key in ("disconnected_cb", "reconnected_cb", "closed_cb"):
        probe.pop(key, None)
    try:
        nc = await nats.connect(**probe)  # type: ignore[arg-type]
    except Exception as err:
        if any(marker in str(err).lower() for marker in _AUTH_FAILURES):
            servers = ", ".join(options["servers"])  # type: ignore[arg-type]
            raise BusAuthError(f"NATS at {servers} refused the configured credentials: {err}") from None
        return
    await nc.close()


def tls_context(settings: NatsSettings) -> ssl.SSLContext | None:
    """A client TLS context when any TLS file is configured (or the URL scheme asks for TLS)."""
    wants_tls = any(url.startswith(("tls://", "wss://")) for url in settings.servers)
    if not (settings.tls_ca_file or settings.tls_cert_file or wants_tls):
        return None
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=settings.tls_ca_file)
    if settings.tls_cert_file and settings.tls_key_file:
        context.load_cert_chain(settings.tls_cert_file, settings.tls_key_file)
    return context


class Bus:
    """One NATS connection and its JetStream context, shared by a service's publisher and consumers."""

    def __init__(self, nc: Client, js: JetStreamContext, settings: NatsSettings) -> None:
        self.nc = nc
        self.js = js
        self.settings = settings
        self._closing: dict[str, bool] = {"now": False}

    @property
    def connected(self) -> bool:
        return bool(self.nc.is_connected)

    @classmethod
    async def connect(cls, settings: NatsSettings, name: str, metrics: RuntimeMetrics) -> Bus:
        service = metrics.service

        async def on_error(err: Exception) -> None:
            log.warning("nats connection error: %s", err or type(err).__name__)

        closing = {"now": False}

        async def on_disconnected() -> None:
            metrics.nats_connected.labels(service).set(0)
            if not closing["now"]:
                log.warning("nats disconnected; reconnecting")

        async def on_reconnected() -> None:
            metrics.nats_connected.labels(service).set(1)
            log.info("nats reconnected")

        async def on_closed() -> None:
            metrics.nats_connected.labels(service).set(0)

        options: dict[str, object] = {
            "servers": settings.servers,
            "name": name,
            "error_cb": on_error,
            "disconnected_cb": on_disconnected,
            "reconnected_cb": on_reconnected,
            "closed_cb": on_closed,
            "connect_timeout": settings.connect_timeout_seconds,
            "reconnect_time_wait": settings.reconnect_wait_seconds,
            "max_reconnect_attempts": settings.max_reconnect_attempts,
            "allow_reconnect": True,
        }
        if settings.user:
            options["user"] = settings.user
            options["password"] = settings.password or ""
        if settings.token:
            options["token"] = settings.token
        if settings.creds_file:
            options["user_credentials"] = settings.creds_file
        if settings.nkey_seed_file:
            options["nkeys_seed"] = settings.nkey_seed_file
        context = tls_context(settings)
        if context is not None:
            options["tls"] = context
            if settings.tls_hostname:
                options["tls_hostname"] = settings.tls_hostname
        await _probe_credentials(options)
        nc = await nats.connect(**options)  # type: ignore[arg-type]
        metrics.nats_connected.labels(service).set(1)
        bus = cls(nc, nc.jetstream(timeout=settings.request_timeout_seconds), settings)
        bus._closing = closing
        return bus

    async def close(self) -> None:
        """Flush what is buffered, then drain subscriptions and close."""
        if self.nc.is_closed:
            return
        self._closing["now"] = True
        try:
            if self.nc.is_connected:
                await self.nc.flush(timeout=2)
            await self.nc.drain()
        except Exception:  # closing must never raise during shutdown
            log.debug("nats drain failed; closing", exc_info=True)
            await self.nc.close()
