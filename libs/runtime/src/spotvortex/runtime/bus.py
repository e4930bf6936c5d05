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
            raise BusAuthError(
                f"NATS at {options['servers']} refused the configured credentials: {err}"
            ) from None
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

    nc: Client
    js: JetStreamContext

    def __init__(self, settings: NatsSettings, metrics: RuntimeMetrics) -> None:
        self.settings = settings
        self._metrics = metrics
        self._closing = False  # a disconnect while closing is expected, not worth a warning

    @property
    def connected(self) -> bool:
        return bool(self.nc.is_connected)

    @classmethod
    async def connect(cls, settings: NatsSettings, name: str, metrics: RuntimeMetrics) -> Bus:
        bus = cls(settings, metrics)
        options = bus._options(name)
        await _probe_credentials(options)
        bus.nc = await nats.connect(**options)  # type: ignore[arg-type]
        bus.js = bus.nc.jetstream(timeout=settings.request_timeout_seconds)
        bus._set_connected(True)
        return bus

    def _options(self, name: str) -> dict[str, object]:
        s = self.settings
        options: dict[str, object] = {
            "servers": s.servers,
            "name": name,
            "error_cb": self._on_error,
            "disconnected_cb": self._on_disconnected,
            "reconnected_cb": self._on_reconnected,
            "closed_cb": self._on_closed,
            "connect_timeout": s.connect_timeout_seconds,
            "reconnect_time_wait": s.reconnect_wait_seconds,
            "max_reconnect_attempts": s.max_reconnect_attempts,
            "allow_reconnect": True,
        }
        if s.user:
            options["user"] = s.user
            options["password"] = s.password or ""
        if s.token:
            options["token"] = s.token
        if s.creds_file:
            options["user_credentials"] = s.creds_file
        if s.nkey_seed_file:
            options["nkeys_seed"] = s.nkey_seed_file
        context = tls_context(s)
        if context is not None:
            options["tls"] = context
            if s.tls_hostname:
                options["tls_hostname"] = s.tls_hostname
        return options

    def _set_connected(self, up: bool) -> None:
        self._metrics.nats_connected.labels(self._metrics.service).set(1 if up else 0)

    async def _on_error(self, err: Exception) -> None:
        log.warning("nats connection error: %s", err or type(err).__name__)

    async def _on_disconnected(self) -> None:
        self._set_connected(False)
        if not self._closing:
            log.warning("nats disconnected; reconnecting")

    async def _on_reconnected(self) -> None:
        self._set_connected(True)
        log.info("nats reconnected")

    async def _on_closed(self) -> None:
        self._set_connected(False)

    async def close(self) -> None:
        """Flush what is buffered, then drain subscriptions and close."""
        if self.nc.is_closed:
            return
        self._closing = True
        try:
            if self.nc.is_connected:
                await self.nc.flush(timeout=2)
            await self.nc.drain()
        except Exception:  # closing must never raise during shutdown
            log.debug("nats drain failed; closing", exc_info=True)
            await self.nc.close()
