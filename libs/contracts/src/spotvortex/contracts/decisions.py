"""Decision events: inference's risk and proposed action, the gates' verdict."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from spotvortex.contracts.base import AwareDatetime, Event, Name, Probability, Share, field_error
from spotvortex.contracts.enums import Action, Mode, PolicySource
from spotvortex.contracts.telemetry import PoolFacts


class FeatureContribution(msgspec.Struct, frozen=True, kw_only=True):
    """One input's share of a score, for auditability of the risk model."""

    name: Name
    weight: float


class RiskAssessment(Event, frozen=True, kw_only=True):
    """The risk model's view of a pool: capacity-loss and interruption probabilities and their confidence."""

    cluster: Name
    pool: Name
    telemetry_id: Name
    time: AwareDatetime
    capacity_score: Probability
    runtime_score: Probability
    confidence: Probability
    model_version: Name
    family_supported: bool = True
    top_features: list[FeatureContribution] = []

    def fact_id(self) -> str:
        return f"risk:{self.telemetry_id}:{self.model_version}"


class ProposedAction(Event, frozen=True, kw_only=True):
    """What the policy proposes for a pool, with the reason code and the evidence behind it."""

    cluster: Name
    pool: Name
    decision_id: Name
    telemetry_id: Name
    time: AwareDatetime
    action: Action
    reason: Name
    policy: PolicySource
    confidence: Probability
    capacity_score: Probability
    runtime_score: Probability
    current_spot_ratio: Share
    target_spot_ratio: Share
    model_version: str = ""
    q_values: list[float] | None = None
    shadow_action: Action | None = None
    details: dict[str, float] = {}
    facts: PoolFacts | None = None

    def __post_init__(self) -> None:
        if self.q_values is not None and len(self.q_values) != len(Action):
            raise field_error("q_values", f"must have {len(Action)} entries, one per action")

    def fact_id(self) -> str:
        return f"action:{self.decision_id}"


class RuleOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """One gate rule's result for one proposal."""

    rule: Name
    outcome: Literal["pass", "fail", "override", "skip"]
    detail: str = ""
    value: float | None = None
    limit: float | None = None


class GateVerdict(Event, frozen=True, kw_only=True):
    """The gates' decision on a proposal; published on ``approved`` or ``rejected`` with every rule's outcome.

    ``drain_allowance`` is how many nodes the drain budgets let the router start draining for this decision;
    ``facts`` repeats the snapshot facts the verdict was judged on.
    """

    cluster: Name
    pool: Name
    decision_id: Name
    time: AwareDatetime
    mode: Mode
    approved: bool
    proposed: Action
    action: Action
    current_spot_ratio: Share
    target_spot_ratio: Share
    rules: list[RuleOutcome] = []
    reason: str = ""
    drain_allowance: Annotated[int, msgspec.Meta(ge=0)] = 0
    facts: PoolFacts | None = None
    urgent: bool = False
    """Nodes of the pool have an interruption notice: drain them at once, without waiting for replacement."""

    def fact_id(self) -> str:
        return f"verdict:{self.decision_id}"
