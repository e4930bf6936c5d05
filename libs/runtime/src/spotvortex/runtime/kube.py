"""How the cluster workers reach the Kubernetes API: one settings section and one client factory.

The collector, router and drainer share it, so "which API server, with which credentials" is configured the
same way everywhere: an explicit ``url`` (the local stack's emulator), else the in-cluster service account when
``in_cluster`` is set, else a kubeconfig (``kubeconfig``/``context``, or the client's default lookup). ``kubernetes_asyncio`` is imported only here and only when a client is made, so services
without Kubernetes access (inference, gates) do not carry it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import msgspec

from spotvortex.runtime.errors import ConfigError

if TYPE_CHECKING:
    from kubernetes_asyncio.client import ApiClient


class KubeSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    url: str | None = None
    kubeconfig: str | None = None
    context: str | None = None
    in_cluster: bool = False
    request_timeout_seconds: Annotated[float, msgspec.Meta(gt=0)] = 30.0
    watch_timeout_seconds: Annotated[int, msgspec.Meta(ge=1)] = 300


async def api_client(settings: KubeSettings) -> ApiClient:
    """An ``ApiClient`` for the configured API server; the caller closes it."""
    from kubernetes_asyncio import client, config

    if settings.url:
        return client.ApiClient(client.Configuration(host=settings.url.rstrip("/")))
    if settings.in_cluster:
        config.load_incluster_config()  # type: ignore[no-untyped-call]
        return client.ApiClient()
    configuration = client.Configuration()
    try:
        await config.load_kube_config(
            config_file=settings.kubeconfig, context=settings.context, client_configuration=configuration
        )
    except (config.ConfigException, FileNotFoundError, TypeError) as err:
        raise ConfigError(
            f"config error: no Kubernetes API to talk to ({err}); set `kube.url`, `kube.kubeconfig` "
            "or `kube.in_cluster: true`"
        ) from None
    return client.ApiClient(configuration)
