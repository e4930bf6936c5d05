"""The drainer's Kubernetes requests: read or list nodes, (un)cordon one, list pods, evict one pod, create
and delete placeholder pods, write an Event.

Each is safe to repeat. The cordon is a read-modify-write merge patch that carries the
``resourceVersion`` it read as a precondition, so a concurrent change is a 409 and the drainer re-reads
instead of acting on a stale view; it also records the job in an annotation so anyone looking at a cordoned
node can tell who cordoned it and why. Evictions go through the Eviction API (never a plain delete), which is
what makes PodDisruptionBudgets apply, and carry the pod's uid as a precondition so a pod recreated under
the same name is never evicted by mistake.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from spotvortex.runtime.errors import TransientError
from spotvortex.runtime.kube import KubeSettings, api_client

MERGE_PATCH = "application/merge-patch+json"
DRAIN_JOB_ANNOTATION = "spotvortex.io/drain-job"

TRANSPORT_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError)


@dataclass(frozen=True)
class NodeState:
    name: str
    unschedulable: bool
    resource_version: str
    drain_job: str | None
    uid: str = ""


@dataclass(frozen=True)
class EvictionAnswer:
    """``evicted``: accepted; ``gone``: the pod (with that uid) no longer exists; ``retry``: refused for now
    (a budget's 429, a server error, a lost connection); ``fatal``: the request itself is wrong."""

    kind: Literal["evicted", "gone", "retry", "fatal"]
    status: int = 0
    message: str = ""
    retry_after: float | None = None


def error_message(err: ApiException) -> str:
    """The ``message`` of the API server's Status body, else the HTTP reason."""
    try:
        body = json.loads(err.body or "{}")
    except (TypeError, ValueError):
        body = {}
    message = body.get("message") if isinstance(body, dict) else None
    return str(message or err.reason or f"HTTP {err.status}")


def _retry_after(err: ApiException) -> float | None:
    headers: Any = err.headers or {}
    raw = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


class ClusterApi:
    """The client is made on first use, so a drainer that never needs the API (observe) never opens one."""

    def __init__(self, settings: KubeSettings, *, conflict_attempts: int) -> None:
        self._settings = settings
        self._timeout = settings.request_timeout_seconds
        self._attempts = conflict_attempts
        self._client: client.ApiClient | None = None
        self._api: Any = None  # CoreV1Api; its keyword options (_content_type…) are untyped

    async def _core(self) -> Any:
        if self._api is None:
            self._client = await api_client(self._settings)
            self._api = client.CoreV1Api(self._client)
        return self._api

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client, self._api = None, None

    async def read_node(self, name: str) -> NodeState | None:
        """The node's cordon state, or ``None`` when it does not exist."""
        core = await self._core()
        try:
            node: Any = await core.read_node(name, _request_timeout=self._timeout)
        except ApiException as err:
            if err.status == 404:
                return None
            raise
        meta = node.metadata
        return NodeState(
            name=name,
            unschedulable=bool(node.spec and node.spec.unschedulable),
            resource_version=str(meta.resource_version or ""),
            drain_job=(meta.annotations or {}).get(DRAIN_JOB_ANNOTATION),
            uid=str(meta.uid or ""),
        )

    async def node_object(self, name: str) -> dict[str, Any] | None:
        """The node as the API's JSON (labels, conditions: what readiness is judged from), or ``None``."""
        core = await self._core()
        resp: Any = await core.read_node(name, _preload_content=False, _request_timeout=self._timeout)
        if resp.status == 404:
            await resp.read()  # hand the connection back
            return None
        return await _json(resp)

    async def nodes(self) -> list[dict[str, Any]]:
        """Every node as the API's JSON (to find the nodes of new Auto Scaling instances by provider id)."""
        core = await self._core()
        resp: Any = await core.list_node(_preload_content=False, _request_timeout=self._timeout)
        return list((await _json(resp)).get("items") or [])

    async def set_unschedulable(self, name: str, unschedulable: bool, job_id: str) -> bool:
        """Cordon (or uncordon) ``name`` for ``job_id``; ``False`` when the node does not exist.

        Nothing is sent when the node is already in the wanted state. A 409 (the node changed since it was
        read) re-reads and tries again, up to the configured number of attempts.
        """
        for _ in range(self._attempts):
            node = await self.read_node(name)
            if node is None:
                return False
            ours = node.drain_job == job_id
            if node.unschedulable == unschedulable and (unschedulable or not ours):
                return True
            metadata: dict[str, Any] = {"resourceVersion": node.resource_version}
            if unschedulable or ours:  # another job's (or a person's) note stays
                metadata["annotations"] = {DRAIN_JOB_ANNOTATION: job_id if unschedulable else None}
            patch = {"metadata": metadata, "spec": {"unschedulable": True if unschedulable else None}}
            core = await self._core()
            try:
                await core.patch_node(name, patch, _content_type=MERGE_PATCH, _request_timeout=self._timeout)
            except ApiException as err:
                if err.status == 409:
                    continue
                if err.status == 404:
                    return False
                raise
            return True
        raise TransientError(f"node {name} kept changing: {self._attempts} conflicting writes in a row")

    async def pods_on(self, node: str) -> list[dict[str, Any]]:
        """Every pod bound to ``node``, in every namespace, as the API's JSON (what the cores classify)."""
        core = await self._core()
        resp: Any = await core.list_pod_for_all_namespaces(
            field_selector=f"spec.nodeName={node}", _preload_content=False, _request_timeout=self._timeout
        )
        return list((await _json(resp)).get("items") or [])

    async def pods_in(self, namespace: str, label_selector: str = "") -> list[dict[str, Any]]:
        """The pods of one namespace (optionally only those ``label_selector`` selects), as the API's JSON."""
        core = await self._core()
        resp: Any = await core.list_namespaced_pod(
            namespace,
            label_selector=label_selector or None,
            _preload_content=False,
            _request_timeout=self._timeout,
        )
        return list((await _json(resp)).get("items") or [])

    async def create_pod(self, body: dict[str, Any]) -> bool:
        """Create a pod; ``False`` when one of that name already exists (a repeated create is harmless)."""
        core = await self._core()
        namespace = body["metadata"]["namespace"]
        return await _unless(409, core.create_namespaced_pod(namespace, body, _request_timeout=self._timeout))

    async def delete_pod(self, namespace: str, name: str) -> bool:
        """Delete a pod at once (grace 0: only placeholders are deleted this way); ``False`` when gone."""
        core = await self._core()
        deleted = core.delete_namespaced_pod(
            name, namespace, grace_period_seconds=0, _request_timeout=self._timeout
        )
        return await _unless(404, deleted)

    async def create_event(self, body: dict[str, Any]) -> bool:
        """Write a core/v1 Event; ``False`` when an Event of that name exists (it was written before)."""
        core = await self._core()
        namespace = body["metadata"]["namespace"]
        return await _unless(
            409, core.create_namespaced_event(namespace, body, _request_timeout=self._timeout)
        )

    async def evict(self, namespace: str, name: str, uid: str, grace_period_seconds: int) -> EvictionAnswer:
        body = client.V1Eviction(
            api_version="policy/v1",
            kind="Eviction",
            metadata=client.V1ObjectMeta(name=name, namespace=namespace),
            delete_options=client.V1DeleteOptions(
                grace_period_seconds=grace_period_seconds,
                preconditions=client.V1Preconditions(uid=uid) if uid else None,
            ),
        )
        core = await self._core()
        try:
            await core.create_namespaced_pod_eviction(name, namespace, body, _request_timeout=self._timeout)
        except ApiException as err:
            return _answer(err)
        except TRANSPORT_ERRORS as err:
            return EvictionAnswer(kind="retry", message=f"API unreachable: {err!r}")
        return EvictionAnswer(kind="evicted", status=201)


async def _json(resp: Any) -> dict[str, Any]:
    """The body of a response read without preloading (the client then leaves the status check to us)."""
    if resp.status != 200:
        raise ApiException(status=resp.status, reason=await resp.text())
    body: dict[str, Any] = await resp.json()
    return body


def _answer(err: ApiException) -> EvictionAnswer:
    status = int(err.status or 0)
    message = error_message(err)
    if status in (404, 409):  # gone, or a different pod now holds the name (uid precondition)
        return EvictionAnswer(kind="gone", status=status, message=message)
    if status == 429 or status >= 500:
        return EvictionAnswer(kind="retry", status=status, message=message, retry_after=_retry_after(err))
    return EvictionAnswer(kind="fatal", status=status, message=message)


async def _unless(status: int, call: Awaitable[object]) -> bool:
    """Await a write; ``False`` when the API answers ``status`` (the write was already made, or undone)."""
    try:
        await call
    except ApiException as err:
        if err.status == status:
            return False
        raise
    return True
