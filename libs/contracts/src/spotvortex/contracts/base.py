"""What every event shares: an explicit schema version, timezone-aware times, bounded numbers.

Events are frozen msgspec Structs. Unknown extra fields are ignored on decode (a newer producer may add
optional fields within a schema version); a different ``schema_version`` is rejected.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

SCHEMA_VERSION: Literal[1] = 1

AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True, description="RFC 3339 time with a zone offset")]
Probability = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
Share = Annotated[float, msgspec.Meta(ge=0.0, le=1.0, description="fraction in [0, 1]")]
NonNegative = Annotated[float, msgspec.Meta(ge=0.0)]
Count = Annotated[int, msgspec.Meta(ge=0)]
Name = Annotated[str, msgspec.Meta(min_length=1)]


def field_error(field: str, message: str) -> ValueError:
    """The error a cross-field validator raises, so decoding reports ``field`` as the culprit."""
    return ValueError(f"field `{field}`: {message}")


class Event(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=False):
    """Base of every wire event."""

    schema_version: Literal[1] = SCHEMA_VERSION

    def fact_id(self) -> str:
        """A stable identity of the fact this event states, used as ``Nats-Msg-Id``.

        Derived from the content (never from the act of publishing), so a retried or replayed publish of the
        same fact is de-duplicated by JetStream.
        """
        raise NotImplementedError
