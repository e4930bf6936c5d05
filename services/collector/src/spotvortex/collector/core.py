"""The collector's pure core: cluster events and market events in, pool snapshots out.

No I/O and no clock: every call that depends on time takes it. The adapter feeds watch events to
:meth:`Collector.apply` and market events to :meth:`Collector.ingest` (which names the pool an
interruption hits, for the fast path), and asks :meth:`Collector.snapshot` for each pool on its cadence.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import msgspec

from spotvortex.collector.config import CollectorConfig
from spotvortex.collector.index import ClusterIndex, Key
from spotvortex.collector.market import MarketWindow
from spotvortex.collector.records import NodeRecord, Obj
from spotvortex.collector.snapshot import PoolPart, Trigger, finish_snapshot, pool_part
from spotvortex.contracts.market import MarketCapacity, MarketInterruption, MarketPrice, MarketRebalance
from spotvortex.contracts.telemetry import PoolTelemetry

MarketEvent = MarketPrice | MarketInterruption | MarketRebalance | MarketCapacity


class Notices:
    """Interruption notices by node name and by instance id, as long as the window remembers them."""

    def __init__(self) -> None:
        self._by_node: dict[str, datetime] = {}
        self._by_instance: dict[str, datetime] = {}

    def add(self, node: str | None, instance_id: str | None, at: datetime) -> None:
        for book, key in ((self._by_node, node), (self._by_instance, instance_id)):
            if key and (key not in book or book[key] < at):
                book[key] = at

    def __bool__(self) -> bool:
        return bool(self._by_node or self._by_instance)

    def latest(self, node: NodeRecord) -> datetime | None:
        times = [self._by_node.get(node.name), self._by_instance.get(node.instance_id or "")]
        known = [t for t in times if t is not None]
        return max(known) if known else None

    def prune(self, oldest: datetime) -> None:
        for book in (self._by_node, self._by_instance):
            for key in [k for k, t in book.items() if t < oldest]:
                del book[key]


class Collector:
    def __init__(self, cluster: str, config: CollectorConfig | None = None) -> None:
        self.cluster = cluster
        self.config = config or CollectorConfig()
        self.index = ClusterIndex(self.config)
        self.market = MarketWindow(self.config.window_seconds, self.config.on_demand_prices)
        self.notices = Notices()
        self._parts: dict[str, tuple[tuple[int, frozenset[str]], PoolPart | None]] = {}

    # -- cluster -----------------------------------------------------------------------------------------

    def apply(self, kind: str, event_type: str, obj: Obj) -> None:
        self.index.apply(kind, event_type, obj)

    def retain(self, kind: str, keys: Iterable[Key]) -> int:
        """After a re-list of ``kind``: forget the objects it no longer holds."""
        return self.index.retain(kind, keys)

    def pools(self) -> list[str]:
        return self.index.pools()

    # -- market ------------------------------------------------------------------------------------------

    def ingest(self, event: MarketEvent, received: datetime, key: str | None = None) -> str | None:
        """Record a market event; returns the pool an interruption notice hits, if it hits one now.

        ``received`` stands in for a missing ``time``. ``key`` identifies the delivery for de-duplication
        when the event has no time of its own (the fact id is used otherwise).
        """
        if event.time is None:
            event = msgspec.structs.replace(event, time=received)
        at = event.time
        assert at is not None
        if isinstance(event, MarketPrice):
            self.market.price(event.instance_type, event.zone, at, event.spot_price, event.on_demand_price)
            return None
        first = self.market.first_sighting(key or event.fact_id(), at)
        if isinstance(event, MarketCapacity):
            if first:
                self.market.capacity(
                    event.instance_type, event.zone, at, event.available, event.placement_score
                )
            return None
        node = self._node_of(event.node, event.instance_id)
        instance_type = event.instance_type or (node.instance_type if node is not None else None)
        if isinstance(event, MarketRebalance):
            if first and instance_type:
                self.market.rebalance(instance_type, event.zone, at)
            return None
        if first and instance_type:
            self.market.interruption(instance_type, event.zone, at)
        self.notices.add(event.node or (node.name if node else None), event.instance_id, at)
        # a re-delivered notice is counted once but still names its pool: the fast path it triggered may
        # not have been published before the redelivery
        if node is None or node.pool is None or not self._pending(node, received):
            return None
        return node.pool

    def _node_of(self, name: str | None, instance_id: str | None) -> NodeRecord | None:
        if name and name in self.index.nodes:
            return self.index.nodes[name]
        if instance_id:
            found = self.index.node_for_instance(instance_id)
            if found is not None:
                return self.index.nodes.get(found)
        return None

    def _pending(self, node: NodeRecord, now: datetime) -> bool:
        """A notice within the window, for this incarnation of the node (not an older one of the name)."""
        at = self.notices.latest(node)
        if at is None or at < now - self.market.window or at > now + self.market.window:
            return False
        return node.created is None or at >= node.created

    # -- snapshots ---------------------------------------------------------------------------------------

    def snapshot(self, pool: str, now: datetime, trigger: Trigger = "cadence") -> PoolTelemetry | None:
        """The pool at ``now``; ``None`` when it has no nodes. :meth:`prune` frees memory.

        The pool's cluster side is rebuilt only when the index changed or the pool's noticed nodes did (a
        notice ages out with time, not with an event); the market side is read at ``now`` every time.
        """
        noticed = (
            frozenset(n.name for n in self.index.pool_nodes(pool) if self._pending(n, now))
            if self.notices
            else frozenset()
        )
        key = (self.index.generation, noticed)
        cached = self._parts.get(pool)
        if cached is not None and cached[0] == key:
            part = cached[1]
        else:
            part = pool_part(
                cluster=self.cluster,
                pool=pool,
                now=now,
                index=self.index,
                pending=lambda node: node.name in noticed,
            )
            self._parts[pool] = (key, part)
        if part is None:
            return None
        return finish_snapshot(part, now=now, trigger=trigger, index=self.index, market=self.market)

    def prune(self, now: datetime) -> None:
        """Forget market data and notices no snapshot at ``now`` or later can show."""
        self.market.prune(now)
        self.notices.prune(now - self.market.window)

    def price_targets(self) -> tuple[list[str], list[str]]:
        """Instance types and zones the pools run on (or their NodePools allow): what prices to poll."""
        types: set[str] = set()
        zones: set[str] = set()
        for pool in self.index.pools():
            for node in self.index.pool_nodes(pool):
                if node.instance_type:
                    types.add(node.instance_type)
                if node.zone:
                    zones.add(node.zone)
            for nodepool in self.index.pool_nodepools(pool):
                types.update(nodepool.instance_types)
                zones.update(nodepool.zones)
        return sorted(types), sorted(zones)
