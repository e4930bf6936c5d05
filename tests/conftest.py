"""Shared fixtures: unique cluster names here, real NATS servers in ``tests/nats_harness.py``."""

from __future__ import annotations

import uuid

import pytest

pytest_plugins = ["tests.nats_harness"]


@pytest.fixture
def cluster() -> str:
    """A cluster name no other test uses, so tests can share an external NATS server."""
    return f"t{uuid.uuid4().hex[:10]}"
