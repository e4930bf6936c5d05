"""Benchmark: the collector's cluster index at 5,000 nodes and 50,000 pods (target: a full round well under
the 30 s cadence; goal under 1 s).

Builds a cluster as the API returns it (plain dictionaries, decoded from JSON with msgspec as the adapter
does), applies it to the index, publishes nothing, and times: decoding the pod list, applying every
object, one full round of snapshots (every pool), a burst of pod status updates, and one re-list.
Writes ``benchmarks/results/collector_scale.json``.
Run: ``.venv/bin/python benchmarks/collector_scale.py [--nodes 5000] [--pods-per-node 10] [--pools 50]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from spotvortex.collector import Collector
from spotvortex.collector.gcpause import paused_gc
from spotvortex.contracts import MarketPrice, encode

TARGET_ROUND_SECONDS = 1.0
RESULTS = Path(__file__).resolve().parent / "results" / "collector_scale.json"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
TYPES = ("m5.large", "m5.xlarge", "c5.xlarge", "r5.large")
STAMP = "2026-03-02T11:00:00Z"


def node(i: int, pools: int) -> dict[str, Any]:
    pool = f"pool-{i % pools}"
    spot = i % 3 != 0
    zone = ZONES[i % len(ZONES)]
    itype = TYPES[(i // pools) % len(TYPES)]
    return {
        "metadata": {
            "name": f"ip-10-{i // 250}-{i % 250}.ec2.internal",
            "creationTimestamp": STAMP,
            "resourceVersion": str(i + 1),
            "labels": {
                "karpenter.sh/nodepool": f"{pool}-{'spot' if spot else 'od'}",
                "karpenter.sh/capacity-type": "spot" if spot else "on-demand",
                "node.kubernetes.io/instance-type": itype,
                "topology.kubernetes.io/zone": zone,
                "kubernetes.io/os": "linux",
            },
        },
        "spec": {"providerID": f"aws:///{zone}/i-{i:017x}", "taints": []},
        "status": {
            "allocatable": {"cpu": "3920m", "memory": "15Gi", "pods": "58"},
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": STAMP}],
        },
    }


def pod(i: int, node_name: str, namespace: str, app: str, daemonset: bool) -> dict[str, Any]:
    kind, owner = ("DaemonSet", "node-agent") if daemonset else ("ReplicaSet", f"{app}-7d9f")
    if not daemonset and i % 10 == 1:
        kind, owner = "StatefulSet", app
    return {
        "metadata": {
            "name": f"{app}-{i}",
            "namespace": namespace,
            "resourceVersion": str(100000 + i),
            "labels": {"app": app if not daemonset else "node-agent", "pod-template-hash": "7d9f"},
            "annotations": {"spotvortex.io/startup-time": f"{20 + i % 90}s"} if i % 4 == 0 else {},
            "ownerReferences": [{"kind": kind, "name": owner, "uid": f"u-{owner}", "controller": True}],
        },
        "spec": {
            "nodeName": node_name,
            "priorityClassName": "high-priority" if i % 7 == 0 else "",
            "containers": [
                {
                    "name": "app",
                    "image": "registry.local/app:1",
                    "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}},
                }
            ],
        },
        "status": {
            "phase": "Running",
            "startTime": STAMP,
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-03-02T11:01:00Z"}],
        },
    }


def pdb(namespace: str, app: str, allowed: int) -> dict[str, Any]:
    return {
        "metadata": {"name": app, "namespace": namespace},
        "spec": {"selector": {"matchLabels": {"app": app}}, "maxUnavailable": 1},
        "status": {"disruptionsAllowed": allowed, "currentHealthy": 10, "desiredHealthy": 9},
    }


def nodepool(pool: str, suffix: str) -> dict[str, Any]:
    return {
        "metadata": {"name": f"{pool}-{suffix}"},
        "spec": {
            "weight": 100 if suffix == "spot" else 10,
            "template": {
                "spec": {
                    "requirements": [
                        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": [suffix]},
                        {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": list(TYPES)},
                    ]
                }
            },
            "disruption": {"budgets": [{"nodes": "10%"}]},
        },
    }


def cluster(nodes: int, pods_per_node: int, pools: int, namespaces: int, apps: int) -> dict[str, list[Any]]:
    node_objs = [node(i, pools) for i in range(nodes)]
    pod_objs = []
    for n, obj in enumerate(node_objs):
        name = obj["metadata"]["name"]
        for j in range(pods_per_node):
            i = n * pods_per_node + j
            ns = f"team-{i % namespaces}"
            app = f"app-{(i // namespaces) % apps}"
            pod_objs.append(pod(i, name, ns, app, daemonset=j == 0))
    pdb_objs = [pdb(f"team-{k}", f"app-{a}", a % 3) for k in range(namespaces) for a in range(apps)]
    np_objs = [nodepool(f"pool-{p}", s) for p in range(pools) for s in ("spot", "od")]
    return {"Node": node_objs, "Pod": pod_objs, "PodDisruptionBudget": pdb_objs, "NodePool": np_objs}


def apply_all(collector: Collector, event: str, objs: dict[str, list[Any]]) -> None:
    for kind in ("NodePool", "Node", "PodDisruptionBudget", "Pod"):
        for obj in objs.get(kind, ()):
            collector.apply(kind, event, obj)


def timed(fn: Any) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def run(args: argparse.Namespace) -> dict[str, Any]:
    objs = cluster(args.nodes, args.pods_per_node, args.pools, args.namespaces, args.apps)
    # the adapter decodes list bodies with msgspec into plain dictionaries: measure that on the pod list
    pod_list = msgspec.json.encode(
        {"kind": "PodList", "metadata": {"resourceVersion": "9"}, "items": objs["Pod"]}
    )
    with paused_gc():
        decode_seconds = timed(lambda: msgspec.json.decode(pod_list))

    # the initial lists, applied as the adapter applies a list page (collector paused, upsert, then retain)
    collector = Collector("bench")
    list_seconds: dict[str, float] = {}
    for kind in ("NodePool", "Node", "PodDisruptionBudget", "Pod"):

        def listed(kind: str = kind) -> None:
            with paused_gc():
                collector.index.replace(kind, objs[kind])

        list_seconds[kind] = timed(listed)
    # the same cluster arriving as watch events, one at a time, with the collector running normally
    watched = Collector("bench-watch")
    watch_seconds = timed(lambda: apply_all(watched, "ADDED", objs))
    for itype in TYPES:
        for zone in ZONES:
            for k in range(12):
                at = NOW - timedelta(minutes=5 * k)
                collector.ingest(
                    MarketPrice(instance_type=itype, zone=zone, spot_price=0.03 + k / 1000, time=at), NOW
                )

    rounds = []
    sizes = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        snaps = [collector.snapshot(pool, NOW) for pool in collector.pools()]
        rounds.append(time.perf_counter() - started)
        sizes = [len(encode(s)) for s in snaps if s is not None]
    encode_seconds = timed(lambda: [encode(s) for s in snaps if s is not None])

    # status churn: 10 % of pods report a change (labels unchanged), then one full re-list of pods
    churn = objs["Pod"][::10]
    churn_seconds = timed(lambda: apply_all(collector, "MODIFIED", {"Pod": churn}))

    def relist() -> None:
        with paused_gc():
            collector.index.replace("Pod", objs["Pod"])

    relist_seconds = timed(relist)

    first = snaps[0]
    assert first is not None
    round_best = min(rounds)
    return {
        "nodes": len(collector.index.nodes),
        "pods": len(collector.index.pods),
        "pdbs": len(collector.index.pdbs),
        "nodepools": len(collector.index.nodepools),
        "pools": len(collector.pools()),
        "decode_pod_list_seconds": round(decode_seconds, 4),
        "pod_list_megabytes": round(len(pod_list) / 2**20, 1),
        "list_apply_seconds": {k: round(v, 4) for k, v in list_seconds.items()},
        "list_apply_total_seconds": round(sum(list_seconds.values()), 4),
        "list_apply_microseconds_per_pod": round(1e6 * list_seconds["Pod"] / len(objs["Pod"]), 2),
        "watch_apply_all_seconds": round(watch_seconds, 4),
        "snapshot_round_seconds": [round(r, 4) for r in rounds],
        "snapshot_round_best_seconds": round(round_best, 4),
        "snapshot_milliseconds_per_pool": round(1000 * round_best / len(collector.pools()), 3),
        "encode_round_seconds": round(encode_seconds, 4),
        "telemetry_bytes_mean": round(sum(sizes) / len(sizes)),
        "churn_updates": len(churn),
        "churn_seconds": round(churn_seconds, 4),
        "relist_pods_seconds": round(relist_seconds, 4),
        "max_rss_megabytes": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "sample_pool": {
            "pool": first.pool,
            "nodes": first.nodes.total,
            "workload_pods": first.workload.workload_pods,
            "market_series": len(first.market),
            "cpu_utilisation": round(first.utilisation.cpu, 3),
        },
        "within_target": round_best < TARGET_ROUND_SECONDS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--pods-per-node", type=int, default=10)
    parser.add_argument("--pools", type=int, default=50)
    parser.add_argument("--namespaces", type=int, default=25)
    parser.add_argument("--apps", type=int, default=40, help="deployments (and PDBs) per namespace")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    result = run(args)
    print(json.dumps(result, indent=2), flush=True)
    report = {
        "benchmark": "collector_scale",
        "target_round_seconds": TARGET_ROUND_SECONDS,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "parameters": vars(args),
        "result": result,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
