"""Which provisioner path steers a pool, and the settings each path refuses."""

from __future__ import annotations

import msgspec
import pytest

from spotvortex.contracts.enums import Provisioner
from spotvortex.router.config import ExpanderConfig, ProvisionerPath, RouterConfig


def test_karpenter_is_the_default_and_a_pool_can_override_the_global_path() -> None:
    config = RouterConfig(pools={"batch": ProvisionerPath.ASG})
    assert config.path_for("web") is ProvisionerPath.KARPENTER
    assert config.path_for("web", Provisioner.MANAGED_NODEGROUP) is ProvisionerPath.KARPENTER
    assert config.path_for("batch") is ProvisionerPath.ASG


def test_auto_follows_the_autoscaler_the_collector_detected() -> None:
    config = msgspec.convert({"provisioner": "auto", "pools": {"web": "cluster-autoscaler"}}, RouterConfig)
    assert config.path_for("a", Provisioner.CLUSTER_AUTOSCALER) is ProvisionerPath.CLUSTER_AUTOSCALER
    assert config.path_for("a", Provisioner.MANAGED_NODEGROUP) is ProvisionerPath.ASG
    assert config.path_for("a", Provisioner.KARPENTER) is ProvisionerPath.KARPENTER
    assert config.path_for("a") is ProvisionerPath.KARPENTER  # nothing detected
    assert config.path_for("web", Provisioner.KARPENTER) is ProvisionerPath.CLUSTER_AUTOSCALER


@pytest.mark.parametrize(
    ("expander", "message"),
    [
        ({"pattern": ".*web.*"}, "must contain `{group}`"),
        ({"favoured_priority": 10, "other_priority": 10}, "must be above `other_priority`"),
        ({"spot_suffix": "-x", "on_demand_suffix": "-x"}, "must differ"),
    ],
)
def test_expander_settings_that_cannot_steer_are_refused(expander: dict[str, object], message: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=message):
        msgspec.convert(expander, ExpanderConfig)
    with pytest.raises(msgspec.ValidationError, match="provisioner"):
        msgspec.convert({"provisioner": "nodegroups"}, RouterConfig)
