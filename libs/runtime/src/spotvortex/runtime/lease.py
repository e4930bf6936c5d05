"""A per-cluster single-writer lease in JetStream KV, with Kubernetes Lease semantics.

The record holds the holder's identity, when it was last renewed and for how long it is valid. Every write is
a compare-and-set on the KV revision, so two replicas can never both believe they acquired it. The holder
renews every ``ttl/3``; another replica takes over only after ``renewed_at + ttl`` has passed on its clock.
A holder that cannot renew before its own deadline (NATS unreachable, or another replica took over) marks the
lease lost, and the runner stops the worker: it must not mutate the cluster on a lease it may no longer hold.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import msgspec
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from spotvortex.contracts.tokens import encode_token
from spotvortex.runtime.clock import Clock, sleep_or_stop
from spotvortex.runtime.metrics import RuntimeMetrics

log = logging.getLogger("spotvortex.runtime.lease")


class LeaseRecord(msgspec.Struct, frozen=True, kw_only=True):
    holder: str
    acquired_at: datetime
    renewed_at: datetime
    ttl_seconds: float
    transitions: int = 0

    def expired(self, now: datetime) -> bool:
        return now >= self.renewed_at + timedelta(seconds=self.ttl_seconds)


class Lease:
    def __init__(
        self,
        kv: KeyValue,
        name: str,
        holder: str,
        *,
        ttl_seconds: float,
        clock: Clock,
        metrics: RuntimeMetrics,
    ) -> None:
        self.name = name
        self.holder = holder
        self.ttl = ttl_seconds
        self._kv = kv
        self._key = encode_token(name)
        self._clock = clock
        self._metrics = metrics
        self._revision: int | None = None
        self._deadline: datetime | None = None
        self.acquired = asyncio.Event()
        self.lost = asyncio.Event()
        metrics.lease_held.labels(metrics.service, name).set(0)

    @property
    def held(self) -> bool:
        return (
            self._revision is not None and self._deadline is not None and self._clock.now() < self._deadline
        )

    async def _read(self) -> tuple[int | None, LeaseRecord | None]:
        """The KV revision of the lease key (``None`` when absent) and its record (``None`` when empty)."""
        try:
            entry = await self._kv.get(self._key)
        except KeyNotFoundError:
            return None, None
        record = msgspec.json.decode(entry.value, type=LeaseRecord) if entry.value else None
        return entry.revision, record

    async def current(self) -> LeaseRecord | None:
        return (await self._read())[1]

    async def try_acquire(self) -> bool:
        """One attempt to take a free or expired lease (renewing a held one is :meth:`renew`'s job)."""
        if self.held:
            return True
        now = self._clock.now()
        revision, record = await self._read()
        if record is not None and record.holder != self.holder and not record.expired(now):
            return False
        new = LeaseRecord(
            holder=self.holder,
            acquired_at=now,
            renewed_at=now,
            ttl_seconds=self.ttl,
            transitions=(record.transitions if record else 0) + 1,
        )
        payload = msgspec.json.encode(new)
        try:
            if revision is None:
                revision = await self._kv.create(self._key, payload)
            else:
                revision = await self._kv.update(self._key, payload, last=revision)
        except KeyWrongLastSequenceError:
            return False  # another replica wrote first
        self._revision = revision
        self._deadline = now + timedelta(seconds=self.ttl)
        self._on_acquired()
        return True

    async def renew(self) -> bool:
        """Renew a held lease by compare-and-set on the revision this replica last wrote."""
        if self._revision is None:
            return False
        now = self._clock.now()
        current = await self.current()
        if current is None or current.holder != self.holder:
            self._on_lost("taken over")
            return False
        record = msgspec.structs.replace(current, renewed_at=now, ttl_seconds=self.ttl)
        try:
            self._revision = await self._kv.update(
                self._key, msgspec.json.encode(record), last=self._revision
            )
        except KeyWrongLastSequenceError:
            self._on_lost("revision moved")
            return False
        self._deadline = now + timedelta(seconds=self.ttl)
        return True

    async def release(self) -> None:
        """Give the lease up at once (on clean shutdown), so a standby need not wait for the TTL."""
        if self._revision is None:
            return
        try:
            await self._kv.delete(self._key, last=self._revision)
        except Exception:
            log.debug("lease release failed", exc_info=True, extra={"lease": self.name})
        self._revision = None
        self._deadline = None
        self._metrics.lease_held.labels(self._metrics.service, self.name).set(0)

    async def keep(self, stop: asyncio.Event) -> None:
        """Until ``stop``: acquire when free, renew while held, mark the lease lost when renewal fails."""
        interval = self.ttl / 3
        while not stop.is_set():
            wait = interval
            try:
                if self._revision is None:
                    if not await self.try_acquire():
                        wait = await self._until_expiry(interval)
                else:
                    await self.renew()
            except Exception as err:  # NATS unreachable: keep the lease only until its deadline
                log.warning("lease %s: %r", self.name, err, extra={"lease": self.name})
                if self._revision is not None and not self.held:
                    self._on_lost("not renewed before its deadline")
            await sleep_or_stop(self._clock, wait, stop)
        await self.release()

    async def _until_expiry(self, interval: float) -> float:
        """A standby wakes when the holder's lease would expire, so takeover happens within the TTL."""
        record = await self.current()
        if record is None:
            return 0.0
        left = (record.renewed_at + timedelta(seconds=record.ttl_seconds) - self._clock.now()).total_seconds()
        return max(0.01, min(interval, left + 0.01))

    def _on_acquired(self) -> None:
        log.info("lease %s acquired by %s", self.name, self.holder, extra={"lease": self.name})
        self._metrics.lease_held.labels(self._metrics.service, self.name).set(1)
        self._metrics.lease_transitions.labels(self._metrics.service, self.name, "acquired").inc()
        self.lost.clear()
        self.acquired.set()

    def _on_lost(self, why: str) -> None:
        log.error("lease %s lost by %s: %s", self.name, self.holder, why, extra={"lease": self.name})
        self._revision = None
        self._deadline = None
        self._metrics.lease_held.labels(self._metrics.service, self.name).set(0)
        self._metrics.lease_transitions.labels(self._metrics.service, self.name, "lost").inc()
        self.acquired.clear()
        self.lost.set()
