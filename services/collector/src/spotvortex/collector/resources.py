"""Which list calls serve each watched kind: Nodes, Pods, PDBs (policy/v1) and Karpenter NodePools.

NodePools are looked up at ``karpenter.sh/v1``, then ``v1beta1``; a cluster without Karpenter simply has
none (the probe is repeated at every re-list, so installing Karpenter later is noticed).
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from kubernetes_asyncio import client

from spotvortex.collector import labels as L
from spotvortex.collector.kubewatch import ApiFailure, ListCall

log = logging.getLogger("spotvortex.collector.resources")

KARPENTER_GROUP = "karpenter.sh"
KARPENTER_VERSIONS = ("v1", "v1beta1")


class NodePoolApi:
    def __init__(self, api: client.ApiClient) -> None:
        self._custom = client.CustomObjectsApi(api)
        self.version: str | None = None

    async def __call__(self) -> ListCall | None:
        self.version = None
        for version in KARPENTER_VERSIONS:
            response: Any = await self._custom.list_cluster_custom_object(
                KARPENTER_GROUP, version, "nodepools", limit=1, _preload_content=False
            )
            async with response:
                status = int(response.status)
                if status == 404:
                    continue
                if not 200 <= status < 300:
                    raise ApiFailure(status, (await response.read())[:300].decode(errors="replace"))
            self.version = version
            log.info("NodePools served at %s/%s", KARPENTER_GROUP, version)
            return functools.partial(
                self._custom.list_cluster_custom_object, KARPENTER_GROUP, version, "nodepools"
            )
        return None


def resolvers(api: client.ApiClient) -> dict[str, Any]:
    """Kind → an async callable returning the list call to use (or ``None`` when not served)."""
    core = client.CoreV1Api(api)
    policy = client.PolicyV1Api(api)

    def fixed(call: ListCall) -> Any:
        async def resolve() -> ListCall:
            return call

        return resolve

    return {
        L.NODE: fixed(core.list_node),
        L.POD: fixed(core.list_pod_for_all_namespaces),
        L.PDB: fixed(policy.list_pod_disruption_budget_for_all_namespaces),
        L.NODEPOOL_KIND: NodePoolApi(api),
    }
