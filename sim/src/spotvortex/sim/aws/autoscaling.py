"""The Auto Scaling actions the router uses, from Query parameters to result trees.

Reads select and page a fresh backend snapshot; writes are checked against that snapshot with AWS's rules
before the backend sees them. Parameters the backend cannot honour are refused rather than dropped, so a
caller never believes the emulator applied a setting it ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from . import autoscaling_rules as rules
from . import paging
from .autoscaling_filters import GroupFilter, select_groups
from .autoscaling_render import AsgRenderer
from .model import AutoScalingBackend, AwsError
from .query import Params, boolean, integer, member_list, structure_list
from .xml import XmlValue

NAMESPACE = "http://autoscaling.amazonaws.com/doc/2011-01-01/"
VERSION = "2011-01-01"

Result = Mapping[str, XmlValue] | None

_DISTRIBUTION = "MixedInstancesPolicy.InstancesDistribution."
_UPDATE_PARAMS = frozenset(
    {
        "Action",
        "Version",
        "AutoScalingGroupName",
        "MinSize",
        "MaxSize",
        "DesiredCapacity",
        _DISTRIBUTION + "OnDemandBaseCapacity",
        _DISTRIBUTION + "OnDemandPercentageAboveBaseCapacity",
    }
)


def _required(params: Params, name: str) -> str:
    value = params.get(name)
    if value is None:
        raise AwsError(
            "ValidationError",
            f"1 validation error detected: Value null at '{name}' failed to satisfy "
            "constraint: Member must not be null",
        )
    return value


def _required_int(params: Params, name: str) -> int:
    _required(params, name)
    value = integer(params, name, minimum=0)
    assert value is not None
    return value


def _invalid_token(token: str) -> AwsError:
    return AwsError("InvalidNextToken", f"The token '{token}' is invalid.")


class AutoScalingApi:
    def __init__(self, backend: AutoScalingBackend, region: str, account_id: str) -> None:
        self._backend = backend
        self._render = AsgRenderer(region, account_id)
        self._actions: dict[str, Callable[[Params], Result]] = {
            "DescribeAutoScalingGroups": self._describe_groups,
            "DescribeAutoScalingInstances": self._describe_instances,
            "SetDesiredCapacity": self._set_desired_capacity,
            "UpdateAutoScalingGroup": self._update_group,
            "TerminateInstanceInAutoScalingGroup": self._terminate_instance,
        }

    def call(self, action: str, params: Params) -> Result:
        handler = self._actions.get(action)
        if handler is None:
            raise AwsError("InvalidAction", f"Could not find operation {action} for version {VERSION}")
        return handler(params)

    def _describe_groups(self, params: Params) -> Result:
        filters = [
            GroupFilter(f.get("Name", ""), tuple(member_list(f, "Values")))
            for f in structure_list(params, "Filters.member")
        ]
        groups = select_groups(self._backend.groups(), member_list(params, "AutoScalingGroupNames"), filters)
        limit = integer(params, "MaxRecords", minimum=1, maximum=100) or 50
        after = self._resume(params, "groups")
        chosen, last = paging.page(groups, lambda g: g.name, after, limit)
        include = boolean(params, "IncludeInstances") is not False
        return {
            "AutoScalingGroups": [self._render.group(g, include_instances=include) for g in chosen],
            "NextToken": paging.encode("groups", last) if last is not None else None,
        }

    def _describe_instances(self, params: Params) -> Result:
        wanted = set(member_list(params, "InstanceIds"))
        instances = sorted(
            (i for g in self._backend.groups() for i in g.instances if not wanted or i.instance_id in wanted),
            key=lambda i: i.instance_id,
        )
        limit = integer(params, "MaxRecords", minimum=1, maximum=50) or 50
        chosen, last = paging.page(
            instances, lambda i: i.instance_id, self._resume(params, "instances"), limit
        )
        return {
            "AutoScalingInstances": [self._render.instance_details(i) for i in chosen],
            "NextToken": paging.encode("instances", last) if last is not None else None,
        }

    def _set_desired_capacity(self, params: Params) -> Result:
        name = _required(params, "AutoScalingGroupName")
        desired = _required_int(params, "DesiredCapacity")
        rules.check_desired(rules.find_group(self._backend.groups(), name), desired)
        self._backend.set_desired_capacity(name, desired)
        return None

    def _update_group(self, params: Params) -> Result:
        name = _required(params, "AutoScalingGroupName")
        unsupported = sorted(set(params) - _UPDATE_PARAMS)
        if unsupported:
            raise AwsError(
                "ValidationError",
                f"UpdateAutoScalingGroup parameter(s) {', '.join(unsupported)} are not supported by the "
                "SpotVortex AWS emulator.",
            )
        min_size = integer(params, "MinSize", minimum=0)
        max_size = integer(params, "MaxSize", minimum=0)
        desired = integer(params, "DesiredCapacity", minimum=0)
        base = integer(params, _DISTRIBUTION + "OnDemandBaseCapacity", minimum=0)
        percentage = integer(
            params, _DISTRIBUTION + "OnDemandPercentageAboveBaseCapacity", minimum=0, maximum=100
        )
        group = rules.find_group(self._backend.groups(), name)
        self._backend.update_group(
            name,
            min_size=min_size,
            max_size=max_size,
            desired=rules.resolve_update(group, min_size, max_size, desired),
            on_demand_base=base,
            on_demand_percentage=percentage,
        )
        return None

    def _terminate_instance(self, params: Params) -> Result:
        instance_id = _required(params, "InstanceId")
        _required(params, "ShouldDecrementDesiredCapacity")
        decrement = boolean(params, "ShouldDecrementDesiredCapacity") is True
        group, _ = rules.find_instance(self._backend.groups(), instance_id)
        rules.check_terminate(group, decrement)
        activity = self._backend.terminate_instance(instance_id, decrement)
        return {"Activity": self._render.activity(activity)}

    @staticmethod
    def _resume(params: Params, listing: str) -> str | None:
        token = params.get("NextToken")
        if token is None or token == "":
            return None
        after = paging.decode(listing, token)
        if after is None:
            raise _invalid_token(token)
        return after
