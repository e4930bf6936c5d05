"""An incremental index of the cluster, fed by watch events, answering per-pool questions cheaply.

Every event updates a few maps (pods by node, nodes by pool, PDB matches per pod, live pods per
controller), so one pool's snapshot walks only that pool's nodes and pods: no re-list, no scan of the
whole cluster per tick. PDB matching happens when a pod's labels or a PDB's selector change, never per tick.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from spotvortex.collector import labels as L
from spotvortex.collector.config import CollectorConfig
from spotvortex.collector.records import (
    NodePoolRecord,
    NodeRecord,
    Obj,
    OwnerKey,
    PdbKey,
    PdbRecord,
    PodKey,
    PodRecord,
    is_terminal,
    node_record,
    nodepool_record,
    pdb_record,
    pod_record,
)
from spotvortex.collector.selector import SelectorIndex

ADDED = "ADDED"
MODIFIED = "MODIFIED"
DELETED = "DELETED"

Key = str | tuple[str, str]
_EMPTY: frozenset[PdbKey] = frozenset()


def object_key(kind: str, obj: Obj) -> Key:
    meta = obj.get("metadata") or {}
    name = str(meta.get("name", ""))
    if kind in (L.POD, L.PDB):
        return (str(meta.get("namespace") or "default"), name)
    return name


class ClusterIndex:
    def __init__(self, config: CollectorConfig | None = None) -> None:
        self._config = config or CollectorConfig()
        self.nodes: dict[str, NodeRecord] = {}
        self.pods: dict[PodKey, PodRecord] = {}
        self.pdbs: dict[PdbKey, PdbRecord] = {}
        self.nodepools: dict[str, NodePoolRecord] = {}
        self._pods_by_node: dict[str, set[PodKey]] = defaultdict(set)
        self._pods_by_ns: dict[str, set[PodKey]] = defaultdict(set)
        self._pdbs_by_ns: dict[str, SelectorIndex[PdbKey]] = defaultdict(SelectorIndex)
        self._pod_pdbs: dict[PodKey, set[PdbKey]] = {}
        self._pdb_pods: dict[PdbKey, set[PodKey]] = defaultdict(set)
        self._owner_pods: dict[OwnerKey, int] = defaultdict(int)
        self._nodes_by_pool: dict[str, set[str]] = defaultdict(set)
        self._nodepools_by_pool: dict[str, set[str]] = defaultdict(set)
        self._node_by_instance: dict[str, str] = {}
        self.cluster_nodes = 0
        self.cluster_draining = 0
        self.generation = 0
        """Counts every change applied: a snapshot built at one generation holds until the next."""

    # -- writes ------------------------------------------------------------------------------------------

    def apply(self, kind: str, event_type: str, obj: Obj) -> None:
        """Apply one watch event (``ADDED``, ``MODIFIED``, ``DELETED``; anything else is ignored)."""
        if event_type not in (ADDED, MODIFIED, DELETED):
            return
        self.generation += 1
        deleted = event_type == DELETED
        if kind == L.NODE:
            self._node(obj, deleted)
        elif kind == L.POD:
            self._pod(obj, deleted)
        elif kind == L.PDB:
            self._pdb(obj, deleted)
        elif kind == L.NODEPOOL_KIND:
            self._nodepool(obj, deleted)
        else:
            raise ValueError(f"the collector does not index {kind!r}")

    def retain(self, kind: str, keys: Iterable[Key]) -> int:
        """After a re-list: forget every object of ``kind`` the list no longer contains; returns how many."""
        keep = set(keys)
        stores: dict[str, Mapping[Any, object]] = {
            L.NODE: self.nodes,
            L.POD: self.pods,
            L.PDB: self.pdbs,
            L.NODEPOOL_KIND: self.nodepools,
        }
        store = stores[kind]
        gone = [k for k in store if k not in keep]
        self.generation += bool(gone)
        for key in gone:
            if kind == L.NODE:
                self._drop_node(key)
            elif kind == L.POD:
                self._drop_pod(key)
            elif kind == L.PDB:
                self._drop_pdb(key)
            else:
                self._drop_nodepool(key)
        return len(gone)

    def replace(self, kind: str, objs: Iterable[Obj]) -> None:
        """A full list of ``kind``: upsert every object, then forget the ones that are gone."""
        keys = []
        for obj in objs:
            self.apply(kind, MODIFIED, obj)
            keys.append(object_key(kind, obj))
        self.retain(kind, keys)

    # nodes

    def _node(self, obj: Obj, deleted: bool) -> None:
        name = str((obj.get("metadata") or {}).get("name", ""))
        if deleted:
            self._drop_node(name)
            return
        rec = node_record(obj, self._config.pool_suffixes, self._config.fallback_provisioner)
        old = self.nodes.get(name)
        if old is not None:
            self._unlink_node(old)
        self.nodes[name] = rec
        if not rec.control_plane:
            self.cluster_nodes += 1
            self.cluster_draining += rec.draining
        if rec.pool is not None:
            self._nodes_by_pool[rec.pool].add(name)
        if rec.instance_id:
            self._node_by_instance[rec.instance_id] = name

    def _unlink_node(self, rec: NodeRecord) -> None:
        if not rec.control_plane:
            self.cluster_nodes -= 1
            self.cluster_draining -= rec.draining
        if rec.pool is not None:
            members = self._nodes_by_pool[rec.pool]
            members.discard(rec.name)
            if not members:
                del self._nodes_by_pool[rec.pool]
        if rec.instance_id and self._node_by_instance.get(rec.instance_id) == rec.name:
            del self._node_by_instance[rec.instance_id]

    def _drop_node(self, name: Any) -> None:
        rec = self.nodes.pop(name, None)
        if rec is not None:
            self._unlink_node(rec)

    # pods

    def _pod(self, obj: Obj, deleted: bool) -> None:
        meta = obj.get("metadata") or {}
        key = (str(meta.get("namespace") or "default"), str(meta.get("name", "")))
        if deleted or is_terminal(obj):  # a completed pod holds no resources and guards nothing
            self._drop_pod(key)
            return
        rec = pod_record(obj)
        old = self.pods.get(key)
        if old is not None:
            if old.node != rec.node:
                self._unbind(old)
                self._bind(rec)
            if old.owner != rec.owner:
                self._count_owner(old.owner, -1)
                self._count_owner(rec.owner, +1)
            self.pods[key] = rec
            if old.labels != rec.labels:
                self._match_pod(rec)
            return
        self.pods[key] = rec
        self._bind(rec)
        self._pods_by_ns[rec.namespace].add(key)
        self._count_owner(rec.owner, +1)
        self._match_pod(rec)

    def _bind(self, rec: PodRecord) -> None:
        if rec.node:
            self._pods_by_node[rec.node].add(rec.key)

    def _unbind(self, rec: PodRecord) -> None:
        if rec.node:
            bound = self._pods_by_node.get(rec.node)
            if bound is not None:
                bound.discard(rec.key)
                if not bound:
                    del self._pods_by_node[rec.node]

    def _count_owner(self, owner: OwnerKey | None, delta: int) -> None:
        if owner is None:
            return
        self._owner_pods[owner] += delta
        if self._owner_pods[owner] <= 0:
            del self._owner_pods[owner]

    def _match_pod(self, rec: PodRecord) -> None:
        """Match a pod against every PDB of its namespace (all of them, not only the first)."""
        self._unmatch_pod(rec.key)
        in_ns = self._pdbs_by_ns.get(rec.namespace)
        matched = in_ns.matching(rec.labels) if in_ns is not None else set()
        if matched:
            self._pod_pdbs[rec.key] = matched
            for pk in matched:
                self._pdb_pods[pk].add(rec.key)

    def _unmatch_pod(self, key: PodKey) -> None:
        for pk in self._pod_pdbs.pop(key, ()):
            members = self._pdb_pods.get(pk)
            if members is not None:
                members.discard(key)

    def _drop_pod(self, key: Any) -> None:
        rec = self.pods.pop(key, None)
        if rec is None:
            return
        self._unbind(rec)
        self._unmatch_pod(key)
        self._count_owner(rec.owner, -1)
        in_ns = self._pods_by_ns.get(rec.namespace)
        if in_ns is not None:
            in_ns.discard(key)
            if not in_ns:
                del self._pods_by_ns[rec.namespace]

    # PodDisruptionBudgets

    def _pdb(self, obj: Obj, deleted: bool) -> None:
        meta = obj.get("metadata") or {}
        key = (str(meta.get("namespace") or "default"), str(meta.get("name", "")))
        if deleted:
            self._drop_pdb(key)
            return
        rec = pdb_record(obj)
        old = self.pdbs.get(key)
        self.pdbs[key] = rec
        if old is not None and old.selector_spec == rec.selector_spec:
            return  # only the status moved: the same pods are guarded
        self._pdbs_by_ns[rec.namespace].add(key, rec.selector)
        self._unmatch_pdb(key)
        for pod_key in self._pods_by_ns.get(rec.namespace, ()):
            if rec.selector.matches(self.pods[pod_key].labels):
                self._pdb_pods[key].add(pod_key)
                self._pod_pdbs.setdefault(pod_key, set()).add(key)

    def _unmatch_pdb(self, key: PdbKey) -> None:
        for pod_key in self._pdb_pods.pop(key, ()):
            guards = self._pod_pdbs.get(pod_key)
            if guards is not None:
                guards.discard(key)
                if not guards:
                    del self._pod_pdbs[pod_key]

    def _drop_pdb(self, key: Any) -> None:
        rec = self.pdbs.pop(key, None)
        if rec is None:
            return
        self._unmatch_pdb(key)
        guards = self._pdbs_by_ns.get(rec.namespace)
        if guards is not None:
            guards.remove(key)
            if not len(guards):
                del self._pdbs_by_ns[rec.namespace]

    # NodePools

    def _nodepool(self, obj: Obj, deleted: bool) -> None:
        name = str((obj.get("metadata") or {}).get("name", ""))
        self._drop_nodepool(name)
        if deleted:
            return
        rec = nodepool_record(obj, self._config.pool_suffixes)
        self.nodepools[name] = rec
        self._nodepools_by_pool[rec.pool].add(name)

    def _drop_nodepool(self, name: Any) -> None:
        rec = self.nodepools.pop(name, None)
        if rec is not None:
            members = self._nodepools_by_pool[rec.pool]
            members.discard(name)
            if not members:
                del self._nodepools_by_pool[rec.pool]

    # -- reads -------------------------------------------------------------------------------------------

    def pools(self) -> list[str]:
        """Pools with at least one node, sorted."""
        return sorted(self._nodes_by_pool)

    def pool_nodes(self, pool: str) -> list[NodeRecord]:
        return [self.nodes[n] for n in sorted(self._nodes_by_pool.get(pool, ()))]

    def pods_on(self, node: str) -> list[PodRecord]:
        return [self.pods[k] for k in self._pods_by_node.get(node, ())]

    def guards_of(self, pod: PodKey) -> Iterable[PdbKey]:
        """The PDBs selecting ``pod`` (any number)."""
        return self._pod_pdbs.get(pod, _EMPTY)

    def replicas(self, owner: OwnerKey | None) -> int:
        """Live pods of the same controller in the same namespace."""
        return self._owner_pods.get(owner, 0) if owner is not None else 0

    def pool_of(self, node: str) -> str | None:
        rec = self.nodes.get(node)
        return rec.pool if rec is not None else None

    def node_for_instance(self, instance_id: str) -> str | None:
        return self._node_by_instance.get(instance_id)

    def pool_nodepools(self, pool: str) -> list[NodePoolRecord]:
        """NodePools named for the pool (its twins, by label or name) and any its nodes come from."""
        names = set(self._nodepools_by_pool.get(pool, ()))
        for node in self._nodes_by_pool.get(pool, ()):
            rec = self.nodes[node]
            if rec.nodepool and rec.nodepool in self.nodepools:
                names.add(rec.nodepool)
        return [self.nodepools[n] for n in sorted(names)]

    def counts(self) -> dict[str, int]:
        """Objects held, by kind (for metrics and the benchmark)."""
        return {
            L.NODE: len(self.nodes),
            L.POD: len(self.pods),
            L.PDB: len(self.pdbs),
            L.NODEPOOL_KIND: len(self.nodepools),
        }
