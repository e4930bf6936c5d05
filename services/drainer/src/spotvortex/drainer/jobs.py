"""The drain job state machine, kept as one record per job in the jobs KV bucket (key: the job id).

Each node of a job moves ``pending → replacing → cordoning → evicting → done``, or through ``rolling-back``
to ``done`` when it cannot be drained in time; ``replacing`` (bringing up capacity of the target type first)
is left out when the job does not ask for it or nothing would use it, and a replacement that is not Ready in
time ends the node ``abandoned`` without a cordon. ``done`` carries the outcome, and ``published`` says its
result is on the bus. Every transition is written before the effect it permits is acted upon, and every
effect is idempotent, so whoever reads the record after a crash knows exactly what may still need doing:

- ``replacing`` is written with the replacement's handles (placeholder pod names) *before* anything is
  created, so a resumed job finds what it asked for, and releases it before the node's result is published
  (right after the replacement is Ready when the job waited for it: the evicted pods need that room) — no
  placeholder outlives its node's drain;
- ``cordoning`` is written (with whether the node was already unschedulable) *before* the cordon is sent, so
  a resumed job never mistakes its own cordon for someone else's and always knows whether to uncordon;
- a node is ``done`` before its result is published, and ``published`` only after JetStream confirmed it;
  the result's fact id de-duplicates a publish repeated across a crash;
- a job whose nodes are all published is closed: a redelivered or replayed job is acknowledged without a
  single Kubernetes call;
- a job whose replacements come from an Auto Scaling group shares one scale-up between its nodes: the
  planned :class:`~spotvortex.aws.Preparation` is stored in the record *before* the desired capacity is
  raised (raising sets an absolute value, so a resumed job never adds a second k); each node that waits for
  a replacement takes one of its ``prepared`` slots (a node left without one is ``abandoned`` at once), its
  request is kept until the node is done (a drained node's instance is then retired), and once every node
  is done the unused part is given back before the job closes.

Everything here is pure: time is passed in, and the adapter performs what :func:`next_step` asks for.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Literal

import msgspec

from spotvortex.aws.shift import Preparation
from spotvortex.contracts import DrainJob, Mode
from spotvortex.contracts.actuation import DrainOutcome
from spotvortex.drainer.modes import effective_mode
from spotvortex.drainer.reschedule import OwnerCount

NodePhase = Literal["pending", "replacing", "cordoning", "evicting", "rolling-back", "done"]


class TransitionError(ValueError):
    """A transition the state machine does not allow from the node's current phase."""


class NodeRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One node of a job. ``was_unschedulable`` is the node's state before the job touched it (``None``
    until read): a node that was already cordoned is never uncordoned by a rollback. ``evicted`` and
    ``overridden`` (evicted despite a protection, in an emergency) hold ``namespace/name`` keys, as do
    ``standalone`` and ``emptydir`` (evicted pods nothing recreates, evicted pods whose scratch data went).

    ``replacement`` holds the replacement provider's handles, recorded before they are created;
    ``replacement_until`` ends the wait for them, ``replacement_released`` says they were withdrawn.
    ``owners`` are the controllers of the pods to evict with their Running pods before the drain (to judge
    rescheduling); ``notes`` end up in the node's result detail whatever its outcome."""

    node: str
    phase: NodePhase = "pending"
    was_unschedulable: bool | None = None
    started_at: datetime | None = None
    replacement: list[str] = []
    replacement_until: datetime | None = None
    replacement_ready_at: datetime | None = None
    replacement_released: bool = False
    owners: list[OwnerCount] = []
    notes: list[str] = []
    evicted: list[str] = []
    overridden: list[str] = []
    standalone: list[str] = []
    emptydir: list[str] = []
    rollback_reason: str = ""
    rollback_started_at: datetime | None = None
    outcome: DrainOutcome | None = None
    pods_evicted: int = 0
    pods_skipped: int = 0
    pods_blocked: int = 0
    detail: str = ""
    finished_at: datetime | None = None
    published: bool = False


