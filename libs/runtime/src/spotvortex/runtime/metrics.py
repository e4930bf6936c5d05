"""Prometheus metrics the runtime keeps for every service (prefix ``spotvortex_``, base units).

Each service gets its own registry so tests can run several services in one process; label values are
bounded (service, consumer, outcome, reason), never node or message ids.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class RuntimeMetrics:
    def __init__(self, service: str, registry: CollectorRegistry | None = None) -> None:
        self.service = service
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.messages = Counter(
            "spotvortex_messages_consumed_total",
            "Messages taken from JetStream, by consumer and outcome (ack, nak, dead_letter)",
            ["service", "consumer", "outcome"],
            registry=r,
        )
        self.handler_seconds = Histogram(
            "spotvortex_handler_duration_seconds",
            "Time spent in a message handler",
            ["service", "consumer"],
            registry=r,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.dead_letters = Counter(
            "spotvortex_dead_letters_total",
            "Messages sent to the dead-letter subject, by reason",
            ["service", "reason"],
            registry=r,
        )
        self.published = Counter(
            "spotvortex_messages_published_total",
            "Events published to JetStream, by event family and whether JetStream saw a duplicate",
            ["service", "family", "duplicate"],
            registry=r,
        )
        self.publish_retries = Counter(
            "spotvortex_publish_retries_total",
            "JetStream publishes retried after a timeout or a missing responder",
            ["service"],
            registry=r,
        )
        self.nats_connected = Gauge(
            "spotvortex_nats_connected", "1 while the NATS connection is up", ["service"], registry=r
        )
        self.lease_held = Gauge(
            "spotvortex_lease_held", "1 while this replica holds the lease", ["service", "lease"], registry=r
        )
        self.lease_transitions = Counter(
            "spotvortex_lease_transitions_total",
            "Lease acquisitions and losses by this replica",
            ["service", "lease", "transition"],
            registry=r,
        )
        self.nats_connected.labels(service).set(0)
