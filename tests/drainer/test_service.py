"""The drainer on a real NATS against the Kubernetes API emulator over HTTP."""

from __future__ import annotations

import pytest

from spotvortex.contracts import Mode, jetstream
from spotvortex.drainer.kubeapi import DRAIN_JOB_ANNOTATION
from spotvortex.sim.kube import KubeEmulator
from tests.helpers import eventually

from .support import (
    EVICTIONS,
    Bus,
    blocked_node,
    drain_job,
    drainer_settings,
    node,
    pdb,
    pod,
    refused_while_evicting,
    running,
)

NODE_PATCH = r"^/api/v1/nodes/"
EVENTS = r"/events$"


def web_node(kube: KubeEmulator, name: str = "n1") -> None:
    """``name`` runs two web pods, a DaemonSet pod and a mirror pod; two more web pods run on ``other``."""
    kube.store.create(node(name))
    kube.store.create(node("other"))
    for i in range(2):
        kube.store.create(pod(f"web-{i}", name, labels={"app": "web"}))
        kube.store.create(pod(f"web-other-{i}", "other", labels={"app": "web"}))
    kube.store.create(pod(f"ds-{name}", name, namespace="kube-system", owner="DaemonSet"))
    kube.store.create(
        pod(
            f"static-{name}",
            name,
            namespace="kube-system",
            owner="Node",
            annotations={"kubernetes.io/config.mirror": "x"},
        )
    )


def unschedulable(kube: KubeEmulator, name: str) -> bool:
    return bool(kube.store.get("nodes", name).get("spec", {}).get("unschedulable"))


