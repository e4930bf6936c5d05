"""The in-memory object store: one global resourceVersion, every write an event.

All methods are synchronous so a write, its version bump and its watch fan-out happen as one step on the
event loop; HTTP handlers and in-process simulators share these same code paths. The store also plays the
disruption controller: after any pod or PDB write it recomputes the namespace's PDB statuses and writes
those that changed, so PDB reads are always current and PDB watchers see MODIFIED like on a cluster.

Stored objects are never changed in place: a write stores a new top-level map and a new ``metadata`` map
and shares every unchanged part with the version it replaces. Whatever leaves through ``get``, ``list``
and the write methods' return values is a private deep copy the caller may change; what leaves through
``view`` and watch ``Change`` events is the stored object itself, to be read only.
"""

from __future__ import annotations

import builtins
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import selectors
from .errors import STALE_OBJECT, ApiError, already_exists, conflict, invalid, not_found
from .eviction import eviction_refusal
from .objects import (
    copy_object,
    generated_name,
    meta,
    name_problem,
    new_uid,
    rfc3339,
    spec_part,
    wall_now,
    with_own_metadata,
)
from .patch import MERGE_PATCH, apply_patch, check_patch_type
from .pdb import ScaleOf, compute_pdb_status, pdb_selects
from .resources import Registry, ResourceType
from .strategy import (
    Scope,
    allows_unconditional_update,
    apply_defaults,
    names_are_dns_labels,
    prepare_for_create,
)
from .watch import ADDED, DELETED, MODIFIED, Change, Subscription, WatchHub

Obj = dict[str, Any]
ObjKey = tuple[str, str]  # (namespace or "", name)
ResourceRef = str | ResourceType


@dataclass(frozen=True)
class DeletionRecord:
    """A completed deletion, kept so tests can check the grace period a drainer asked for."""

    resource: str
    namespace: str
    name: str
    uid: str
    grace_period_seconds: int | None
    evicted: bool
    time: str


