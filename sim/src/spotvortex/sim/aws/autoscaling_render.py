"""Auto Scaling groups, instances and activities in the member names of botocore's service model.

Fields the model does not carry are filled with what AWS reports for a group created with defaults
(cooldown 300, EC2 health checks, the ``Default`` termination policy, the service-linked role), so a
client reading them sees a plausible group rather than a missing key.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from .model import AsgGroup, AsgInstance, ScalingActivity
from .xml import XmlValue


def launch_template_id(name: str) -> str:
    """A stable ``lt-`` id per template name, 17 hex digits as AWS's are."""
    return "lt-" + hashlib.sha256(name.encode()).hexdigest()[:17]


def _template(name: str, version: str) -> dict[str, XmlValue]:
    return {"LaunchTemplateId": launch_template_id(name), "LaunchTemplateName": name, "Version": version}


@dataclass(frozen=True)
class AsgRenderer:
    region: str
    account_id: str

    def group_arn(self, name: str) -> str:
        group_id = uuid.uuid5(uuid.NAMESPACE_URL, f"autoscaling/{self.region}/{self.account_id}/{name}")
        return (
            f"arn:aws:autoscaling:{self.region}:{self.account_id}:autoScalingGroup:{group_id}"
            f":autoScalingGroupName/{name}"
        )

    def group(self, group: AsgGroup, *, include_instances: bool = True) -> dict[str, XmlValue]:
        body: dict[str, XmlValue] = {
            "AutoScalingGroupName": group.name,
            "AutoScalingGroupARN": self.group_arn(group.name),
        }
        if group.has_mixed_instances_policy:
            body["MixedInstancesPolicy"] = self._mixed_instances_policy(group)
        elif group.launch_template is not None:
            body["LaunchTemplate"] = _template(group.launch_template, "$Default")
        body |= {
            "MinSize": group.min_size,
            "MaxSize": group.max_size,
            "DesiredCapacity": group.desired_capacity,
            "DefaultCooldown": 300,
            "AvailabilityZones": list(group.availability_zones),
            "LoadBalancerNames": [],
            "TargetGroupARNs": [],
            "HealthCheckType": "EC2",
            "HealthCheckGracePeriod": 300,
            "Instances": [self._group_instance(i) for i in group.instances] if include_instances else None,
            "CreatedTime": group.created_time,
            "SuspendedProcesses": [],
            "EnabledMetrics": [],
            "Tags": [
                {
                    "ResourceId": group.name,
                    "ResourceType": "auto-scaling-group",
                    "Key": key,
                    "Value": group.tags[key],
                    "PropagateAtLaunch": True,
                }
                for key in sorted(group.tags)
            ],
            "TerminationPolicies": ["Default"],
            "NewInstancesProtectedFromScaleIn": False,
            "ServiceLinkedRoleARN": (
                f"arn:aws:iam::{self.account_id}:role/aws-service-role/autoscaling.amazonaws.com/"
                "AWSServiceRoleForAutoScaling"
            ),
            "CapacityRebalance": group.capacity_rebalance,
            "TrafficSources": [],
        }
        return body

    def _mixed_instances_policy(self, group: AsgGroup) -> dict[str, XmlValue]:
        strategy = group.spot_allocation_strategy or "lowest-price"
        distribution: dict[str, XmlValue] = {
            "OnDemandAllocationStrategy": "prioritized",
            "OnDemandBaseCapacity": group.on_demand_base_capacity or 0,
            "OnDemandPercentageAboveBaseCapacity": (
                100
                if group.on_demand_percentage_above_base is None
                else group.on_demand_percentage_above_base
            ),
            "SpotAllocationStrategy": strategy,
            "SpotInstancePools": 2 if strategy == "lowest-price" else None,
        }
        template: dict[str, XmlValue] = {"Overrides": [{"InstanceType": t} for t in group.instance_types]}
        if group.launch_template is not None:
            template = {
                "LaunchTemplateSpecification": _template(group.launch_template, "$Default")
            } | template
        return {"LaunchTemplate": template, "InstancesDistribution": distribution}

    def _group_instance(self, instance: AsgInstance) -> dict[str, XmlValue]:
        return {
            "InstanceId": instance.instance_id,
            "InstanceType": instance.instance_type,
            "AvailabilityZone": instance.zone,
            "LifecycleState": instance.lifecycle_state,
            "HealthStatus": instance.health_status,
            "LaunchTemplate": (
                _template(instance.launch_template, "1") if instance.launch_template is not None else None
            ),
            "ProtectedFromScaleIn": instance.protected_from_scale_in,
        }

    def instance_details(self, instance: AsgInstance) -> dict[str, XmlValue]:
        """DescribeAutoScalingInstances' shape: the group instance plus its group's name.

        AWS spells health here in upper case (``HEALTHY``), unlike the group listing.
        """
        body = self._group_instance(instance)
        body["HealthStatus"] = instance.health_status.upper()
        return {"AutoScalingGroupName": instance.group} | body

    def activity(self, activity: ScalingActivity) -> dict[str, XmlValue]:
        return {
            "ActivityId": activity.activity_id,
            "AutoScalingGroupName": activity.group,
            "AutoScalingGroupARN": self.group_arn(activity.group),
            "Description": activity.description,
            "Cause": activity.cause,
            "StartTime": activity.start_time,
            "EndTime": activity.end_time,
            "StatusCode": activity.status_code,
            "Progress": activity.progress,
            "Details": activity.details,
        }
