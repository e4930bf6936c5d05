"""JSON Merge Patch (RFC 7386): the ``application/merge-patch+json`` body.

Objects merge key by key, ``null`` deletes, and anything else (lists included) replaces wholesale;
this is what kubectl ``--type merge`` and ``kubectl label`` send.

The result is built by structural sharing: only the maps on a patched path are new, everything else is the
very object found in ``target`` or ``patch``. The store patches immutable stored objects many times per
simulated minute, and copying the whole object each time was most of its cost.
"""

from __future__ import annotations

from typing import Any


def apply_merge_patch(target: Any, patch: Any) -> Any:
    """Return ``target`` with ``patch`` merged in; neither argument is modified.

    The result shares unpatched parts with ``target`` and set values with ``patch``: copy it before
    changing it in place.
    """
    if not isinstance(patch, dict):
        return patch
    result: dict[str, Any] = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply_merge_patch(result.get(key), value)
    return result