class Store:
    """Objects of every served type, keyed by ``(group, plural)`` then ``(namespace, name)``."""

    def __init__(
        self,
        registry: Registry,
        hub: WatchHub | None = None,
        now: Callable[[], datetime] = wall_now,
        seed: int | None = None,
    ) -> None:
        self.registry = registry
        self.hub = hub or WatchHub()
        self._now = now
        self.now = now  # the emulator's clock, for what the server computes (ages in tables, timestamps)
        self._rng = random.Random(seed)
        self._rv = 0
        self._objects: dict[tuple[str, str], dict[ObjKey, Obj]] = {rt.key: {} for rt in registry.types}
        self._by_namespace: dict[tuple[str, str], dict[str, dict[ObjKey, Obj]]] = {
            rt.key: {} for rt in registry.types if rt.namespaced
        }
        """The same objects per namespace, in the same order: PDB upkeep after every pod write reads one
        namespace, and filtering every pod of the cluster for it was most of a write's cost."""
        self.deletions: list[DeletionRecord] = []
        self.scale_of: ScaleOf | None = None
        """Set by whoever plays the workload controllers, so PDBs count replicas like on a cluster."""

    # -- lookups ---------------------------------------------------------------------------------------

    @property
    def resource_version(self) -> int:
        """The newest committed version (what a list reports as ``metadata.resourceVersion``)."""
        return self._rv

    def resolve(self, resource: ResourceRef) -> ResourceType:
        return resource if isinstance(resource, ResourceType) else self.registry.resolve(resource)

    def _in_namespace(self, rt: ResourceType, namespace: str) -> dict[ObjKey, Obj]:
        """Objects of a namespaced type in ``namespace``, in the order ``_objects`` holds them."""
        return self._by_namespace[rt.key].get(namespace) or {}

    def _key(self, rt: ResourceType, name: str, namespace: str | None) -> ObjKey:
        if rt.namespaced:
            return (namespace or "default", name)
        return ("", name)

    def _current(self, rt: ResourceType, name: str, namespace: str | None) -> Obj:
        found = self._objects[rt.key].get(self._key(rt, name, namespace))
        if found is None:
            raise not_found(rt.plural, rt.group, name)
        return found

    def get(self, resource: ResourceRef, name: str, namespace: str | None = None) -> Obj:
        """A copy of the object; ``ApiError`` 404 if absent."""
        rt = self.resolve(resource)
        return self._copy(self._current(rt, name, namespace))

    def find(self, resource: ResourceRef, name: str, namespace: str | None = None) -> Obj | None:
        """Like ``get`` but ``None`` when absent."""
        rt = self.resolve(resource)
        found = self._objects[rt.key].get(self._key(rt, name, namespace))
        return self._copy(found) if found is not None else None

    def matcher(
        self, rt: ResourceType, namespace: str | None, label_selector: str = "", field_selector: str = ""
    ) -> Callable[[Obj], bool]:
        """A predicate for list and watch filtering; bad selectors raise the server's 400."""
        labels = selectors.parse_label_selector(label_selector or "")
        fields = selectors.parse_field_selector(field_selector or "")
        selectors.check_fields_supported(fields, rt.field_selectors)

        def matches(obj: Obj) -> bool:
            m = obj.get("metadata") or {}
            if namespace and rt.namespaced and m.get("namespace") != namespace:
                return False
            return selectors.labels_match(labels, m.get("labels")) and selectors.fields_match(fields, obj)

        return matches

    def list(
        self,
        resource: ResourceRef,
        namespace: str | None = None,
        label_selector: str = "",
        field_selector: str = "",
    ) -> list[Obj]:
        """Copies of matching objects in etcd key order (namespace, then name)."""
        rt = self.resolve(resource)
        matches = self.matcher(rt, namespace, label_selector, field_selector)
        return [self._copy(o) for _, o in sorted(self._objects[rt.key].items()) if matches(o)]

    def view(self, resource: ResourceRef, label_selector: str = "") -> builtins.list[Obj]:
        """The stored objects themselves, in key order, for in-process readers that only read.

        ``list`` copies every object, which dominates an evaluation that reads the cluster each cycle; stored
        objects are replaced, never mutated, on write, so a reader may hold these without seeing them change.
        """
        rt = self.resolve(resource)
        matches = self.matcher(rt, None, label_selector, "")
        return [o for _, o in sorted(self._objects[rt.key].items()) if matches(o)]

    # -- writes ----------------------------------------------------------------------------------------

    @staticmethod
    def _copy(obj: Obj) -> Obj:
        """A caller's private copy of a stored object."""
        copied: Obj = copy_object(obj)
        return copied

    def _commit(self, rt: ResourceType, event: str, new: Obj, old: Obj | None, derive: bool = True) -> Obj:
        self._rv += 1
        meta(new)["resourceVersion"] = str(self._rv)
        key = self._key(rt, new["metadata"]["name"], new["metadata"].get("namespace"))
        by_namespace = self._by_namespace.get(rt.key)
        if event == DELETED:
            self._objects[rt.key].pop(key, None)
            if by_namespace is not None:
                by_namespace.get(key[0], {}).pop(key, None)
        else:
            self._objects[rt.key][key] = new
            if by_namespace is not None:
                by_namespace.setdefault(key[0], {})[key] = new
        # Stored objects are never changed in place (every write stores a fresh object), so the change can
        # share them; whoever alters an object for the wire copies it first (``present.as_version``).
        self.hub.publish(Change(self._rv, event, rt.key, new, old))
        if derive and rt.kind == "Pod":
            self._refresh_pdbs(
                new["metadata"].get("namespace") or "", [o for o in (new, old) if o is not None]
            )
        elif derive and rt.kind == "PodDisruptionBudget":
            self._refresh_pdbs(new["metadata"].get("namespace") or "", None)
        return new

    def _refresh_pdbs(self, namespace: str, pods_changed: builtins.list[Obj] | None) -> None:
        """Act as the disruption controller for one namespace: recompute the PDBs a change concerns
        (those selecting the changed pod, or all of them after a PDB write)."""
        pdb_rt = self.registry.get("policy", "poddisruptionbudgets")
        pod_rt = self.registry.get("", "pods")
        budgets = []
        for key, pdb in sorted(self._in_namespace(pdb_rt, namespace).items()):
            if pods_changed is not None:
                selector = (pdb.get("spec") or {}).get("selector")
                if selector is None:
                    continue
                reqs = selectors.requirements_from_label_selector(selector)
                if not any(
                    selectors.labels_match(reqs, (p.get("metadata") or {}).get("labels"))
                    for p in pods_changed
                ):
                    continue
            budgets.append((key, pdb))
        if not budgets:
            return
        pods = list(self._in_namespace(pod_rt, namespace).values())
        for _, pdb in budgets:
            status = compute_pdb_status(pdb, pods, pdb.get("status"), rfc3339(self._now()), self.scale_of)
            if status != pdb.get("status"):
                updated = with_own_metadata(pdb)
                updated["status"] = status
                self._commit(pdb_rt, MODIFIED, updated, pdb, derive=False)

    def create(
        self,
        obj: Obj,
        *,
        namespace: str | None = None,
        resource: ResourceRef | None = None,
        scope: Scope = Scope.ALL,
        dry_run: bool = False,
    ) -> Obj:
        """Add a new object; 409 AlreadyExists if the name is taken. ``scope=ALL`` keeps its status."""
        rt = self.resolve(resource) if resource is not None else self.registry.for_object(obj)
        new = self._copy(obj)
        new["apiVersion"] = rt.api_version()
        new["kind"] = rt.kind
        m = meta(new)
        if rt.namespaced:
            body_ns = m.get("namespace")
            if namespace and body_ns and body_ns != namespace:
                raise ApiError(
                    400,
                    "the namespace of the provided object does not match the namespace sent on the request",
                )
            m["namespace"] = namespace or body_ns or "default"
        else:
            m.pop("namespace", None)
        if not m.get("name"):
            prefix = m.get("generateName")
            if not prefix:
                raise invalid(
                    rt.kind,
                    rt.group,
                    "",
                    [("metadata.name", "Required value: name or generateName is required")],
                )
            m["name"] = generated_name(prefix, self._rng)
            while self._key(rt, m["name"], m.get("namespace")) in self._objects[rt.key]:
                m["name"] = generated_name(prefix, self._rng)
        problem = name_problem(m["name"], names_are_dns_labels(rt))
        if problem:
            raise invalid(
                rt.kind, rt.group, m["name"], [("metadata.name", f'Invalid value: "{m["name"]}": {problem}')]
            )
        if self._key(rt, m["name"], m.get("namespace")) in self._objects[rt.key]:
            raise already_exists(rt.plural, rt.group, m["name"])
        for field in ("deletionTimestamp", "deletionGracePeriodSeconds", "resourceVersion"):
            m.pop(field, None)
        m["uid"] = new_uid()
        m["creationTimestamp"] = rfc3339(self._now())
        m["generation"] = 1
        if scope is not Scope.ALL:
            prepare_for_create(rt, new)
        apply_defaults(rt, new)
        if dry_run:
            return new
        self._commit(rt, ADDED, new, None)
        return self._copy(self._current(rt, m["name"], m.get("namespace")))

    def update(
        self,
        obj: Obj,
        *,
        name: str | None = None,
        namespace: str | None = None,
        resource: ResourceRef | None = None,
        scope: Scope = Scope.ALL,
        dry_run: bool = False,
    ) -> Obj:
        """Replace an object (PUT). A stale ``metadata.resourceVersion`` is a 409 Conflict."""
        rt = self.resolve(resource) if resource is not None else self.registry.for_object(obj)
        body_meta = obj.get("metadata") or {}
        name = name or body_meta.get("name") or ""
        if body_meta.get("name") and body_meta["name"] != name:
            raise ApiError(
                400,
                f"the name of the object ({body_meta['name']}) does not match the name on the URL ({name})",
            )
        if rt.namespaced:
            namespace = namespace or body_meta.get("namespace") or "default"
            if body_meta.get("namespace") and body_meta["namespace"] != namespace:
                raise ApiError(
                    400,
                    "the namespace of the provided object does not match the namespace sent on the request",
                )
        current = self._current(rt, name, namespace)
        wanted_rv = body_meta.get("resourceVersion")
        if not wanted_rv and scope is not Scope.ALL and not allows_unconditional_update(rt):
            raise invalid(
                rt.kind,
                rt.group,
                name,
                [("metadata.resourceVersion", "Invalid value: 0x0: must be specified for an update")],
            )
        if wanted_rv and str(wanted_rv) != current["metadata"]["resourceVersion"]:
            raise conflict(rt.plural, rt.group, name, STALE_OBJECT)
        new = self._merge_update(rt, current, self._copy(obj), scope)
        return self._write_update(rt, current, new, dry_run)

    def _merge_update(self, rt: ResourceType, current: Obj, obj: Obj, scope: Scope) -> Obj:
        """The object to store: identity fields from ``current``, the rest from ``obj`` within ``scope``.

        ``obj`` must be the store's own (a copy of a caller's body, or a patch result): its parts are
        shared into the stored object, only its top level and ``metadata`` are replaced.
        """
        if scope is Scope.STATUS:
            new = with_own_metadata(current)
            if "status" in obj:
                new["status"] = obj["status"]
            else:
                new.pop("status", None)
            apply_defaults(rt, new)
            return new
        new = with_own_metadata(obj)
        new["apiVersion"] = rt.api_version()
        new["kind"] = rt.kind
        m = meta(new)
        cur = current["metadata"]
        for field in (
            "name",
            "namespace",
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
        ):
            if field in cur:
                m[field] = cur[field]
            else:
                m.pop(field, None)
        m["generation"] = cur.get("generation", 1)
        m["resourceVersion"] = cur["resourceVersion"]
        if scope is Scope.MAIN and rt.status_subresource:
            if "status" in current:
                new["status"] = current["status"]
            else:
                new.pop("status", None)
        if cur.get("deletionTimestamp"):
            added = set(m.get("finalizers") or []) - set(cur.get("finalizers") or [])
            if added:
                raise invalid(
                    rt.kind,
                    rt.group,
                    cur["name"],
                    [
                        (
                            "metadata.finalizers",
                            "Forbidden: no new finalizers can be added if the object is being deleted",
                        )
                    ],
                )
        apply_defaults(rt, new)
        if spec_part(new) != spec_part(current):
            m["generation"] = int(cur.get("generation") or 0) + 1
        return new

    def _write_update(self, rt: ResourceType, current: Obj, new: Obj, dry_run: bool) -> Obj:
        if new == current:
            return self._copy(current)  # a no-op write keeps its resourceVersion, as on a real server
        if dry_run:
            return self._copy(new)
        m = new["metadata"]
        if m.get("deletionTimestamp") and not m.get("finalizers"):
            self._record_deletion(rt, new, m.get("deletionGracePeriodSeconds"), evicted=False)
            return self._copy(self._commit(rt, DELETED, new, current))
        self._commit(rt, MODIFIED, new, current)
        return self._copy(self._current(rt, m["name"], m.get("namespace")))

    def patch(
        self,
        resource: ResourceRef,
        name: str,
        body: bytes | dict[str, Any] | builtins.list[Any],
        *,
        namespace: str | None = None,
        content_type: str = MERGE_PATCH,
        scope: Scope = Scope.ALL,
        version: str | None = None,
        dry_run: bool = False,
    ) -> Obj:
        """Apply a JSON, merge or strategic merge patch; a ``resourceVersion`` in the patch is a precondition."""
        rt = self.resolve(resource)
        check_patch_type(content_type, rt)
        current = self._current(rt, name, namespace)
        view = dict(current)  # patches never change their input, so only the top level differs
        view["apiVersion"] = rt.api_version(version)
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        patched = with_own_metadata(apply_patch(view, content_type, raw, rt))
        patched_meta = meta(patched)
        if (
            patched_meta.get("resourceVersion")
            and patched_meta["resourceVersion"] != current["metadata"]["resourceVersion"]
        ):
            raise conflict(rt.plural, rt.group, name, STALE_OBJECT)
        patched_meta["resourceVersion"] = current["metadata"]["resourceVersion"]
        new = self._merge_update(rt, current, patched, scope)
        return self._write_update(rt, current, new, dry_run)

    def delete(
        self,
        resource: ResourceRef,
        name: str,
        namespace: str | None = None,
        *,
        grace_period_seconds: int | None = None,
        preconditions: dict[str, Any] | None = None,
        dry_run: bool = False,
        evicted: bool = False,
    ) -> Obj:
        """Delete, or only mark ``deletionTimestamp`` while finalizers remain; returns the last state."""
        rt = self.resolve(resource)
        current = self._current(rt, name, namespace)
        cur = current["metadata"]
        pre = preconditions or {}
        if pre.get("uid") and pre["uid"] != cur.get("uid"):
            raise conflict(
                rt.plural,
                rt.group,
                name,
                f"Precondition failed: UID in precondition: {pre['uid']}, UID in object meta: {cur.get('uid')}",
            )
        if pre.get("resourceVersion") and pre["resourceVersion"] != cur.get("resourceVersion"):
            raise conflict(
                rt.plural,
                rt.group,
                name,
                f"Precondition failed: ResourceVersion in precondition: {pre['resourceVersion']}, "
                f"ResourceVersion in object meta: {cur.get('resourceVersion')}",
            )
        new = with_own_metadata(current)
        m = new["metadata"]
        if cur.get("finalizers"):
            if cur.get("deletionTimestamp"):
                return self._copy(current)
            m["deletionTimestamp"] = rfc3339(self._now())
            m["deletionGracePeriodSeconds"] = grace_period_seconds or 0
            m["generation"] = int(m.get("generation") or 0) + 1
            if dry_run:
                return self._copy(new)
            return self._copy(self._commit(rt, MODIFIED, new, current))
        if rt.kind == "Pod":
            m.setdefault("deletionTimestamp", rfc3339(self._now()))
            default_grace = (new.get("spec") or {}).get("terminationGracePeriodSeconds", 30)
            m["deletionGracePeriodSeconds"] = (
                default_grace if grace_period_seconds is None else grace_period_seconds
            )
        if dry_run:
            return self._copy(new)
        if rt.kind == "Namespace":
            self._empty_namespace(name)
        self._record_deletion(rt, new, grace_period_seconds, evicted)
        return self._copy(self._commit(rt, DELETED, new, current))

    def _empty_namespace(self, namespace: str) -> None:
        """Namespace deletion removes its contents (the namespace controller's job on a cluster)."""
        for rt in self.registry.types:
            if not rt.namespaced:
                continue
            for _, obj in sorted(self._in_namespace(rt, namespace).items()):
                self._record_deletion(rt, obj, None, evicted=False)
                self._commit(rt, DELETED, with_own_metadata(obj), obj)

    def _record_deletion(self, rt: ResourceType, obj: Obj, grace: int | None, evicted: bool) -> None:
        m = obj["metadata"]
        self.deletions.append(
            DeletionRecord(
                rt.qualified,
                m.get("namespace", ""),
                m["name"],
                m.get("uid", ""),
                grace,
                evicted,
                rfc3339(self._now()),
            )
        )

    def evict(self, name: str, namespace: str, eviction: Obj | None = None, *, dry_run: bool = False) -> None:
        """The ``pods/eviction`` subresource: delete unless a PDB forbids it (429) or is ambiguous (500)."""
        pod_rt = self.registry.get("", "pods")
        body = eviction or {}
        body_name = (body.get("metadata") or {}).get("name")
        if body_name and body_name != name:
            raise ApiError(400, f"name in URL does not match name in Eviction object: {name} vs {body_name}")
        pod = self._current(pod_rt, name, namespace)
        pdb_rt = self.registry.get("policy", "poddisruptionbudgets")
        pdbs = [p for _, p in sorted(self._in_namespace(pdb_rt, namespace).items()) if pdb_selects(p, pod)]
        refusal = eviction_refusal(pod, pdbs)
        if refusal is not None:
            raise refusal
        options = body.get("deleteOptions") or {}
        self.delete(
            pod_rt,
            name,
            namespace,
            grace_period_seconds=options.get("gracePeriodSeconds"),
            preconditions=options.get("preconditions"),
            dry_run=dry_run or bool(options.get("dryRun")),
            evicted=True,
        )

    # -- watch -----------------------------------------------------------------------------------------

    def watch(
        self,
        resource: ResourceRef,
        namespace: str | None = None,
        label_selector: str = "",
        field_selector: str = "",
        resource_version: str | None = None,
    ) -> Subscription:
        """A subscription: synthetic ADDED for current objects, or a replay from ``resource_version``."""
        rt = self.resolve(resource)
        matches = self.matcher(rt, namespace, label_selector, field_selector)
        if resource_version not in (None, "", "0"):
            try:
                since = int(str(resource_version))
            except ValueError as exc:
                raise ApiError(400, f"invalid resource version: {resource_version}") from exc
            return self.hub.resume(rt.key, matches, since)
        sub = self.hub.subscribe(rt.key, matches, self._rv)
        for _, obj in sorted(self._objects[rt.key].items()):
            if matches(obj):
                sub.queue.put_nowait((ADDED, self._copy(obj)))
        return sub
