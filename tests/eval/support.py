"""Builders for the evaluation tests: tiny scenario files on the fixture market, and the command as a user
runs it.

Every scenario here uses ``market: {data: fixture, ...}`` (never the shared real data set) and a window of at
most a day, so one run takes a fraction of a second.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from spotvortex.cli.main import main

START = datetime(2021, 3, 10, tzinfo=UTC)
"""Mid-March 2021: every fixture price series has data well before and after."""
START_TEXT = "2021-03-10T00:00:00+00:00"
ZONE_A = "us-east-1a"
SEED = 3

APP: dict[str, Any] = {"name": "app", "pool": "web", "replicas": 3, "cpu": "1", "memory": "1Gi"}
"""Three 1-CPU pods: an m5.large has 1930m allocatable, so each pod takes a node of its own (three nodes)."""

METRIC_KEYS = {
    "compute_cost", "spot_cost", "on_demand_cost", "outage_penalty", "net_cost", "outage_events",
    "outage_minutes", "interruptions", "spot_residency", "pod_restarts", "drains", "drains_rolled_back", "drains_abandoned",
    "migrations", "steering_released", "decisions", "rejected", "simulated_days",
}  # fmt: skip
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def write_scenario(
    directory: Path,
    name: str = "tiny",
    *,
    pools: Sequence[Mapping[str, Any]] | None = None,
    workloads: Sequence[Mapping[str, Any]] | None = None,
    zones: Sequence[str] = (ZONE_A,),
    market: Mapping[str, Any] | None = None,
    duration: str = "12h",
    seed: int = SEED,
) -> Path:
    """A scenario file: by default one pool ``web`` (m5.large, zone a), ``APP``, no spot capacity losses."""
    doc: dict[str, Any] = {
        "name": name,
        "zones": list(zones),
        "start": START_TEXT,
        "duration": duration,
        "seed": seed,
        "market": {"data": "fixture", "capacity": "none", **(market or {})},
        "pools": [
            dict(p) for p in pools or [{"name": "web", "instance_types": ["m5.large"], "zones": [ZONE_A]}]
        ],
        "workloads": [dict(w) for w in workloads or [APP]],
    }
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def write_scripted(directory: Path, document: Mapping[str, Any], name: str = "prices.json") -> Path:
    path = directory / name
    path.write_text(json.dumps(document))
    return path


@dataclass
class Outcome:
    code: int
    out: str
    err: str

    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def evaluate(*args: str | Path) -> Outcome:
    """``spotvortex eval ARGS`` in this process (its runs still go to worker processes), output captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["eval", *(str(a) for a in args)])
    return Outcome(code, out.getvalue(), err.getvalue())


def read_result(directory: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((directory / "result.json").read_text())
    return document


class InlineExecutor:
    """Stands in for ``ProcessPoolExecutor``: runs each submitted call at once, in this process."""

    def __init__(self, max_workers: int | None = None) -> None:
        self.max_workers = max_workers

    def __enter__(self) -> InlineExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, fn: Any, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future
