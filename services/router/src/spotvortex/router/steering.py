"""Steering: which provisioner objects to change, and how, so new capacity comes in the approved direction.

Twin NodePools (``<pool>-spot`` / ``<pool>-od``) are steered by weight. A single NodePool that allows both
capacity types is steered through its capacity-type requirement; the change replaces only that requirement
and keeps every other one (a JSON merge patch replaces whole lists, so the list is rebuilt, not patched —
the earlier implementation's patch dropped the other requirements).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spotvortex.contracts import SteerOperation
from spotvortex.router.config import RouterConfig
from spotvortex.router.views import CAPACITY_TYPE, NARROWED_ANNOTATION, ON_DEMAND, SPOT, NodePoolView


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
    pool: str, direction: int, nodepools: list[NodePoolView], config: RouterConfig
) -> list[Patch]:
    """The patches that favour spot (``direction`` > 0) or on-demand (< 0); no patch for what already holds."""
    if direction == 0:
        return []
    spot, on_demand = twins(pool, nodepools, config)
    if spot is not None and on_demand is not None:
        favoured, other = (spot, on_demand) if direction > 0 else (on_demand, spot)
        return [
            p
            for p in (
                _weight(favoured, config.favoured_weight),
                _weight(other, config.other_weight),
            )
            if p is not None
        ]
    return [p for np in nodepools if (p := _capacity_requirement(np, direction)) is not None]


def _weight(np: NodePoolView, weight: int) -> Patch | None:
    if np.weight == weight:
        return None
    op = SteerOperation(
        target_kind="nodepool",
        target=np.name,
        field="spec.weight",
        before=None if np.weight is None else str(np.weight),
        after=str(weight),
    )
    return Patch(nodepool=np.name, body={"spec": {"weight": weight}}, operation=op)


def _capacity_requirement(np: NodePoolView, direction: int) -> Patch | None:
    """Narrow a NodePool that allows both types to on-demand, and restore it when spot is favoured again.

    Only NodePools that allow both types, or that this router narrowed (it leaves an annotation with the
    types to restore), are touched: a NodePool an operator made single-type stays as it is.
    """
    allowed = sorted(np.capacity_types)
    if np.narrowed_from is not None:
        wanted = [ON_DEMAND] if direction < 0 else sorted(np.narrowed_from)
        annotation: str | None = ",".join(np.narrowed_from) if direction < 0 else None
    elif {SPOT, ON_DEMAND} <= set(allowed):
        if direction > 0:
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
