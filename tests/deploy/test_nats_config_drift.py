"""The shipped NATS users and permissions are what the generator renders from the contracts today, for the
cluster name each file serves (the local stack's, or the overlay's settings.env): they cannot drift apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotvortex.contracts.nats_auth import main, render

from .paths import KUSTOMIZE, NATS_DIR, OVERLAYS
from .rendered import env_file


def cluster_and_region(settings: Path) -> tuple[str, str]:
    values = env_file(settings.read_text())
    return values["SPOTVORTEX_CLUSTER"], values["SPOTVORTEX_REGION"]


SHIPPED = [
    (NATS_DIR / "auth.conf", ("local", "us-east-1")),
    (KUSTOMIZE / "base" / "nats" / "auth.conf", cluster_and_region(KUSTOMIZE / "base" / "settings.env")),
    *(
        (
            KUSTOMIZE / "overlays" / o / "nats-auth.conf",
            cluster_and_region(KUSTOMIZE / "overlays" / o / "settings.env"),
        )
        for o in OVERLAYS
    ),
]


@pytest.mark.parametrize(
    ("path", "scope"), SHIPPED, ids=[str(p.relative_to(KUSTOMIZE.parent)) for p, _ in SHIPPED]
)
def test_shipped_permissions_match_the_generator(path: Path, scope: tuple[str, str]) -> None:
    cluster, region = scope
    assert path.read_text() == render(cluster, region), (
        f"{path} is stale: python -m spotvortex.contracts.nats_auth --cluster {cluster} --region {region} "
        f"--output {path}"
    )


def test_the_command_line_writes_the_same_text(tmp_path: Path) -> None:
    out = tmp_path / "auth.conf"
    assert main(["--cluster", "local", "--region", "us-east-1", "--output", str(out)]) == 0
    assert out.read_text() == (NATS_DIR / "auth.conf").read_text()


def test_compose_stack_runs_the_cluster_the_local_config_is_rendered_for() -> None:
    import yaml

    from .paths import COMPOSE

    compose = yaml.safe_load(COMPOSE.read_text())
    clusters = {
        svc["environment"]["SPOTVORTEX_CLUSTER"]
        for svc in compose["services"].values()
        if "SPOTVORTEX_CLUSTER" in (svc.get("environment") or {})
    }
    assert clusters == {"local"}
