"""Where the deployment files live, for every test in this folder."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
NATS_DIR = DEPLOY / "nats"
KUSTOMIZE = DEPLOY / "kustomize"
OVERLAYS = ("local-sim", "karpenter-shadow", "karpenter-enforce", "asg-enforce")
COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
