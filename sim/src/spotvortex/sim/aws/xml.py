"""XML documents in the two dialects botocore parses: Query (Auto Scaling) and EC2.

Results are built as nested mappings and lists so the service modules describe *what* AWS returns and this
module alone knows the envelopes, list item tags and scalar spellings (``true``, ``...T..:..:..000Z``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

XmlValue = str | int | float | bool | datetime | None | Sequence["XmlValue"] | Mapping[str, "XmlValue"]


def iso_time(value: datetime) -> str:
    """AWS's XML timestamp: UTC with milliseconds and a ``Z``."""
    utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _scalar(value: str | int | float | bool | datetime) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return iso_time(value)
    return str(value)


def _fill(element: ET.Element, value: XmlValue, item: str) -> None:
    if isinstance(value, Mapping):
        for tag, child in value.items():
            if child is not None:
                _fill(ET.SubElement(element, tag), child, item)
    elif isinstance(value, str | int | float | bool | datetime):
        element.text = _scalar(value)
    elif value is not None:
        for child in value:
            _fill(ET.SubElement(element, item), child, item)


def _document(root: ET.Element) -> bytes:
    text: str = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + text).encode()


def query_response(
    action: str, namespace: str, result: Mapping[str, XmlValue] | None, request_id: str
) -> bytes:
    """``<ActionResponse><ActionResult>..</ActionResult><ResponseMetadata>..`` (no Result when void)."""
    root = ET.Element(f"{action}Response", {"xmlns": namespace})
    if result is not None:
        _fill(ET.SubElement(root, f"{action}Result"), result, "member")
    _fill(ET.SubElement(root, "ResponseMetadata"), {"RequestId": request_id}, "member")
    return _document(root)


def query_error(namespace: str, code: str, message: str, sender_fault: bool, request_id: str) -> bytes:
    root = ET.Element("ErrorResponse", {"xmlns": namespace})
    error = {"Type": "Sender" if sender_fault else "Receiver", "Code": code, "Message": message}
    _fill(ET.SubElement(root, "Error"), error, "member")
    _fill(ET.SubElement(root, "RequestId"), request_id, "member")
    return _document(root)


def ec2_response(action: str, namespace: str, body: Mapping[str, XmlValue], request_id: str) -> bytes:
    """EC2 puts ``requestId`` first and uses ``item`` for every list element."""
    root = ET.Element(f"{action}Response", {"xmlns": namespace})
    _fill(root, {"requestId": request_id, **body}, "item")
    return _document(root)


def ec2_error(code: str, message: str, request_id: str) -> bytes:
    root = ET.Element("Response")
    _fill(root, {"Errors": {"Error": {"Code": code, "Message": message}}, "RequestID": request_id}, "item")
    return _document(root)
