"""The shipped NATS config, on a real nats-server, lets each service do what it does and nothing else.

Positive: every service connects with its own user through the runtime (settings from ``SPOTVORTEX_NATS__*``),
provisions streams and buckets as a service does at start-up, creates its durables, fetches and acks what the
previous stage published, publishes its own events and dead letters, and uses its KV buckets and lease.
Negative: publishing any event family a user does not own is refused by the server, and nothing is stored.
The expected producers below are written from DESIGN §1, independently of the generator.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from nats.errors import TimeoutError as NatsTimeoutError

from spotvortex.contracts import jetstream, subjects
from spotvortex.contracts.permissions import FEED, OPERATOR, SERVICES
from spotvortex.runtime import kvstore
from spotvortex.runtime.bus import Bus
from spotvortex.runtime.clock import WallClock
from spotvortex.runtime.config import ServiceSettings, load_settings
from spotvortex.runtime.lease import Lease
from spotvortex.runtime.metrics import RuntimeMetrics
from spotvortex.runtime.natsserver import NatsServerProcess
from spotvortex.runtime.provision import ensure_all, ensure_consumer, ensure_stream

from .natsusers import USERS, connect, password, shipped_server

CLUSTER = "local"  # the cluster deploy/nats/auth.conf is rendered for
REGION = "us-east-1"

OWNER = {
    "telemetry": "collector",
    "risk": "inference",
    "action": "inference",
    "approved": "gates",
    "rejected": "gates",
    "steer": "router",
    "drain": "router",
    "drained": "drainer",
}


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[NatsServerProcess]:
    async with shipped_server(tmp_path) as running:
        yield running


async def service_bus(url: str, user: str) -> Bus:
    """A service's connection, configured the way a Deployment configures it (environment variables)."""
    env = {
        "SPOTVORTEX_NATS_URL": url,
        "SPOTVORTEX_NATS__USER": user,
        "SPOTVORTEX_NATS__PASSWORD": password(user),
    }
    settings = load_settings(ServiceSettings, env=env)
    return await Bus.connect(settings.nats, f"spotvortex-{user}-test", RuntimeMetrics(user))


async def fetch_one(bus: Bus, service: str, index: int = 0) -> str:
    """Fetch and ack one message from a service's durable, as the runtime's consumer loop does."""
    spec = jetstream.consumer_specs(CLUSTER, REGION)[service][index]
    pull = await bus.js.pull_subscribe_bind(durable=spec.durable, stream=spec.stream)
    try:
        (msg,) = await pull.fetch(1, timeout=5)
        await msg.ack_sync(timeout=5)
        return msg.subject
    finally:
        await pull.unsubscribe()


async def publish(bus: Bus, subject: str, fact: str) -> None:
    ack = await bus.js.publish(subject, b"{}", timeout=5, headers={"Nats-Msg-Id": fact})
    assert not ack.duplicate


