"""Opaque ``NextToken`` values that resume after a key, so pages stay right while the world changes.

A token names the last key served and the listing it belongs to; a group added or removed between pages
shifts nothing, and a token replayed against another listing is rejected as AWS rejects a foreign token.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def encode(listing: str, last_key: str) -> str:
    raw = json.dumps([listing, last_key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode(listing: str, token: str) -> str | None:
    """The last key a token names, or ``None`` when it is not a token of ``listing``."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        return None
    if (
        isinstance(decoded, list)
        and len(decoded) == 2
        and decoded[0] == listing
        and isinstance(decoded[1], str)
    ):
        return decoded[1]
    return None


def page(
    items: Sequence[T], key: Callable[[T], str], after: str | None, limit: int
) -> tuple[list[T], str | None]:
    """Up to ``limit`` items with keys above ``after`` (``items`` sorted by key) and the resume key if more."""
    rest = [item for item in items if after is None or key(item) > after]
    chosen = rest[:limit]
    return chosen, (key(chosen[-1]) if len(rest) > limit else None)
