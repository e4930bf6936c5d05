from __future__ import annotations

import asyncio
import io
import json
import logging

import nats
from tests.runtime.support import consumer

from spotvortex.contracts import jetstream
from spotvortex.runtime.logs import configure_logging
from spotvortex.runtime.provision import ensure_all, ensure_consumer, with_replicas


def test_logs_are_json_lines_with_context() -> None:
    stream = io.StringIO()
    log = configure_logging("gates", "info", stream)
    log.info("approved %s", "INCREASE_10", extra={"cluster": "prod", "pool": "general", "decision_id": "d-1"})
    log.debug("not shown at info")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("failed")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 2
    first = lines[0]
    assert first["message"] == "approved INCREASE_10"
    assert (first["service"], first["level"], first["cluster"], first["pool"], first["decision_id"]) == (
        "gates", "info", "prod", "general", "d-1",
    )  # fmt: skip
    assert "RuntimeError: boom" in lines[1]["error"]
    logging.getLogger("spotvortex").handlers.clear()


async def test_provisioning_is_idempotent_and_survives_a_race(nats_url: str, cluster: str) -> None:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        streams, buckets = jetstream.all_stream_specs(cluster), jetstream.kv_specs(cluster)
        spec = consumer(cluster, "action", "racer")
        # several replicas starting at once
        await asyncio.gather(*(ensure_all(js, streams, [spec], buckets) for _ in range(4)))
        await ensure_all(js, streams, [spec], buckets)
        for s in streams:
            info = await js.stream_info(s.name)
            assert info.config.subjects == s.subjects
            assert info.config.duplicate_window == s.duplicate_window_seconds
        for b in buckets:
            assert (await (await js.key_value(b.bucket)).status()).history == b.history
        changed = consumer(cluster, "action", "racer", max_deliver=7, backoff_seconds=[0.5])
        await ensure_consumer(js, changed)
        info = await js.consumer_info(spec.stream, "racer")
        assert info.config.max_deliver == 7
    finally:
        await nc.close()


def test_streams_and_buckets_are_provisioned_with_the_configured_replicas() -> None:
    streams, buckets = with_replicas(jetstream.all_stream_specs("prod"), jetstream.kv_specs("prod"), 3)
    assert {s.replicas for s in streams} == {3}
    assert {b.replicas for b in buckets} == {3}
    assert [s.name for s in streams] == [s.name for s in jetstream.all_stream_specs("prod")]
