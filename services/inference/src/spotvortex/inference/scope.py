"""Which instance types the models may speak for (upstream-spec §8.4 token rules).

A type's family is its name up to the first ``.``, lower-cased (``m5.large`` → ``m5``). Scope tokens:

- ``m5``: that family exactly (``m5.large`` yes, ``m5a.large`` no);
- ``m5.*``: the family ``m5`` (the type starts with ``m5.``);
- ``m5*``: any type whose name starts with ``m5`` (``m5a.large`` and ``m5.large``);
- ``m5.large``: that type exactly.

An empty scope supports every type. With a non-empty scope, an empty or ``unknown`` type is unsupported.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

UNKNOWN = "unknown"


def family_of(instance_type: str) -> str:
    return instance_type.strip().lower().split(".", 1)[0]


@dataclass(frozen=True)
class FamilyScope:
    tokens: tuple[str, ...] = ()
    _families: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False)
    _types: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False)
    _prefixes: tuple[str, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Compile the tokens into set lookups and prefixes (a scope is checked for every pool of every batch)."""
        families: set[str] = set()
        types: set[str] = set()
        prefixes: list[str] = []
        for token in self.tokens:
            if token.endswith(".*"):  # the family, written as a type pattern
                base = token[:-2]
                if "." in base:
                    prefixes.append(base + ".")
                else:
                    families.add(base)
            elif token.endswith("*"):  # any type that starts with the prefix (its own family included)
                prefixes.append(token[:-1])
            elif "." in token:
                types.add(token)
            else:
                families.add(token)
        object.__setattr__(self, "_families", frozenset(families))
        object.__setattr__(self, "_types", frozenset(types))
        object.__setattr__(self, "_prefixes", tuple(prefixes))

    @classmethod
    def of(cls, tokens: Iterable[str]) -> FamilyScope:
        return cls(tuple(t.strip().lower() for t in tokens if t.strip()))

    @property
    def unrestricted(self) -> bool:
        return not self.tokens

    def supports(self, instance_type: str | None) -> bool:
        if self.unrestricted:
            return True
        name = (instance_type or "").strip().lower()
        if not name or name == UNKNOWN:
            return False
        return name in self._types or family_of(name) in self._families or name.startswith(self._prefixes)

    def unsupported_families(self, instance_types: Iterable[str | None]) -> tuple[str, ...]:
        """The distinct families (``unknown`` for a missing type) among ``instance_types`` out of scope."""
        found = {family_of(t) if t and t.strip() else UNKNOWN for t in instance_types if not self.supports(t)}
        return tuple(sorted(found))