async def test_each_service_can_do_what_it_does(
    server: NatsServerProcess, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="spotvortex.runtime.bus")
    buses = {user: await service_bus(server.url, user) for user in (*SERVICES, FEED)}
    try:
        await ensure_stream(buses[FEED].js, jetstream.market_stream_spec())
        for service in SERVICES:  # what ServiceRunner.start and _start_workers do, in this order
            bus = buses[service]
            await ensure_all(bus.js, jetstream.all_stream_specs(CLUSTER), [], jetstream.kv_specs(CLUSTER))
            for spec in jetstream.consumer_specs(CLUSTER, REGION)[service]:
                await ensure_consumer(bus.js, spec)
            await publish(bus, subjects.dlq(CLUSTER, service), f"dlq-{service}")

        pool = "web"
        await publish(buses[FEED], subjects.market(REGION, "price"), "price-1")
        assert await fetch_one(buses["collector"], "collector") == subjects.market(REGION, "price")
        spec = jetstream.consumer_specs(CLUSTER, REGION)["collector"][0]
        await buses["collector"].js.consumer_info(spec.stream, spec.durable)
        await publish(buses["collector"], subjects.pool(CLUSTER, "telemetry", pool), "telemetry-1")

        assert await fetch_one(buses["inference"], "inference") == subjects.pool(CLUSTER, "telemetry", pool)
        await publish(buses["inference"], subjects.pool(CLUSTER, "risk", pool), "risk-1")
        await publish(buses["inference"], subjects.pool(CLUSTER, "action", pool), "action-1")

        assert await fetch_one(buses["gates"], "gates") == subjects.pool(CLUSTER, "action", pool)
        state = buses["gates"].js
        pool_state = await state.key_value(jetstream.pool_state_bucket(CLUSTER))
        await kvstore.modify(pool_state, pool, dict, lambda old: ({"n": (old or {}).get("n", 0) + 1}, None))
        await kvstore.modify(pool_state, pool, dict, lambda old: ({"n": (old or {}).get("n", 0) + 1}, None))
        assert (await kvstore.read(pool_state, pool, dict))[1] == {"n": 2}
        await publish(buses["gates"], subjects.pool(CLUSTER, "approved", pool), "approved-1")
        await publish(buses["gates"], subjects.pool(CLUSTER, "rejected", pool), "rejected-1")

        assert await fetch_one(buses["router"], "router") == subjects.pool(CLUSTER, "approved", pool)
        await publish(buses["router"], subjects.pool(CLUSTER, "steer", pool), "steer-1")
        await publish(buses["router"], subjects.pool(CLUSTER, "drain", pool), "drain-1")

        assert await fetch_one(buses["drainer"], "drainer") == subjects.pool(CLUSTER, "drain", pool)
        jobs = await buses["drainer"].js.key_value(jetstream.jobs_bucket(CLUSTER))
        await kvstore.write(jobs, "job-1", {"state": "new"}, None)
        await jobs.put("active.job-1", b"1")
        watcher: Any = await jobs.watch("active.>", ignore_deletes=True, meta_only=True)
        seen = await watcher.updates(timeout=5)
        assert seen is not None
        assert seen.key == "active.job-1"
        await watcher.stop()
        await jobs.delete("active.job-1")
        await publish(buses["drainer"], subjects.pool(CLUSTER, "drained", pool), "drained-1")

        assert await fetch_one(buses["gates"], "gates", 1) == subjects.pool(CLUSTER, "drained", pool)
        assert await fetch_one(buses["router"], "router", 1) == subjects.pool(CLUSTER, "drained", pool)

        for holder in ("collector", "router", "drainer"):
            leases = await buses[holder].js.key_value(jetstream.leases_bucket(CLUSTER))
            lease = Lease(
                leases,
                f"{CLUSTER}/{holder}",
                f"{holder}-0",
                ttl_seconds=5,
                clock=WallClock(),
                metrics=RuntimeMetrics(holder),
            )
            assert await lease.try_acquire()
            assert await lease.renew()
            await lease.release()
    finally:
        for bus in buses.values():
            await bus.close()
    violations = [r.getMessage() for r in caplog.records if "permission" in r.getMessage().lower()]
    assert violations == []


def family_subjects() -> dict[str, str]:
    return {family: subjects.pool(CLUSTER, family, "web") for family in OWNER}


@pytest.mark.parametrize("user", USERS)
async def test_a_user_cannot_publish_event_families_it_does_not_own(
    server: NatsServerProcess, user: str
) -> None:
    client = await connect(server.url, user)
    try:
        targets = family_subjects() | {
            "market": subjects.market(REGION, "price"),
            "other-region": subjects.market("eu-west-1", "price"),
            "other-cluster": subjects.pool("elsewhere", "approved", "web"),
            "foreign-dlq": subjects.dlq(CLUSTER, "somebody-else"),
        }
        for subject in targets.values():
            await client.nc.publish(subject, b"{}")
        await client.settle()
        allowed = {subjects.pool(CLUSTER, f, "web") for f, owner in OWNER.items() if owner == user}
        if user in (FEED, OPERATOR):
            allowed.add(subjects.market(REGION, "price"))
        assert set(targets.values()) - client.refused(set(targets.values())) == allowed
    finally:
        await client.nc.close()


