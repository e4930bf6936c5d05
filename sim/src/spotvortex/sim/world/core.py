"""``World``: the shared context every simulated controller acts through.

It owns the store writes' clock (the store stamps objects with world time), the timeline of due steps, the
index of nodes and pods, the journal and the per-purpose random streams. Controllers register a reconcile
step; any pod or node change asks for one reconcile pass at the current instant, so a burst of changes
costs one pass, and a quiet cluster costs nothing however long it runs.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from datetime import datetime

from spotvortex.contracts.market import MarketEvent
from spotvortex.sim.kube.store import Store
from spotvortex.sim.kube.watch import Change

from .journal import Journal
from .market import MarketView
from .state import ClusterState
from .timeline import Timeline


class World:
    """The simulated cluster's context; build it with :func:`spotvortex.sim.world.build.build_world`."""

    def __init__(self, store: Store, timeline: Timeline, market: MarketView, *, seed: int) -> None:
        self.store = store
        self.timeline = timeline
        self.market = market
        self.seed = seed
        self.state = ClusterState()
        self.journal = Journal(lambda: self.timeline.now)
        self._reconcilers: list[tuple[str, Callable[[], None]]] = []
        self._reconcile_due = False
        self._announcers: list[Callable[[MarketEvent], None]] = []
        self._rngs: dict[str, random.Random] = {}
        self._counters: dict[str, int] = {}
        store.hub.listen(self.state)
        self.state.observe(self._on_change)

    @property
    def now(self) -> datetime:
        return self.timeline.now

    @property
    def region(self) -> str:
        return self.market.region

    def rng(self, purpose: str) -> random.Random:
        """An independent random stream per purpose, so adding draws in one place shifts no other."""
        if purpose not in self._rngs:
            digest = hashlib.sha256(f"{self.seed}:{purpose}".encode()).digest()
            self._rngs[purpose] = random.Random(int.from_bytes(digest[:8], "big"))
        return self._rngs[purpose]

    def next_number(self, purpose: str) -> int:
        self._counters[purpose] = self._counters.get(purpose, 0) + 1
        return self._counters[purpose]

    # -- reconcile passes ----------------------------------------------------------------------------------

    def add_reconciler(self, name: str, step: Callable[[], None]) -> None:
        """``step`` runs in registration order on every reconcile pass."""
        self._reconcilers.append((name, step))

    def request_reconcile(self) -> None:
        if self._reconcile_due:
            return
        self._reconcile_due = True
        self.timeline.at(self.now, "reconcile", self._reconcile)

    def _reconcile(self) -> None:
        self._reconcile_due = False
        for _, step in self._reconcilers:
            step()

    def _on_change(self, change: Change) -> None:
        self.request_reconcile()

    # -- market signals to the outside -------------------------------------------------------------------

    def on_announcement(self, announcer: Callable[[MarketEvent], None]) -> None:
        """Receive every interruption notice and rebalance recommendation the world issues."""
        self._announcers.append(announcer)

    def announce(self, event: MarketEvent) -> None:
        for announcer in self._announcers:
            announcer(event)
