"""JSON Patch (RFC 6902): the ``application/json-patch+json`` body, implemented from the RFC.

The server distinguishes a body that is not a patch at all (400, e.g. a dict sent with this content type,
which is what ``CustomObjectsApi.patch_*`` does by default) from a well-formed patch that cannot apply
(422), so the two failures are separate exception types.
"""

from __future__ import annotations

import copy
from typing import Any


class JsonPatchFormatError(ValueError):
    """The body is not a list of operations (the server answers 400)."""


class JsonPatchApplyError(ValueError):
    """An operation failed: missing path, bad index, failed ``test`` (the server answers 422)."""


_OPS = ("add", "remove", "replace", "move", "copy", "test")


def parse_pointer(pointer: str) -> list[str]:
    """Split an RFC 6901 pointer into unescaped tokens (``~1`` is ``/``, ``~0`` is ``~``)."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise JsonPatchApplyError(f"invalid JSON pointer {pointer!r}: must start with '/'")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _index(token: str, size: int, allow_end: bool) -> int:
    if token == "-" and allow_end:
        return size
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        raise JsonPatchApplyError(f"invalid array index {token!r}")
    idx = int(token)
    limit = size if allow_end else size - 1
    if idx > limit:
        raise JsonPatchApplyError(f"array index {idx} out of bounds")
    return idx


def _walk(doc: Any, tokens: list[str]) -> Any:
    node = doc
    for token in tokens:
        if isinstance(node, dict):
            if token not in node:
                raise JsonPatchApplyError(f"path component {token!r} does not exist")
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(token, len(node), allow_end=False)]
        else:
            raise JsonPatchApplyError(f"cannot traverse into a scalar at {token!r}")
    return node


def _get(doc: Any, pointer: str) -> Any:
    return _walk(doc, parse_pointer(pointer))


def _add(doc: Any, pointer: str, value: Any) -> Any:
    tokens = parse_pointer(pointer)
    if not tokens:
        return value
    parent = _walk(doc, tokens[:-1])
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(last, len(parent), allow_end=True), value)
    else:
        raise JsonPatchApplyError(f"cannot add to a scalar at {pointer!r}")
    return doc


def _remove(doc: Any, pointer: str) -> tuple[Any, Any]:
    tokens = parse_pointer(pointer)
    if not tokens:
        raise JsonPatchApplyError("cannot remove the whole document")
    parent = _walk(doc, tokens[:-1])
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise JsonPatchApplyError(f"cannot remove missing key {pointer!r}")
        return doc, parent.pop(last)
    if isinstance(parent, list):
        return doc, parent.pop(_index(last, len(parent), allow_end=False))
    raise JsonPatchApplyError(f"cannot remove from a scalar at {pointer!r}")


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: unlike Python's ``==``, ``true`` is not ``1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(type(a) is type(b) or (isinstance(a, int | float) and isinstance(b, int | float))) and a == b


def validate_operations(ops: Any) -> list[dict[str, Any]]:
    """Check the body's shape before touching the document."""
    if not isinstance(ops, list):
        kind = "object" if isinstance(ops, dict) else type(ops).__name__
        raise JsonPatchFormatError(f"json: cannot unmarshal {kind} into Go value of type jsonpatch.Patch")
    for op in ops:
        if not isinstance(op, dict):
            raise JsonPatchFormatError(
                "json: cannot unmarshal non-object into Go value of type jsonpatch.Operation"
            )
    return ops


def _apply_one(doc: Any, op: dict[str, Any]) -> Any:
    name = op.get("op")
    if name not in _OPS:
        raise JsonPatchApplyError(f"Unexpected kind: {name}")
    if "path" not in op:
        raise JsonPatchApplyError(f"operation {name!r} is missing 'path'")
    path = str(op["path"])
    if name in ("add", "replace", "test") and "value" not in op:
        raise JsonPatchApplyError(f"operation {name!r} is missing 'value'")
    if name == "add":
        return _add(doc, path, copy.deepcopy(op["value"]))
    if name == "remove":
        return _remove(doc, path)[0]
    if name == "replace":
        doc, _ = _remove(doc, path) if parse_pointer(path) else (doc, None)
        return _add(doc, path, copy.deepcopy(op["value"]))
    if name == "test":
        if not json_equal(_get(doc, path), op["value"]):
            raise JsonPatchApplyError(f"testing value {path} failed: test failed")
        return doc
    if "from" not in op:
        raise JsonPatchApplyError(f"operation {name!r} is missing 'from'")
    source = str(op["from"])
    if name == "copy":
        return _add(doc, path, copy.deepcopy(_get(doc, source)))
    if path.startswith(source + "/"):
        raise JsonPatchApplyError(f"cannot move {source!r} into its own child {path!r}")
    doc, value = _remove(doc, source)
    return _add(doc, path, value)


def apply_json_patch(doc: Any, ops: Any) -> Any:
    """Apply every operation in order to a copy of ``doc``; any failure leaves no partial result."""
    result = copy.deepcopy(doc)
    for op in validate_operations(ops):
        result = _apply_one(result, op)
    return result
