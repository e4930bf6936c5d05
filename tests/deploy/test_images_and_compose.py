"""The Dockerfile builds one slim, non-root image per service from the lock, and docker-compose.yml runs the
local stack from those images and the official NATS image only. No Docker engine is needed: the files are
read, and what each image installs is asked of the lock (``uv export``, offline)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from spotvortex.contracts.nats_auth import password_variable
from spotvortex.contracts.permissions import SERVICES

from .paths import COMPOSE, DOCKERFILE, NATS_DIR, REPO

UV = Path(sys.executable).parent / "uv"
IMAGES = (*SERVICES, "sim")
CLUSTER_WORKERS = {"collector", "router", "drainer"}
AWS_CLIENTS = {"collector", "router", "drainer"}
"""Market data (collector), steering Auto Scaling groups (router), replacement first in twin groups (drainer)."""


def stages() -> dict[str, list[str]]:
    """Stage name → its instructions (continuation lines joined)."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    out: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.match(r"FROM\s+\S+\s+AS\s+(\S+)", line, re.IGNORECASE)
        if match:
            current = match.group(1)
            out[current] = [line]
        elif current:
            out[current].append(line)
    return out


def packages_of(image: str) -> list[str]:
    (sync,) = [i for i in stages()[f"build-{image}"] if i.startswith("RUN uv sync")]
    return re.findall(r"--package (\S+)", sync)


def locked_distributions(packages: list[str]) -> set[str]:
    args = [str(UV), "export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-workspace"]
    for package in packages:
        args += ["--package", package]
    done = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=60, check=True)
    return {line.split("==")[0].strip() for line in done.stdout.splitlines() if "==" in line}


def test_every_image_is_non_root_without_healthcheck_and_runs_its_service() -> None:
    found = stages()
    text = DOCKERFILE.read_text()
    assert "HEALTHCHECK" not in re.sub(r"#.*", "", text)
    assert "USER 10001:10001" in found["runtime"]
    for image in IMAGES:
        final = found[image]
        assert final[0].split()[1] == "runtime", image
        assert f"COPY --from=build-{image} /app/venv /app/venv" in final
        if image != "sim":
            assert final[-1] == f'CMD ["run", "{image}"]'
    assert "UV_NO_DEV=1" in " ".join(found["builder"])
    assert "UV_FROZEN=1" in " ".join(found["builder"])


def test_inference_carries_the_models_its_manifest_lists() -> None:
    import json

    manifest = json.loads((REPO / "models" / "MODEL_MANIFEST.json").read_text())
    (copy,) = [i for i in stages()["inference"] if i.startswith("COPY models/")]
    copied = {Path(p).name for p in copy.split()[1:-1]}
    assert copied == {"MODEL_MANIFEST.json"} | {a["path"] for a in manifest["artifacts"].values()}
    assert "ENV SPOTVORTEX_INFERENCE__MODELS_DIR=/app/models" in stages()["inference"]


@pytest.mark.parametrize("image", SERVICES)
def test_service_images_hold_only_what_their_service_needs(image: str) -> None:
    assert packages_of(image) == ["spotvortex-cli", f"spotvortex-{image}"]
    installed = locked_distributions(packages_of(image))
    assert ("onnxruntime" in installed) == (image == "inference")
    assert ("kubernetes-asyncio" in installed) == (image in CLUSTER_WORKERS)
    assert ("aioboto3" in installed) == (image in AWS_CLIENTS)
    for unwanted in ("torch", "onnx", "pytest", "mypy", "ruff", "testcontainers", "matplotlib", "moto"):
        assert unwanted not in installed, (image, unwanted)


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def test_compose_names_only_project_images_and_the_official_nats_image() -> None:
    targets = set(stages())
    for name, service in compose()["services"].items():
        image = service["image"]
        if name == "nats":
            assert re.fullmatch(r"nats:[0-9][\w.-]*", image), image
            assert "build" not in service
            continue
        repo, _, _tag = image.partition(":")
        assert repo.startswith("spotvortex/"), image
        build = service["build"]
        assert (build["context"], build["dockerfile"]) == (".", "deploy/docker/Dockerfile")
        assert build["target"] in targets
        assert repo == f"spotvortex/{build['target']}"


def test_compose_runs_nats_with_the_shipped_permissions_and_every_password() -> None:
    nats = compose()["services"]["nats"]
    assert "./deploy/nats:/etc/nats:ro" in nats["volumes"]
    assert nats["command"][:2] == ["--config", "/etc/nats/nats-server.conf"]
    assert (NATS_DIR / "nats-server.conf").exists()
    for user in (*SERVICES, "feed", "operator"):
        assert password_variable(user) in nats["environment"]


def test_compose_runs_the_five_services_two_inference_replicas_the_sim_and_feed_with_health() -> None:
    services = compose()["services"]
    runs = {name: s["command"] for name, s in services.items() if s.get("command", [None])[0] == "run"}
    assert sorted(c[1] for c in runs.values()) == sorted([*SERVICES, "inference"])
    assert any("--nats=nats://feed:" in arg for arg in services["sim"]["command"])
    ports = set()
    for name, service in services.items():
        test = service["healthcheck"]["test"]
        assert test[0] == "CMD", name
        for dependency, condition in (service.get("depends_on") or {}).items():
            assert dependency in services, name
            assert condition == {"condition": "service_healthy"}, name
        if name in runs:
            env = service["environment"]
            assert env["SPOTVORTEX_NATS__USER"] == runs[name][1]
            assert "/readyz" in test[-1]
            assert env["SPOTVORTEX_HTTP__PORT"] in test[-1]
            ports.add(env["SPOTVORTEX_HTTP__PORT"])
            assert set(service["depends_on"]) == {"nats", "sim"}
            assert service["read_only"] is True
    assert len(ports) == len(runs)  # they share the sim's network namespace
