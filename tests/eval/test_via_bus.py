"""The two transports decide alike: the cores in-process and the real swarm over NATS approve the same moves."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from spotvortex.sim.eval.runs import RunResult, RunSpec, run

END = datetime(2021, 3, 1, 0, 7, tzinfo=UTC)  # seven simulated minutes: one round of decisions


def per_pool(result: RunResult) -> dict[str, list[tuple[str, float]]]:
    moves: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for pool, action, target in result.approved:
        moves[pool].append((action, target))
    return dict(moves)


def test_in_process_and_via_bus_approve_the_same_actions() -> None:
    in_process = run(RunSpec("demo", "spotvortex", 7, end=END))
    via_bus = run(RunSpec("demo", "spotvortex", 7, end=END, via_bus=True, speed=30))
    assert in_process.approved, "the demo's first round should move capacity"
    assert per_pool(via_bus) == per_pool(in_process)
    assert via_bus.metrics["decisions"] == in_process.metrics["decisions"]
