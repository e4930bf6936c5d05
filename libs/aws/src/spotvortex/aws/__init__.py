"""SpotVortex's Auto Scaling groups, shared by the router (steering) and the drainer (replacement first).

The pure parts — the tag settings (:class:`AsgConfig`), the group views and how a pool's twins are found
(:func:`classify`, :func:`instance_id`), and the replacement-first steps as storable values
(:class:`Preparation`, :func:`plan_prepare`, :func:`readiness`, :func:`plan_undo`) — load without aioboto3,
so a service's pure core can store a :class:`Preparation` in its records. The API client is
:class:`spotvortex.aws.autoscaling.AsgApi`, imported from its module by the adapters that call AWS.
"""

from spotvortex.aws.config import AsgConfig, AwsEndpoint
from spotvortex.aws.groups import (
    AsgError,
    AsgGroupView,
    AsgInstanceView,
    PoolGroups,
    classify,
    instance_id,
    parse_group,
    parse_instance,
)
from spotvortex.aws.shift import Preparation, Readiness, plan_prepare, plan_undo, readiness, still_to_raise

__all__ = [
    "AsgConfig",
    "AsgError",
    "AsgGroupView",
    "AsgInstanceView",
    "AwsEndpoint",
    "PoolGroups",
    "Preparation",
    "Readiness",
    "classify",
    "instance_id",
    "parse_group",
    "parse_instance",
    "plan_prepare",
    "plan_undo",
    "readiness",
    "still_to_raise",
]
