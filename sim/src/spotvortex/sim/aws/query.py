"""Reading AWS Query-protocol parameters: a flat form whose keys spell out lists and structures.

botocore flattens ``Names=["a","b"]`` to ``Names.member.1=a&Names.member.2=b`` (Auto Scaling) or
``InstanceType.1=a`` (EC2), and a list of structures to ``Filters.member.1.Name=..``. These helpers turn
the form back into Python values and raise AWS's validation errors for malformed scalars.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from .model import AwsError

Params = Mapping[str, str]


def parse_form(body: str, query_string: str = "") -> dict[str, str]:
    """Body and URL parameters together, as AWS accepts both (botocore only uses the body)."""
    params = dict(parse_qsl(query_string, keep_blank_values=True))
    params.update(parse_qsl(body, keep_blank_values=True))
    return params


def indexed_list(params: Params, name: str) -> list[str]:
    """``Name.1``, ``Name.2``, ... in index order (EC2's flattened lists)."""
    pattern = re.compile(re.escape(name) + r"\.(\d+)$")
    found = {int(m.group(1)): v for k, v in params.items() if (m := pattern.match(k))}
    return [found[i] for i in sorted(found)]


def member_list(params: Params, name: str) -> list[str]:
    """``Name.member.1``, ... in index order (Auto Scaling's wrapped lists)."""
    return indexed_list(params, f"{name}.member")


def structure_list(params: Params, prefix: str) -> list[dict[str, str]]:
    """``Prefix.N.Field...`` as one dict per N, keys relative to ``Prefix.N.``, in index order."""
    groups: dict[int, dict[str, str]] = {}
    pattern = re.compile(re.escape(prefix) + r"\.(\d+)\.(.+)$")
    for key, value in params.items():
        match = pattern.match(key)
        if match:
            groups.setdefault(int(match.group(1)), {})[match.group(2)] = value
    return [groups[i] for i in sorted(groups)]


def integer(
    params: Params, name: str, *, minimum: int | None = None, maximum: int | None = None
) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise AwsError(
            "ValidationError", f"Invalid value '{raw}' for {name}: it must be an integer."
        ) from None
    field = name[0].lower() + name[1:]
    if minimum is not None and value < minimum:
        raise AwsError(
            "ValidationError",
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: "
            f"Member must have value greater than or equal to {minimum}",
        )
    if maximum is not None and value > maximum:
        raise AwsError(
            "ValidationError",
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: "
            f"Member must have value less than or equal to {maximum}",
        )
    return value


def boolean(params: Params, name: str) -> bool | None:
    raw = params.get(name)
    if raw is None:
        return None
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise AwsError("ValidationError", f"Invalid value '{raw}' for {name}: it must be true or false.")


def timestamp(params: Params, name: str, *, code: str = "ValidationError") -> datetime | None:
    """ISO 8601 as botocore sends it; naive times are UTC, as AWS reads them."""
    raw = params.get(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise AwsError(code, f"Invalid value '{raw}' for {name}: it must be an ISO 8601 time.") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
