"""Publishing pool telemetry: one pool at once (the interruption fast path) or every pool (a round).

A snapshot that cannot be built or published is logged and counted; the other pools of the round still
go out, and the next round tries again.
"""

from __future__ import annotations

import time
from datetime import datetime

from spotvortex.collector.core import Collector
from spotvortex.collector.metrics import CollectorMetrics
from spotvortex.collector.snapshot import Trigger
from spotvortex.contracts import subjects
from spotvortex.contracts.subjects import PoolKind
from spotvortex.runtime.service import ServiceContext


class TelemetryPublisher:
    def __init__(self, ctx: ServiceContext, collector: Collector, metrics: CollectorMetrics) -> None:
        self._ctx = ctx
        self._collector = collector
        self._metrics = metrics

    async def pool(self, pool: str, trigger: Trigger, now: datetime | None = None) -> bool:
        """Publish ``pool``'s snapshot; whether one was published (a pool without nodes has none)."""
        now = now or self._ctx.clock.now()
        started = time.perf_counter()
        telemetry = self._collector.snapshot(pool, now, trigger)
        self._metrics.snapshot_seconds.observe(time.perf_counter() - started)
        if telemetry is None:
            return False
        subject = subjects.pool(self._collector.cluster, PoolKind.TELEMETRY, pool)
        await self._ctx.publisher.publish(subject, telemetry)
        self._metrics.telemetry.labels(trigger).inc()
        self._ctx.log.debug(
            "telemetry %s (%s): %d nodes, spot ratio %.2f",
            pool,
            trigger,
            telemetry.nodes.total,
            telemetry.current_spot_ratio,
            extra={"cluster": self._collector.cluster, "pool": pool},
        )
        return True

    async def round(self, trigger: Trigger) -> int:
        """Every pool with nodes, at one instant; returns how many were published."""
        now = self._ctx.clock.now()
        self._collector.prune(now)
        pools = self._collector.pools()
        published = 0
        for pool in pools:
            try:
                published += await self.pool(pool, trigger, now)
            except Exception:
                self._metrics.snapshot_errors.inc()
                self._ctx.log.exception(
                    "telemetry for %s not published",
                    pool,
                    extra={"cluster": self._collector.cluster, "pool": pool},
                )
        self._metrics.pools.set(len(pools))
        for kind, count in self._collector.index.counts().items():
            self._metrics.objects.labels(kind).set(count)
        return published
