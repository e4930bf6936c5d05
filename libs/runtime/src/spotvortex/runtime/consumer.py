"""The consumer loop over a durable pull consumer: decode, handle, then ack, nak with backoff, or dead-letter.

Outcomes, per message:
- decoded and handled: ``ack``;
- body is not JSON, or breaks its contract: dead letter (``undecodable`` / ``invalid``) and ``term``;
- handler raised :class:`PermanentError`: dead letter (``rejected``) and ``term``;
- handler raised anything else: ``nak`` with the consumer's backoff, until ``max_deliver`` is reached, then a
  dead letter (``max-deliver``) and ``term``.
A message is only terminated once its dead letter is stored, so nothing is lost while the DLQ is unreachable.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from opentelemetry import trace

from spotvortex.contracts import subjects as subject_names
from spotvortex.contracts.base import Event
from spotvortex.contracts.codec import ContractError, decode
from spotvortex.contracts.dead_letter import DeadLetter, DeadLetterReason
from spotvortex.contracts.jetstream import ConsumerSpec
from spotvortex.runtime.clock import Clock
from spotvortex.runtime.errors import PermanentError
from spotvortex.runtime.metrics import RuntimeMetrics
from spotvortex.runtime.publisher import Publisher
from spotvortex.runtime.tracing import extract_context

log = logging.getLogger("spotvortex.runtime.consumer")

E = TypeVar("E", bound=Event)


@dataclass(frozen=True)
class Delivery:
    """What a handler may want to know about the message besides its event."""

    subject: str
    headers: Mapping[str, str]
    num_delivered: int
    stream_sequence: int
    msg_id: str | None


Decoder = Callable[[str, bytes], E]
Handler = Callable[[E, Delivery], Awaitable[None]]
BatchHandler = Callable[[list[tuple[E, Delivery]]], Awaitable[None]]


def decoder_for(event_type: type[E]) -> Decoder[E]:
    """A decoder for consumers whose subjects all carry one event type."""

    def _decode(_subject: str, data: bytes) -> E:
        return decode(data, event_type)

    return _decode


@dataclass(frozen=True)
class Subscription(Generic[E]):
    """A durable consumer and what to do with its messages.

    With ``batch_handler`` set, every decodable message of one fetch goes to a single call (inference runs
    them as one model batch); the whole batch is acked when it returns and retried when it raises.
    """

    consumer: ConsumerSpec
    decoder: Decoder[E]
    handler: Handler[E] | None = None
    batch: int | None = None  # None: the service's ``fetch_batch`` setting
    fetch_timeout_seconds: float = 1.0
    batch_handler: BatchHandler[E] | None = None

    def __post_init__(self) -> None:
        if (self.handler is None) == (self.batch_handler is None):
            raise ValueError("a subscription needs exactly one of handler and batch_handler")


@dataclass
class _Stats:
    handled: int = 0
    dead_lettered: int = 0
    retried: int = 0
    in_flight: int = 0
    last_error: str | None = None


class ConsumerLoop(Generic[E]):
    def __init__(
        self,
        js: JetStreamContext,
        subscription: Subscription[E],
        *,
        cluster: str,
        publisher: Publisher,
        metrics: RuntimeMetrics,
        tracer: trace.Tracer,
        clock: Clock,
        default_batch: int = 64,
    ) -> None:
        self._js = js
        self._batch = subscription.batch or default_batch
        self._sub = subscription
        self._cluster = cluster
        self._publisher = publisher
        self._metrics = metrics
        self._tracer = tracer
        self._clock = clock
        self.stats = _Stats()
        self._name = subscription.consumer.durable

    async def run(self, stop: asyncio.Event) -> None:
        """Fetch and process until ``stop`` is set; the batch in hand is always finished first."""
        spec = self._sub.consumer
        pull = await self._js.pull_subscribe_bind(durable=spec.durable, stream=spec.stream)
        try:
            while not stop.is_set():
                try:
                    msgs = await pull.fetch(self._batch, timeout=self._sub.fetch_timeout_seconds)
                except (TimeoutError, NatsTimeoutError):
                    continue
                except ConnectionClosedError:
                    return
                except Exception as err:  # disconnected, server restarting: keep trying
                    log.debug("fetch on %s failed: %r", spec.durable, err)
                    await asyncio.sleep(0.2)
                    continue
                if not msgs:  # a fetch can end with nothing in hand (a status message, no timeout)
                    continue
                if self._sub.batch_handler is not None:
                    await self._process_batch(msgs)
                    continue
                for msg in msgs:
                    await self._process(msg)
        finally:
            try:
                await pull.unsubscribe()
            except Exception:
                log.debug("unsubscribe of %s failed", spec.durable, exc_info=True)

    async def _process_batch(self, msgs: list[Msg]) -> None:
        """Decode all, dead-letter the bad ones, hand the rest to the batch handler in one call."""
        assert self._sub.batch_handler is not None
        started = time.perf_counter()
        good: list[tuple[Msg, E, Delivery]] = []
        with self._tracer.start_as_current_span(
            f"{subject_names.family_of(msgs[0].subject)} process batch",
            context=extract_context(dict(msgs[0].headers or {})),
            kind=trace.SpanKind.CONSUMER,
            attributes={
                "messaging.system": "nats",
                "messaging.consumer.group.name": self._name,
                "messaging.batch.message_count": len(msgs),
            },
        ) as span:
            for msg in msgs:
                delivery = _delivery(msg)
                try:
                    good.append((msg, self._sub.decoder(msg.subject, msg.data), delivery))
                except ContractError as err:
                    reason: DeadLetterReason = "undecodable" if err.kind == "undecodable" else "invalid"
                    await self._dead_letter(msg, delivery, reason, str(err), err.field)
            if good:
                self.stats.in_flight += len(good)
                try:
                    await self._sub.batch_handler([(event, delivery) for _, event, delivery in good])
                except Exception as err:
                    span.record_exception(err)
                    self.stats.last_error = repr(err)
                    for msg, _, delivery in good:
                        await self._retry_or_dead_letter(msg, delivery, err)
                else:
                    for msg, _, _ in good:
                        await msg.ack()
                        self.stats.handled += 1
                        self._count("ack")
                finally:
                    self.stats.in_flight -= len(good)
        self._metrics.handler_seconds.labels(self._metrics.service, self._name).observe(
            time.perf_counter() - started
        )

    async def _process(self, msg: Msg) -> None:
        headers = dict(msg.headers or {})
        delivery = _delivery(msg)
        family = subject_names.family_of(msg.subject)
        self.stats.in_flight += 1
        started = time.perf_counter()
        try:
            with self._tracer.start_as_current_span(
                f"{family} process",
                context=extract_context(headers),
                kind=trace.SpanKind.CONSUMER,
                attributes={
                    "messaging.system": "nats",
                    "messaging.destination.name": msg.subject,
                    "messaging.consumer.group.name": self._name,
                },
            ) as span:
                await self._decode_and_handle(msg, delivery, span)
        finally:
            self.stats.in_flight -= 1
            self._metrics.handler_seconds.labels(self._metrics.service, self._name).observe(
                time.perf_counter() - started
            )

    async def _decode_and_handle(self, msg: Msg, delivery: Delivery, span: trace.Span) -> None:
        try:
            event = self._sub.decoder(msg.subject, msg.data)
        except ContractError as err:
            span.set_status(trace.Status(trace.StatusCode.ERROR, str(err)))
            reason: DeadLetterReason = "undecodable" if err.kind == "undecodable" else "invalid"
            await self._dead_letter(msg, delivery, reason, str(err), err.field)
            return
        assert self._sub.handler is not None
        try:
            await self._sub.handler(event, delivery)
        except Exception as err:
            span.record_exception(err)
            self.stats.last_error = repr(err)
            await self._retry_or_dead_letter(msg, delivery, err)
            return
        await msg.ack()
        self.stats.handled += 1
        self._count("ack")

    async def _retry_or_dead_letter(self, msg: Msg, delivery: Delivery, err: Exception) -> None:
        """A permanent error or the last allowed delivery dead-letters; anything else is retried later."""
        if isinstance(err, PermanentError):
            await self._dead_letter(msg, delivery, "rejected", str(err) or type(err).__name__, None)
            return
        spec = self._sub.consumer
        if delivery.num_delivered >= spec.max_deliver:
            await self._dead_letter(msg, delivery, "max-deliver", repr(err), None)
            return
        delay = _backoff(spec.backoff_seconds, delivery.num_delivered)
        log.warning(
            "handler failed (delivery %d of %d), retrying in %.1fs: %r",
            delivery.num_delivered,
            spec.max_deliver,
            delay,
            err,
            extra={"subject": msg.subject, "consumer": self._name},
        )
        await msg.nak(delay=delay)
        self.stats.retried += 1
        self._count("nak")

    async def _dead_letter(
        self, msg: Msg, delivery: Delivery, reason: DeadLetterReason, error: str, field_name: str | None
    ) -> None:
        letter = DeadLetter(
            cluster=self._cluster,
            service=self._metrics.service,
            time=self._clock.now(),
            subject=msg.subject,
            reason=reason,
            error=error,
            field=field_name,
            payload=msg.data,
            headers={k: v for k, v in delivery.headers.items() if k.lower() != "traceparent"},
            stream=msg.metadata.stream,
            stream_sequence=delivery.stream_sequence,
            num_delivered=delivery.num_delivered,
        )
        try:
            await self._publisher.publish(subject_names.dlq(self._cluster, self._metrics.service), letter)
        except Exception as err:
            log.error("dead letter for %s not stored (%r); will retry", msg.subject, err)
            await msg.nak(delay=1.0)
            self._count("nak")
            return
        log.warning(
            "dead-lettered message: %s (%s)",
            error,
            reason,
            extra={"subject": msg.subject, "consumer": self._name},
        )
        await msg.term()
        self.stats.dead_lettered += 1
        self._metrics.dead_letters.labels(self._metrics.service, reason).inc()
        self._count("dead_letter")

    def _count(self, outcome: str) -> None:
        self._metrics.messages.labels(self._metrics.service, self._name, outcome).inc()


def _delivery(msg: Msg) -> Delivery:
    headers = dict(msg.headers or {})
    meta = msg.metadata
    return Delivery(
        subject=msg.subject,
        headers=headers,
        num_delivered=meta.num_delivered,
        stream_sequence=meta.sequence.stream,
        msg_id=headers.get("Nats-Msg-Id"),
    )


def _backoff(schedule: list[float], num_delivered: int) -> float:
    if not schedule:
        return 1.0
    return schedule[min(num_delivered - 1, len(schedule) - 1)]
