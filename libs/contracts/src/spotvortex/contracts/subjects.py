"""Subject builders and parser: the public addressing contract of DESIGN §1.

Market subjects are shared by every cluster in a region; everything else is scoped to one cluster and,
where it concerns a pool, carries the pool name encoded with :func:`~spotvortex.contracts.tokens.encode_token`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

import msgspec

from spotvortex.contracts.tokens import TokenError, decode_token, encode_token, validate_cluster_name

ROOT: Final = "spotvortex"
MARKET: Final = "market"
DLQ: Final = "dlq"


class MarketKind(StrEnum):
    PRICE = "price"
    INTERRUPTION = "interruption"
    REBALANCE = "rebalance"
    CAPACITY = "capacity"


class PoolKind(StrEnum):
    """The per-pool event families, in pipeline order."""

    TELEMETRY = "telemetry"
    RISK = "risk"
    ACTION = "action"
    APPROVED = "approved"
    REJECTED = "rejected"
    STEER = "steer"
    DRAIN = "drain"
    DRAINED = "drained"


class SubjectParts(msgspec.Struct, frozen=True, kw_only=True):
    """A parsed subject. ``scope`` is the region for market subjects and the cluster otherwise."""

    scope: str
    family: str
    kind: str | None = None
    pool: str | None = None
    service: str | None = None


def _region_token(region: str) -> str:
    if not region or any(c in region for c in ".*> \t"):
        raise TokenError(f"region {region!r} must be a single subject token such as 'us-east-1'")
    return region


def market(region: str, kind: MarketKind | str) -> str:
    """``spotvortex.market.<region>.<kind>``."""
    return f"{ROOT}.{MARKET}.{_region_token(region)}.{MarketKind(kind).value}"


def market_all(region: str | None = None) -> str:
    """Wildcard for every market event (of one region, or of all)."""
    return f"{ROOT}.{MARKET}.{_region_token(region)}.>" if region else f"{ROOT}.{MARKET}.>"


def pool(cluster: str, kind: PoolKind | str, pool_name: str) -> str:
    """``spotvortex.<cluster>.<kind>.<encoded pool>``."""
    return f"{ROOT}.{validate_cluster_name(cluster)}.{PoolKind(kind).value}.{encode_token(pool_name)}"


def pool_all(cluster: str, kind: PoolKind | str) -> str:
    """Wildcard for one event family across every pool of a cluster."""
    return f"{ROOT}.{validate_cluster_name(cluster)}.{PoolKind(kind).value}.*"


def dlq(cluster: str, service: str) -> str:
    """``spotvortex.<cluster>.dlq.<service>``."""
    return f"{ROOT}.{validate_cluster_name(cluster)}.{DLQ}.{encode_token(service)}"


def dlq_all(cluster: str) -> str:
    return f"{ROOT}.{validate_cluster_name(cluster)}.{DLQ}.*"


def parse(subject: str) -> SubjectParts:
    """Parse any SpotVortex subject; raises :class:`TokenError` for anything else."""
    parts = subject.split(".")
    if len(parts) != 4 or parts[0] != ROOT:
        raise TokenError(f"{subject!r} is not a SpotVortex subject (spotvortex.<scope>.<family>.<token>)")
    _, scope, family, last = parts
    if scope == MARKET:
        try:
            kind = MarketKind(last).value
        except ValueError:
            allowed = ", ".join(k.value for k in MarketKind)
            raise TokenError(f"unknown market event kind {last!r} (allowed: {allowed})") from None
        return SubjectParts(scope=family, family=MARKET, kind=kind)
    validate_cluster_name(scope)
    if family == DLQ:
        return SubjectParts(scope=scope, family=DLQ, service=decode_token(last))
    try:
        kind = PoolKind(family).value
    except ValueError:
        raise TokenError(f"unknown event family {family!r} in {subject!r}") from None
    return SubjectParts(scope=scope, family=kind, kind=kind, pool=decode_token(last))


def family_of(subject: str) -> str:
    """The event family of a subject (``price``, ``telemetry``, ``dlq`` …), or ``other`` for foreign subjects.

    Bounded by construction, so it is safe as a metric label and span name.
    """
    try:
        parts = parse(subject)
    except (TokenError, ValueError):
        return "other"
    return parts.kind or parts.family
