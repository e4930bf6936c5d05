"""The live view's model: folded from the public subjects, exactly as any NATS client sees them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from spotvortex.cli.live.model import LiveModel
from spotvortex.cli.live.render import plain, table
from spotvortex.contracts import (
    Action,
    Direction,
    DrainJob,
    DrainResult,
    GateVerdict,
    MarketSeries,
    Mode,
    NodeCounts,
    PolicySource,
    PoolTelemetry,
    ProposedAction,
    Provisioner,
    encode,
    subjects,
)
from spotvortex.contracts.subjects import PoolKind

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def subject(kind: PoolKind, pool: str = "web.v2", cluster: str = "local") -> str:
    return subjects.pool(cluster, kind, pool)


def telemetry(spot: int, od: int) -> PoolTelemetry:
    return PoolTelemetry(
        cluster="local",
        pool="web.v2",
        time=T0,
        provisioner=Provisioner.KARPENTER,
        nodes=NodeCounts(spot=spot, on_demand=od),
        current_spot_ratio=spot / (spot + od),
        dominant_instance_type="m5.large",
        market=[
            MarketSeries(instance_type="m5.large", zone="us-east-1a", on_demand_price=0.096, spot_price=0.036)
        ],
    )


def test_pools_fold_share_prices_decisions_and_drains() -> None:
    model = LiveModel("local")
    assert model.apply(subject(PoolKind.TELEMETRY), encode(telemetry(6, 4))) is None
    pool = model.pools["web.v2"]  # the subject token is decoded back to the pool name
    assert pool.spot_share == 0.6
    assert abs(model.saved_per_hour - 6 * (0.096 - 0.036)) < 1e-9

    action = ProposedAction(
        cluster="local", pool="web.v2", decision_id="d1", telemetry_id="t1", time=T0,
        action=Action.DECREASE_30, reason="high_risk", policy=PolicySource.DETERMINISTIC, confidence=0.9,
        capacity_score=0.8, runtime_score=0.2, current_spot_ratio=0.6, target_spot_ratio=0.3,
    )  # fmt: skip
    line = model.apply(subject(PoolKind.ACTION), encode(action))
    assert line is not None
    assert "DECREASE_30 (high_risk)" in plain(line)
    verdict = GateVerdict(
        cluster="local", pool="web.v2", decision_id="d1", time=T0, mode=Mode.ENFORCE, approved=True,
        proposed=Action.DECREASE_30, action=Action.DECREASE_30, current_spot_ratio=0.6,
        target_spot_ratio=0.3, drain_allowance=2,
    )  # fmt: skip
    model.apply(subject(PoolKind.APPROVED), encode(verdict))
    assert pool.target_share == 0.3
    job = DrainJob(
        job_id="j1", cluster="local", pool="web.v2", decision_id="d1", time=T0, mode=Mode.ENFORCE,
        direction=Direction.SPOT_TO_ON_DEMAND, nodes=["n1", "n2"], deadline=T0 + timedelta(minutes=10),
    )  # fmt: skip
    model.apply(subject(PoolKind.DRAIN), encode(job))
    assert pool.drains_in_flight == {"n1", "n2"}
    result = DrainResult(
        job_id="j1", cluster="local", pool="web.v2", node="n1", time=T0, mode=Mode.ENFORCE,
        outcome="drained", pods_evicted=3,
    )  # fmt: skip
    model.apply(subject(PoolKind.DRAINED), encode(result))
    assert pool.drains_in_flight == {"n2"}
    assert pool.nodes_drained == 1
    assert len(model.recent) == 4
    assert table(model, "header") is not None


def test_other_clusters_foreign_subjects_and_garbage_are_ignored() -> None:
    model = LiveModel("local")
    assert model.apply(subject(PoolKind.TELEMETRY, cluster="other"), encode(telemetry(1, 1))) is None
    assert model.apply("not.ours", b"{}") is None
    assert model.apply(subject(PoolKind.TELEMETRY), b"{not json") is None
    assert model.undecodable == 1
    assert "web.v2" not in model.pools or model.pools["web.v2"].spot == 0
