"""SpotVortex router service.

Turns approved target shares into provisioner steering (Karpenter NodePool weights, or the capacity-type
requirement of a NodePool that allows both) and drain plans; holds the cluster lease. ``plan_steering`` and
``plan_drain`` are the pure cores the swarm and the evaluation both run.
"""

from spotvortex.router.config import RouterConfig, RouterSettings
from spotvortex.router.planning import plan_drain
from spotvortex.router.service import build
from spotvortex.router.steering import plan_steering
from spotvortex.runtime.service import ServiceSpec

SPEC = ServiceSpec(name="router", build=build, needs_lease=True)
SETTINGS = RouterSettings

__all__ = ["SETTINGS", "SPEC", "RouterConfig", "RouterSettings", "plan_drain", "plan_steering"]
