"""SQS message attributes: validation, the MD5 digest SDKs can verify, and ReceiveMessage's selection.

The digest follows the documented encoding (attributes sorted by name; each as length-prefixed name and
data type, a transport byte, then the length-prefixed value), so a client that checks
``MD5OfMessageAttributes`` accepts what the emulator sends.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from . import sqs_errors as errors

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,256}$")


@dataclass(frozen=True)
class MessageAttribute:
    data_type: str  # "String", "Number", "Binary", optionally with a ".custom" suffix
    string_value: str | None = None
    binary_value: bytes | None = None

    @property
    def is_binary(self) -> bool:
        return self.data_type.startswith("Binary")

    def size(self, name: str) -> int:
        value = self.binary_value if self.is_binary else (self.string_value or "").encode()
        return len(name.encode()) + len(self.data_type.encode()) + len(value or b"")


def _one(name: str, raw: object) -> MessageAttribute:
    if (
        not _NAME.match(name)
        or name.startswith(("AWS.", "Amazon.", "."))
        or name.endswith(".")
        or ".." in name
    ):
        raise errors.invalid_parameter(f"Message attribute name '{name}' is invalid.")
    if not isinstance(raw, Mapping) or not isinstance(raw.get("DataType"), str):
        raise errors.invalid_parameter(
            f"The message attribute '{name}' must contain a non-empty attribute type."
        )
    data_type: str = raw["DataType"]
    kind = data_type.split(".", 1)[0]
    if kind not in ("String", "Number", "Binary"):
        raise errors.invalid_parameter(
            f"The type of message attribute '{name}' is invalid. You must use only "
            "the following supported type prefixes: Binary, Number, String."
        )
    if raw.get("StringListValues") or raw.get("BinaryListValues"):
        raise errors.unsupported(f"Message attribute '{name}' uses list values, which are not implemented.")
    if kind == "Binary":
        value = raw.get("BinaryValue")
        try:
            decoded = base64.b64decode(value, validate=True) if isinstance(value, str) else b""
        except binascii.Error:
            decoded = b""
        if not decoded:
            raise errors.invalid_parameter(
                f"The message attribute '{name}' must contain non-empty message "
                "attribute value for message attribute type 'Binary'."
            )
        return MessageAttribute(data_type, binary_value=decoded)
    text = raw.get("StringValue")
    if not isinstance(text, str) or not text:
        raise errors.invalid_parameter(
            f"The message attribute '{name}' must contain non-empty message attribute "
            f"value for message attribute type '{kind}'."
        )
    if kind == "Number":
        try:
            float(text)
        except ValueError:
            raise errors.invalid_parameter(
                f"Can't cast the value of message attribute '{name}' to a number."
            ) from None
    return MessageAttribute(data_type, string_value=text)


def parse_attributes(raw: object) -> dict[str, MessageAttribute]:
    """The JSON ``MessageAttributes`` map of a send request, checked as SQS checks it."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise errors.invalid_parameter("MessageAttributes must be a map.")
    if len(raw) > 10:
        raise errors.invalid_parameter(
            f"Number of message attributes [{len(raw)}] exceeds the allowed maximum [10]."
        )
    return {str(name): _one(str(name), value) for name, value in raw.items()}


def attributes_md5(attributes: Mapping[str, MessageAttribute]) -> str | None:
    if not attributes:
        return None
    digest = hashlib.md5(usedforsecurity=False)
    for name in sorted(attributes):
        attribute = attributes[name]
        for text in (name, attribute.data_type):
            digest.update(struct.pack(">I", len(text.encode())) + text.encode())
        value = attribute.binary_value if attribute.is_binary else (attribute.string_value or "").encode()
        digest.update(bytes([2 if attribute.is_binary else 1]))
        digest.update(struct.pack(">I", len(value or b"")) + (value or b""))
    return digest.hexdigest()


def select(attributes: Mapping[str, MessageAttribute], names: Sequence[str]) -> dict[str, MessageAttribute]:
    """The attributes ReceiveMessage returns for ``MessageAttributeNames`` (``All``, ``.*``, ``prefix.*``)."""
    if not names:
        return {}
    if "All" in names or ".*" in names:
        return dict(attributes)
    prefixes = tuple(n[:-1] for n in names if n.endswith(".*"))
    exact = set(names)
    return {k: v for k, v in attributes.items() if k in exact or (prefixes and k.startswith(prefixes))}


def to_json(attributes: Mapping[str, MessageAttribute]) -> dict[str, dict[str, str]]:
    rendered: dict[str, dict[str, str]] = {}
    for name, attribute in attributes.items():
        if attribute.is_binary:
            value = base64.b64encode(attribute.binary_value or b"").decode()
            rendered[name] = {"DataType": attribute.data_type, "BinaryValue": value}
        else:
            rendered[name] = {"DataType": attribute.data_type, "StringValue": attribute.string_value or ""}
    return rendered
