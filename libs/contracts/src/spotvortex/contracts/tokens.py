"""One reversible encoding for any value that becomes a NATS subject token or a KV key segment.

Instance types (``m5.large``) and NodePool names (DNS-1123 subdomains) may contain ``.``, which NATS treats as
a token separator. Every byte outside ``[A-Za-z0-9_-]`` is written ``=HH`` (its UTF-8 bytes in upper-case hex),
in the manner of quoted-printable; ``=`` itself becomes ``=3D``. The result is valid both as a subject token
and as a JetStream KV key segment, so the same encoded pool name appears in subjects, keys and logs.

    >>> encode_token("m5.large")
    'm5=2Elarge'
    >>> decode_token("m5=2Elarge")
    'm5.large'
"""

from __future__ import annotations

import re

_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_ESCAPE = re.compile(r"=([0-9A-F]{2})")
_ENCODED = re.compile(r"^(?:[A-Za-z0-9_-]|=[0-9A-F]{2})+$")

_CLUSTER_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
RESERVED_CLUSTER_NAMES = frozenset({"market"})


class TokenError(ValueError):
    """A value cannot be used as a subject token, key segment or cluster name."""


def encode_token(value: str) -> str:
    """Encode ``value`` so it is a single, reversible subject token."""
    if not value:
        raise TokenError("an empty string cannot be a subject token")
    out: list[str] = []
    for byte in value.encode("utf-8"):
        out.append(chr(byte) if byte in _SAFE else f"={byte:02X}")
    return "".join(out)


def decode_token(token: str) -> str:
    """Invert :func:`encode_token`; rejects anything the encoder could not have produced."""
    if not _ENCODED.match(token):
        raise TokenError(f"{token!r} is not an encoded token")
    raw = bytearray()
    pos = 0
    while pos < len(token):
        if token[pos] == "=":
            raw.append(int(token[pos + 1 : pos + 3], 16))
            pos += 3
        else:
            raw.append(ord(token[pos]))
            pos += 1
    return raw.decode("utf-8")


def validate_cluster_name(name: str) -> str:
    """Cluster names appear unencoded in subjects, stream and bucket names, so they are restricted.

    They follow a DNS-1123 label (lower-case letters, digits, ``-``; at most 63 characters) and may not be a
    name the subject space reserves (``market``).
    """
    if not _CLUSTER_NAME.match(name):
        raise TokenError(
            f"cluster name {name!r} must be a DNS-1123 label: lower-case letters, digits and '-', "
            "starting and ending with a letter or digit, at most 63 characters"
        )
    if name in RESERVED_CLUSTER_NAMES:
        raise TokenError(f"cluster name {name!r} is reserved by the subject space")
    return name
