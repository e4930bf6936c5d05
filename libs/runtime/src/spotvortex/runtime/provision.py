"""Idempotent provisioning of streams, consumers and KV buckets from the contract definitions.

Every service provisions what it uses at start-up, so replicas race; each step tolerates an object another
replica has just created, and updates an existing object whose definition changed.
"""

from __future__ import annotations

import logging

import msgspec
from nats.js import JetStreamContext, api
from nats.js.errors import BadRequestError, BucketNotFoundError, NotFoundError
from nats.js.kv import KeyValue

from spotvortex.contracts.jetstream import ConsumerSpec, KVSpec, StreamSpec

log = logging.getLogger("spotvortex.runtime.provision")


def stream_config(spec: StreamSpec) -> api.StreamConfig:
    return api.StreamConfig(
        name=spec.name,
        description=spec.description,
        subjects=list(spec.subjects),
        retention=api.RetentionPolicy.LIMITS,
        max_age=spec.max_age_seconds,
        max_msgs_per_subject=spec.max_msgs_per_subject,
        storage=api.StorageType.FILE if spec.storage == "file" else api.StorageType.MEMORY,
        num_replicas=spec.replicas,
        duplicate_window=spec.duplicate_window_seconds,
    )


def consumer_config(spec: ConsumerSpec) -> api.ConsumerConfig:
    backoff = list(spec.backoff_seconds[: spec.max_deliver]) or None
    return api.ConsumerConfig(
        durable_name=spec.durable,
        description=spec.description,
        ack_policy=api.AckPolicy.EXPLICIT,
        deliver_policy=api.DeliverPolicy.ALL,
        ack_wait=spec.ack_wait_seconds,
        max_deliver=spec.max_deliver,
        backoff=backoff,
        filter_subjects=list(spec.filter_subjects),
        max_ack_pending=spec.max_ack_pending,
    )


async def ensure_stream(js: JetStreamContext, spec: StreamSpec) -> None:
    config = stream_config(spec)
    try:
        await js.stream_info(spec.name)
    except NotFoundError:
        try:
            await js.add_stream(config)
            log.info("created stream %s", spec.name)
            return
        except BadRequestError as err:
            if err.err_code != 10058:  # stream name already in use: another replica won the race
                raise
    await js.update_stream(config)


async def ensure_consumer(js: JetStreamContext, spec: ConsumerSpec) -> None:
    """Create or update a durable consumer (the server's create call is create-or-update)."""
    await js.add_consumer(spec.stream, consumer_config(spec))


async def ensure_kv(js: JetStreamContext, spec: KVSpec) -> KeyValue:
    try:
        return await js.key_value(spec.bucket)
    except BucketNotFoundError:
        pass
    try:
        return await js.create_key_value(
            api.KeyValueConfig(
                bucket=spec.bucket,
                description=spec.description,
                history=spec.history,
                ttl=spec.ttl_seconds,
                replicas=spec.replicas,
            )
        )
    except BadRequestError as err:
        if err.err_code != 10058:
            raise
        return await js.key_value(spec.bucket)


def with_replicas(
    streams: list[StreamSpec], buckets: list[KVSpec], replicas: int
) -> tuple[list[StreamSpec], list[KVSpec]]:
    """The same streams and buckets, each kept in ``replicas`` copies."""
    return (
        [msgspec.structs.replace(s, replicas=replicas) for s in streams],
        [msgspec.structs.replace(b, replicas=replicas) for b in buckets],
    )


async def ensure_all(
    js: JetStreamContext, streams: list[StreamSpec], consumers: list[ConsumerSpec], buckets: list[KVSpec]
) -> dict[str, KeyValue]:
    for stream in streams:
        await ensure_stream(js, stream)
    for consumer in consumers:
        await ensure_consumer(js, consumer)
    return {bucket.bucket: await ensure_kv(js, bucket) for bucket in buckets}
