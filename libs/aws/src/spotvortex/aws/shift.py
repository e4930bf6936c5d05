"""Replacement-first capacity shift between twin groups, as values the drainer can store and resume.

The steps: *prepare* raises the target twin's desired capacity by the number of nodes about to be drained;
*ready* says when that many new instances are InService and Healthy; the drainer then drains the old nodes
and *retires* their instances (terminate with decrement, so the source twin shrinks instead of replacing
them); *undo* lowers the target twin by the part of the scale-up that no drained node used. Each step is
separate because a drain takes minutes and may be resumed by another replica: a ``Preparation`` records
everything the later steps need, including the instances that existed before the scale-up (the earlier
implementation took that snapshot after the scale call and could miss a fast instance).
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from spotvortex.aws.groups import AsgError, AsgGroupView, PoolGroups
from spotvortex.contracts.enums import CapacityType

Count = Annotated[int, msgspec.Meta(ge=0)]


class Preparation(msgspec.Struct, frozen=True, kw_only=True):
    """A scale-up of ``group`` (the ``towards`` twin of ``pool``) from ``desired_before`` to ``desired_after``.

    ``requested`` is what was asked; ``prepared`` (after − before) can be less when the group's MaxSize
    clamps it, and may be 0. ``used`` counts replacements consumed by drained nodes (the caller sets it);
    ``undone`` marks a preparation whose unused part was given back.
    """

    pool: str
    group: str
    towards: CapacityType
    requested: Count
    desired_before: Count
    desired_after: Count
    existing: list[str] = []
    used: Count = 0
    undone: bool = False

    @property
    def prepared(self) -> int:
        return self.desired_after - self.desired_before

    @property
    def unused(self) -> int:
        return 0 if self.undone else max(0, self.prepared - self.used)


class Readiness(msgspec.Struct, frozen=True, kw_only=True):
    """How far a preparation's new instances are: ``in_service`` ids, ``waiting`` still to come."""

    ready: bool
    in_service: list[str] = []
    waiting: Count = 0


def plan_prepare(groups: PoolGroups, k: int, towards: CapacityType) -> Preparation:
    """Raise the ``towards`` twin by ``k``, clamped to its MaxSize (never refused: ``prepared`` says how many
    could be prepared, and the caller drains at most that many nodes)."""
    if k < 0:
        raise ValueError("k must not be negative")
    if towards is CapacityType.RESERVED:
        raise AsgError("capacity cannot be shifted towards reserved instances")
    group = groups.twin(towards.value)
    after = max(group.desired, min(group.max_size, group.desired + k))
    return Preparation(
        pool=groups.pool,
        group=group.name,
        towards=towards,
        requested=k,
        desired_before=group.desired,
        desired_after=after,
        existing=sorted(i.instance_id for i in group.instances),
    )


def still_to_raise(preparation: Preparation, group: AsgGroupView) -> int | None:
    """The desired capacity to set so the preparation holds, or ``None`` when it already does.

    Setting the absolute value makes a repeated call (a resumed job) harmless: it never adds a second k.
    """
    if preparation.prepared <= 0 or preparation.undone or group.desired >= preparation.desired_after:
        return None
    return min(group.max_size, preparation.desired_after)


def readiness(preparation: Preparation, group: AsgGroupView) -> Readiness:
    """Ready when ``prepared`` instances that were not there before are InService and Healthy."""
    before = set(preparation.existing)
    fresh = [i for i in group.instances if i.instance_id not in before and not i.leaving]
    up = sorted(i.instance_id for i in fresh if i.in_service)
    waiting = max(0, preparation.prepared - len(up))
    return Readiness(ready=waiting == 0, in_service=up, waiting=waiting)


def plan_undo(preparation: Preparation, group: AsgGroupView) -> int | None:
    """The desired capacity that gives back the unused part of the scale-up, or ``None`` for nothing to do.

    Whatever already brought the group below ``desired_after`` (Cluster Autoscaler scaling an unneeded node
    in) counts as given back; what raised it further (pending pods) is kept. Never below MinSize.
    """
    room = group.desired - preparation.desired_before - preparation.used
    lower = max(0, min(preparation.unused, room))
    if lower == 0:
        return None
    target = max(group.min_size, group.desired - lower)
    return None if target == group.desired else target
