"""Cluster Autoscaler steering: where a pool's node-group regexes sit in the priority expander ConfigMap.

The expander (``data.priorities``: YAML, integer priority → list of node-group-name regexes) makes Cluster
Autoscaler scale up the matching node group with the highest priority. A pool is steered by placing its spot
regex above its on-demand regex (direction > 0) or below it (< 0). The places the two regexes had before the
first change are kept in an annotation on the ConfigMap, so "target met" (direction 0) puts back exactly what
the operator had, even after a restart or from another replica. Every other entry is left as it was; the
YAML is re-rendered, so comments and formatting in ``data.priorities`` are not kept.

Values are absolute: planning again on the result of a plan gives no change, so a redelivered verdict costs
no write.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from spotvortex.contracts import SteerOperation
from spotvortex.router.config import ExpanderConfig
from spotvortex.runtime.errors import PermanentError

PRIORITIES_KEY = "priorities"
ORIGINAL_ANNOTATION = "spotvortex.io/expander-original"
"""JSON ``{pool: {regex: [priorities it had before the router moved it]}}``; removed when nothing is left."""

Priorities = dict[int, list[str]]
Originals = dict[str, dict[str, list[int]]]


class ExpanderError(PermanentError):
    """The expander ConfigMap cannot be steered as it is (missing, or its content unreadable).

    Retrying the same verdict cannot help until an operator fixes the ConfigMap, so it is permanent.
    """


@dataclass(frozen=True)
class ExpanderView:
    """The parts of the ConfigMap the planner reads."""

    namespace: str
    name: str
    resource_version: str | None
    priorities: Priorities
    originals: Originals

    @property
    def target(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class ExpanderPatch:
    """A JSON merge patch on the ConfigMap, guarded by the resourceVersion it was planned from."""

    body: dict[str, Any]
    operations: list[SteerOperation]


def pool_regexes(pool: str, config: ExpanderConfig) -> tuple[str, str]:
    """The pool's (spot, on-demand) node-group regexes."""

    def regex(suffix: str) -> str:
        return config.pattern.replace("{group}", (pool + suffix).replace(".", r"\."))

    return regex(config.spot_suffix), regex(config.on_demand_suffix)


def parse_configmap(obj: Mapping[str, Any]) -> ExpanderView:
    meta = obj.get("metadata") or {}
    where = f"ConfigMap {meta.get('namespace')}/{meta.get('name')}"
    data = obj.get("data") or {}
    if PRIORITIES_KEY not in data:
        raise ExpanderError(f"{where} has no data.{PRIORITIES_KEY}; the priority expander reads it")
    return ExpanderView(
        namespace=str(meta.get("namespace")),
        name=str(meta.get("name")),
        resource_version=meta.get("resourceVersion"),
        priorities=parse_priorities(str(data[PRIORITIES_KEY]), where),
        originals=_parse_originals((meta.get("annotations") or {}).get(ORIGINAL_ANNOTATION), where),
    )


def parse_priorities(text: str, where: str = "the expander ConfigMap") -> Priorities:
    """``data.priorities`` as Cluster Autoscaler reads it: integer keys, lists of valid regexes."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ExpanderError(f"{where}: data.{PRIORITIES_KEY} is not valid YAML: {err}") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ExpanderError(f"{where}: data.{PRIORITIES_KEY} must map priorities to lists of regexes")
    out: Priorities = {}
    for key, value in raw.items():
        if not isinstance(key, int) or isinstance(key, bool):
            raise ExpanderError(f"{where}: data.{PRIORITIES_KEY}: priority {key!r} is not an integer")
        regexes = [] if value is None else value
        if not isinstance(regexes, list) or not all(isinstance(r, str) for r in regexes):
            raise ExpanderError(f"{where}: data.{PRIORITIES_KEY}: priority {key} must hold a list of regexes")
        for regex in regexes:
            try:
                re.compile(regex)
            except re.error as err:
                raise ExpanderError(f"{where}: data.{PRIORITIES_KEY}: bad regex {regex!r}: {err}") from None
        out[key] = list(regexes)
    return out


def render_priorities(priorities: Priorities) -> str:
    text: str = yaml.safe_dump(dict(sorted(priorities.items())), default_flow_style=False)
    return text


def _parse_originals(value: str | None, where: str) -> Originals:
    if value is None:
        return {}
    try:
        raw = json.loads(value)
        return {
            str(pool): {str(regex): [int(p) for p in places] for regex, places in record.items()}
            for pool, record in raw.items()
        }
    except (ValueError, TypeError, AttributeError) as err:
        raise ExpanderError(f"{where}: annotation {ORIGINAL_ANNOTATION} is not readable: {err}") from None


def placements(priorities: Priorities, regex: str) -> list[int]:
    """The priorities ``regex`` is listed under, in order."""
    return sorted(p for p, regexes in priorities.items() if regex in regexes)


def plan_expander(
    view: ExpanderView, pool: str, direction: int, config: ExpanderConfig
) -> ExpanderPatch | None:
    """The patch that favours spot (``direction`` > 0), on-demand (< 0), or restores the operator's entries
    (0); ``None`` when the ConfigMap already says so."""
    originals = {p: dict(r) for p, r in view.originals.items()}
    if direction == 0:
        record = originals.pop(pool, None)
        if record is None:
            return None
        wanted = record
    else:
        spot, on_demand = pool_regexes(pool, config)
        if pool not in originals:
            originals[pool] = {r: placements(view.priorities, r) for r in (spot, on_demand)}
        high, low = [config.favoured_priority], [config.other_priority]
        wanted = {spot: high, on_demand: low} if direction > 0 else {spot: low, on_demand: high}
    moved = {r: places for r, places in wanted.items() if placements(view.priorities, r) != places}
    if not moved and originals == view.originals:
        return None
    operations = [
        SteerOperation(
            target_kind="configmap",
            target=view.target,
            field=f"data.{PRIORITIES_KEY}[{regex}]",
            before=_joined(placements(view.priorities, regex)),
            after=_joined(places) or "",
        )
        for regex, places in moved.items()
    ]
    body: dict[str, Any] = {
        "metadata": {
            "resourceVersion": view.resource_version,
            "annotations": {
                ORIGINAL_ANNOTATION: json.dumps(originals, sort_keys=True) if originals else None
            },
        },
        "data": {PRIORITIES_KEY: render_priorities(_place(view.priorities, moved))},
    }
    return ExpanderPatch(body=body, operations=operations)


def _place(priorities: Priorities, moved: Mapping[str, list[int]]) -> Priorities:
    """Take each moved regex out of every level (dropping levels it alone held) and list it where wanted."""
    out: Priorities = {}
    for priority, regexes in priorities.items():
        kept = [r for r in regexes if r not in moved]
        if kept or not regexes:
            out[priority] = kept
    for regex, places in moved.items():
        for priority in places:
            out.setdefault(priority, []).append(regex)
    return out


def _joined(places: list[int]) -> str | None:
    return ",".join(str(p) for p in places) or None
