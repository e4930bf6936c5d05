"""The swarm's cores wired in-process onto a simulated world, stepping in virtual time.

Every ``cadence`` seconds: the collector core snapshots each pool (it is fed every committed change of the
emulator's store and every market event, as the collector service is fed by watches and NATS), a proposer
proposes, the gates core judges against per-pool state, the router core steers the NodePools and plans drains,
and the drainer's semantics execute them. The same functions the services run — two transports, one logic.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from spotvortex.collector import Collector
from spotvortex.collector.snapshot import Trigger
from spotvortex.contracts import DrainJob, DrainResult, GateVerdict, Mode
from spotvortex.contracts.market import MarketCapacity, MarketInterruption, MarketPrice, MarketRebalance
from spotvortex.gates import GateConfig, PoolState, judge
from spotvortex.gates.state import ClusterState, settle
from spotvortex.router import RouterConfig, plan_drain, plan_steering
from spotvortex.router.planning import spot_cpu_after
from spotvortex.router.views import NodePoolView, NodeView, parse_node, parse_nodepool
from spotvortex.sim.feed.cluster_feed import cluster_market_events
from spotvortex.sim.kube.watch import Change
from spotvortex.sim.world.build import SimCluster

from .drain import WorldDrainer
from .proposers import Plan, Proposer
from .record import LoopRecord

MarketEvent = MarketPrice | MarketInterruption | MarketRebalance | MarketCapacity
CLUSTER = "eval"
INDEXED = {"Node", "Pod", "PodDisruptionBudget", "NodePool"}


class InProcessSwarm:
    def __init__(
        self,
        cluster: SimCluster,
        proposer: Proposer,
        *,
        cadence_seconds: float,
        gates: GateConfig | None = None,
        router: RouterConfig | None = None,
    ) -> None:
        self.cluster = cluster
        self.world = cluster.world
        self.proposer = proposer
        self.cadence = cadence_seconds
        self.gates = gates or GateConfig()
        self.router = router or RouterConfig()
        self.collector = Collector(CLUSTER)
        self.states: dict[str, PoolState] = {}
        self.cluster_drains = ClusterState()
        self.record = LoopRecord()
        self.drainer = WorldDrainer(self.world, self._node_done)
        self._market = self._market_feed()
        self._pending: MarketEvent | None = None
        for kind in ("nodepools", "nodes", "pods", "poddisruptionbudgets"):
            for obj in self.world.store.list(kind):
                self.collector.apply(obj["kind"], "ADDED", obj)
        self.world.store.hub.listen(self._on_change)
        self.world.on_announcement(self._on_notice)

    def _on_notice(self, event: MarketEvent) -> None:
        """A notice reaches the collector at once and, as in the services, the pool it hits is decided on at
        once (the interruption fast path), not at the next cadence tick."""
        pool = self.collector.ingest(event, self.world.now)
        if pool is not None:
            self.world.timeline.after(0.0, "eval-fast-path", lambda: self._decide([pool], "interruption"))

    def _on_change(self, change: Change) -> None:
        kind = change.obj.get("kind")
        if kind in INDEXED:
            self.collector.apply(kind, change.type, change.obj)

    def _market_feed(self) -> Iterator[MarketEvent]:
        return cluster_market_events(
            self.cluster, self.world.market.market_time(self.cluster.end) + timedelta(hours=1)
        )

    def _ingest_market(self, now: datetime) -> None:
        horizon = self.world.market.market_time(now)
        while True:
            event = self._pending or next(self._market, None)
            self._pending = None
            if event is None:
                return
            if event.time is not None and event.time > horizon:
                self._pending = event
                return
            self.collector.ingest(event, now)

    def start(self) -> None:
        self.world.timeline.after(0.0, "eval-swarm", self._tick)

    def _tick(self) -> None:
        self._decide(self.collector.pools(), "cadence")
        if self.world.now + timedelta(seconds=self.cadence) <= self.cluster.end:
            self.world.timeline.after(self.cadence, "eval-swarm", self._tick)

    def _decide(self, pools: list[str], trigger: Trigger) -> None:
        now = self.world.now
        self._ingest_market(now)
        self.collector.prune(now)
        snapshots = [s for p in pools if (s := self.collector.snapshot(p, now, trigger)) is not None]
        plan = self.proposer(snapshots, now) if snapshots else Plan([])
        for pool in plan.freeze:  # the earlier rules' "freeze spot" vote: steer, drain nothing
            self._steer(pool, -1)
        for proposal in plan.actions:
            judgement = judge(
                proposal,
                self.states.get(proposal.pool),
                self.gates,
                mode=Mode.ENFORCE,
                now=now,
                cluster_started=self.cluster_drains.started_since(now - timedelta(hours=1)),
            )
            self.states[proposal.pool] = judgement.state
            verdict = judgement.verdict
            if verdict.approved and (
                counted := self.cluster_drains.with_drain(verdict.decision_id, now, verdict.drain_allowance)
            ):
                self.cluster_drains = counted
            self.record.verdict(
                now, verdict.pool, verdict.action.value, verdict.target_spot_ratio, approved=verdict.approved
            )
            if verdict.approved:
                self._actuate(verdict, now)

    def _actuate(self, verdict: GateVerdict, now: datetime) -> None:
        nodepools = self._nodepools(verdict.pool)
        nodes = self._nodes(nodepools)
        limit = spot_cpu_after(verdict, nodes) if verdict.action.direction else None
        self._steer(verdict.pool, verdict.action.direction, nodepools, verdict.target_spot_ratio, limit)
        job = plan_drain(verdict, nodes, Mode.ENFORCE, self.router, now, nodepools=nodepools)
        if job is not None:
            self.drainer.run(job)

    def _nodepools(self, pool: str) -> list[NodePoolView]:
        names = {pool + self.router.spot_suffix, pool + self.router.on_demand_suffix, pool}
        return [
            parse_nodepool(o) for o in self.world.store.view("nodepools") if o["metadata"]["name"] in names
        ]

    def _nodes(self, nodepools: list[NodePoolView]) -> list[NodeView]:
        if not nodepools:
            return []
        selector = f"karpenter.sh/nodepool in ({','.join(np.name for np in nodepools)})"
        return [
            parse_node(o, pods=sum(1 for _ in self.world.state.pods_on(o["metadata"]["name"])))
            for o in self.world.store.view("nodes", selector)
        ]

    def _steer(
        self,
        pool: str,
        direction: int,
        nodepools: list[NodePoolView] | None = None,
        target: float | None = None,
        spot_cpu_limit: int | None = None,
    ) -> None:
        """Apply the router core's steering for ``pool``."""
        nodepools = self._nodepools(pool) if nodepools is None else nodepools
        patches = plan_steering(
            pool, direction, nodepools, self.router, target=target, spot_cpu_limit=spot_cpu_limit
        )
        for patch in patches:
            self.world.store.patch("nodepools", patch.nodepool, patch.body)

    def _node_done(self, job: DrainJob, node: str, outcome: str) -> None:
        self.record.node_done(outcome)
        result = DrainResult(
            job_id=job.job_id,
            cluster=job.cluster,
            pool=job.pool,
            node=node,
            time=self.world.now,
            mode=Mode.ENFORCE,
            outcome=outcome,  # type: ignore[arg-type]
        )
        state = self.states.get(job.pool)
        if state is not None and (settled := settle(state, result.fact_id(), self.world.now)) is not None:
            self.states[job.pool] = settled
