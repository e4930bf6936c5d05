"""One evaluation run — a scenario, a market, a policy, a seed — and its metrics.

A run is a plain value in and a plain value out, so runs go to worker processes and come back as JSON-ready
data; the same inputs give the same outputs, byte for byte.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import msgspec

from spotvortex.sim.market.sources import MarketFiles
from spotvortex.sim.scenario import ScenarioError, load_scenario
from spotvortex.sim.scenario.durations import seconds
from spotvortex.sim.world.build import build

from .bus import drive_via_bus, live_clock
from .oracle import hindsight_cost
from .proposers import Proposer, policy_models, spotvortex, static_share
from .record import LoopRecord
from .recorder import Recorder
from .swarm import InProcessSwarm
from .transitions import DecisionLogger, TransitionLog
from .upstream import UPSTREAM_GATES, UpstreamRules

BASELINE = "spot-first"
FIXED = ("spot-first", "on-demand", "oracle", "upstream-rules", "spotvortex", "spotvortex-rl")
EXPLORE = "spotvortex-explore"
"""Data collection for rl training, not a policy to evaluate: the rules with ``RunSpec.epsilon``-random actions."""


def check_policy(name: str) -> str:
    """The policy name, or a ``ValueError`` that lists the ones this version knows."""
    if name in FIXED:
        return name
    if name.startswith("static-"):
        try:
            share = float(name.removeprefix("static-"))
        except ValueError:
            share = -1.0
        if 0.0 <= share <= 1.0:
            return name
    raise ValueError(f"unknown policy {name!r}; known: {', '.join(FIXED)}, static-<share in [0,1]>")


@dataclass(frozen=True)
class RunSpec:
    scenario: str
    policy: str
    seed: int
    start: datetime | None = None
    end: datetime | None = None
    cadence_seconds: float = 600.0
    files: tuple[str, str, str, str] | None = None  # spot prices, on-demand, availability, advisor
    capacity: str | None = None  # hazard | traces | none: replaces the scenario's capacity process
    hazard_rate: float | None = None  # replaces the scenario's hazard rate multiplier
    via_bus: bool = False  # run the real swarm over NATS on a scaled clock instead of the cores in-process
    speed: float = 120.0  # world seconds per wall second, with via_bus
    models_dir: str | None = None  # the SpotVortex policies' models (default: the repository's models/)
    rl_model: str | None = None  # an ONNX q-model replacing the models' one (a training candidate)
    epsilon: float = 0.0  # spotvortex-explore: the share of decisions replaced by a random action
    # with logged transitions: the price of an outage event in the rewards' disruption cost (attribution.py)
    outage_event_cost_usd: float = 0.0
    # SpotVortex policies, in-process: log a transition per pool decision (RunResult.transitions)
    log_transitions: bool = False

    @property
    def key(self) -> str:
        return f"{self.policy}/seed-{self.seed}"


@dataclass
class RunResult:
    policy: str
    seed: int
    metrics: dict[str, float]
    series: list[dict[str, float]] = field(default_factory=list)
    approved: list[tuple[str, str, float]] = field(default_factory=list)  # (pool, action, target) in order
    transitions: TransitionLog | None = None  # with RunSpec.log_transitions (or spotvortex-explore)


def _proposer(spec: RunSpec) -> Proposer | None:
    policy = spec.policy
    if policy in ("spotvortex", "spotvortex-rl", EXPLORE):
        mode: Literal["deterministic", "rl"] = "rl" if policy == "spotvortex-rl" else "deterministic"
        models = policy_models(spec.models_dir, spec.rl_model, require_rl=mode == "rl")
        if spec.log_transitions or policy == EXPLORE:
            epsilon = spec.epsilon if policy == EXPLORE else 0.0
            return DecisionLogger(
                models,
                mode,
                epsilon=epsilon,
                seed=spec.seed,
                outage_event_cost_usd=spec.outage_event_cost_usd,
            )
        return spotvortex(mode, models=models)
    if policy.startswith("static-"):
        return static_share(float(policy.removeprefix("static-")))
    if policy == "upstream-rules":
        return UpstreamRules()
    return None


def _only_on_demand(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The on-demand baseline: NodePools that may launch spot are not created at all."""
    kept = []
    for m in manifests:
        reqs = ((m.get("spec") or {}).get("template") or {}).get("spec", {}).get("requirements") or []
        types = next((r.get("values") for r in reqs if r.get("key") == "karpenter.sh/capacity-type"), None)
        if types is None or "spot" not in types:
            kept.append(m)
    return kept


