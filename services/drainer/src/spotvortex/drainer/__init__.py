"""SpotVortex drainer service.

Executes drain jobs under the cluster lease: replacement capacity of the target type first, then cordon,
PDB-aware eviction with back-off, wait for the pods to be gone and rescheduled, roll back (uncordon) on
deadline or failure, one result per node and a Kubernetes Event per step; ``shadow`` only reads and reports
``would-drain``. The pure cores — pod classification (:func:`classify_pod`, :func:`plan_node`), placeholder
pods and replacement readiness (:func:`placeholder_pods`, :func:`replacement_readiness`), the eviction
back-off (:func:`backoff_delay`), the job state machine (:func:`admit`, :func:`next_step` and the
transitions in :mod:`spotvortex.drainer.jobs`) and the shadow report (:func:`preview_node`) — need neither
NATS nor an API server.
"""

from spotvortex.drainer.backoff import BackoffPolicy, backoff_delay, backoff_schedule, rng_for
from spotvortex.drainer.config import DrainerConfig, DrainerSettings
from spotvortex.drainer.jobs import (
    Admission,
    JobRecord,
    NodeRecord,
    Step,
    StepKind,
    TransitionError,
    admit,
    new_record,
    next_step,
)
from spotvortex.drainer.modes import effective_mode
from spotvortex.drainer.pods import (
    NodePlan,
    PodDecision,
    PodPolicy,
    PodRef,
    Reason,
    Verdict,
    classify_pod,
    plan_node,
)
from spotvortex.drainer.replacement import (
    PlaceholderPolicy,
    Readiness,
    placeholder_pods,
    replacement_readiness,
)
from spotvortex.drainer.results import preview_node, result_for
from spotvortex.runtime.service import ServiceContext, ServiceSpec, Workers


async def build(ctx: ServiceContext) -> Workers:
    """The service's workers; the Kubernetes client is imported only here, so the cores load fast."""
    from spotvortex.drainer.service import build as build_service

    return await build_service(ctx)


SPEC = ServiceSpec(name="drainer", build=build, needs_lease=True)
SETTINGS = DrainerSettings

__all__ = [
    "SETTINGS",
    "SPEC",
    "Admission",
    "BackoffPolicy",
    "DrainerConfig",
    "DrainerSettings",
    "JobRecord",
    "NodePlan",
    "NodeRecord",
    "PlaceholderPolicy",
    "PodDecision",
    "PodPolicy",
    "PodRef",
    "Readiness",
    "Reason",
    "Step",
    "StepKind",
    "TransitionError",
    "Verdict",
    "admit",
    "backoff_delay",
    "backoff_schedule",
    "classify_pod",
    "effective_mode",
    "new_record",
    "next_step",
    "placeholder_pods",
    "plan_node",
    "preview_node",
    "replacement_readiness",
    "result_for",
    "rng_for",
]
