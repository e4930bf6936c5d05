"""Label selectors as PodDisruptionBudgets write them (``matchLabels`` and ``matchExpressions``).

policy/v1 semantics: an empty selector ``{}`` selects every pod of the namespace, a missing one none.
``SelectorIndex`` finds the selectors matching a pod without trying them all: each selector is filed under
the label values its first ``In`` requirement demands, so only selectors that share one of the pod's
labels (and the few without such a requirement) are tried.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    operator: str  # In, NotIn, Exists, DoesNotExist
    values: frozenset[str]

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.operator == "In":
            return present and labels[self.key] in self.values
        if self.operator == "NotIn":
            return not present or labels[self.key] not in self.values
        if self.operator == "Exists":
            return present
        if self.operator == "DoesNotExist":
            return not present
        return False  # an unknown operator selects nothing, as the API server would refuse it


@dataclass(frozen=True, slots=True)
class Selector:
    requirements: tuple[Requirement, ...]
    selects_nothing: bool = False

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.selects_nothing:
            return False
        return all(r.matches(labels) for r in self.requirements)

    @property
    def anchors(self) -> list[tuple[str, str]] | None:
        """Label pairs of which a selected pod must carry one; ``None`` when there is no such requirement."""
        for req in self.requirements:
            if req.operator == "In":
                return [(req.key, v) for v in sorted(req.values)]
        return None


NOTHING = Selector((), selects_nothing=True)


def compile_selector(spec: Mapping[str, Any] | None) -> Selector:
    """Compile a ``LabelSelector`` once, so matching a pod is a few dictionary lookups."""
    if spec is None:
        return NOTHING
    reqs = [
        Requirement(str(k), "In", frozenset({str(v)})) for k, v in (spec.get("matchLabels") or {}).items()
    ]
    for expr in spec.get("matchExpressions") or []:
        reqs.append(
            Requirement(
                str(expr.get("key", "")),
                str(expr.get("operator", "")),
                frozenset(str(v) for v in expr.get("values") or []),
            )
        )
    return Selector(tuple(reqs))


class SelectorIndex(Generic[K]):
    def __init__(self) -> None:
        self._selectors: dict[K, Selector] = {}
        self._anchored: dict[tuple[str, str], set[K]] = defaultdict(set)
        self._loose: set[K] = set()

    def __len__(self) -> int:
        return len(self._selectors)

    def add(self, key: K, selector: Selector) -> None:
        self.remove(key)
        self._selectors[key] = selector
        if selector.selects_nothing:
            return
        anchors = selector.anchors
        if anchors is None:
            self._loose.add(key)
        for pair in anchors or ():
            self._anchored[pair].add(key)

    def remove(self, key: K) -> None:
        selector = self._selectors.pop(key, None)
        if selector is None:
            return
        self._loose.discard(key)
        for pair in selector.anchors or ():
            members = self._anchored.get(pair)
            if members is not None:
                members.discard(key)
                if not members:
                    del self._anchored[pair]

    def matching(self, labels: Mapping[str, str]) -> set[K]:
        candidates = set(self._loose)
        for pair in labels.items():
            found = self._anchored.get(pair)
            if found:
                candidates.update(found)
        return {k for k in candidates if self._selectors[k].matches(labels)}
