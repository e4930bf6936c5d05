"""A trace started at a publisher continues in the consumer's span, carried only by NATS headers."""

from __future__ import annotations

import asyncio

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from tests.helpers import eventually
from tests.runtime.support import consumer, one_subscription, proposal, settings

from spotvortex.contracts import ProposedAction, subjects
from spotvortex.contracts.subjects import PoolKind
from spotvortex.runtime.consumer import Delivery, decoder_for
from spotvortex.runtime.service import ServiceContext, ServiceRunner


async def test_trace_context_crosses_the_bus(nats_url: str, cluster: str) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "test"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    seen: asyncio.Queue[trace.SpanContext] = asyncio.Queue()

    async def handler(_e: ProposedAction, delivery: Delivery, _c: ServiceContext) -> None:
        assert "traceparent" in delivery.headers
        await seen.put(trace.get_current_span().get_span_context())

    spec = one_subscription(
        "gates", consumer(cluster, "action", "traced"), decoder_for(ProposedAction), handler
    )
    runner = ServiceRunner(spec, settings(nats_url, cluster), tracer=tracer)
    await runner.start()
    try:
        assert runner.context is not None
        with tracer.start_as_current_span("decide") as root:
            await runner.context.publisher.publish(
                subjects.pool(cluster, PoolKind.ACTION, "p"), proposal(cluster, 1)
            )
        consumer_ctx = await asyncio.wait_for(seen.get(), 10)
        assert consumer_ctx.trace_id == root.get_span_context().trace_id

        await eventually(lambda: "action process" in {s.name for s in exporter.get_finished_spans()})
        spans = {s.name: s for s in exporter.get_finished_spans()}
        producer, consumer_span = spans["action publish"], spans["action process"]
        assert producer.kind == trace.SpanKind.PRODUCER
        assert consumer_span.kind == trace.SpanKind.CONSUMER
        assert producer.parent is not None
        assert producer.parent.span_id == root.get_span_context().span_id
        assert consumer_span.parent is not None
        assert consumer_span.parent.span_id == producer.context.span_id
        assert consumer_span.attributes["messaging.consumer.group.name"] == "traced"
    finally:
        await runner.stop()
