"""The event catalogue: each event type with its subject, producer, consumer and a worked example.

It is the single source of ``docs/events.md`` (see :mod:`spotvortex.contracts.docs`) and of the round-trip
tests, so a new event is documented and tested the moment it is listed here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec

from spotvortex.contracts.actuation import DrainJob, DrainResult, SteeringChange, SteerOperation
from spotvortex.contracts.base import Event
from spotvortex.contracts.dead_letter import DeadLetter
from spotvortex.contracts.decisions import (
    FeatureContribution,
    GateVerdict,
    ProposedAction,
    RiskAssessment,
    RuleOutcome,
)
from spotvortex.contracts.enums import Action, Direction, Mode, PolicySource, Provisioner
from spotvortex.contracts.market import MarketCapacity, MarketInterruption, MarketPrice, MarketRebalance
from spotvortex.contracts.telemetry import (
    DisruptionBudget,
    MarketSeries,
    NodeCounts,
    NodePoolInfo,
    PoolSafety,
    PoolTelemetry,
    PricePoint,
    Utilisation,
    WorkloadProfile,
)


class EventSpec(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    type: type[Event]
    subject: str
    producer: str
    consumer: str
    example: Event


_T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
_TID = "prod/general/2026-03-02T12:00:00+00:00"
_DID = "prod/general/2026-03-02T12:00:00+00:00/1"

_TELEMETRY = PoolTelemetry(
    cluster="prod",
    pool="general",
    time=_T0,
    provisioner=Provisioner.KARPENTER,
    nodes=NodeCounts(spot=6, on_demand=4, spot_ready=6, on_demand_ready=4),
    current_spot_ratio=0.6,
    instance_types=["m5.large", "m5.xlarge"],
    zones=["us-east-1a", "us-east-1b"],
    dominant_instance_type="m5.large",
    utilisation=Utilisation(
        cpu_requested_cores=12.5,
        cpu_allocatable_cores=19.0,
        memory_requested_bytes=4.0e10,
        memory_allocatable_bytes=7.2e10,
    ),
    workload=WorkloadProfile(pod_startup_p95_seconds=45.0, outage_penalty_hours=2.0, workload_pods=24),
    safety=PoolSafety(min_pdb_slack_if_one_node_lost=1, min_pdb_slack_if_two_nodes_lost=0),
    market=[
        MarketSeries(
            instance_type="m5.large",
            zone="us-east-1a",
            on_demand_price=0.096,
            spot_price=0.037,
            prices=[
                PricePoint(time=_T0 - timedelta(hours=5), spot_price=0.035),
                PricePoint(time=_T0, spot_price=0.037),
            ],
            advisor_band=0,
        )
    ],
    nodepools=[
        NodePoolInfo(
            name="general-spot",
            capacity_types=["spot"],
            weight=50,
            nodes=6,
            budgets=[
                DisruptionBudget(nodes="10%"),
                DisruptionBudget(nodes="0", schedule="0 9 * * mon-fri", duration="8h"),
            ],
        ),
        NodePoolInfo(name="general-od", capacity_types=["on-demand"], weight=50, nodes=4),
    ],
    cluster_nodes=40,
    cluster_draining=1,
)

CATALOG: list[EventSpec] = [
    EventSpec(
        name="Market price",
        type=MarketPrice,
        subject="spotvortex.market.<region>.price",
        producer="feed or user",
        consumer="collector",
        example=MarketPrice(
            instance_type="m5.large", zone="us-east-1a", spot_price=0.0371, on_demand_price=0.096
        ),
    ),
    EventSpec(
        name="Interruption notice",
        type=MarketInterruption,
        subject="spotvortex.market.<region>.interruption",
        producer="feed or user",
        consumer="collector (fast path)",
        example=MarketInterruption(
            zone="us-east-1a", node="ip-10-0-1-23.ec2.internal", instance_type="m5.large"
        ),
    ),
    EventSpec(
        name="Rebalance recommendation",
        type=MarketRebalance,
        subject="spotvortex.market.<region>.rebalance",
        producer="feed",
        consumer="collector",
        example=MarketRebalance(zone="us-east-1b", instance_id="i-0abc123def4567890"),
    ),
    EventSpec(
        name="Capacity signal",
        type=MarketCapacity,
        subject="spotvortex.market.<region>.capacity",
        producer="feed",
        consumer="collector",
        example=MarketCapacity(
            instance_type="c5.xlarge", zone="us-east-1c", available=False, placement_score=2
        ),
    ),
    EventSpec(
        name="Pool telemetry",
        type=PoolTelemetry,
        subject="spotvortex.<cluster>.telemetry.<pool>",
        producer="collector",
        consumer="inference",
        example=_TELEMETRY,
    ),
    EventSpec(
        name="Risk assessment",
        type=RiskAssessment,
        subject="spotvortex.<cluster>.risk.<pool>",
        producer="inference",
        consumer="gates, audit",
        example=RiskAssessment(
            cluster="prod",
            pool="general",
            telemetry_id=_TID,
            time=_T0,
            capacity_score=0.12,
            runtime_score=0.08,
            confidence=0.9,
            model_version="risk-2026.03+sha256:1f2e3d",
            top_features=[FeatureContribution(name="price_to_od_ratio", weight=0.41)],
        ),
    ),
    EventSpec(
        name="Proposed action",
        type=ProposedAction,
        subject="spotvortex.<cluster>.action.<pool>",
        producer="inference",
        consumer="gates",
        example=ProposedAction(
            cluster="prod",
            pool="general",
            decision_id=_DID,
            telemetry_id=_TID,
            time=_T0,
            action=Action.INCREASE_10,
            reason="economic_increase10",
            policy=PolicySource.DETERMINISTIC,
            confidence=0.9,
            capacity_score=0.12,
            runtime_score=0.08,
            current_spot_ratio=0.6,
            target_spot_ratio=0.7,
            details={"effective_cap": 0.8, "savings_ratio": 0.61},
            facts=_TELEMETRY.facts,
        ),
    ),
    EventSpec(
        name="Gate verdict",
        type=GateVerdict,
        subject="spotvortex.<cluster>.{approved,rejected}.<pool>",
        producer="gates",
        consumer="router (approved), audit",
        example=GateVerdict(
            cluster="prod",
            pool="general",
            decision_id=_DID,
            time=_T0,
            mode=Mode.ENFORCE,
            approved=True,
            proposed=Action.INCREASE_10,
            action=Action.INCREASE_10,
            current_spot_ratio=0.6,
            target_spot_ratio=0.7,
            rules=[
                RuleOutcome(rule="confidence", outcome="pass", value=0.9, limit=0.5),
                RuleOutcome(
                    rule="cooldown", outcome="pass", detail="last move 42 min ago", value=2520, limit=1800
                ),
            ],
            drain_allowance=1,
            facts=_TELEMETRY.facts,
        ),
    ),
    EventSpec(
        name="Steering change",
        type=SteeringChange,
        subject="spotvortex.<cluster>.steer.<pool>",
        producer="router",
        consumer="audit",
        example=SteeringChange(
            cluster="prod",
            pool="general",
            decision_id=_DID,
            time=_T0,
            mode=Mode.ENFORCE,
            provisioner=Provisioner.KARPENTER,
            target_spot_ratio=0.7,
            applied=True,
            operations=[
                SteerOperation(
                    target_kind="nodepool",
                    target="general-spot",
                    field="spec.weight",
                    before="50",
                    after="80",
                )
            ],
        ),
    ),
    EventSpec(
        name="Drain job",
        type=DrainJob,
        subject="spotvortex.<cluster>.drain.<pool>",
        producer="router",
        consumer="drainer",
        example=DrainJob(
            job_id="prod/general/2026-03-02T12:00:00+00:00/1/0",
            cluster="prod",
            pool="general",
            decision_id=_DID,
            time=_T0,
            mode=Mode.ENFORCE,
            direction=Direction.ON_DEMAND_TO_SPOT,
            nodes=["ip-10-0-2-40.ec2.internal"],
            deadline=_T0 + timedelta(minutes=15),
        ),
    ),
    EventSpec(
        name="Drain result",
        type=DrainResult,
        subject="spotvortex.<cluster>.drained.<pool>",
        producer="drainer",
        consumer="gates, router, audit",
        example=DrainResult(
            job_id="prod/general/2026-03-02T12:00:00+00:00/1/0",
            cluster="prod",
            pool="general",
            node="ip-10-0-2-40.ec2.internal",
            time=_T0 + timedelta(minutes=3),
            mode=Mode.ENFORCE,
            outcome="drained",
            pods_evicted=7,
            pods_skipped=2,
        ),
    ),
    EventSpec(
        name="Dead letter",
        type=DeadLetter,
        subject="spotvortex.<cluster>.dlq.<service>",
        producer="any service",
        consumer="operators",
        example=DeadLetter(
            cluster="prod",
            service="collector",
            time=_T0,
            subject="spotvortex.market.us-east-1.price",
            reason="invalid",
            error="field `spot_price`: Expected `float`, got `str`",
            field="spot_price",
            payload=b'{"instance_type":"m5.large","zone":"us-east-1a","spot_price":"cheap"}',
            stream="SPOTVORTEX_MARKET",
            stream_sequence=1042,
        ),
    ),
]
