"""Label and field selectors, parsed and matched the way the API server does.

Controllers lean on server-side filtering (``spec.nodeName=`` for a node's pods, ``karpenter.sh/...``
labels for pools), so a sloppy matcher would make code pass here and fail on a cluster. These are pure
functions; the store and PDB logic call them, and unit tests pin the grammar.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ApiError

_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)
_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
_IDENT_CHARS = re.compile(r"[^\s,=!()<>]+")

EQUALS = "="
NOT_EQUALS = "!="
IN = "in"
NOT_IN = "notin"
EXISTS = "exists"
DOES_NOT_EXIST = "!"
GREATER = "gt"
LESS = "lt"


@dataclass(frozen=True)
class Requirement:
    """One clause of a label selector: ``key op values``."""

    key: str
    op: str
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class FieldRequirement:
    """One clause of a field selector; only ``=`` and ``!=`` exist for fields."""

    field: str
    op: str
    value: str


def _bad_label(text: str, why: str) -> ApiError:
    return ApiError(400, f"unable to parse requirement: {why}", details={"causes": [{"message": text}]})


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        two = text[i : i + 2]
        if two in ("==", "!="):
            out.append(two)
            i += 2
            continue
        if ch in ",=!()<>":
            out.append(ch)
            i += 1
            continue
        m = _IDENT_CHARS.match(text, i)
        assert m is not None  # any other character starts an identifier
        out.append(m.group(0))
        i = m.end()
    return out


def _check_key(key: str, text: str) -> None:
    if not _KEY.match(key) or len(key.rpartition("/")[2]) > 63:
        raise _bad_label(
            text, f"invalid label key {key!r}: name part must consist of alphanumeric characters"
        )


def _check_value(value: str, text: str) -> None:
    if len(value) > 63 or not _VALUE.match(value):
        raise _bad_label(text, f"invalid label value: {value!r}: must be 63 characters or less")


class _LabelParser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.pos = 0

    def peek(self) -> str | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self) -> str:
        tok = self.peek()
        if tok is None:
            raise _bad_label(self.text, "unexpected end of selector")
        self.pos += 1
        return tok

    def parse(self) -> list[Requirement]:
        reqs: list[Requirement] = []
        if self.peek() is None:
            return reqs
        while True:
            reqs.append(self.requirement())
            tok = self.peek()
            if tok is None:
                return reqs
            if tok != ",":
                raise _bad_label(self.text, f"found '{tok}', expected: ',' or end of string")
            self.take()

    def requirement(self) -> Requirement:
        tok = self.take()
        if tok == "!":
            key = self.take()
            _check_key(key, self.text)
            return Requirement(key, DOES_NOT_EXIST)
        key = tok
        _check_key(key, self.text)
        op = self.peek()
        if op is None or op == ",":
            return Requirement(key, EXISTS)
        self.take()
        if op in ("=", "=="):
            return Requirement(key, EQUALS, (self.single_value(),))
        if op == "!=":
            return Requirement(key, NOT_EQUALS, (self.single_value(),))
        if op in (">", "<"):
            value = self.take()
            if not re.fullmatch(r"-?\d+", value):
                raise _bad_label(
                    self.text, f"for 'Gt', 'Lt' operators, the value must be an integer: {value}"
                )
            return Requirement(key, GREATER if op == ">" else LESS, (value,))
        if op in ("in", "notin"):
            return Requirement(key, IN if op == "in" else NOT_IN, self.value_set())
        raise _bad_label(self.text, f"found '{op}', expected: in, notin, =, ==, !=, gt, lt")

    def single_value(self) -> str:
        tok = self.peek()
        if tok is None or tok == ",":
            return ""  # ``key=`` selects an empty value, as on a real server
        value = self.take()
        _check_value(value, self.text)
        return value

    def value_set(self) -> tuple[str, ...]:
        if self.take() != "(":
            raise _bad_label(self.text, "found '(' expected after set operator")
        values: list[str] = []
        while True:
            tok = self.take()
            if tok == ")":
                break
            if tok == ",":
                continue
            _check_value(tok, self.text)
            values.append(tok)
        if not values:
            raise _bad_label(self.text, "for 'in', 'notin' operators, values set can't be empty")
        return tuple(values)


def parse_label_selector(text: str) -> list[Requirement]:
    """Parse ``a=b,c!=d,e in (f,g),h,!i,j>3``; a syntax error is a 400 like the server's."""
    return _LabelParser(text).parse()


