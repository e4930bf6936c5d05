"""JSON on the wire, strict decoding, and errors that name the offending field.

Decoding is strict about types (a string where a number belongs is an error, never coerced) and tolerant of
unknown fields. Every failure becomes a :class:`ContractError` whose ``field`` is a dotted path
(``nodes.spot``, ``q_values[2]``) or ``None`` when the body is not JSON at all.
"""

from __future__ import annotations

import re
from typing import TypeVar

import msgspec

from spotvortex.contracts.base import SCHEMA_VERSION, Event

E = TypeVar("E", bound=Event)

_AT_PATH = re.compile(r"^(?P<msg>.*?) - at `\$(?P<path>[^`]*)`$", re.DOTALL)
_NAMED = re.compile(r"^field `(?P<name>[^`]+)`: (?P<msg>.*)$", re.DOTALL)
_MISSING = re.compile(r"^Object missing required field `(?P<name>[^`]+)`$")

_encoder = msgspec.json.Encoder()


class ContractError(ValueError):
    """A body that does not satisfy its event contract."""

    def __init__(self, message: str, *, field: str | None, kind: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.kind = kind  # "undecodable" (not JSON) or "invalid" (JSON, wrong shape)

    def __str__(self) -> str:
        return f"field `{self.field}`: {self.message}" if self.field else self.message


def _dotted(path: str) -> str:
    return path.lstrip(".")


def _from_validation(err: msgspec.ValidationError) -> ContractError:
    text = str(err)
    path = ""
    match = _AT_PATH.match(text)
    if match:
        text, path = match.group("msg"), match.group("path")
    missing = _MISSING.match(text)
    if missing:
        field = ".".join(p for p in (_dotted(path), missing.group("name")) if p)
        return ContractError("required field is missing", field=field, kind="invalid")
    named = _NAMED.match(text)
    if named:  # raised by a validator through field_error(); the path is the enclosing object
        field = ".".join(p for p in (_dotted(path), named.group("name")) if p)
        return ContractError(named.group("msg"), field=field, kind="invalid")
    at = _dotted(path)
    if at.endswith("schema_version"):
        text = f"unsupported schema version (this build reads {SCHEMA_VERSION})"
    return ContractError(text, field=at or None, kind="invalid")


def encode(event: Event) -> bytes:
    """Serialise an event to JSON bytes."""
    return _encoder.encode(event)


def decode(data: bytes | str, event_type: type[E]) -> E:
    """Decode JSON bytes into ``event_type``, raising :class:`ContractError` with the bad field named."""
    try:
        return msgspec.json.decode(data, type=event_type, strict=True)
    except msgspec.ValidationError as err:
        raise _from_validation(err) from None
    except msgspec.DecodeError as err:
        raise ContractError(f"body is not valid JSON: {err}", field=None, kind="undecodable") from None


def to_builtins(event: Event) -> object:
    """The event as plain JSON-compatible Python values (for logs and docs)."""
    return msgspec.to_builtins(event)