async def test_refused_events_are_not_stored(server: NatsServerProcess) -> None:
    """The examples of the issue, end to end: the stream holds nothing a wrong user tried to publish."""
    provisioner = await service_bus(server.url, "gates")
    await ensure_all(provisioner.js, jetstream.all_stream_specs(CLUSTER), [], jetstream.kv_specs(CLUSTER))
    await provisioner.close()
    attempts = [
        ("inference", subjects.pool(CLUSTER, "approved", "x")),
        ("gates", subjects.pool(CLUSTER, "drain", "x")),
        ("drainer", subjects.pool(CLUSTER, "drain", "x")),
        ("collector", subjects.pool(CLUSTER, "action", "x")),
        ("inference", subjects.pool(CLUSTER, "steer", "x")),
    ]
    for user, subject in attempts:
        client = await connect(server.url, user)
        with pytest.raises((NatsTimeoutError, asyncio.TimeoutError)):
            await client.nc.jetstream().publish(subject, b"{}", timeout=0.5)
        await client.settle(0.1)
        assert client.refused({subject}) == {subject}
        await client.nc.close()
    operator = await connect(server.url, OPERATOR)
    js = operator.nc.jetstream()
    for name in (jetstream.decisions_stream(CLUSTER), jetstream.actuation_stream(CLUSTER)):
        assert (await js.stream_info(name)).state.messages == 0
    await operator.nc.close()


async def test_services_cannot_delete_streams_subscribe_to_events_or_touch_others_state(
    server: NatsServerProcess,
) -> None:
    gates = await service_bus(server.url, "gates")
    await ensure_all(gates.js, jetstream.all_stream_specs(CLUSTER), [], jetstream.kv_specs(CLUSTER))
    await gates.close()
    forbidden = {
        "inference": [
            f"$JS.API.STREAM.DELETE.{jetstream.decisions_stream(CLUSTER)}",
            f"$KV.{jetstream.pool_state_bucket(CLUSTER)}.web",
            f"$KV.{jetstream.leases_bucket(CLUSTER)}.local=2Frouter",
        ],
        "gates": [
            f"$JS.API.STREAM.PURGE.{jetstream.decisions_stream(CLUSTER)}",
            f"$KV.{jetstream.jobs_bucket(CLUSTER)}.job-1",
            f"$JS.API.CONSUMER.DELETE.{jetstream.decisions_stream(CLUSTER)}.router",
        ],
        "collector": [
            f"$KV.{jetstream.leases_bucket(CLUSTER)}.local=2Fdrainer",
            f"$JS.API.CONSUMER.MSG.NEXT.{jetstream.actuation_stream(CLUSTER)}.drainer",
        ],
        "router": [f"$KV.{jetstream.pool_state_bucket(CLUSTER)}.web"],
    }
    for user, targets in forbidden.items():
        client = await connect(server.url, user)
        for subject in targets:
            await client.nc.publish(subject, b"{}")
        await client.nc.subscribe(f"spotvortex.{CLUSTER}.>")
        await client.settle()
        assert client.refused(set(targets)) == set(targets), (user, client.errors)
        assert any("subscription" in e.lower() for e in client.errors), (user, client.errors)
        await client.nc.close()


async def test_wrong_password_is_refused(server: NatsServerProcess) -> None:
    env = {
        "SPOTVORTEX_NATS_URL": server.url,
        "SPOTVORTEX_NATS__USER": "gates",
        "SPOTVORTEX_NATS__PASSWORD": "no",
    }
    settings = load_settings(ServiceSettings, env=env)
    from spotvortex.runtime.bus import BusAuthError

    with pytest.raises(BusAuthError):
        await Bus.connect(settings.nats, "wrong", RuntimeMetrics("t"))
