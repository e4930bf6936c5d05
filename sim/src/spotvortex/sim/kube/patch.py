"""Choose and apply a patch by its ``Content-Type``, failing with the real server's status codes."""

from __future__ import annotations

import json
from typing import Any

from .errors import ApiError, unsupported_media_type
from .json_patch import JsonPatchApplyError, JsonPatchFormatError, apply_json_patch
from .merge_patch import apply_merge_patch
from .patch_schema import rules_for
from .resources import ResourceType
from .strategic_patch import StrategicPatchError, apply_strategic_merge_patch

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"


def media_type(content_type: str | None) -> str:
    """``application/merge-patch+json; charset=utf-8`` → ``application/merge-patch+json``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def accepted_patch_types(rt: ResourceType) -> list[str]:
    """What a real server lists in its 415 message for this resource."""
    if rt.allows_strategic_merge:
        return [JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, APPLY_PATCH]
    return [JSON_PATCH, MERGE_PATCH, APPLY_PATCH]


def check_patch_type(content_type: str | None, rt: ResourceType) -> str:
    """The media type if this resource accepts it; the server checks this before loading the object."""
    kind = media_type(content_type)
    if kind not in (JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH) or (
        kind == STRATEGIC_PATCH and not rt.allows_strategic_merge
    ):
        raise unsupported_media_type(kind, accepted_patch_types(rt))
    return kind


def apply_patch(
    current: dict[str, Any], content_type: str | None, body: bytes, rt: ResourceType
) -> dict[str, Any]:
    """The object after the patch; raises ``ApiError`` 400/415/422/500 as the server would."""
    kind = check_patch_type(content_type, rt)
    try:
        patch = json.loads(body or b"null")
    except ValueError as exc:
        raise ApiError(400, f"error decoding patch: {exc}") from exc
    if kind == JSON_PATCH:
        try:
            result = apply_json_patch(current, patch)
        except JsonPatchFormatError as exc:
            raise ApiError(400, str(exc)) from exc
        except JsonPatchApplyError as exc:
            raise ApiError(422, str(exc)) from exc
    elif kind == MERGE_PATCH:
        if not isinstance(patch, dict):
            raise ApiError(400, "error decoding patch: merge patch body must be a JSON object")
        result = apply_merge_patch(current, patch)
    else:
        if not isinstance(patch, dict):
            raise ApiError(400, "error decoding patch: strategic merge patch body must be a JSON object")
        try:
            result = apply_strategic_merge_patch(current, patch, rules_for(rt.kind))
        except StrategicPatchError as exc:
            raise ApiError(500, f"Internal error occurred: {exc}") from exc
    if not isinstance(result, dict):
        raise ApiError(422, "the patched document is not a JSON object")
    return result
