"""SpotVortex gates service.

Applies the safety rules to proposed actions against durable per-pool state; approves or rejects, reporting
every rule's outcome. ``judge`` is the pure core the swarm and the evaluation both run.
"""

from spotvortex.gates.config import GateConfig, GatesSettings
from spotvortex.gates.judge import Judgement, judge
from spotvortex.gates.service import build
from spotvortex.gates.state import PoolState
from spotvortex.runtime.service import ServiceSpec

SPEC = ServiceSpec(name="gates", build=build)
SETTINGS = GatesSettings

__all__ = ["SETTINGS", "SPEC", "GateConfig", "GatesSettings", "Judgement", "PoolState", "judge"]
