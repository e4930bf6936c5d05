"""W3C trace context carried in NATS headers, so a decision can be followed across services."""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import propagate, trace
from opentelemetry.context import Context


def inject_headers(headers: dict[str, str]) -> dict[str, str]:
    """Add ``traceparent``/``tracestate`` of the current span to ``headers`` (in place) and return them."""
    propagate.inject(headers)
    return headers


def extract_context(headers: Mapping[str, str] | None) -> Context:
    """The remote parent context carried by ``headers`` (an empty context when there is none)."""
    return propagate.extract(dict(headers or {}))


def default_tracer(service: str) -> trace.Tracer:
    return trace.get_tracer(f"spotvortex.{service}")
