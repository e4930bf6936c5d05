"""What an evaluation writes: ``result.json`` (the stable schema of docs/evaluation.md), ``result.md`` and
PNG charts. JSON keys are sorted and floats rounded, so the same runs give byte-identical files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .runs import RunResult

SCHEMA_VERSION = 1
TABLE_METRICS = (
    "net_cost", "compute_cost", "outage_penalty", "outage_events", "outage_minutes", "interruptions",
    "drains", "migrations", "pod_restarts", "spot_residency",
)  # fmt: skip


def result_document(inputs: dict[str, Any], results: list[RunResult], star: dict[str, Any]) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "inputs": inputs,
        "runs": [
            {
                "policy": r.policy,
                "seed": r.seed,
                "metrics": {k: v for k, v in r.metrics.items() if k != "wall_seconds"},
            }
            for r in sorted(results, key=lambda r: (r.policy, r.seed))
        ],
        "north_star": star,
    }


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")


def markdown(document: dict[str, Any]) -> str:
    runs = document["runs"]
    policies = sorted({r["policy"] for r in runs})
    lines = [
        f"# Evaluation: {document['inputs']['scenario']}",
        "",
        f"Window {document['inputs']['start']} → {document['inputs']['end']}, seeds "
        f"{', '.join(str(s) for s in document['inputs']['seeds'])}; means over seeds.",
        "",
        "| policy | " + " | ".join(TABLE_METRICS) + " |",
        "|---|" + "---|" * len(TABLE_METRICS),
    ]
    for policy in policies:
        mine = [r["metrics"] for r in runs if r["policy"] == policy]
        cells = [f"{sum(m[k] for m in mine) / len(mine):.4g}" for k in TABLE_METRICS]
        lines.append(f"| {policy} | " + " | ".join(cells) + " |")
    lines += ["", "## North star (against spot-first)", ""]
    lines += [
        "| policy | median net-profit improvement % | per seed | max outage delta | per seed | gate |",
        "|---|---|---|---|---|---|",
    ]
    for policy, entry in sorted(document["north_star"].items()):
        imp, delta = entry["net_profit_improvement_pct"], entry["outage_delta"]
        lines.append(
            f"| {policy} | {imp['median']:+.2f} | {', '.join(f'{v:+.2f}' for v in imp['per_seed'].values())} | "
            f"{delta['max']:+d} | {', '.join(f'{v:+d}' for v in delta['per_seed'].values())} | "
            f"{'pass' if entry['gate']['passed'] else 'FAIL'} |"
        )
    return "\n".join(lines) + "\n"


def write_charts(out: Path, results: list[RunResult]) -> list[Path]:
    """Spot share and interruptions over time per policy (first seed), and cost against outage per run."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    written = []
    first_seed = min(r.seed for r in results)
    fig, (share_ax, intr_ax) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    for r in sorted(results, key=lambda r: r.policy):
        if r.seed != first_seed or not r.series:
            continue
        hours = [s["hours"] for s in r.series]
        share_ax.plot(hours, [s["spot_share"] for s in r.series], label=r.policy)
        intr_ax.plot(hours, [s["interruptions"] for s in r.series], label=r.policy)
    base = next((r for r in results if r.seed == first_seed and r.series), None)
    if base is not None:
        price_ax = share_ax.twinx()
        price_ax.plot([s["hours"] for s in base.series], [s["mean_spot_price_ratio"] for s in base.series],
                      color="grey", linestyle=":", label="spot/on-demand price (running nodes)")  # fmt: skip
        price_ax.set_ylabel("spot price / on-demand")
    share_ax.set_ylabel("spot share of nodes")
    intr_ax.set_ylabel("interruptions (cumulative)")
    intr_ax.set_xlabel(f"hours (seed {first_seed})")
    share_ax.legend(fontsize=8)
    fig.tight_layout()
    timeline = out / "timeline.png"
    fig.savefig(timeline, dpi=90, metadata={"Software": None})
    plt.close(fig)
    written.append(timeline)

    fig, ax = plt.subplots(figsize=(7, 5))
    for policy in sorted({r.policy for r in results}):
        mine = [r for r in results if r.policy == policy]
        ax.scatter(
            [r.metrics["compute_cost"] for r in mine],
            [r.metrics["outage_minutes"] for r in mine],
            label=policy,
        )
    ax.set_xlabel("compute cost (USD)")
    ax.set_ylabel("outage minutes")
    ax.legend(fontsize=8)
    fig.tight_layout()
    scatter = out / "cost_vs_outage.png"
    fig.savefig(scatter, dpi=90, metadata={"Software": None})
    plt.close(fig)
    written.append(scatter)
    return written
