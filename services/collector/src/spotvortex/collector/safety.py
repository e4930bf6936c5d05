"""The pool safety vector (upstream-spec §2.5): formulas kept, the upstream bugs fixed.

Fixes, each deliberate:
- No PDB selecting the pool's pods means *no PDB limit*: both slacks are ``None`` and no slack rule
  fires. Upstream read it as zero slack, which froze every PDB-less pool at a 0.35 spot cap.
- A pool without workload pods still gets the whole vector: risk and the safe cap are computed from what
  is known (zones, on-demand headroom, restart time) instead of staying at 0 and 1.0.
- On-demand headroom uses the pool's real utilisation (pod requests over allocatable of its schedulable
  nodes; the tighter of CPU and memory), not a constant 0.5.
"""

from __future__ import annotations

from dataclasses import dataclass

from spotvortex.contracts.telemetry import PoolSafety


@dataclass(frozen=True, slots=True)
class SafetyInputs:
    restart_p95_seconds: float
    non_spot_nodes: int
    utilisation: float
    zones: int
    workload_pods: int
    critical_pods: int
    critical_on_spot: int
    stateful_pods: int
    evictable_pods: int
    slack_one_node: int | None
    slack_two_nodes: int | None


def zone_score(zones: int) -> float:
    if zones >= 3:
        return 1.0
    return 0.5 if zones == 2 else 0.0


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


def recovery_risk(
    *,
    slack1: int | None,
    slack2: int | None,
    critical: float,
    stateful: float,
    restart: float,
    headroom: float,
    zone: float,
    evictable: float,
) -> float:
    terms = [0.0]
    if slack1 is not None:
        terms.append(0.95 if slack1 < 0 else 0.70 if slack1 < 1 else 0.0)
    if slack2 is not None:
        terms.append(0.85 if slack2 < 0 else 0.55 if slack2 < 1 else 0.0)
    if critical > 0:
        terms.append(0.20 + 0.80 * critical)
    if stateful > 0:
        terms.append(0.15 + 0.65 * stateful)
    terms.append(0.75 if restart >= 600 else 0.50 if restart >= 300 else 0.30 if restart >= 120 else 0.0)
    if headroom < 1:
        terms.append(0.55)
    terms.append((1 - zone) * 0.60)
    terms.append((1 - evictable) * 0.85)
    return _clamp(max(terms))


def safe_max_spot_ratio(
    *,
    slack1: int | None,
    slack2: int | None,
    critical: float,
    stateful: float,
    restart: float,
    risk: float,
    headroom: float,
    zone: float,
    evictable: float,
) -> float:
    caps = [1.0]
    if critical >= 0.80:
        caps.append(0.10)
    elif critical >= 0.50:
        caps.append(0.25)
    elif critical >= 0.25:
        caps.append(0.50)
    if slack1 is not None and slack1 < 1:
        caps.append(0.10 if slack1 < 0 else 0.35)
    if slack2 is not None and slack2 < 1:
        caps.append(0.25 if slack2 < 0 else 0.50)
    if stateful >= 0.50:
        caps.append(0.50)
    elif stateful >= 0.25:
        caps.append(0.70)
    if restart >= 600:
        caps.append(0.25)
    elif restart >= 300:
        caps.append(0.50)
    if risk >= 0.90:
        caps.append(0.10)
    elif risk >= 0.75:
        caps.append(0.25)
    elif risk >= 0.60:
        caps.append(0.40)
    if headroom < 1:
        caps.append(0.60)
    if zone < 0.50:
        caps.append(0.60)
    if evictable < 0.25:
        caps.append(0.20)
    elif evictable < 0.50:
        caps.append(0.40)
    return min(caps)


def safety_vector(x: SafetyInputs) -> PoolSafety:
    workload = x.workload_pods
    critical = x.critical_on_spot / x.critical_pods if x.critical_pods else 0.0
    stateful = x.stateful_pods / workload if workload else 0.0
    evictable = x.evictable_pods / workload if workload else 1.0
    headroom = max(0.0, x.non_spot_nodes * (1.0 - _clamp(x.utilisation)))
    zone = zone_score(x.zones)
    restart = max(0.0, x.restart_p95_seconds)
    risk = recovery_risk(
        slack1=x.slack_one_node,
        slack2=x.slack_two_nodes,
        critical=critical,
        stateful=stateful,
        restart=restart,
        headroom=headroom,
        zone=zone,
        evictable=evictable,
    )
    cap = safe_max_spot_ratio(
        slack1=x.slack_one_node,
        slack2=x.slack_two_nodes,
        critical=critical,
        stateful=stateful,
        restart=restart,
        risk=risk,
        headroom=headroom,
        zone=zone,
        evictable=evictable,
    )
    return PoolSafety(
        restart_p95_seconds=restart,
        spare_od_headroom_nodes=headroom,
        zone_diversification_score=zone,
        critical_service_spot_concentration=_clamp(critical),
        stateful_pod_fraction=_clamp(stateful),
        evictable_pod_fraction=_clamp(evictable),
        min_pdb_slack_if_one_node_lost=x.slack_one_node,
        min_pdb_slack_if_two_nodes_lost=x.slack_two_nodes,
        recovery_budget_violation_risk=risk,
        safe_max_spot_ratio=cap,
    )