class JobRecord(msgspec.Struct, frozen=True, kw_only=True):
    """``mode`` is the stricter of the job's and the drainer's mode when the job was accepted.

    ``preparation`` is the Auto Scaling scale-up the job's nodes share (``None`` for providers that ask per
    node, like Karpenter's placeholders), stored before the target group's desired capacity is raised."""

    job: DrainJob
    mode: Mode
    accepted_at: datetime
    nodes: list[NodeRecord]
    finished_at: datetime | None = None
    preparation: Preparation | None = None

    @property
    def job_id(self) -> str:
        return self.job.job_id

    def unreleased(self, i: int) -> bool:
        """Node ``i`` has a replacement request still to withdraw."""
        node = self.nodes[i]
        return bool(node.replacement) and not node.replacement_released

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    @property
    def releases_after_drain(self) -> bool:
        """The replacement is released when the node is done, not before the cordon: an emergency keeps its
        request while it drains, and a group's scale-up is handed over by retiring the drained instance."""
        return self.job.emergency or self.preparation is not None

    @property
    def slots_taken(self) -> int:
        """Nodes that took one of the scale-up's replacements (they recorded handles)."""
        return sum(1 for node in self.nodes if node.replacement)

    @property
    def slots_left(self) -> int:
        """Replacements of the scale-up no node has taken yet; 0 without a scale-up."""
        return 0 if self.preparation is None else max(0, self.preparation.prepared - self.slots_taken)

    @property
    def replacements_used(self) -> int:
        """Replacements drained nodes moved their pods to: the part of the scale-up that stays."""
        return sum(1 for node in self.nodes if node.replacement and node.outcome == "drained")

    @property
    def give_back_due(self) -> bool:
        """Every node is done and released, and the scale-up's unused part has not been given back yet."""
        return (
            self.preparation is not None
            and not self.preparation.undone
            and all(node.outcome is not None for node in self.nodes)
            and not any(self.unreleased(i) for i in range(len(self.nodes)))
        )


class Admission(StrEnum):
    """What to do with a delivered job: run a new one, resume one in progress, or nothing at all."""

    NEW = "new"
    RESUME = "resume"
    DONE = "done"
    IGNORE = "ignore"  # observe mode and never seen: acknowledge, record nothing


def new_record(job: DrainJob, *, service_mode: Mode, now: datetime) -> JobRecord:
    nodes = [NodeRecord(node=name) for name in dict.fromkeys(job.nodes)]  # a node is drained once per job
    return JobRecord(
        job=job, mode=effective_mode(job.mode, service_mode), accepted_at=now, nodes=nodes, finished_at=None
    )


def admit(
    existing: JobRecord | None, job: DrainJob, *, service_mode: Mode, now: datetime
) -> tuple[JobRecord | None, Admission]:
    """The record to create (``None``: keep what is stored) and what the delivery means.

    The stored record wins over the delivered job: a replay never restarts or reshapes a job.
    """
    if existing is not None:
        return None, Admission.DONE if existing.finished else Admission.RESUME
    if effective_mode(job.mode, service_mode) is Mode.OBSERVE:
        return None, Admission.IGNORE
    return new_record(job, service_mode=service_mode, now=now), Admission.NEW


class StepKind(StrEnum):
    PREVIEW = "preview"  # shadow: read the node and its pods, report what a drain would do
    START = "start"  # read the node and its pods; replace or cordon unless a pod forbids the drain
    SKIP = "skip"  # finish the node without touching it
    REPLACE = "replace"  # ask for replacement capacity, wait until it is Ready (an emergency does not wait)
    GIVE_UP = "give-up"  # the replacement was not Ready in time: the node ends abandoned, never cordoned
    RELEASE = "release"  # withdraw the replacement request (delete the placeholders, retire the instance)
    GIVE_BACK = "give-back"  # lower the target group by the part of the job's scale-up no node used
    CORDON = "cordon"
    EVICT = "evict"
    ROLL_BACK = "roll-back"  # uncordon if this job cordoned, then report why
    ABANDON = "abandon"  # the drainer became stricter mid-drain: stop without another mutation
    PUBLISH = "publish"
    CLOSE = "close"  # every node is published: the job is finished


class Step(msgspec.Struct, frozen=True, kw_only=True):
    kind: StepKind
    node: int = -1
    reason: str = ""


