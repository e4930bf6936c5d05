"""Decoding market messages: the subject's last token says which event type the body must be.

A subject the collector cannot place, or a body that breaks its contract, raises ``ContractError`` so the
consumer loop dead-letters it with the field named, and the stream moves on.
"""

from __future__ import annotations

from spotvortex.collector.core import MarketEvent
from spotvortex.contracts import subjects
from spotvortex.contracts.codec import ContractError, decode
from spotvortex.contracts.market import MarketCapacity, MarketInterruption, MarketPrice, MarketRebalance
from spotvortex.contracts.subjects import MarketKind
from spotvortex.contracts.tokens import TokenError

TYPES: dict[str, type[MarketEvent]] = {
    MarketKind.PRICE.value: MarketPrice,
    MarketKind.INTERRUPTION.value: MarketInterruption,
    MarketKind.REBALANCE.value: MarketRebalance,
    MarketKind.CAPACITY.value: MarketCapacity,
}


def decode_market(subject: str, data: bytes) -> MarketEvent:
    try:
        parts = subjects.parse(subject)
    except TokenError as err:
        raise ContractError(str(err), field=None, kind="invalid") from None
    event_type = TYPES.get(parts.kind or "") if parts.family == subjects.MARKET else None
    if event_type is None:
        raise ContractError(f"{subject!r} is not a market subject", field=None, kind="invalid")
    return decode(data, event_type)


def kind_of(event: MarketEvent) -> str:
    return next(kind for kind, t in TYPES.items() if isinstance(event, t))