def requirement_matches(req: Requirement, labels: Mapping[str, str]) -> bool:
    present = req.key in labels
    value = labels.get(req.key, "")
    if req.op == EQUALS:
        return present and value == req.values[0]
    if req.op == NOT_EQUALS:
        return not present or value != req.values[0]
    if req.op == IN:
        return present and value in req.values
    if req.op == NOT_IN:
        return not present or value not in req.values
    if req.op == EXISTS:
        return present
    if req.op == DOES_NOT_EXIST:
        return not present
    if req.op in (GREATER, LESS):
        if not present or not re.fullmatch(r"-?\d+", value):
            return False
        return int(value) > int(req.values[0]) if req.op == GREATER else int(value) < int(req.values[0])
    raise ValueError(f"unknown operator {req.op}")


def labels_match(reqs: list[Requirement], labels: Mapping[str, str] | None) -> bool:
    """True when every requirement holds (an empty selector selects everything)."""
    found = labels or {}
    return all(requirement_matches(r, found) for r in reqs)


def requirements_from_label_selector(selector: Mapping[str, Any]) -> list[Requirement]:
    """Turn a ``metav1.LabelSelector`` (``matchLabels`` + ``matchExpressions``) into requirements."""
    reqs = [Requirement(k, EQUALS, (str(v),)) for k, v in (selector.get("matchLabels") or {}).items()]
    ops = {"In": IN, "NotIn": NOT_IN, "Exists": EXISTS, "DoesNotExist": DOES_NOT_EXIST}
    for expr in selector.get("matchExpressions") or []:
        op = ops.get(str(expr.get("operator")))
        if op is None:
            raise ValueError(f"{expr.get('operator')!r} is not a valid label selector operator")
        reqs.append(Requirement(str(expr["key"]), op, tuple(str(v) for v in expr.get("values") or ())))
    return reqs


def label_selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str] | None) -> bool:
    """``metav1.LabelSelector`` semantics: a missing selector selects nothing, ``{}`` selects everything."""
    if selector is None:
        return False
    return labels_match(requirements_from_label_selector(selector), labels)


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if ch == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


def parse_field_selector(text: str) -> list[FieldRequirement]:
    """Parse ``spec.nodeName=n1,status.phase!=Failed``; values may escape ``,``, ``=`` and ``\\``."""
    reqs: list[FieldRequirement] = []
    if not text.strip():
        return reqs
    for part in _split_unescaped(text, ","):
        m = re.match(r"^([^=!]+?)\s*(==|!=|=)(.*)$", part)
        if not m:
            raise ApiError(400, f"invalid selector: '{text}'; can't understand '{part}'")
        op = NOT_EQUALS if m.group(2) == "!=" else EQUALS
        reqs.append(FieldRequirement(m.group(1).strip(), op, _unescape(m.group(3))))
    return reqs


def field_value(obj: Mapping[str, Any], path: str) -> str:
    """The string a field selector compares against: missing is ``""``, booleans are lowercase."""
    node: Any = obj
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return ""
        node = node.get(part)
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    return str(node)


def fields_match(reqs: list[FieldRequirement], obj: Mapping[str, Any]) -> bool:
    for req in reqs:
        equal = field_value(obj, req.field) == req.value
        if equal != (req.op == EQUALS):
            return False
    return True


def check_fields_supported(reqs: list[FieldRequirement], supported: frozenset[str]) -> None:
    """Reject field labels the resource does not index, with the real server's 400 message."""
    for req in reqs:
        if req.field not in supported:
            raise ApiError(400, f"field label not supported: {req.field}")