def next_step(record: JobRecord, now: datetime, service_mode: Mode = Mode.ENFORCE) -> Step | None:
    """What the job needs next, or ``None`` once it is finished.

    Nodes go strictly in the job's order. Past the deadline a node not yet started is skipped, a node
    waiting for its replacement is given up and a node in progress is rolled back. A replacement is
    released as soon as the job stops waiting for it (an emergency, and a group's scale-up, keep it until
    the node is done), and always before the node's result is published. A scale-up's unused part is given
    back once every node is done, before the last result is published. ``service_mode`` is the drainer's mode *now*: if it
    became stricter than the record's, no node is started and a node in progress is abandoned as it is,
    because a shadow or observe drainer sends no mutating request at all, not even an uncordon or the
    deletion of a placeholder.
    """
    mode = effective_mode(record.mode, service_mode)
    late = now >= record.job.deadline
    if mode is Mode.ENFORCE and record.give_back_due:
        return Step(kind=StepKind.GIVE_BACK)
    for i, node in enumerate(record.nodes):
        if node.published:
            continue
        if node.outcome is not None:
            if record.unreleased(i) and mode is Mode.ENFORCE:
                return Step(kind=StepKind.RELEASE, node=i)
            return Step(kind=StepKind.PUBLISH, node=i)
        if node.phase == "pending":
            if mode is Mode.OBSERVE:
                return Step(kind=StepKind.SKIP, node=i, reason="observe mode: drain jobs are not executed")
            if late:
                return Step(
                    kind=StepKind.SKIP, node=i, reason="deadline passed before the drain of this node started"
                )
            return Step(kind=StepKind.PREVIEW if mode is Mode.SHADOW else StepKind.START, node=i)
        if mode is not Mode.ENFORCE:
            left = "; its replacement placeholders are left in place" if record.unreleased(i) else ""
            return Step(
                kind=StepKind.ABANDON,
                node=i,
                reason=f"the drainer switched to {mode} mode during the drain and sends no further request; "
                f"the node may still be cordoned{left}",
            )
        if node.phase == "replacing":
            return _replacing_step(record, i, now)
        if record.unreleased(i) and not record.releases_after_drain:
            return Step(kind=StepKind.RELEASE, node=i)
        if node.phase == "rolling-back":
            return Step(kind=StepKind.ROLL_BACK, node=i, reason=node.rollback_reason)
        if late:
            return Step(kind=StepKind.ROLL_BACK, node=i, reason="deadline passed before the node was drained")
        if node.phase == "cordoning":
            return Step(kind=StepKind.CORDON, node=i)
        return Step(kind=StepKind.EVICT, node=i)
    return None if record.finished else Step(kind=StepKind.CLOSE)


def _replacing_step(record: JobRecord, i: int, now: datetime) -> Step:
    node, deadline = record.nodes[i], record.job.deadline
    until = node.replacement_until or deadline
    if now >= deadline:
        return Step(
            kind=StepKind.GIVE_UP,
            node=i,
            reason="the job's deadline passed before replacement capacity was Ready",
        )
    if now >= until:
        waited = (until - (node.started_at or until)).total_seconds()
        return Step(
            kind=StepKind.GIVE_UP, node=i, reason=f"replacement capacity not Ready within {waited:.0f}s"
        )
    return Step(kind=StepKind.REPLACE, node=i)


def _with_node(record: JobRecord, i: int, node: NodeRecord) -> JobRecord:
    nodes = list(record.nodes)
    nodes[i] = node
    return msgspec.structs.replace(record, nodes=nodes)


def _expect(node: NodeRecord, *phases: NodePhase) -> None:
    if node.phase not in phases:
        raise TransitionError(f"node {node.node} is {node.phase}, expected {' or '.join(phases)}")


def _drain_phase(was_unschedulable: bool | None) -> NodePhase:
    return "evicting" if was_unschedulable else "cordoning"


def begin(
    record: JobRecord,
    i: int,
    *,
    was_unschedulable: bool,
    now: datetime,
    owners: Sequence[OwnerCount] = (),
    notes: Sequence[str] = (),
) -> JobRecord:
    """Start draining node ``i`` without a replacement: an already unschedulable node needs no cordon (and
    gets no uncordon). ``notes`` say why there is no replacement, when the job asked for one."""
    node = record.nodes[i]
    _expect(node, "pending")
    return _with_node(
        record,
        i,
        msgspec.structs.replace(
            node,
            phase=_drain_phase(was_unschedulable),
            was_unschedulable=was_unschedulable,
            started_at=now,
            owners=list(owners),
            notes=[*node.notes, *notes],
        ),
    )


def request_replacement(
    record: JobRecord,
    i: int,
    *,
    was_unschedulable: bool,
    handles: Sequence[str],
    until: datetime,
    now: datetime,
    owners: Sequence[OwnerCount] = (),
) -> JobRecord:
    """Start node ``i`` by asking for replacement capacity: ``handles`` are recorded before they exist, and
    the wait ends at ``until`` (the caller bounds it by the job's deadline)."""
    node = record.nodes[i]
    _expect(node, "pending")
    if not handles:
        raise TransitionError(f"node {node.node}: a replacement needs at least one handle")
    return _with_node(
        record,
        i,
        msgspec.structs.replace(
            node,
            phase="replacing",
            was_unschedulable=was_unschedulable,
            started_at=now,
            replacement=list(handles),
            replacement_until=min(until, record.job.deadline),
            owners=list(owners),
        ),
    )


def replaced(record: JobRecord, i: int, *, now: datetime, ready: bool, note: str = "") -> JobRecord:
    """End the replacement wait of node ``i``: the capacity is Ready, or (``ready`` false) an emergency
    does not wait for it. The drain goes on to the cordon."""
    node = record.nodes[i]
    _expect(node, "replacing")
    return _with_node(
        record,
        i,
        msgspec.structs.replace(
            node,
            phase=_drain_phase(node.was_unschedulable),
            replacement_ready_at=now if ready else None,
            notes=[*node.notes, note] if note else node.notes,
        ),
    )