def run(spec: RunSpec) -> RunResult:
    started = time.perf_counter()
    scenario = load_scenario(spec.scenario)
    if spec.start is not None:
        scenario = msgspec.structs.replace(scenario, start=spec.start)
    market = scenario.market
    if spec.capacity is not None:
        market = msgspec.structs.replace(market, capacity=spec.capacity)
    if spec.hazard_rate is not None:
        market = msgspec.structs.replace(
            market, hazard=msgspec.structs.replace(market.hazard, rate_multiplier=spec.hazard_rate)
        )
    scenario = msgspec.structs.replace(scenario, market=market)
    if spec.policy == "on-demand":  # Auto Scaling group pools: all capacity in the on-demand twin
        pools = [
            msgspec.structs.replace(p, spot_desired=0, on_demand_desired=p.on_demand_desired + p.spot_desired)
            if p.autoscaler == "asg"
            else p
            for p in scenario.pools
        ]
        scenario = msgspec.structs.replace(scenario, pools=pools)
    duration = (
        spec.end - scenario.start if spec.end is not None else timedelta(seconds=seconds(scenario.duration))
    )
    if duration <= timedelta(0):
        raise ScenarioError(f"empty window: end {spec.end} is not after start {scenario.start}")
    files = None
    if spec.files:
        prices, on_demand, availability, advisor = (Path(f) for f in spec.files)
        files = MarketFiles(prices, on_demand, availability, advisor, real=True)
    clock = live_clock(spec.speed) if spec.via_bus else None
    cluster = build(
        scenario,
        seed=spec.seed,
        duration=duration,
        files=files,
        nodepools=_only_on_demand if spec.policy == "on-demand" else None,
        world_start=clock.now() if clock else None,
        now=clock.now if clock else None,
    )
    recorder = Recorder(cluster)
    recorder.start()
    proposer = _proposer(spec)
    loop = LoopRecord()  # stays empty for the policies that propose nothing
    if clock is not None and spec.policy.startswith("spotvortex"):
        if spec.policy != "spotvortex":
            raise ValueError("--via-bus runs the services as deployed: policy spotvortex only")
        if isinstance(proposer, DecisionLogger):
            raise ValueError("transitions are logged from the in-process swarm only, not with --via-bus")
        loop = asyncio.run(drive_via_bus(cluster, clock, spec.cadence_seconds))
    else:
        if proposer is not None:
            gates = UPSTREAM_GATES if spec.policy == "upstream-rules" else None
            swarm = InProcessSwarm(cluster, proposer, cadence_seconds=spec.cadence_seconds, gates=gates)
            if isinstance(proposer, DecisionLogger):
                proposer.attach(swarm)
            loop = swarm.record
            swarm.start()
        cluster.run_until(cluster.end)
    transitions = proposer.finish() if isinstance(proposer, DecisionLogger) else None
    costs = cluster.ledger.costs()
    if spec.policy == "oracle":
        cheapest = hindsight_cost(cluster, cluster.end)
        costs = replace(
            costs,
            compute_cost=cheapest,
            spot_cost=cheapest,
            on_demand_cost=0.0,
            outage_penalty=0.0,
            outage_events=0,
            outage_minutes=0.0,
            interruptions=0,
        )
    metrics: dict[str, float] = {
        "compute_cost": round(costs.compute_cost, 4),
        "spot_cost": round(costs.spot_cost, 4),
        "on_demand_cost": round(costs.on_demand_cost, 4),
        "outage_penalty": round(costs.outage_penalty, 4),
        "net_cost": round(costs.net_cost, 4),
        "outage_events": costs.outage_events,
        "outage_minutes": round(costs.outage_minutes, 2),
        "interruptions": costs.interruptions,
        "spot_residency": round(costs.spot_residency, 4),
        "pod_restarts": recorder.pod_restarts,
        "drains": loop.drained,
        "drains_rolled_back": loop.rolled_back,
        "drains_abandoned": loop.abandoned,
        "migrations": len(loop.approved),
        "steering_released": loop.released,
        "decisions": loop.decisions,
        "rejected": loop.rejected,
        "simulated_days": round(duration.total_seconds() / 86400, 3),
    }
    metrics["wall_seconds"] = round(time.perf_counter() - started, 2)
    return RunResult(
        spec.policy,
        spec.seed,
        metrics,
        [asdict(s) for s in recorder.samples],
        [(pool, action, round(target, 4)) for _, pool, action, target in loop.approved],
        transitions,
    )
