"""Writes the drain's Events, best-effort: an Event that cannot be written is logged, never fails a drain.

The Event tells an operator what happened; the drain result on the bus and the job record are what the
system relies on. So a failed write (no RBAC for Events, the API down for a moment) costs one log line and is
not retried, and each step is sent once per node by one run of the job (the Event's derived name turns a
repeat from another replica or after a restart into an ``AlreadyExists``).
"""

from __future__ import annotations

import logging
from typing import Any

from spotvortex.drainer.events import EventReason, node_event
from spotvortex.drainer.kubeapi import ClusterApi
from spotvortex.runtime.clock import Clock

REMEMBERED = 4096  # steps remembered as sent; older ones are left to the API's AlreadyExists


class EventRecorder:
    def __init__(self, api: ClusterApi, clock: Clock, log: logging.Logger, *, instance: str = "") -> None:
        self._api = api
        self._clock = clock
        self._log = log
        self._instance = instance
        self._sent: dict[tuple[str, str, EventReason], None] = {}  # insertion-ordered: oldest first
        self._uids: dict[str, str] = {}

    def know_node(self, name: str, uid: str) -> None:
        """Remember a node's uid from a read made anyway (the Event names the exact node object)."""
        if uid:
            if len(self._uids) >= REMEMBERED:
                self._uids.clear()  # nodes come and go; a forgotten uid costs one read
            self._uids[name] = uid

    async def _uid(self, name: str) -> str:
        if name not in self._uids:
            node = await self._api.read_node(name)
            if node is None:
                return ""
            self.know_node(name, node.uid)
        return self._uids.get(name, "")

    async def emit(
        self,
        node: str,
        job_id: str,
        reason: EventReason,
        message: str,
        *,
        extra: dict[str, Any] | None = None,
    ) -> None:
        key = (node, job_id, reason)
        if key in self._sent:
            return
        self._sent[key] = None  # taken before the request: concurrent evictions send it once, a failure once
        if len(self._sent) > REMEMBERED:
            del self._sent[next(iter(self._sent))]
        try:
            body = node_event(
                node=node,
                node_uid=await self._uid(node),
                job_id=job_id,
                reason=reason,
                message=message,
                now=self._clock.now(),
                instance=self._instance,
            )
            await self._api.create_event(body)
        except Exception as err:  # best-effort by design: the drain goes on without its Event
            self._log.warning("could not write the %s event for node %s: %r", reason, node, err, extra=extra)
