"""JSON Merge Patch (RFC 7386): the ``application/merge-patch+json`` body.

Objects merge key by key, ``null`` deletes, and anything else (lists included) replaces wholesale;
this is what kubectl ``--type merge`` and ``kubectl label`` send.
"""

from __future__ import annotations

import copy
from typing import Any


def apply_merge_patch(target: Any, patch: Any) -> Any:
    """Return ``target`` with ``patch`` merged in; neither argument is modified."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result: dict[str, Any] = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply_merge_patch(result.get(key), value)
    return result
