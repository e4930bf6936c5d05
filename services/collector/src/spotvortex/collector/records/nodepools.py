"""Karpenter NodePools: which pool they serve, their capacity types, weight and disruption budgets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from spotvortex.collector import labels as L
from spotvortex.collector.classify import strip_suffix
from spotvortex.collector.records.common import Obj, labels_of, meta_of
from spotvortex.contracts.telemetry import DisruptionBudget


@dataclass(frozen=True, slots=True)
class NodePoolRecord:
    name: str
    pool: str
    capacity_types: tuple[str, ...]
    instance_types: tuple[str, ...]
    zones: tuple[str, ...]
    weight: int | None
    budgets: tuple[DisruptionBudget, ...]


def _requirement_values(requirements: list[Mapping[str, Any]], key: str) -> tuple[str, ...]:
    values: list[str] = []
    for req in requirements:
        if req.get("key") == key and req.get("operator") == "In":
            values.extend(str(v) for v in req.get("values") or [])
    return tuple(sorted(set(values)))


def _budget(raw: Mapping[str, Any]) -> DisruptionBudget:
    reasons = raw.get("reasons")
    return DisruptionBudget(
        nodes=str(raw.get("nodes", "10%")),
        schedule=raw.get("schedule") if isinstance(raw.get("schedule"), str) else None,
        duration=raw.get("duration") if isinstance(raw.get("duration"), str) else None,
        reasons=[str(r) for r in reasons] if isinstance(reasons, list) else None,
    )


def nodepool_record(obj: Obj, suffixes: list[str]) -> NodePoolRecord:
    """A NodePool belongs to the pool its labels (or its node template's) name, else its unsuffixed name.

    Without ``spec.disruption.budgets`` Karpenter applies ``nodes: 10%``, so that is what is reported.
    """
    meta = meta_of(obj)
    spec = obj.get("spec") or {}
    name = str(meta.get("name", ""))
    template = spec.get("template") or {}
    template_labels = (template.get("metadata") or {}).get("labels") or {}
    pool = (
        labels_of(meta).get(L.POOL) or str(template_labels.get(L.POOL) or "") or strip_suffix(name, suffixes)
    )
    requirements = (template.get("spec") or {}).get("requirements") or []
    raw_budgets = (spec.get("disruption") or {}).get("budgets")
    budgets = (
        tuple(_budget(b) for b in raw_budgets if isinstance(b, Mapping))
        if isinstance(raw_budgets, list)
        else (DisruptionBudget(),)
    )
    weight = spec.get("weight")
    return NodePoolRecord(
        name=name,
        pool=pool,
        capacity_types=_requirement_values(requirements, L.KARPENTER_CAPACITY_TYPE),
        instance_types=_requirement_values(requirements, L.INSTANCE_TYPE),
        zones=_requirement_values(requirements, L.ZONE),
        weight=weight if isinstance(weight, int) and not isinstance(weight, bool) else None,
        budgets=budgets,
    )
