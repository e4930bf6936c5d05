"""Steering: which provisioner objects to change, and how, so new capacity comes in the approved direction.

Twin NodePools (``<pool>-spot`` / ``<pool>-od``) are steered by weight. A single NodePool that allows both
capacity types is steered through its capacity-type requirement; the change replaces only that requirement
and keeps every other one (a JSON merge patch replaces whole lists, so the list is rebuilt, not patched —
the earlier implementation's patch dropped the other requirements).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from spotvortex.contracts import SteerOperation
from spotvortex.router.config import RouterConfig
from spotvortex.router.views import (
    CAPACITY_TYPE,
    LIMITS_ANNOTATION,
    NARROWED_ANNOTATION,
    ON_DEMAND,
    SPOT,
    WEIGHT_ANNOTATION,
    NodePoolView,
    cpu_millis,
)


@dataclass(frozen=True)
class Patch:
    """One merge patch on a NodePool, and the audit record of it."""

    nodepool: str
    body: dict[str, Any]
    operation: SteerOperation


def twins(
    pool: str, nodepools: list[NodePoolView], config: RouterConfig
) -> tuple[NodePoolView | None, NodePoolView | None]:
    by_name = {np.name: np for np in nodepools}
    spot = by_name.get(pool + config.spot_suffix)
    on_demand = by_name.get(pool + config.on_demand_suffix)
    return spot, on_demand


def plan_steering(
    pool: str,
    direction: int,
    nodepools: list[NodePoolView],
    config: RouterConfig,
    *,
    target: float | None = None,
    spot_cpu_limit: int | None = None,
) -> list[Patch]:
    """The patches that favour spot (``direction`` > 0) or on-demand (< 0), or — ``direction`` 0, the
    approved target reached — hand the pool back to the operator's settings; no patch for what holds.

    Twins are steered by weight while a move is under way and returned to the operator's weights once the
    target is reached. With ``spot_cpu_limit`` (from :func:`~spotvortex.router.planning.spot_cpu_after`),
    the spot twin's ``limits.cpu`` is set to the spot capacity the pool holds once the move is made: the
    limit, not the weights, is what holds a share between 0 and 1, since with spot preferred Karpenter's
    provisioning and consolidation would otherwise drift the pool back to all spot. An operator's own limit
    is never loosened, and is restored when ``target`` is all spot.
    """
    spot, on_demand = twins(pool, nodepools, config)
    if spot is not None and on_demand is not None:
        patches = _twin_weights(spot, on_demand, direction, config)
        if target is not None and (target >= 1.0 - 1e-9 or spot_cpu_limit is not None):
            patches.extend(p for p in [_spot_limit(spot, target, spot_cpu_limit)] if p is not None)
        return patches
    return [p for np in nodepools if (p := _capacity_requirement(np, direction)) is not None]


def _twin_weights(
    spot: NodePoolView, on_demand: NodePoolView, direction: int, config: RouterConfig
) -> list[Patch]:
    if direction == 0:
        return [p for np in (spot, on_demand) if (p := _restore_weight(np)) is not None]
    favoured, other = (spot, on_demand) if direction > 0 else (on_demand, spot)
    wanted = [(favoured, config.favoured_weight), (other, config.other_weight)]
    return [p for np, weight in wanted if (p := _set_weight(np, weight)) is not None]


def _set_weight(np: NodePoolView, weight: int) -> Patch | None:
    """Steer a twin's weight, remembering the operator's on the first change."""
    if np.weight == weight:
        return None
    before = np.weight_before or ("none" if np.weight is None else str(np.weight))
    return _weight_patch(np, weight, annotation=before)


def _restore_weight(np: NodePoolView) -> Patch | None:
    """Give a twin back the weight it had before the router first changed it."""
    if np.weight_before is None:
        return None
    weight = None if np.weight_before == "none" else int(np.weight_before)
    return _weight_patch(np, weight, annotation=None)


def _weight_patch(np: NodePoolView, weight: int | None, *, annotation: str | None) -> Patch:
    op = SteerOperation(
        target_kind="nodepool",
        target=np.name,
        field="spec.weight",
        before=None if np.weight is None else str(np.weight),
        after="unset" if weight is None else str(weight),
    )
    body: dict[str, Any] = {
        "metadata": {"annotations": {WEIGHT_ANNOTATION: annotation}},
        "spec": {"weight": weight},
    }
    return Patch(nodepool=np.name, body=body, operation=op)


def _spot_limit(np: NodePoolView, target: float, cpu_limit: int | None) -> Patch | None:
    original: dict[str, str] = json.loads(np.limits_before) if np.limits_before is not None else np.limits
    if target >= 1.0 - 1e-9:
        if np.limits_before is None:
            return None
        wanted: dict[str, str] = dict(original)
        annotation: str | None = None
    else:
        if cpu_limit is None:
            return None
        cpu = cpu_limit
        if "cpu" in original:
            cpu = min(cpu, cpu_millis(original["cpu"]))
        wanted = {**original, "cpu": f"{cpu}m"}
        annotation = np.limits_before or json.dumps(np.limits, sort_keys=True)
    if wanted == np.limits and annotation == np.limits_before:
        return None
    body_limits: dict[str, str | None] = {k: None for k in np.limits if k not in wanted}
    body_limits.update(wanted)
    op = SteerOperation(
        target_kind="nodepool",
        target=np.name,
        field="spec.limits.cpu",
        before=np.limits.get("cpu"),
        after=wanted.get("cpu", "unset"),
    )
    body: dict[str, Any] = {
        "metadata": {"annotations": {LIMITS_ANNOTATION: annotation}},
        "spec": {"limits": body_limits},
    }
    return Patch(nodepool=np.name, body=body, operation=op)


def _capacity_requirement(np: NodePoolView, direction: int) -> Patch | None:
    """Narrow a NodePool that allows both types to on-demand, and restore it when spot is favoured again.

    Only NodePools that allow both types, or that this router narrowed (it leaves an annotation with the
    types to restore), are touched: a NodePool an operator made single-type stays as it is.
    """
    allowed = sorted(np.capacity_types)
    if direction == 0:
        return None  # a narrowed pool holds its share: only a move towards spot widens it again
    if np.narrowed_from is not None:
        wanted = [ON_DEMAND] if direction < 0 else sorted(np.narrowed_from)
        annotation: str | None = ",".join(np.narrowed_from) if direction < 0 else None
    elif {SPOT, ON_DEMAND} <= set(allowed):
        if direction >= 0:
            return None
        wanted, annotation = [ON_DEMAND], ",".join(allowed)
    else:
        return None
    if allowed == wanted:
        return None
    requirements = [r for r in np.requirements if r.get("key") != CAPACITY_TYPE]
    requirements.append({"key": CAPACITY_TYPE, "operator": "In", "values": wanted})
    op = SteerOperation(
        target_kind="nodepool",
        target=np.name,
        field=f"spec.template.spec.requirements[{CAPACITY_TYPE}]",
        before=",".join(allowed) or None,
        after=",".join(wanted),
    )
    body: dict[str, Any] = {
        "metadata": {"annotations": {NARROWED_ANNOTATION: annotation}},
        "spec": {"template": {"spec": {"requirements": requirements}}},
    }
    return Patch(nodepool=np.name, body=body, operation=op)
