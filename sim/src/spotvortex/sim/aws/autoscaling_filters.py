"""DescribeAutoScalingGroups' selection: names and tag filters, combined the way AWS combines them.

Filters are ANDed, the values of one filter ORed, and names (when given) narrow further. The router finds
its node groups by tag, so this is where a wrong twin would slip in; it is kept small and exact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .model import AsgGroup, AwsError


@dataclass(frozen=True)
class GroupFilter:
    name: str
    values: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.name not in ("tag-key", "tag-value") and not self.name.startswith("tag:"):
            raise AwsError("ValidationError", f"Filter name '{self.name}' is not valid.")

    def matches(self, tags: Mapping[str, str]) -> bool:
        if self.name == "tag-key":
            return any(key in tags for key in self.values)
        if self.name == "tag-value":
            return any(value in self.values for value in tags.values())
        key = self.name.removeprefix("tag:")
        return key in tags and tags[key] in self.values


def select_groups(
    groups: Sequence[AsgGroup], names: Sequence[str], filters: Sequence[GroupFilter]
) -> list[AsgGroup]:
    """Matching groups in name order, the order AWS lists them in."""
    wanted = set(names)
    return sorted(
        (g for g in groups if (not wanted or g.name in wanted) and all(f.matches(g.tags) for f in filters)),
        key=lambda g: g.name,
    )
