"""Typed records in JetStream KV, written only by compare-and-set on the revision that was read.

Replicas of a service share their state through KV (DESIGN §2.5); a write that lost a race raises
:class:`Conflict`, and :func:`modify` re-reads and re-applies the change, so concurrent writers never
overwrite each other's updates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import msgspec
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from spotvortex.contracts.tokens import encode_token
from spotvortex.runtime.errors import TransientError

T = TypeVar("T")
R = TypeVar("R")


class Conflict(TransientError):
    """Another writer changed the record since it was read."""


async def read(kv: KeyValue, key: str, record_type: type[T]) -> tuple[int | None, T | None]:
    """The record's revision (``None`` when absent) and value (``None`` when absent or deleted)."""
    try:
        entry = await kv.get(encode_token(key))
    except KeyNotFoundError:
        return None, None
    if not entry.value:
        return entry.revision, None
    return entry.revision, msgspec.json.decode(entry.value, type=record_type)


async def write(kv: KeyValue, key: str, value: object, revision: int | None) -> int:
    """Store ``value`` if the record is still at ``revision`` (``None``: if it does not exist yet)."""
    payload = msgspec.json.encode(value)
    try:
        if revision is None:
            return await kv.create(encode_token(key), payload)
        return await kv.update(encode_token(key), payload, last=revision)
    except KeyWrongLastSequenceError as err:
        raise Conflict(f"{key} changed since it was read") from err


async def modify(
    kv: KeyValue,
    key: str,
    record_type: type[T],
    change: Callable[[T | None], tuple[T | None, R]],
    *,
    attempts: int = 8,
) -> R:
    """Read, apply ``change`` (returning the new record, or ``None`` to leave it, and a result), write by CAS.

    On a conflict the change is applied again to the fresh record, up to ``attempts`` times.
    """
    for _ in range(attempts):
        revision, current = await read(kv, key, record_type)
        new, result = change(current)
        if new is None:
            return result
        try:
            await write(kv, key, new, revision)
        except Conflict:
            continue
        return result
    raise Conflict(f"{key} kept changing; gave up after {attempts} attempts")
