"""Results and settings: the shadow report without I/O, results rebuilt from records, grace periods."""

from __future__ import annotations

from datetime import timedelta

import msgspec
import pytest

from spotvortex.contracts import Mode
from spotvortex.drainer import DrainerConfig, DrainerSettings, admit, preview_node, result_for
from spotvortex.drainer import jobs as j
from spotvortex.drainer.executor import priority
from spotvortex.runtime.config import load_settings
from spotvortex.runtime.errors import ConfigError

from .support import NOW, drain_job, pod


def test_preview_names_what_would_be_evicted_left_and_blocked() -> None:
    job = drain_job("c1", ["n1"], time=NOW, grace=45)
    pods = [pod("web-0", "n1"), pod("ds", "n1", owner="DaemonSet"), pod("web-1", "n1")]
    result = preview_node(job, "n1", pods, now=NOW, grace_period_seconds=45)
    assert (result.outcome, result.mode, result.node) == ("would-drain", Mode.SHADOW, "n1")
    assert (result.pods_evicted, result.pods_skipped, result.pods_blocked) == (2, 1, 0)
    assert result.detail == (
        "would cordon and evict 2 pod(s) with a 45s grace period: default/web-0, default/web-1; "
        "would leave 1 pod(s): default/ds (daemonset)"
    )
    assert result.fact_id() == "drained:job-1:n1"


def test_preview_says_whether_replacement_would_be_awaited_and_what_pods_lose() -> None:
    pods = [pod("web-0", "n1"), pod("debug", "n1", owner=None, emptydir=True)]

    def detail(provider: str | None, *, emergency: bool = False) -> str:
        job = drain_job("c1", ["n1"], time=NOW, replacement_first=True, emergency=emergency)
        result = preview_node(
            job,
            "n1",
            pods,
            now=NOW,
            grace_period_seconds=30,
            replacement_provider=provider,
            replacement_timeout=90,
        )
        return result.detail

    assert detail("karpenter placeholders").startswith(
        "would first wait up to 90s for on-demand replacement capacity (karpenter placeholders); would cordon"
    )
    assert "and drain at once (emergency)" in detail("karpenter placeholders", emergency=True)
    assert "no replacement provider for karpenter" in detail(None)
    assert "would evict 1 standalone pod(s) nothing recreates: default/debug" in detail(None)
    assert "would delete the emptyDir data of 1 pod(s): default/debug" in detail(None)


def test_preview_of_a_blocked_node_and_of_an_emergency() -> None:
    pods = [pod("web-0", "n1"), pod("db-0", "n1", annotations={"karpenter.sh/do-not-disrupt": "true"})]
    blocked = preview_node(drain_job("c1", ["n1"], time=NOW), "n1", pods, now=NOW, grace_period_seconds=60)
    assert (blocked.pods_evicted, blocked.pods_blocked) == (0, 1)
    assert blocked.detail.startswith("would not drain: 1 pod(s) must not be disrupted: default/db-0")
    urgent = preview_node(
        drain_job("c1", ["n1"], time=NOW, emergency=True), "n1", pods, now=NOW, grace_period_seconds=60
    )
    assert (urgent.pods_evicted, urgent.pods_blocked) == (2, 1)
    assert "emergency overrides protection of default/db-0 (do-not-disrupt)" in urgent.detail


def test_long_pod_lists_are_bounded() -> None:
    pods = [pod(f"web-{i}", "n1") for i in range(25)]
    result = preview_node(drain_job("c1", ["n1"], time=NOW), "n1", pods, now=NOW, grace_period_seconds=1)
    assert result.pods_evicted == 25
    assert result.detail.endswith("default/web-9 and 15 more")


def test_a_result_is_rebuilt_identically_from_the_record() -> None:
    job = drain_job("c1", ["n1"], time=NOW)
    r, _ = admit(None, job, service_mode=Mode.ENFORCE, now=NOW)
    assert r is not None
    with pytest.raises(ValueError, match="no outcome"):
        result_for(r, 0)
    done = j.finish(r, 0, "skipped", now=NOW + timedelta(seconds=1), detail="node not found")
    first, again = result_for(done, 0), result_for(done, 0)
    assert msgspec.json.encode(first) == msgspec.json.encode(again)
    assert (first.outcome, first.detail, first.cluster, first.pool) == (
        "skipped",
        "node not found",
        "c1",
        "web",
    )


@pytest.mark.parametrize(
    ("job_grace", "allow_zero", "expected"),
    [(45, False, 45), (0, False, 30), (0, True, 0), (1, False, 1)],
)
def test_grace_period_is_never_zero_unless_allowed(job_grace: int, allow_zero: bool, expected: int) -> None:
    config = DrainerConfig(allow_zero_grace_period=allow_zero)
    assert config.grace_period_for(drain_job("c1", ["n1"], grace=job_grace)) == expected


def test_settings_come_from_the_environment_with_named_errors() -> None:
    loaded = load_settings(
        DrainerSettings,
        env={
            "SPOTVORTEX_MODE": "enforce",
            "SPOTVORTEX_DRAINER__EVICTIONS_PER_NODE": "3",
            "SPOTVORTEX_DRAINER__PROTECTED_NAMESPACES": "monitoring,kube-system",
            "SPOTVORTEX_KUBE__URL": "http://127.0.0.1:1",
        },
    )
    assert loaded.mode is Mode.ENFORCE
    assert loaded.drainer.evictions_per_node == 3
    assert loaded.drainer.pod_policy().protected_namespaces == frozenset({"monitoring", "kube-system"})
    assert loaded.kube.url == "http://127.0.0.1:1"
    assert DrainerSettings().drainer == DrainerConfig()
    with pytest.raises(ConfigError, match=r"drainer\.evictions_per_node"):
        load_settings(DrainerSettings, env={"SPOTVORTEX_DRAINER__EVICTIONS_PER_NODE": "0"})


def test_emergencies_sort_first_then_the_oldest_decision() -> None:
    queued = {
        "a": (False, NOW),
        "b": (True, NOW + timedelta(seconds=5)),
        "c": (False, NOW - timedelta(seconds=5)),
        "d": (True, NOW),
    }
    assert sorted(queued, key=lambda k: priority(*queued[k], k)) == ["d", "b", "c", "a"]
