"""SpotVortex router service.

Turns approved target shares into provisioner steering and drain plans; holds the cluster lease. Three paths,
chosen per pool: Karpenter (NodePool weights, or the capacity-type requirement of a NodePool that allows
both), Cluster Autoscaler (the priority expander ConfigMap) and Auto Scaling groups (a mixed group's
on-demand percentage; twin groups shift replacement-first). ``plan_steering``, ``plan_expander``,
``plan_mix`` and ``plan_drain`` are the pure cores the swarm and the evaluation both run; finding a pool's
Auto Scaling groups and the replacement-first shift between twins are shared with the drainer in
:mod:`spotvortex.aws`.
"""

from spotvortex.router.asg import plan_mix
from spotvortex.router.asg_api import AsgSteering
from spotvortex.router.config import ProvisionerPath, RouterConfig, RouterSettings
from spotvortex.router.expander import plan_expander
from spotvortex.router.planning import plan_drain
from spotvortex.router.service import build
from spotvortex.router.steering import plan_steering
from spotvortex.runtime.service import ServiceSpec

SPEC = ServiceSpec(name="router", build=build, needs_lease=True)
SETTINGS = RouterSettings

__all__ = [
    "SETTINGS",
    "SPEC",
    "AsgSteering",
    "ProvisionerPath",
    "RouterConfig",
    "RouterSettings",
    "plan_drain",
    "plan_expander",
    "plan_mix",
    "plan_steering",
]
