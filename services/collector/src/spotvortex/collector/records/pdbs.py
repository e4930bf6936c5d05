"""PodDisruptionBudgets: the compiled selector and what the disruption controller says is left."""

from __future__ import annotations

from dataclasses import dataclass

from spotvortex.collector.records.common import Obj, PdbKey, meta_of
from spotvortex.collector.selector import Selector, compile_selector


@dataclass(frozen=True, slots=True)
class PdbRecord:
    namespace: str
    name: str
    selector: Selector
    selector_spec: object
    disruptions_allowed: int
    exhausted: bool

    @property
    def key(self) -> PdbKey:
        return (self.namespace, self.name)


def _int(value: object, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def pdb_record(obj: Obj) -> PdbRecord:
    """``exhausted``: the budget is spent (currentHealthy ≤ desiredHealthy), so its pods cannot move now."""
    meta = meta_of(obj)
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    allowed = _int(status.get("disruptionsAllowed"))
    if "currentHealthy" in status and "desiredHealthy" in status:
        exhausted = _int(status.get("currentHealthy")) <= _int(status.get("desiredHealthy"))
    else:
        exhausted = allowed < 1
    raw_selector = spec.get("selector")
    return PdbRecord(
        namespace=str(meta.get("namespace") or "default"),
        name=str(meta.get("name", "")),
        selector=compile_selector(raw_selector),
        selector_spec=raw_selector,
        disruptions_allowed=allowed,
        exhausted=exhausted,
    )
