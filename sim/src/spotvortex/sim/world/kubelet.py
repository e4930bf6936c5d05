"""The kubelet, as far as readiness goes: a bound pod runs at once and turns Ready after its startup time.

Startup time is what an interruption really costs a service (image pull, JVM warm-up, cache fill), so it
comes from the pod (annotation ``spotvortex.io/startup-time``, e.g. ``45s``; absent = ready at once).
"""

from __future__ import annotations

from typing import Any

from spotvortex.sim.kube.errors import ApiError
from spotvortex.sim.kube.objects import rfc3339
from spotvortex.sim.kube.watch import DELETED, Change

from . import labels as L
from .core import World
from .state import PODS, PodKey, node_name_of, pod_key


def startup_seconds(pod: dict[str, Any]) -> float:
    raw = ((pod["metadata"].get("annotations") or {}).get(L.STARTUP_ANNOTATION) or "0").strip()
    try:
        if raw.endswith("ms"):
            return float(raw[:-2]) / 1000
        if raw.endswith("m"):
            return float(raw[:-1]) * 60
        return float(raw.rstrip("s"))
    except ValueError:
        return 0.0


def _conditions(now: str, ready: bool, node_ready: bool = True) -> list[dict[str, Any]]:
    flag = "True" if ready else "False"
    return [
        {"type": "PodScheduled", "status": "True", "lastTransitionTime": now},
        {"type": "Initialized", "status": "True", "lastTransitionTime": now},
        {"type": "ContainersReady", "status": flag, "lastTransitionTime": now},
        {"type": "Ready", "status": flag, "lastTransitionTime": now},
    ]


class Kubelet:
    """Starts pods bound to registered nodes and marks them Ready after their startup time."""

    def __init__(self, world: World, *, instant: bool = False) -> None:
        self.world = world
        self.instant = instant
        """Warm start: pods are Ready the moment they are bound."""
        self._starting: set[tuple[PodKey, str]] = set()
        world.state.observe(self._on_change)

    def _on_change(self, change: Change) -> None:
        if change.resource != PODS or change.type == DELETED:
            return
        pod = change.obj
        node = node_name_of(pod)
        if (
            not node
            or (pod.get("status") or {}).get("phase") != "Pending"
            or node not in self.world.state.nodes
        ):
            return
        token = (pod_key(pod), pod["metadata"].get("uid", ""))
        if token in self._starting:
            return
        self._starting.add(token)
        self.world.timeline.at(self.world.now, "pod-start", lambda: self._start(token))

    def _current(self, token: tuple[PodKey, str]) -> dict[str, Any] | None:
        pod = self.world.state.pods.get(token[0])
        if pod is None or pod["metadata"].get("uid", "") != token[1]:
            return None
        return pod

    def _write_status(self, pod: dict[str, Any], status: dict[str, Any]) -> None:
        m = pod["metadata"]
        try:
            self.world.store.patch("pods", m["name"], {"status": status}, namespace=m.get("namespace"))
        except ApiError as exc:
            if exc.code != 404:
                raise

    def _start(self, token: tuple[PodKey, str]) -> None:
        self._starting.discard(token)
        pod = self._current(token)
        if pod is None or node_name_of(pod) not in self.world.state.nodes:
            return
        now = rfc3339(self.world.now)
        delay = 0.0 if self.instant else startup_seconds(pod)
        status = {"phase": "Running", "startTime": now, "conditions": _conditions(now, ready=delay <= 0)}
        status["containerStatuses"] = [
            {
                "name": "app",
                "ready": delay <= 0,
                "started": True,
                "restartCount": 0,
                "image": "registry.k8s.io/pause:3.10",
                "imageID": "",
                "state": {"running": {"startedAt": now}},
            }
        ]
        self._write_status(pod, status)
        if delay > 0:
            self.world.timeline.after(delay, "pod-ready", lambda: self._ready(token))

    def _ready(self, token: tuple[PodKey, str]) -> None:
        pod = self._current(token)
        if pod is None:
            return
        now = rfc3339(self.world.now)
        statuses = [dict(s, ready=True) for s in (pod.get("status") or {}).get("containerStatuses") or []]
        self._write_status(pod, {"conditions": _conditions(now, ready=True), "containerStatuses": statuses})
