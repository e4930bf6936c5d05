"""API errors shaped like the real API server's ``Status`` objects.

Clients branch on ``code`` and ``reason`` (``kubernetes_asyncio`` raises ``ApiException(status=code)``,
kubectl's ``apierrors.IsConflict`` reads ``reason``), so every failure the emulator produces is an
``ApiError`` that renders to exactly the ``Status`` body a real cluster would send.
"""

from __future__ import annotations

from typing import Any

_REASONS: dict[int, str] = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


def reason_for(code: int) -> str:
    """The ``Status.reason`` a real server pairs with an HTTP code (``Unknown`` if it has none)."""
    return _REASONS.get(code, "Unknown")


class ApiError(Exception):
    """A request the API server refuses; ``status()`` is the body it answers with."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or reason_for(code)
        self.details = details
        self.headers = headers or {}

    def status(self) -> dict[str, Any]:
        """The ``meta/v1 Status`` body for this error."""
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            body["details"] = self.details
        return body


def qualified(plural: str, group: str) -> str:
    """How the server names a resource in messages: ``pods`` or ``nodepools.karpenter.sh``."""
    return f"{plural}.{group}" if group else plural


def _details(plural: str, group: str, name: str) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name, "kind": plural}
    if group:
        details["group"] = group
    return details


def not_found(plural: str, group: str, name: str) -> ApiError:
    return ApiError(
        404, f'{qualified(plural, group)} "{name}" not found', details=_details(plural, group, name)
    )


def already_exists(plural: str, group: str, name: str) -> ApiError:
    return ApiError(
        409,
        f'{qualified(plural, group)} "{name}" already exists',
        reason="AlreadyExists",
        details=_details(plural, group, name),
    )


def conflict(plural: str, group: str, name: str, why: str) -> ApiError:
    return ApiError(
        409,
        f'Operation cannot be fulfilled on {qualified(plural, group)} "{name}": {why}',
        details=_details(plural, group, name),
    )


STALE_OBJECT = "the object has been modified; please apply your changes to the latest version and try again"


def invalid(kind: str, group: str, name: str, causes: list[tuple[str, str]]) -> ApiError:
    """422 with one ``field: message`` cause each, as validation failures read on a real server."""
    gk = f"{kind}.{group}" if group else kind
    text = "; ".join(f"{field}: {why}" for field, why in causes)
    return ApiError(
        422,
        f'{gk} "{name}" is invalid: {text}',
        details={
            "name": name,
            "group": group,
            "kind": kind,
            "causes": [{"reason": "FieldValueInvalid", "message": why, "field": f} for f, why in causes],
        },
    )


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def unsupported_media_type(content_type: str, accepted: list[str]) -> ApiError:
    del content_type  # the real message names only what is accepted
    return ApiError(
        415,
        "the body of the request was in an unknown format - accepted media types include: "
        + ", ".join(accepted),
    )


def method_not_allowed() -> ApiError:
    return ApiError(405, "the server does not allow this method on the requested resource")


def path_not_found() -> ApiError:
    return ApiError(404, "the server could not find the requested resource", details={})


def expired(requested: int, oldest: int) -> ApiError:
    return ApiError(410, f"too old resource version: {requested} ({oldest})", reason="Expired")
