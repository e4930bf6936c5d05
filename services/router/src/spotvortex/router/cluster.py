"""The router's Kubernetes reads and writes: NodePools (karpenter.sh v1, or v1beta1) and the pool's nodes.

Reads happen once per approved decision (not per tick), and only for the pool concerned.
"""

from __future__ import annotations

import logging
from typing import Any

from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from spotvortex.router.config import RouterConfig
from spotvortex.router.steering import Patch
from spotvortex.router.views import NODEPOOL, NodePoolView, NodeView, parse_node, parse_nodepool
from spotvortex.runtime.errors import TransientError

log = logging.getLogger("spotvortex.router.cluster")

GROUP = "karpenter.sh"
POOL_LABEL = "spotvortex.io/pool"
MERGE_PATCH = "application/merge-patch+json"


class KarpenterApi:
    """NodePools through the custom-objects API, at the newest ``karpenter.sh`` version the server serves."""

    def __init__(self, api: client.ApiClient) -> None:
        self._custom = client.CustomObjectsApi(api)
        self._core = client.CoreV1Api(api)
        self._version: str | None = None

    async def version(self) -> str | None:
        if self._version is None:
            for candidate in ("v1", "v1beta1"):
                try:
                    await self._custom.list_cluster_custom_object(GROUP, candidate, "nodepools", limit=1)
                except ApiException as err:
                    if err.status == 404:
                        continue
                    raise
                self._version = candidate
                break
        return self._version

    async def nodepools(self, pool: str, config: RouterConfig) -> list[NodePoolView]:
        """The pool's NodePools: its twins or itself by name, or any labelled ``spotvortex.io/pool=<pool>``."""
        version = await self.version()
        if version is None:
            return []
        listed = await self._custom.list_cluster_custom_object(GROUP, version, "nodepools")
        names = {pool, pool + config.spot_suffix, pool + config.on_demand_suffix}
        return [
            parse_nodepool(obj)
            for obj in listed.get("items", [])
            if obj["metadata"]["name"] in names
            or (obj["metadata"].get("labels") or {}).get(POOL_LABEL) == pool
        ]

    async def nodes(self, pool: str, nodepools: list[NodePoolView]) -> list[NodeView]:
        selector = (
            f"{NODEPOOL} in ({','.join(np.name for np in nodepools)})"
            if nodepools
            else f"{POOL_LABEL}={pool}"
        )
        listed: Any = await self._core.list_node(label_selector=selector, _preload_content=False)
        items: list[dict[str, Any]] = (await _json(listed, "list nodes")).get("items", [])
        views = []
        for obj in items:
            name = obj["metadata"]["name"]
            pods: Any = await self._core.list_pod_for_all_namespaces(
                field_selector=f"spec.nodeName={name}", _preload_content=False
            )
            count = len(
                [
                    p
                    for p in (await _json(pods, f"list pods on {name}")).get("items", [])
                    if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
                ]
            )
            views.append(parse_node(obj, pods=count))
        return views

    async def apply(self, patch: Patch) -> None:
        version = await self.version()
        assert version is not None, "no NodePool API to patch"
        await self._custom.patch_cluster_custom_object(  # type: ignore[call-arg]
            GROUP, version, "nodepools", patch.nodepool, patch.body, _content_type=MERGE_PATCH
        )


async def _json(response: Any, what: str) -> dict[str, Any]:
    """The body of a raw (``_preload_content=False``) response, which the client does not check for errors."""
    if response.status >= 400:
        raise TransientError(f"{what}: HTTP {response.status}: {(await response.text())[:200]}")
    body: dict[str, Any] = await response.json()
    return body
