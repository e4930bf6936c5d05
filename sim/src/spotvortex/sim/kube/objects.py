"""Small helpers for object metadata: timestamps, uids, generated names, name validation."""

from __future__ import annotations

import copy
import random
import re
import uuid
from datetime import UTC, datetime
from typing import Any

# The real server draws generateName suffixes from consonants and digits so names never spell words.
_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_ATOMS = frozenset({str, int, float, bool, type(None)})


def rfc3339(moment: datetime) -> str:
    """Second-precision UTC time as Kubernetes serialises ``metav1.Time``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def wall_now() -> datetime:
    return datetime.now(UTC)


def new_uid() -> str:
    return str(uuid.uuid4())


def generated_name(prefix: str, rng: random.Random) -> str:
    return prefix + "".join(rng.choice(_SUFFIX_ALPHABET) for _ in range(5))


def name_problem(name: str, dns_label: bool) -> str | None:
    """Why ``name`` is not a valid object name, or ``None`` if it is."""
    if dns_label:
        if len(name) > 63 or not _LABEL.match(name):
            return (
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                "and must start and end with an alphanumeric character"
            )
        return None
    if len(name) > 253 or not _SUBDOMAIN.match(name):
        return (
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
            "and must start and end with an alphanumeric character"
        )
    return None


def meta(obj: dict[str, Any]) -> dict[str, Any]:
    """The object's ``metadata`` map, created if missing."""
    m = obj.get("metadata")
    if not isinstance(m, dict):
        m = {}
        obj["metadata"] = m
    return m


def labels_of(obj: dict[str, Any]) -> dict[str, str]:
    return (obj.get("metadata") or {}).get("labels") or {}


def spec_part(obj: dict[str, Any]) -> dict[str, Any]:
    """Everything that counts as desired state: changes here bump ``metadata.generation``."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


def copy_object(value: Any) -> Any:
    """A deep copy of a JSON-shaped value, for handing a stored object to a caller who may change it.

    ``copy.deepcopy`` dominated the store's cost; objects here are dicts, lists and scalars, which this
    copies several times faster. Any other value (a tuple an in-process caller put in) is deep-copied as
    ``copy.deepcopy`` would, so nothing a caller receives is ever shared with the store.
    """
    kind = type(value)
    if kind is dict:
        return {k: v if type(v) in _ATOMS else copy_object(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _ATOMS else copy_object(v) for v in value]
    if kind in _ATOMS:
        return value
    return copy.deepcopy(value)


def with_own_metadata(obj: dict[str, Any]) -> dict[str, Any]:
    """A new top-level map whose ``metadata`` map is new too; every other part is shared with ``obj``.

    Stored objects are never changed in place, so a write only needs fresh copies of the levels it sets
    (the top level and metadata); the rest of the new version shares the old one's unchanged parts.
    """
    out = dict(obj)
    if isinstance(out.get("metadata"), dict):
        out["metadata"] = dict(out["metadata"])
    return out
