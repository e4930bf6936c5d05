"""Publishing events to JetStream: fact-derived ``Nats-Msg-Id``, trace context, retries that de-duplicate.

A JetStream publish that times out may still have been stored (the server saw it; the ack was lost in a
disconnect), so a retry is only safe because the message id is derived from the fact being published.
"""

from __future__ import annotations

import asyncio
import logging

from nats.errors import ConnectionClosedError, NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import PubAck
from opentelemetry import trace

from spotvortex.contracts import subjects as subject_names
from spotvortex.contracts.base import SCHEMA_VERSION, Event
from spotvortex.contracts.codec import encode
from spotvortex.runtime.metrics import RuntimeMetrics
from spotvortex.runtime.tracing import inject_headers

log = logging.getLogger("spotvortex.runtime.publisher")

MSG_ID = "Nats-Msg-Id"
EVENT_TYPE = "SpotVortex-Event"
SCHEMA = "SpotVortex-Schema"
_RETRYABLE = (NatsTimeoutError, asyncio.TimeoutError, NoRespondersError)


class PublishError(Exception):
    """JetStream did not confirm a publish after every retry."""


class Publisher:
    def __init__(
        self,
        js: JetStreamContext,
        metrics: RuntimeMetrics,
        tracer: trace.Tracer,
        *,
        attempts: int = 5,
        timeout_seconds: float = 2.0,
        retry_wait_seconds: float = 0.2,
    ) -> None:
        self._js = js
        self._metrics = metrics
        self._tracer = tracer
        self._attempts = attempts
        self._timeout = timeout_seconds
        self._retry_wait = retry_wait_seconds

    async def publish(
        self, subject: str, event: Event, *, msg_id: str | None = None, headers: dict[str, str] | None = None
    ) -> PubAck:
        """Publish ``event`` on ``subject``; the message id defaults to the event's fact id."""
        family = subject_names.family_of(subject)
        hdrs = dict(headers or {})
        hdrs[MSG_ID] = msg_id or event.fact_id()
        hdrs[EVENT_TYPE] = type(event).__name__
        hdrs[SCHEMA] = str(SCHEMA_VERSION)
        with self._tracer.start_as_current_span(
            f"{family} publish",
            kind=trace.SpanKind.PRODUCER,
            attributes={"messaging.system": "nats", "messaging.destination.name": subject},
        ):
            inject_headers(hdrs)
            ack = await self._publish_with_retry(subject, encode(event), hdrs)
        self._metrics.published.labels(self._metrics.service, family, str(bool(ack.duplicate)).lower()).inc()
        return ack

    async def _publish_with_retry(self, subject: str, payload: bytes, headers: dict[str, str]) -> PubAck:
        last: Exception | None = None
        for attempt in range(self._attempts):
            try:
                return await self._js.publish(subject, payload, timeout=self._timeout, headers=headers)
            except _RETRYABLE as err:
                last = err
                self._metrics.publish_retries.labels(self._metrics.service).inc()
                log.info(
                    "publish to %s not confirmed (%s); retry %d", subject, type(err).__name__, attempt + 1
                )
                await asyncio.sleep(self._retry_wait * (2**attempt))
            except ConnectionClosedError as err:
                raise PublishError(f"connection closed while publishing to {subject}") from err
        raise PublishError(f"publish to {subject} unconfirmed after {self._attempts} attempts: {last!r}")
