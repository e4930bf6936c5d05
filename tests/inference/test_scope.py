"""Family scope tokens (upstream-spec §8.4) and where the scope comes from."""

from __future__ import annotations

import pytest

from spotvortex.contracts import Action, PolicySource
from spotvortex.inference import RuntimeConfig, decide, load_models
from spotvortex.inference.scope import FamilyScope, family_of

from .builders import NOW, series, telemetry


@pytest.mark.parametrize(
    ("token", "instance_type", "supported"),
    [
        ("m5", "m5.large", True),
        ("m5", "M5.XLarge", True),
        ("m5", "m5a.large", False),
        ("m5.*", "m5.large", True),
        ("m5.*", "m5a.large", False),
        ("m5*", "m5a.large", True),
        ("m5*", "m5.large", True),
        ("m5*", "m6i.large", False),
        ("m5.large", "m5.large", True),
        ("m5.large", "m5.xlarge", False),
        ("c7i-flex", "c7i-flex.large", True),
        ("c7i-flex", "c7i.large", False),
    ],
)
def test_tokens(token: str, instance_type: str, supported: bool) -> None:
    assert FamilyScope.of([token]).supports(instance_type) is supported


def test_empty_scope_supports_everything_and_restricted_scope_rejects_unknown() -> None:
    assert FamilyScope.of([]).supports("x2iedn.metal")
    assert FamilyScope.of([]).supports(None)
    restricted = FamilyScope.of(["m5"])
    assert not restricted.supports(None)
    assert not restricted.supports("")
    assert not restricted.supports("unknown")
    assert restricted.unsupported_families(["m5.large", "p4d.24xlarge", None]) == ("p4d", "unknown")
    assert family_of("R6I.Large") == "r6i"


def test_the_manifest_scope_and_its_override() -> None:
    shipped = load_models()
    assert shipped.scope.supports("m6i.large")
    assert not shipped.scope.supports("p4d.24xlarge")
    gpu = telemetry(
        instance_types=["p4d.24xlarge"],
        dominant_instance_type="p4d.24xlarge",
        market=[series("p4d.24xlarge", od=32.77, spot=9.8)],
    )
    _, fallback = decide(gpu, NOW, RuntimeConfig(), shipped)
    assert (fallback.action, fallback.policy) == (Action.EMERGENCY_EXIT, PolicySource.FALLBACK)
    assert fallback.details == {"unsupported_family_p4d": 1.0}
    widened = load_models(supported_instance_families=["p4d", "m5"])
    _, decided = decide(gpu, NOW, RuntimeConfig(), widened)
    assert decided.policy is PolicySource.DETERMINISTIC
    anything = load_models(supported_instance_families=[])
    assert anything.scope.unrestricted


def test_a_pool_with_no_known_type_is_unsupported_under_a_restricted_scope() -> None:
    anonymous = telemetry(instance_types=[], dominant_instance_type=None)
    _, action = decide(anonymous, NOW, RuntimeConfig(), load_models())
    assert (action.action, action.reason) == (Action.EMERGENCY_EXIT, "unsupported_instance_family")
    _, action = decide(anonymous, NOW, RuntimeConfig(), load_models(supported_instance_families=[]))
    assert action.policy is PolicySource.DETERMINISTIC
