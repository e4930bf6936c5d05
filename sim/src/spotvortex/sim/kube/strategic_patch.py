"""Strategic Merge Patch: the Kubernetes-specific ``application/strategic-merge-patch+json`` body.

Like a merge patch, except lists with a merge key merge element-wise, and the patch may carry the
directives kubectl generates: ``$patch: replace|delete``, ``$retainKeys``,
``$deleteFromPrimitiveList/<field>`` and ``$setElementOrder/<field>``.
"""

from __future__ import annotations

import copy
from typing import Any

from .patch_schema import MergeByKey, MergePrimitives, Path, Replace, Rule

_DELETE_FROM = "$deleteFromPrimitiveList/"
_ORDER = "$setElementOrder/"
_DIRECTIVE = "$patch"
_RETAIN = "$retainKeys"


class StrategicPatchError(ValueError):
    """The patch is malformed for the declared strategy (e.g. a list element lacks its merge key)."""


class _Deleted:
    """Marker: the patch asked for the whole map to go (``$patch: delete``)."""


_DELETED = _Deleted()


def _strip(value: Any) -> Any:
    """Drop directive keys from a value that is being set, not merged."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [_strip(v) for v in value if not (isinstance(v, dict) and v.get(_DIRECTIVE) == "delete")]
    return copy.deepcopy(value)


def _merge_map(original: dict[str, Any], patch: dict[str, Any], path: Path, rules: dict[Path, Rule]) -> Any:
    directive = patch.get(_DIRECTIVE)
    if directive == "replace":
        return _strip(patch)
    if directive == "delete":
        return _DELETED
    if directive is not None:
        raise StrategicPatchError(f"unknown patch type: {directive}")
    result = copy.deepcopy(original)
    retain = patch.get(_RETAIN)
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    for key, values in patch.items():
        if key.startswith(_DELETE_FROM):
            field = key[len(_DELETE_FROM) :]
            if isinstance(result.get(field), list) and isinstance(values, list):
                result[field] = [x for x in result[field] if x not in values]
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            result.pop(key, None)
            continue
        child = (*path, key)
        rule = rules.get(child)
        current = result.get(key)
        if isinstance(rule, Replace):
            result[key] = _strip(value)
        elif isinstance(value, dict):
            merged = _merge_map(current if isinstance(current, dict) else {}, value, child, rules)
            if merged is _DELETED:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list) and isinstance(rule, MergeByKey | MergePrimitives):
            result[key] = _merge_list(current if isinstance(current, list) else [], value, rule, child, rules)
        else:
            result[key] = _strip(value)
    for key, order in patch.items():
        if key.startswith(_ORDER) and isinstance(order, list):
            field = key[len(_ORDER) :]
            if isinstance(result.get(field), list):
                result[field] = _reorder(result[field], order, rules.get((*path, field)))
    return result


def _merge_list(
    original: list[Any],
    patch: list[Any],
    rule: MergeByKey | MergePrimitives,
    path: Path,
    rules: dict[Path, Rule],
) -> list[Any]:
    if isinstance(rule, MergePrimitives):
        merged = copy.deepcopy(original)
        merged.extend(copy.deepcopy(v) for v in patch if v not in original)
        return merged
    if any(isinstance(e, dict) and e.get(_DIRECTIVE) == "replace" for e in patch):
        return [_strip(e) for e in patch if not (isinstance(e, dict) and _DIRECTIVE in e)]
    result = copy.deepcopy(original)
    key = rule.key
    for element in patch:
        if not isinstance(element, dict):
            raise StrategicPatchError(f"list element {element!r} is not an object; merge key is {key}")
        if key not in element:
            raise StrategicPatchError(f"map: {element} does not contain declared merge key: {key}")
        wanted = element[key]
        if element.get(_DIRECTIVE) == "delete":
            result = [x for x in result if not (isinstance(x, dict) and x.get(key) == wanted)]
            continue
        idx = next((i for i, x in enumerate(result) if isinstance(x, dict) and x.get(key) == wanted), None)
        merged = _merge_map(result[idx] if idx is not None else {}, element, path, rules)
        if merged is _DELETED:
            if idx is not None:
                del result[idx]
        elif idx is None:
            result.append(merged)
        else:
            result[idx] = merged
    return result


def _reorder(items: list[Any], order: list[Any], rule: Rule | None) -> list[Any]:
    """Put items named in ``order`` first, in that order; items the order omits keep their place after."""

    def ident(item: Any) -> Any:
        if isinstance(rule, MergeByKey) and isinstance(item, dict):
            return item.get(rule.key)
        return item

    wanted = [ident(o) for o in order]
    ranked = [x for w in wanted for x in items if ident(x) == w]
    rest = [x for x in items if ident(x) not in wanted]
    return ranked + rest


def apply_strategic_merge_patch(
    original: dict[str, Any], patch: Any, rules: dict[Path, Rule]
) -> dict[str, Any]:
    """Apply ``patch`` to ``original`` under ``rules`` (see ``patch_schema.rules_for``)."""
    if not isinstance(patch, dict):
        raise StrategicPatchError("strategic merge patch body must be a JSON object")
    merged = _merge_map(original, patch, (), rules)
    if merged is _DELETED:
        return {}
    assert isinstance(merged, dict)
    return merged
