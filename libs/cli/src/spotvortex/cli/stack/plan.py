"""Which processes make up the local stack and the environment each one gets (pure, so it is testable).

Every service reads its settings from ``SPOTVORTEX_*`` variables (docs/operations.md); the stack shares one
scaled clock (factor and wall-clock origin) between the simulated cluster and the services, so telemetry
ages, cooldowns and drain deadlines are measured on the world's time line.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime

from spotvortex.contracts.enums import Mode
from spotvortex.runtime.local_env import local_service_env

SERVICES = ("collector", "inference", "gates", "router", "drainer")
PASSED_THROUGH = {"SPOTVORTEX_INFERENCE__MODELS_DIR", "SPOTVORTEX_LOG_LEVEL"}
"""Variables a user may set for the stack's services; every other ``SPOTVORTEX_*`` is the stack's to set."""


@dataclass(frozen=True)
class StackOptions:
    scenario: str
    mode: Mode
    speed: float
    cluster: str
    region: str
    nats_url: str
    origin: datetime
    kube_port: int
    inference_replicas: int = 2
    seed: int | None = None


@dataclass(frozen=True)
class ProcessPlan:
    name: str
    argv: list[str]
    env: dict[str, str]
    health_port: int | None = None


def sim_plan(options: StackOptions, base_env: dict[str, str]) -> ProcessPlan:
    argv = [
        sys.executable, "-m", "spotvortex.cli", "sim",
        "--scenario", options.scenario,
        "--speed", f"{options.speed:g}",
        "--nats", options.nats_url,
        "--origin", options.origin.isoformat(),
        "--kube-port", str(options.kube_port),
    ]  # fmt: skip
    if options.seed is not None:
        argv += ["--seed", str(options.seed)]
    return ProcessPlan(name="sim", argv=argv, env=dict(base_env))


def service_plans(
    options: StackOptions, kube_url: str, ports: list[int], base_env: dict[str, str]
) -> list[ProcessPlan]:
    """One process per service, ``inference_replicas`` for inference, each with its own health port."""
    names = [
        (f"inference-{i + 1}" if service == "inference" else service, service)
        for service in SERVICES
        for i in range(options.inference_replicas if service == "inference" else 1)
    ]
    if len(ports) < len(names):
        raise ValueError(f"need {len(names)} health ports, got {len(ports)}")
    plans = []
    for (instance, service), port in zip(names, ports, strict=False):
        env = {k: v for k, v in base_env.items() if not k.startswith("SPOTVORTEX_") or k in PASSED_THROUGH}
        env.update(
            local_service_env(
                nats_url=options.nats_url,
                cluster=options.cluster,
                region=options.region,
                mode=options.mode,
                instance=instance,
                kube_url=kube_url,
                http_port=port,
                clock_factor=options.speed,
                clock_origin=options.origin,
            )
        )
        plans.append(
            ProcessPlan(
                name=instance,
                argv=[sys.executable, "-m", "spotvortex.cli", "run", service],
                env=env,
                health_port=port,
            )
        )
    return plans
