"""Finding and reading scenario files: a shipped name (``demo``, ``large``) or a path.

Errors name the file and the offending field (``$.workloads[2].replicas``) so a typo is a one-line fix.
"""

from __future__ import annotations

from pathlib import Path

import msgspec
import yaml

from .durations import seconds
from .schema import Scenario

BUILTIN = Path(__file__).resolve().parent / "builtin"


class ScenarioError(ValueError):
    """A scenario that cannot be found, parsed or validated."""


def scenario_names() -> list[str]:
    return sorted(p.stem for p in BUILTIN.glob("*.yaml"))


def resolve(name_or_path: str | Path) -> Path:
    text = str(name_or_path)
    if "/" not in text and not text.endswith((".yaml", ".yml")):
        builtin = BUILTIN / f"{text}.yaml"
        if builtin.exists():
            return builtin
        raise ScenarioError(
            f"no scenario named {text!r}; shipped ones: {', '.join(scenario_names())}, or give a path"
        )
    path = Path(text)
    if not path.exists():
        raise ScenarioError(f"{path}: no such scenario file")
    return path


def parse_scenario(text: str, source: str) -> Scenario:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ScenarioError(f"{source}: a scenario is a YAML mapping")
    try:
        scenario = msgspec.convert(raw, Scenario, strict=False)
    except msgspec.ValidationError as exc:
        raise ScenarioError(f"{source}: {exc}") from None
    _check(scenario, source)
    return scenario


def _check(s: Scenario, source: str) -> None:
    problems = []
    if s.start.tzinfo is None:
        problems.append("$.start must carry a time zone (e.g. 2021-03-01T00:00:00Z)")
    if not s.zones:
        problems.append("$.zones must list at least one zone")
    names = [p.name for p in s.pools]
    if len(set(names)) != len(names):
        problems.append("$.pools: pool names must be unique")
    for i, pool in enumerate(s.pools):
        if not pool.instance_types:
            problems.append(f"$.pools[{i}].instance_types must not be empty")
        for zone in pool.zones or []:
            if zone not in s.zones:
                problems.append(f"$.pools[{i}].zones: {zone!r} is not one of $.zones")
    for i, w in enumerate(s.workloads):
        if w.pool not in names:
            problems.append(f"$.workloads[{i}].pool: no pool named {w.pool!r}")
    durations = [
        ("$.duration", s.duration),
        ("$.karpenter.launch", s.karpenter.launch),
        ("$.asg.launch", s.asg.launch),
    ]
    durations += [(f"$.workloads[{i}].startup", w.startup) for i, w in enumerate(s.workloads)]
    durations += [(f"$.pools[{i}].consolidate_after", p.consolidate_after) for i, p in enumerate(s.pools)]
    for where, value in durations:
        try:
            seconds(value)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
    if problems:
        raise ScenarioError(f"{source}: " + "; ".join(problems))


def load_scenario(name_or_path: str | Path) -> Scenario:
    path = resolve(name_or_path)
    return parse_scenario(path.read_text(), str(path) if path.parent != BUILTIN else path.stem)
