"""Dead letters: a message that could not be decoded or handled, kept whole with the reason."""

from __future__ import annotations

from typing import Literal

from spotvortex.contracts.base import AwareDatetime, Count, Event, Name

DeadLetterReason = Literal["undecodable", "invalid", "rejected", "max-deliver"]


class DeadLetter(Event, frozen=True, kw_only=True):
    """Published on ``spotvortex.<cluster>.dlq.<service>``; ``payload`` is the raw bytes (base64 in JSON)."""

    cluster: Name
    service: Name
    time: AwareDatetime
    subject: Name
    reason: DeadLetterReason
    error: str
    field: str | None = None
    payload: bytes = b""
    headers: dict[str, str] = {}
    stream: str | None = None
    stream_sequence: Count | None = None
    num_delivered: Count = 1

    def fact_id(self) -> str:
        origin = (
            f"{self.stream}:{self.stream_sequence}"
            if self.stream_sequence is not None
            else self.time.isoformat()
        )
        return f"dlq:{self.service}:{origin}"
