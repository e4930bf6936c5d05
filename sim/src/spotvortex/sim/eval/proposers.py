"""What proposes moves, per policy: the services' inference core, or a fixed target share.

Every proposer turns the collector's snapshots into ``ProposedAction``s; the gates, router and drainer cores
then treat them exactly alike, so policies differ only in what they propose.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Literal

from spotvortex.contracts import Action, PolicySource, PoolTelemetry, ProposedAction
from spotvortex.inference import Models, decide_batch, load_models
from spotvortex.inference.config import RuntimeConfig
from spotvortex.inference.manifest import RL, ArtifactEntry, VerifiedModel
from spotvortex.inference.rl import QModel


@dataclass(frozen=True)
class Plan:
    """A cycle's proposals, and the pools whose rules asked to freeze spot (steer to on-demand, drain none)."""

    actions: list[ProposedAction]
    freeze: tuple[str, ...] = ()


Proposer = Callable[[Sequence[PoolTelemetry], datetime], Plan]


def rl_model_file(path: str | Path) -> QModel:
    """A q-model straight from an ONNX file (a candidate from training, not listed in a manifest): its bytes are
    hashed here and the version names the file and its SHA-256; ``QModel`` checks its inputs, outputs and
    rl state spec as for a shipped one."""
    path = Path(path)
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    entry = ArtifactEntry(
        path=path.name, sha256=sha, role=RL, version=f"{path.stem}+sha256:{sha[:12]}", kind="file"
    )
    return QModel(VerifiedModel(name=path.name, entry=entry, data=data, external={}))


def policy_models(
    models_dir: str | Path | None = None, rl_model: str | Path | None = None, *, require_rl: bool = False
) -> Models:
    """The verified models of ``models_dir`` (default: the repository's ``models/``), with the q-model replaced
    by the ONNX file ``rl_model`` when one is given."""
    models = load_models(models_dir, require_rl=require_rl and rl_model is None)
    return models if rl_model is None else replace(models, rl=rl_model_file(rl_model))


def spotvortex(
    policy_mode: Literal["deterministic", "rl"] = "deterministic", *, models: Models | None = None
) -> Proposer:
    """The inference service's decision code (risk model + policy), as the swarm runs it; ``models`` defaults
    to the repository's verified models (see :func:`policy_models` for others)."""
    models = models or policy_models(require_rl=policy_mode == "rl")
    config = RuntimeConfig(policy_mode=policy_mode)

    def propose(snapshots: Sequence[PoolTelemetry], now: datetime) -> Plan:
        return Plan([outcome.action for outcome in decide_batch(snapshots, now, config, models)])

    return propose


def static_share(target: float) -> Proposer:
    """Hold every pool at a fixed spot share: step toward it by one node whenever it is off by more."""

    def propose(snapshots: Sequence[PoolTelemetry], now: datetime) -> Plan:
        out = []
        for t in snapshots:
            total = t.nodes.total
            if total == 0:
                continue
            gap = target - t.current_spot_ratio
            if abs(gap) * total < 1.0 - 1e-9:
                continue
            action = Action.INCREASE_10 if gap > 0 else Action.DECREASE_10
            decision = "static-" + hashlib.sha256(f"{t.telemetry_id}".encode()).hexdigest()[:20]
            out.append(
                ProposedAction(
                    cluster=t.cluster,
                    pool=t.pool,
                    decision_id=decision,
                    telemetry_id=t.telemetry_id,
                    time=now,
                    action=action,
                    reason=f"static_{target:g}",
                    policy=PolicySource.DETERMINISTIC,
                    confidence=1.0,
                    capacity_score=0.0,
                    runtime_score=0.0,
                    current_spot_ratio=t.current_spot_ratio,
                    target_spot_ratio=target,
                    facts=t.facts,
                )
            )
        return Plan(out)

    return propose