def released(record: JobRecord, i: int, note: str = "") -> JobRecord:
    """Node ``i``'s replacement request is withdrawn (its placeholders deleted) or handed over (its instance
    retired); ``note`` goes to the node's result (to its detail when the node is already done)."""
    node = record.nodes[i]
    if not node.replacement:
        raise TransitionError(f"node {node.node} has no replacement to release")
    if node.phase == "replacing":
        raise TransitionError(f"node {node.node} is still waiting for its replacement")
    changed = msgspec.structs.replace(node, replacement_released=True)
    if note and node.outcome is not None:
        changed = msgspec.structs.replace(changed, detail="; ".join(p for p in (node.detail, note) if p))
    elif note:
        changed = msgspec.structs.replace(changed, notes=[*node.notes, note])
    return _with_node(record, i, changed)


def prepared(record: JobRecord, preparation: Preparation) -> JobRecord:
    """Store the job's scale-up before it is made; one already stored wins (a resumed job never re-plans)."""
    if record.preparation is not None:
        return record
    return msgspec.structs.replace(record, preparation=preparation)


def gave_back(record: JobRecord, preparation: Preparation) -> JobRecord:
    """The scale-up's unused part was given back (``preparation`` marked undone, with what was used)."""
    if record.preparation is None:
        raise TransitionError(f"job {record.job_id} has no scale-up to give back")
    if not preparation.undone:
        raise TransitionError(f"job {record.job_id}: the scale-up given back must be marked undone")
    return msgspec.structs.replace(record, preparation=preparation)


def cordoned(record: JobRecord, i: int) -> JobRecord:
    node = record.nodes[i]
    _expect(node, "cordoning")
    return _with_node(record, i, msgspec.structs.replace(node, phase="evicting"))


def note_evicted(
    record: JobRecord,
    i: int,
    pod_key: str,
    *,
    overridden: bool = False,
    standalone: bool = False,
    emptydir: bool = False,
) -> JobRecord:
    node = record.nodes[i]
    _expect(node, "evicting")
    if pod_key in node.evicted:
        return record

    def add(keys: list[str], flag: bool) -> list[str]:
        return [*keys, pod_key] if flag else keys

    return _with_node(
        record,
        i,
        msgspec.structs.replace(
            node,
            evicted=[*node.evicted, pod_key],
            overridden=add(node.overridden, overridden),
            standalone=add(node.standalone, standalone),
            emptydir=add(node.emptydir, emptydir),
        ),
    )


def begin_rollback(record: JobRecord, i: int, reason: str, *, now: datetime, blocked: int = 0) -> JobRecord:
    """Give up on node ``i``; ``blocked`` counts the pods that stopped the drain (budget refusals)."""
    node = record.nodes[i]
    _expect(node, "cordoning", "evicting")
    return _with_node(
        record,
        i,
        msgspec.structs.replace(
            node, phase="rolling-back", rollback_reason=reason, rollback_started_at=now, pods_blocked=blocked
        ),
    )


_OUTCOME_FROM: dict[str, tuple[NodePhase, ...]] = {
    "would-drain": ("pending",),
    "skipped": ("pending", "replacing", "cordoning", "evicting"),
    "abandoned": ("pending", "replacing"),  # pending: the group could not be scaled up for this node
    "drained": ("evicting",),
    "rolled-back": ("rolling-back",),
    "failed": ("pending", "replacing", "cordoning", "evicting", "rolling-back"),
}


def finish(
    record: JobRecord,
    i: int,
    outcome: DrainOutcome,
    *,
    now: datetime,
    detail: str,
    evicted: int | None = None,
    skipped: int = 0,
    blocked: int | None = None,
) -> JobRecord:
    """Record node ``i``'s outcome; counts default to what the record already knows, and the node's notes
    follow ``detail``."""
    node = record.nodes[i]
    _expect(node, *_OUTCOME_FROM[outcome])
    detail = "; ".join(part for part in (detail, *node.notes) if part)
    return _with_node(
        record,
        i,
        msgspec.structs.replace(
            node,
            phase="done",
            outcome=outcome,
            pods_evicted=len(node.evicted) if evicted is None else evicted,
            pods_skipped=skipped,
            pods_blocked=node.pods_blocked if blocked is None else blocked,
            detail=detail,
            finished_at=now,
        ),
    )


def mark_published(record: JobRecord, i: int) -> JobRecord:
    node = record.nodes[i]
    if node.outcome is None:
        raise TransitionError(f"node {node.node} has no outcome to publish")
    return _with_node(record, i, msgspec.structs.replace(node, published=True))


def close(record: JobRecord, now: datetime) -> JobRecord:
    if not all(node.published for node in record.nodes):
        raise TransitionError(f"job {record.job_id} still has unpublished nodes")
    return record if record.finished else msgspec.structs.replace(record, finished_at=now)
