"""Spot capacity acting on running instances: interruption notices, reclaims, rebalance recommendations.

When the capacity timeline says a pool (type, zone) loses spot capacity, every spot instance running there
receives the 2-minute interruption notice and is reclaimed when it runs out; new spot launches there fail
for as long as the loss lasts (the offering check reads the same timeline). A rebalance recommendation
reaches the pool's running spot instances and changes nothing by itself: it is a signal for whoever
listens. Both are announced as the contract events the collector consumes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from spotvortex.contracts.market import MarketInterruption, MarketRebalance

from .core import World
from .fleet import Fleet
from .machines import Machine

NOTICE_SECONDS = 120


class SpotMarket:
    """Walks the capacity timeline in world time and applies it to the fleet."""

    def __init__(self, world: World, fleet: Fleet, *, notice_seconds: int = NOTICE_SECONDS) -> None:
        self.world = world
        self.fleet = fleet
        self.notice_seconds = notice_seconds
        self._on_notice: list[Callable[[Machine], None]] = []
        self._plan: list[tuple[datetime, int, str, str, str]] = []
        self._cursor = 0

    def on_notice(self, listener: Callable[[Machine], None]) -> None:
        self._on_notice.append(listener)

    def start(self, until: datetime | None = None) -> None:
        """Plan every capacity loss and rebalance from now on (up to ``until``) and schedule the first."""
        capacity = self.world.market.capacity
        if capacity is None:
            return
        now = self.world.now
        plan: list[tuple[datetime, int, str, str, str]] = []
        for (itype, zone), outages in sorted(capacity.outages.items()):
            for outage in outages:
                when = self.world.market.world_time(outage.start)
                if when >= now and (until is None or when <= until):
                    plan.append((when, 0, "loss", itype, zone))
        for rebalance in capacity.rebalances:
            when = self.world.market.world_time(rebalance.time)
            if when >= now and (until is None or when <= until):
                plan.append((when, 1, "rebalance", rebalance.instance_type, rebalance.zone))
        self._plan = sorted(plan)
        self._cursor = 0
        self._schedule_next()

    def _schedule_next(self) -> None:
        if self._cursor >= len(self._plan):
            return
        when, _, kind, itype, zone = self._plan[self._cursor]
        self._cursor += 1

        def fire() -> None:
            if kind == "loss":
                self.capacity_lost(itype, zone)
            else:
                self.rebalance(itype, zone)
            self._schedule_next()

        self.world.timeline.at(when, f"spot-{kind}", fire)

    def _spot_machines(self, instance_type: str, zone: str) -> list[Machine]:
        return [
            m
            for m in self.fleet.running()
            if m.spot and m.instance_type == instance_type and m.zone == zone and m.notice is None
        ]

    def capacity_lost(self, instance_type: str, zone: str) -> None:
        self.world.journal.record("capacity-lost", type=instance_type, zone=zone)
        for machine in self._spot_machines(instance_type, zone):
            self.interrupt(machine)

    def interrupt(self, machine: Machine) -> None:
        """Send the notice now and reclaim the instance when it runs out."""
        if machine.notice is not None or machine.terminated is not None:
            return
        machine.notice = self.world.now
        self.world.journal.record("interruption-notice", node=machine.node_name, instance=machine.instance_id)
        self.world.announce(
            MarketInterruption(
                zone=machine.zone,
                node=machine.node_name,
                instance_id=machine.instance_id,
                instance_type=machine.instance_type,
                time=self.world.now,
                notice_seconds=self.notice_seconds,
            )
        )
        for listener in self._on_notice:
            listener(machine)
        self.world.timeline.at(
            self.world.now + timedelta(seconds=self.notice_seconds),
            "spot-reclaim",
            lambda: self.fleet.terminate(machine, "spot-interruption"),
        )

    def rebalance(self, instance_type: str, zone: str) -> None:
        machines = self._spot_machines(instance_type, zone)
        self.world.journal.record("rebalance", type=instance_type, zone=zone, nodes=len(machines))
        for machine in machines:
            self.world.announce(
                MarketRebalance(
                    zone=machine.zone,
                    node=machine.node_name,
                    instance_id=machine.instance_id,
                    instance_type=machine.instance_type,
                    time=self.world.now,
                )
            )
