"""The ``SPOTVORTEX_*`` environment of a service run beside a local cluster: one definition for the local
stack's processes, the evaluation's ``--via-bus`` swarm and the end-to-end tests, so all three configure
the services exactly alike (and as docs/operations.md describes)."""

from __future__ import annotations

from datetime import datetime

from spotvortex.contracts.enums import Mode


def local_service_env(
    *,
    nats_url: str,
    cluster: str,
    region: str,
    mode: Mode,
    instance: str,
    kube_url: str,
    http_port: int = 0,
    clock_factor: float | None = None,
    clock_origin: datetime | None = None,
) -> dict[str, str]:
    """Health endpoints on 127.0.0.1; with ``clock_factor``, a scaled clock (from ``clock_origin`` if given)."""
    env = {
        "SPOTVORTEX_NATS_URL": nats_url,
        "SPOTVORTEX_CLUSTER": cluster,
        "SPOTVORTEX_REGION": region,
        "SPOTVORTEX_MODE": mode.value,
        "SPOTVORTEX_INSTANCE": instance,
        "SPOTVORTEX_HTTP__HOST": "127.0.0.1",
        "SPOTVORTEX_HTTP__PORT": str(http_port),
        "SPOTVORTEX_KUBE__URL": kube_url,
    }
    if clock_factor is not None:
        env["SPOTVORTEX_CLOCK__KIND"] = "scaled"
        env["SPOTVORTEX_CLOCK__FACTOR"] = f"{clock_factor:g}"
        if clock_origin is not None:
            env["SPOTVORTEX_CLOCK__ORIGIN"] = clock_origin.isoformat()
    return env