async def test_drains_a_node_whose_budget_allows_it(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    web_node(kube)
    kube.store.create(pdb("web", "web", min_available=2))  # 4 healthy: two may go
    kube.audit.clear()
    async with running(drainer_settings(nats_url, cluster, kube)):
        await nats_bus.publish(drain_job(cluster, ["n1"], grace=45))
        result = await nats_bus.result("n1")
        record = await nats_bus.finished("job-1")
    assert (result.outcome, result.mode) == ("drained", Mode.ENFORCE)
    assert (result.pods_evicted, result.pods_skipped, result.pods_blocked) == (2, 2, 0)
    assert "45s grace period" in result.detail
    assert unschedulable(kube, "n1")
    assert kube.store.get("nodes", "n1")["metadata"]["annotations"][DRAIN_JOB_ANNOTATION] == "job-1"
    evicted = {(d.name, d.grace_period_seconds) for d in kube.store.deletions if d.evicted}
    assert evicted == {("web-0", 45), ("web-1", 45)}
    assert kube.store.find("pods", "ds-n1", "kube-system") is not None
    assert kube.store.find("pods", "static-n1", "kube-system") is not None
    # one cordon (a merge patch), one eviction per pod, an Event for the cordon and the drain, nothing else
    patches = kube.audit.mutations(method="PATCH", path=NODE_PATCH)
    assert [p.content_type for p in patches] == ["application/merge-patch+json"]
    assert kube.audit.count_mutations(path=EVICTIONS) == 2
    assert kube.audit.count_mutations(path=EVENTS) == 2
    assert kube.audit.count_mutations() == 5
    assert sorted(record.nodes[0].evicted) == ["default/web-0", "default/web-1"]


async def test_a_job_asking_for_no_grace_gets_the_default(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    kube.store.create(node("n1"))
    kube.store.create(pod("web-0", "n1"))
    async with running(drainer_settings(nats_url, cluster, kube, default_grace_period_seconds=25)):
        await nats_bus.publish(drain_job(cluster, ["n1"], grace=0))
        assert (await nats_bus.result("n1")).outcome == "drained"
    assert [d.grace_period_seconds for d in kube.store.deletions] == [25]


async def test_a_budget_that_never_allows_rolls_back_at_the_deadline(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    blocked_node(kube)  # 2 healthy, 2 needed: every eviction is a 429
    async with running(drainer_settings(nats_url, cluster, kube)):
        await nats_bus.publish(drain_job(cluster, ["n1"], deadline_in=1.5))
        result = await nats_bus.result("n1")
    assert result.outcome == "rolled-back"
    assert (result.pods_evicted, result.pods_blocked) == (0, 2)
    assert "disruption budget" in result.detail
    assert "uncordoned" in result.detail
    assert not unschedulable(kube, "n1")
    assert DRAIN_JOB_ANNOTATION not in (kube.store.get("nodes", "n1")["metadata"].get("annotations") or {})
    assert len(kube.store.list("pods", field_selector="spec.nodeName=n1")) == 2
    refused = [e for e in kube.audit.mutations(path=EVICTIONS) if e.status == 429]
    assert len(refused) >= 4  # each pod was retried with back-off, not given up at the first 429
    assert kube.audit.count_mutations(method="PATCH", path=NODE_PATCH) == 2  # cordon, then uncordon


async def test_a_node_cordoned_before_the_job_stays_cordoned_after_a_rollback(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    kube.store.create(node("n1", unschedulable=True))
    kube.store.create(pod("web-0", "n1", labels={"app": "web"}))
    kube.store.create(pdb("web", "web", min_available=1))
    async with running(drainer_settings(nats_url, cluster, kube)):
        await nats_bus.publish(drain_job(cluster, ["n1"], deadline_in=1.0))
        result = await nats_bus.result("n1")
    assert result.outcome == "rolled-back"
    assert "cordoned before this job" in result.detail
    assert unschedulable(kube, "n1")
    assert kube.audit.count_mutations(method="PATCH") == 0


async def test_a_conflict_on_the_cordon_is_retried_with_a_fresh_read(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    kube.store.create(node("n1"))
    kube.store.create(pod("web-0", "n1"))
    conflict = kube.faults.fail("PATCH", NODE_PATCH, 409)
    async with running(drainer_settings(nats_url, cluster, kube)):
        await nats_bus.publish(drain_job(cluster, ["n1"]))
        result = await nats_bus.result("n1")
    assert result.outcome == "drained"
    assert conflict.fired == 1
    assert [e.status for e in kube.audit.mutations(method="PATCH", path=NODE_PATCH)] == [409, 200]
    node_reads = [e for e in kube.audit.entries(mutating=False) if e.path == "/api/v1/nodes/n1"]
    assert len(node_reads) >= 2  # the retry re-read the node instead of reusing the stale version
    assert unschedulable(kube, "n1")


async def test_protected_pods_and_missing_nodes_are_skipped_without_a_write(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    kube.store.create(node("n1"))
    kube.store.create(pod("web-0", "n1"))
    kube.store.create(pod("batch-0", "n1", annotations={"karpenter.sh/do-not-disrupt": "true"}))
    kube.store.create(node("n2"))
    kube.store.create(
        pod("ca-0", "n2", annotations={"cluster-autoscaler.kubernetes.io/safe-to-evict": "false"})
    )
    kube.audit.clear()
    async with running(drainer_settings(nats_url, cluster, kube)):
        await nats_bus.publish(drain_job(cluster, ["n1", "n2", "ghost"]))
        first, second = await nats_bus.result("n1"), await nats_bus.result("n2")
        ghost = await nats_bus.result("ghost")
    assert (ghost.outcome, ghost.detail) == ("skipped", "node not found")
    assert [r.node for r in nats_bus.results] == ["n1", "n2", "ghost"]
    assert (first.outcome, first.pods_blocked, first.pods_evicted) == ("skipped", 1, 0)
    assert "default/batch-0 (do-not-disrupt)" in first.detail
    assert (second.outcome, second.pods_blocked) == ("skipped", 1)
    assert "safe-to-evict-false" in second.detail
    assert kube.audit.count_mutations() == 0
    assert not unschedulable(kube, "n1")


async def test_an_emergency_overrides_protection_and_reports_it(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    kube.store.create(node("n1"))
    kube.store.create(pod("web-0", "n1"))
    kube.store.create(pod("batch-0", "n1", annotations={"karpenter.sh/do-not-disrupt": "true"}))
    async with running(drainer_settings(nats_url, cluster, kube)):
        await nats_bus.publish(drain_job(cluster, ["n1"], emergency=True, grace=20))
        result = await nats_bus.result("n1")
    assert (result.outcome, result.pods_evicted, result.pods_blocked) == ("drained", 2, 1)
    assert "overrode the protection of 1 pod" in result.detail
    assert sorted((d.name, d.grace_period_seconds) for d in kube.store.deletions) == [
        ("batch-0", 20),
        ("web-0", 20),
    ]


@pytest.mark.parametrize(
    ("service_mode", "job_mode"), [(Mode.SHADOW, Mode.ENFORCE), (Mode.ENFORCE, Mode.SHADOW)]
)
async def test_shadow_reports_what_it_would_do_and_writes_nothing(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus, service_mode: Mode, job_mode: Mode
) -> None:
    web_node(kube)
    kube.store.create(pod("batch-0", "n1", annotations={"karpenter.sh/do-not-disrupt": "true"}))
    kube.store.create(node("n2"))
    kube.store.create(pod("api-0", "n2"))
    kube.audit.clear()
    async with running(drainer_settings(nats_url, cluster, kube, mode=service_mode)):
        await nats_bus.publish(drain_job(cluster, ["n1", "n2"], mode=job_mode))
        blocked, free = await nats_bus.result("n1"), await nats_bus.result("n2")
    assert (blocked.outcome, blocked.mode) == ("would-drain", Mode.SHADOW)
    assert (blocked.pods_evicted, blocked.pods_skipped, blocked.pods_blocked) == (0, 2, 1)
    assert "would not drain" in blocked.detail
    assert "default/batch-0 (do-not-disrupt)" in blocked.detail
    assert (free.outcome, free.pods_evicted, free.pods_blocked) == ("would-drain", 1, 0)
    assert "would cordon and evict 1 pod(s) with a 45s grace period: default/api-0" in free.detail
    assert kube.audit.count_mutations() == 0
    assert kube.audit.entries(mutating=False)  # it did look
    assert not kube.store.deletions


async def test_observe_acknowledges_jobs_and_touches_nothing(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    web_node(kube)
    kube.audit.clear()
    async with running(drainer_settings(nats_url, cluster, kube, mode=Mode.OBSERVE)):
        await nats_bus.publish(drain_job(cluster, ["n1"]))
        result = await nats_bus.result("n1")
    assert (result.outcome, result.mode) == ("skipped", Mode.OBSERVE)
    assert kube.audit.entries() == []
    assert await nats_bus.record("job-1") is None


async def _acked(nats_bus: Bus, delivered: int) -> bool:
    info = await nats_bus.js.consumer_info(jetstream.actuation_stream(nats_bus.cluster), "drainer")
    return bool(
        info.delivered.stream_seq >= delivered and info.num_ack_pending == 0 and info.num_pending == 0
    )


async def test_the_same_job_twice_drains_once(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    web_node(kube)
    kube.store.create(pdb("web", "web", min_available=2))
    job = drain_job(cluster, ["n1"])
    async with running(drainer_settings(nats_url, cluster, kube)):
        await nats_bus.publish(job, msg_id="first")
        assert (await nats_bus.result("n1")).outcome == "drained"
        await eventually(lambda: _acked(nats_bus, 1))
        requests = len(kube.audit.entries())
        await nats_bus.publish(job, msg_id="second")  # not de-duplicated by JetStream: a real second delivery
        info = await nats_bus.js.stream_info(jetstream.actuation_stream(cluster))
        await eventually(lambda: _acked(nats_bus, info.state.last_seq))
    assert len(kube.audit.entries()) == requests  # a finished job costs no API call at all
    assert kube.audit.count_mutations(path=EVICTIONS) == 2
    assert kube.audit.count_mutations(method="PATCH") == 1
    assert [r.node for r in nats_bus.results] == ["n1"]


async def test_a_restarted_drainer_resumes_the_job_from_its_record(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    blocked_node(kube)  # holds the job in its eviction phase
    config = drainer_settings(nats_url, cluster, kube)

    async with running(config):
        await nats_bus.publish(drain_job(cluster, ["n1"], deadline_in=60))
        await eventually(refused_while_evicting(nats_bus, kube))
    assert unschedulable(kube, "n1")  # stopping is not a rollback: the job is still in progress
    assert nats_bus.results == []

    kube.store.delete("poddisruptionbudgets", "web", "default")  # the budget frees up while it is down
    async with running(config):
        result = await nats_bus.result("n1")
    assert (result.outcome, result.pods_evicted) == ("drained", 2)
    assert kube.audit.count_mutations(method="PATCH", path=NODE_PATCH) == 1  # resumed, not cordoned again
    info = await nats_bus.js.consumer_info(jetstream.actuation_stream(cluster), "drainer")
    assert info.num_redelivered == 0  # the job came back from KV, not from a redelivery


async def test_evicted_pods_are_awaited_until_they_are_gone(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    kube.store.create(node("n1"))
    kube.store.create(pod("web-0", "n1", finalizers=["example.com/flush"]))  # terminates until released
    async with running(drainer_settings(nats_url, cluster, kube)):
        await nats_bus.publish(drain_job(cluster, ["n1"]))
        await eventually(lambda: kube.audit.count_mutations(path=EVICTIONS) == 1)
        polls = len(kube.audit.entries(method="GET", path=r"^/api/v1/pods$"))
        await eventually(lambda: len(kube.audit.entries(method="GET", path=r"^/api/v1/pods$")) >= polls + 3)
        assert nats_bus.results == []  # polled several times, and no result while the pod is still there
        assert kube.store.get("pods", "web-0", "default")["metadata"]["deletionTimestamp"]
        kube.store.patch("pods", "web-0", {"metadata": {"finalizers": None}}, namespace="default")
        result = await nats_bus.result("n1")
    assert (result.outcome, result.pods_evicted) == ("drained", 1)


async def test_pods_still_terminating_at_the_deadline_roll_the_node_back(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    kube.store.create(node("n1"))
    kube.store.create(pod("web-0", "n1", finalizers=["example.com/flush"]))
    async with running(drainer_settings(nats_url, cluster, kube)):
        await nats_bus.publish(drain_job(cluster, ["n1"], deadline_in=1.0))
        result = await nats_bus.result("n1")
    assert result.outcome == "rolled-back"
    assert "still terminating: default/web-0" in result.detail
    assert not unschedulable(kube, "n1")


async def test_an_emergency_does_not_wait_behind_ordinary_jobs(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    for name in ("slow", "later", "urgent"):
        kube.store.create(node(name))
    kube.store.create(pod("web-0", "slow", labels={"app": "web"}))
    kube.store.create(pdb("web", "web", min_available=1))  # the slow job waits for its deadline
    kube.store.create(pod("api-0", "later"))
    kube.store.create(pod("spot-0", "urgent"))
    async with running(drainer_settings(nats_url, cluster, kube, max_concurrent_jobs=1)):
        await nats_bus.publish(drain_job(cluster, ["slow"], job_id="slow", deadline_in=2.5))
        await eventually(lambda: kube.audit.count_mutations(path=EVICTIONS) >= 1)
        await nats_bus.publish(drain_job(cluster, ["later"], job_id="later"))
        await nats_bus.publish(drain_job(cluster, ["urgent"], job_id="urgent", emergency=True))
        assert (await nats_bus.result("urgent")).outcome == "drained"
        assert {r.node for r in nats_bus.results} == {"urgent"}  # the ordinary job still queues
        assert (await nats_bus.result("later")).outcome == "drained"
    assert [r.node for r in nats_bus.results] == ["urgent", "slow", "later"]
    assert nats_bus.results[1].outcome == "rolled-back"


async def test_server_errors_on_eviction_are_retried(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    kube.store.create(node("n1"))
    kube.store.create(pod("web-0", "n1"))
    flaky = kube.faults.fail("POST", EVICTIONS, 503, times=2, message="etcd timeout")
    async with running(drainer_settings(nats_url, cluster, kube)):
        await nats_bus.publish(drain_job(cluster, ["n1"]))
        result = await nats_bus.result("n1")
    assert (result.outcome, result.pods_evicted) == ("drained", 1)
    assert flaky.fired == 2
    assert kube.audit.count_mutations(path=EVICTIONS) == 3


async def test_a_rejected_eviction_rolls_the_node_back_at_once(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    kube.store.create(node("n1"))
    kube.store.create(pod("web-0", "n1"))
    kube.faults.fail("POST", EVICTIONS, 403, message="evictions are not allowed")
    async with running(drainer_settings(nats_url, cluster, kube)):
        await nats_bus.publish(drain_job(cluster, ["n1"], deadline_in=60))
        result = await nats_bus.result("n1")
    assert result.outcome == "rolled-back"
    assert "eviction of default/web-0 rejected (HTTP 403: evictions are not allowed)" in result.detail
    assert not unschedulable(kube, "n1")
    assert kube.store.find("pods", "web-0", "default") is not None
