"""SpotVortex event contracts: the only coupling between services (DESIGN §2.3)."""

from spotvortex.contracts.actuation import DrainJob, DrainResult, SteeringChange, SteerOperation
from spotvortex.contracts.base import SCHEMA_VERSION, Event
from spotvortex.contracts.codec import ContractError, decode, encode
from spotvortex.contracts.dead_letter import DeadLetter
from spotvortex.contracts.decisions import (
    FeatureContribution,
    GateVerdict,
    ProposedAction,
    RiskAssessment,
    RuleOutcome,
)
from spotvortex.contracts.enums import Action, CapacityType, Direction, Mode, PolicySource, Provisioner
from spotvortex.contracts.market import MarketCapacity, MarketInterruption, MarketPrice, MarketRebalance
from spotvortex.contracts.telemetry import (
    AvailabilityPoint,
    DisruptionBudget,
    MarketSeries,
    NodeCounts,
    NodePoolInfo,
    PoolFacts,
    PoolSafety,
    PoolTelemetry,
    PricePoint,
    Utilisation,
    WorkloadProfile,
)

__all__ = [
    "SCHEMA_VERSION",
    "Action",
    "AvailabilityPoint",
    "CapacityType",
    "ContractError",
    "DeadLetter",
    "Direction",
    "DisruptionBudget",
    "DrainJob",
    "DrainResult",
    "Event",
    "FeatureContribution",
    "GateVerdict",
    "MarketCapacity",
    "MarketInterruption",
    "MarketPrice",
    "MarketRebalance",
    "MarketSeries",
    "Mode",
    "NodeCounts",
    "NodePoolInfo",
    "PolicySource",
    "PoolFacts",
    "PoolSafety",
    "PoolTelemetry",
    "PricePoint",
    "ProposedAction",
    "Provisioner",
    "RiskAssessment",
    "RuleOutcome",
    "SteerOperation",
    "SteeringChange",
    "Utilisation",
    "WorkloadProfile",
    "decode",
    "encode",
]
