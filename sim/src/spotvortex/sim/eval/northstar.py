"""The north star of DESIGN §5, from per-run metrics, and the gate CI can enforce.

Per seed: ``net_profit_improvement_pct = 100 × (net_cost[spot-first] − net_cost[policy]) / net_cost[spot-first]``
and ``outage_delta = outage_events[policy] − outage_events[spot-first]``. The gate holds when the median
improvement reaches its target and ``outage_delta ≤ max`` on **every** seed.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from .runs import BASELINE, RunResult


@dataclass(frozen=True)
class Gate:
    min_median_improvement_pct: float = 2.0
    max_outage_delta: int = 0


def _by(results: list[RunResult]) -> dict[str, dict[int, dict[str, float]]]:
    table: dict[str, dict[int, dict[str, float]]] = {}
    for r in results:
        table.setdefault(r.policy, {})[r.seed] = r.metrics
    return table


def north_star(results: list[RunResult], gate: Gate) -> dict[str, Any]:
    """Per non-baseline policy: per-seed values and summaries, plus savings and the gate verdict."""
    table = _by(results)
    base = table.get(BASELINE)
    if base is None:
        raise ValueError(f"the north star needs the {BASELINE} baseline among the policies")
    od = table.get("on-demand")
    out: dict[str, Any] = {}
    for policy, seeds in sorted(table.items()):
        if policy == BASELINE:
            continue
        improvement = {
            str(s): round(100 * (base[s]["net_cost"] - m["net_cost"]) / base[s]["net_cost"], 3)
            if base[s]["net_cost"]
            else 0.0
            for s, m in sorted(seeds.items())
        }
        delta = {str(s): int(m["outage_events"] - base[s]["outage_events"]) for s, m in sorted(seeds.items())}
        entry: dict[str, Any] = {
            "net_profit_improvement_pct": {
                "per_seed": improvement,
                "median": round(statistics.median(improvement.values()), 3),
            },
            "outage_delta": {"per_seed": delta, "max": max(delta.values())},
        }
        if od is not None and policy != "on-demand":
            entry["savings_vs_on_demand_pct"] = {
                str(s): round(100 * (od[s]["compute_cost"] - m["compute_cost"]) / od[s]["compute_cost"], 3)
                if od[s]["compute_cost"]
                else 0.0
                for s, m in sorted(seeds.items())
            }
            entry["outage_minutes_vs_on_demand"] = {
                str(s): round(m["outage_minutes"] - od[s]["outage_minutes"], 2)
                for s, m in sorted(seeds.items())
            }
        oracle = table.get("oracle")
        if oracle is not None and policy != "oracle":
            entry["oracle_savings_captured"] = {
                str(s): round(
                    (base[s]["net_cost"] - m["net_cost"]) / (base[s]["net_cost"] - oracle[s]["net_cost"]), 4
                )
                if base[s]["net_cost"] - oracle[s]["net_cost"] > 1e-9
                else None
                for s, m in sorted(seeds.items())
            }
        passed = (
            entry["net_profit_improvement_pct"]["median"] >= gate.min_median_improvement_pct
            and entry["outage_delta"]["max"] <= gate.max_outage_delta
        )
        entry["gate"] = {
            "min_median_improvement_pct": gate.min_median_improvement_pct,
            "max_outage_delta": gate.max_outage_delta,
            "passed": passed,
        }
        out[policy] = entry
    return out
