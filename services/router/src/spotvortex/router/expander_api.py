"""The priority expander ConfigMap through kubernetes-asyncio: read, plan, merge-patch, and again on a 409.

The patch carries the resourceVersion it was planned from, so a concurrent edit (an operator, Cluster
Autoscaler's own tooling) turns into a conflict instead of being overwritten; the ConfigMap is then read and
the plan made again on the fresh content.
"""

from __future__ import annotations

import logging
from typing import Any

from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from spotvortex.contracts import SteerOperation
from spotvortex.router.config import ExpanderConfig
from spotvortex.router.expander import ExpanderError, ExpanderView, parse_configmap, plan_expander
from spotvortex.runtime.errors import TransientError

log = logging.getLogger("spotvortex.router.expander")

MERGE_PATCH = "application/merge-patch+json"


class ExpanderApi:
    def __init__(self, api: client.ApiClient, config: ExpanderConfig) -> None:
        self._core = client.CoreV1Api(api)
        self._config = config

    async def read(self) -> ExpanderView:
        name, namespace = self._config.name, self._config.namespace
        # a raw response, whose status the client leaves to us: the planner reads plain API JSON
        response: Any = await self._core.read_namespaced_config_map(name, namespace, _preload_content=False)
        if response.status == 404:
            raise ExpanderError(
                f"ConfigMap {namespace}/{name} not found: Cluster Autoscaler's priority expander needs it "
                "(or set `router.expander.namespace`/`name`, or another `router.provisioner`)"
            )
        if response.status >= 400:
            detail = (await response.text())[:200]
            raise TransientError(f"read ConfigMap {namespace}/{name}: HTTP {response.status}: {detail}")
        obj: dict[str, Any] = await response.json()
        return parse_configmap(obj)

    async def steer(self, pool: str, direction: int, *, apply: bool) -> list[SteerOperation]:
        """Plan (and with ``apply``, write) the pool's placement; returns the operations planned.

        Without ``apply`` only the read is sent, so shadow mode makes no mutating request.
        """
        for _ in range(self._config.conflict_attempts):
            view = await self.read()
            patch = plan_expander(view, pool, direction, self._config)
            if patch is None:
                return []
            if not apply:
                return patch.operations
            try:
                await self._core.patch_namespaced_config_map(  # type: ignore[call-arg]
                    view.name, view.namespace, patch.body, _content_type=MERGE_PATCH
                )
            except ApiException as err:
                if err.status == 409:
                    log.info("ConfigMap %s changed while steering %s; planning again", view.target, pool)
                    continue
                raise TransientError(f"patch ConfigMap {view.target}: HTTP {err.status}") from err
            return patch.operations
        raise TransientError(
            f"ConfigMap {self._config.namespace}/{self._config.name} kept changing "
            f"({self._config.conflict_attempts} conflicts)"
        )
