"""The cloud side of nodes: instances launch, register as Nodes after a delay, and terminate.

Karpenter and the ASG simulator both launch through here, so billing (from launch to termination, as EC2
bills), node registration and the fate of pods on a vanished node are modelled once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from spotvortex.sim.kube.errors import ApiError

from .core import World
from .machines import Machine, instance_id, node_labels, node_name, node_object
from .shapes import Shape

Listener = Callable[[Machine], None]


class Fleet:
    """Every instance the world ever ran, and the ones running now."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.machines: dict[str, Machine] = {}
        self.by_node: dict[str, Machine] = {}
        self.history: list[Machine] = []
        self._on_registered: list[Listener] = []
        self._on_terminated: list[Listener] = []

    def on_registered(self, listener: Listener) -> None:
        self._on_registered.append(listener)

    def on_terminated(self, listener: Listener) -> None:
        self._on_terminated.append(listener)

    def running(self) -> list[Machine]:
        return [self.machines[k] for k in sorted(self.machines)]

    def launch(
        self,
        shape: Shape,
        zone: str,
        capacity_type: str,
        owner: str,
        *,
        labels: Mapping[str, str],
        taints: list[dict[str, Any]] | None = None,
        latency_seconds: float,
    ) -> Machine:
        """Start an instance now; its Node registers (Ready) after ``latency_seconds``."""
        number = self.world.next_number("instance")
        machine = Machine(
            instance_id=instance_id(number),
            node_name=node_name(number, self.world.region),
            shape=shape,
            zone=zone,
            capacity_type=capacity_type,
            owner=owner,
            launched=self.world.now,
            taints=list(taints or []),
        )
        machine.labels = node_labels(machine, self.world.region, labels)
        self.machines[machine.instance_id] = machine
        self.by_node[machine.node_name] = machine
        self.history.append(machine)
        self.world.journal.record(
            "instance-launched",
            instance=machine.instance_id,
            node=machine.node_name,
            type=shape.name,
            zone=zone,
            capacity=capacity_type,
            owner=owner,
        )
        self.world.timeline.after(latency_seconds, "register", lambda: self._register(machine))
        return machine

    def _register(self, machine: Machine) -> None:
        if machine.terminated is not None:
            return
        machine.registered = self.world.now
        self.world.store.create(node_object(machine, self.world.now))
        self.world.journal.record("node-ready", node=machine.node_name)
        for listener in self._on_registered:
            listener(machine)

    def terminate(self, machine: Machine, reason: str) -> None:
        """The instance is gone: its pods die with it and its Node object is removed."""
        if machine.terminated is not None:
            return
        machine.terminated = self.world.now
        self.machines.pop(machine.instance_id, None)
        self.by_node.pop(machine.node_name, None)
        self.world.journal.record("instance-terminated", instance=machine.instance_id, reason=reason)
        store = self.world.store
        for pod in list(self.world.state.pods_on(machine.node_name)):
            m = pod["metadata"]
            try:
                store.delete("pods", m["name"], m.get("namespace"), grace_period_seconds=0)
            except ApiError as exc:
                if exc.code != 404:
                    raise
        if machine.registered is not None:
            try:
                store.delete("nodes", machine.node_name)
            except ApiError as exc:
                if exc.code != 404:
                    raise
        for listener in self._on_terminated:
            listener(machine)
