"""Drain job records in the jobs KV bucket, plus an index of the jobs not finished yet.

A record lives under the job id (encoded as a KV key segment) and is written only by compare-and-set, so a
stale writer can never overwrite a newer state. The index (``active.<job id>``) exists so a restarted
drainer finds the jobs it must resume without reading every job of the last month: it is written before
the delivery is acknowledged and removed only after the record is closed, and a marker whose record is
finished (a crash between the two) is simply cleaned up when found.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from spotvortex.contracts import DrainJob, Mode
from spotvortex.contracts.tokens import decode_token, encode_token
from spotvortex.drainer.jobs import Admission, JobRecord, admit
from spotvortex.runtime import kvstore
from spotvortex.runtime.errors import TransientError

ACTIVE = "active"


def active_key(job_id: str) -> str:
    return f"{ACTIVE}.{encode_token(job_id)}"


class JobStore:
    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv

    async def get(self, job_id: str) -> JobRecord | None:
        _, record = await kvstore.read(self._kv, job_id, JobRecord)
        return record

    async def admit(
        self, job: DrainJob, *, service_mode: Mode, now: datetime
    ) -> tuple[JobRecord | None, Admission]:
        """Create the job's record unless one exists; returns the stored record and what the delivery means."""

        def change(current: JobRecord | None) -> tuple[JobRecord | None, tuple[JobRecord | None, Admission]]:
            created, admission = admit(current, job, service_mode=service_mode, now=now)
            return created, (created or current, admission)

        return await kvstore.modify(self._kv, job.job_id, JobRecord, change)

    async def update(self, job_id: str, change: Callable[[JobRecord], JobRecord]) -> JobRecord:
        """Apply a transition by compare-and-set (re-applied to a fresh read after a conflict)."""

        def apply(current: JobRecord | None) -> tuple[JobRecord | None, JobRecord]:
            if current is None:
                raise KeyError(f"drain job {job_id} has no record")
            new = change(current)
            return (None if new == current else new), new

        return await kvstore.modify(self._kv, job_id, JobRecord, apply)

    async def mark_active(self, job_id: str) -> None:
        await self._kv.put(active_key(job_id), b"1")

    async def clear_active(self, job_id: str) -> None:
        with contextlib.suppress(KeyNotFoundError):
            await self._kv.delete(active_key(job_id))

    async def active(self, timeout: float = 5.0) -> list[JobRecord]:
        """Every job marked active whose record is not finished; stale markers are removed on the way."""
        watcher: Any = await self._kv.watch(f"{ACTIVE}.>", ignore_deletes=True, meta_only=True)
        ids: list[str] = []
        try:
            while True:
                try:
                    entry = await watcher.updates(timeout)
                except (TimeoutError, NatsTimeoutError) as err:
                    raise TransientError("the index of active drain jobs did not finish loading") from err
                if entry is None:
                    break
                ids.append(decode_token(entry.key[len(ACTIVE) + 1 :]))
        finally:
            await watcher.stop()
        records: list[JobRecord] = []
        for job_id in ids:
            record = await self.get(job_id)
            if record is None or record.finished:
                await self.clear_active(job_id)
                continue
            records.append(record)
        return records
