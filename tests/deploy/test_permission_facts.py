"""The few facts about services the permissions generator states itself (who holds the lease, which KV
buckets a service uses) agree with the services' code, so the NATS config follows the services."""

from __future__ import annotations

import importlib
import re

import pytest

from spotvortex.contracts import jetstream
from spotvortex.contracts.permissions import LEASE_HOLDERS, SERVICES, state_buckets

from .paths import REPO


@pytest.mark.parametrize("service", SERVICES)
def test_lease_holders_are_the_services_that_need_the_lease(service: str) -> None:
    spec = importlib.import_module(f"spotvortex.{service}").SPEC
    assert spec.needs_lease == (service in LEASE_HOLDERS)


@pytest.mark.parametrize("service", SERVICES)
def test_state_buckets_are_the_ones_the_service_code_opens(service: str) -> None:
    source = "\n".join(p.read_text() for p in (REPO / "services" / service / "src").rglob("*.py"))
    used = {getattr(jetstream, name)("c") for name in re.findall(r"jetstream\.(\w+_bucket)\(", source)}
    used.discard(jetstream.leases_bucket("c"))  # the runner's lease, granted per key to LEASE_HOLDERS
    assert used == set(state_buckets("c").get(service, []))
