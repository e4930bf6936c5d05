"""HTTP handlers: decode the request, call the store, encode the answer as the real server would."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from . import discovery, openapi
from .errors import ApiError, method_not_allowed, path_not_found
from .faults import Fault, FaultInjector, fault_error
from .present import as_version, list_body, success_status
from .resources import ResourceType
from .routing import GroupVersionPath, ResourcePath, parse_resource_path
from .store import Store
from .strategy import Scope, returns_deleted_object
from .stream import WatchRequest, WatchSettings, serve_watch
from .tables import table_body, wants_table

JSON_TYPES = ("", "application/json", "*/*")
TRUE_VALUES = ("true", "True", "1")


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=json.dumps(body, separators=(",", ":")).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def error_response(err: ApiError) -> web.Response:
    return json_response(err.status(), err.code, err.headers)


def is_watch(request: web.Request) -> bool:
    return request.query.get("watch", "") in TRUE_VALUES


def number_param(request: web.Request, name: str) -> float | None:
    """A numeric query parameter; a malformed one is the server's 400, not a crash."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return float(raw)
    except ValueError as exc:
        raise ApiError(400, f"invalid value for {name}: {raw!r}") from exc


def is_dry_run(request: web.Request) -> bool:
    return request.query.get("dryRun", "") == "All"


async def _json_body(request: web.Request, required: bool = True) -> Any:
    raw = await request.read()
    if not raw.strip():
        if required:
            raise ApiError(400, "request body is empty")
        return None
    kind = (request.content_type or "").lower()
    if kind not in JSON_TYPES and not kind.endswith("+json"):
        raise ApiError(
            415,
            f'the body of the request was in an unknown format - accepted media types include: application/json (got "{kind}")',
        )
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, f"couldn't get version/kind; json parse error: {exc}") from exc


def _object_body(body: Any, rt: ResourceType, version: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(400, "the body of the request must be a JSON object")
    api_version = body.get("apiVersion")
    expected = rt.api_version(version)
    if api_version and api_version != expected:
        raise ApiError(
            400,
            f"the API version in the data ({api_version}) does not match the expected API version ({expected})",
        )
    if body.get("kind") and body["kind"] != rt.kind:
        raise ApiError(
            400, f"the kind in the data ({body['kind']}) does not match the expected kind ({rt.kind})"
        )
    return body


class ApiHandler:
    """Routes every request under ``/`` to discovery or to the store."""

    def __init__(
        self, store: Store, settings: WatchSettings, faults: FaultInjector, server_address: Callable[[], str]
    ) -> None:
        self.store = store
        self.settings = settings
        self.faults = faults
        self.server_address = server_address

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Apply any injected fault, then serve; every refusal becomes a ``Status`` response."""
        fault = self.faults.take(request.method, request.path, is_watch(request))
        try:
            if fault is not None and fault.delay:
                await asyncio.sleep(fault.delay)
            if fault is not None and fault.status is not None:
                raise fault_error(fault)
            return await self._dispatch(request, fault)
        except ApiError as err:
            return error_response(err)

    async def _dispatch(self, request: web.Request, fault: Fault | None) -> web.StreamResponse:
        path = request.path.rstrip("/") or "/"
        if path in ("/healthz", "/readyz", "/livez"):
            return web.Response(text="ok")
        if path == "/version":
            return json_response(discovery.version_info())
        if path == "/api":
            return json_response(discovery.api_versions(self.server_address()))
        if path == "/apis":
            return json_response(discovery.api_group_list(self.store.registry))
        if path == "/openapi/v3" or path.startswith("/openapi/v3/"):
            doc = openapi.document_for_path(self.store.registry, path)
            if doc is None:
                raise path_not_found()
            return json_response(doc)
        parts = path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "apis":
            group = discovery.api_group(self.store.registry, parts[1])
            if group is None:
                raise path_not_found()
            return json_response(group)
        target = parse_resource_path(path, self.store.registry)
        if target is None:
            raise path_not_found()
        if isinstance(target, GroupVersionPath):
            if request.method != "GET":
                raise method_not_allowed()
            return json_response(
                discovery.api_resource_list(self.store.registry, target.group, target.version)
            )
        return await self._resource(request, target, fault)

    async def _resource(
        self, request: web.Request, target: ResourcePath, fault: Fault | None
    ) -> web.StreamResponse:
        method = request.method
        if target.name is None:
            if method == "GET":
                return await self._list_or_watch(request, target, fault)
            if target.rt.namespaced and target.namespace is None:
                raise method_not_allowed()  # the all-namespaces path only lists and watches
            if method == "POST":
                return await self._create(request, target)
            if method == "DELETE" and target.rt.kind != "Namespace":
                return await self._delete_collection(request, target)
            raise method_not_allowed()
        if target.subresource is None:
            handlers = {
                "GET": self._get,
                "PUT": self._replace,
                "PATCH": self._patch,
                "DELETE": self._delete,
            }
            if method == "GET" and is_watch(request):
                return await self._list_or_watch(request, target, fault)
            if method not in handlers:
                raise method_not_allowed()
            return await handlers[method](request, target)
        if target.subresource == "status" and target.rt.status_subresource:
            handlers = {"GET": self._get, "PUT": self._replace, "PATCH": self._patch}
            if method not in handlers:
                raise method_not_allowed()
            return await handlers[method](request, target)
        if target.subresource == "eviction" and target.rt.kind == "Pod":
            if method != "POST":
                raise method_not_allowed()
            return await self._evict(request, target)
        raise path_not_found()

    def _present(self, target: ResourcePath, obj: dict[str, Any]) -> dict[str, Any]:
        return as_version(obj, target.rt, target.version)

    async def _list_or_watch(
        self, request: web.Request, target: ResourcePath, fault: Fault | None
    ) -> web.StreamResponse:
        q = request.query
        field_selector = q.get("fieldSelector", "")
        if target.name is not None:
            name_clause = f"metadata.name={target.name}"
            field_selector = f"{field_selector},{name_clause}" if field_selector else name_clause
        if is_watch(request):
            timeout = number_param(request, "timeoutSeconds")
            wr = WatchRequest(
                rt=target.rt,
                version=target.version,
                namespace=target.namespace,
                label_selector=q.get("labelSelector", ""),
                field_selector=field_selector,
                resource_version=q.get("resourceVersion"),
                timeout_seconds=timeout or None,
                bookmarks=q.get("allowWatchBookmarks", "") in TRUE_VALUES,
                initial_events_marker=q.get("sendInitialEvents", "") in TRUE_VALUES
                and q.get("resourceVersion") in (None, "", "0"),
            )
            return await serve_watch(request, self.store, wr, self.settings, fault)
        items = self.store.list(target.rt, target.namespace, q.get("labelSelector", ""), field_selector)
        if wants_table(request.headers.get("Accept", "")):
            return json_response(
                table_body(target.rt, target.version, items, self.store.resource_version, self.store.now())
            )
        return json_response(list_body(target.rt, target.version, items, self.store.resource_version))

    async def _get(self, request: web.Request, target: ResourcePath) -> web.StreamResponse:
        assert target.name is not None
        obj = self.store.get(target.rt, target.name, target.namespace)
        if wants_table(request.headers.get("Accept", "")):
            version = str((obj.get("metadata") or {}).get("resourceVersion", "0"))
            return json_response(table_body(target.rt, target.version, [obj], int(version), self.store.now()))
        return json_response(self._present(target, obj))

    async def _create(self, request: web.Request, target: ResourcePath) -> web.StreamResponse:
        body = _object_body(await _json_body(request), target.rt, target.version)
        created = self.store.create(
            body,
            namespace=target.namespace,
            resource=target.rt,
            scope=Scope.MAIN,
            dry_run=is_dry_run(request),
        )
        return json_response(self._present(target, created), 201)

    def _scope(self, target: ResourcePath) -> Scope:
        return Scope.STATUS if target.subresource == "status" else Scope.MAIN

    async def _replace(self, request: web.Request, target: ResourcePath) -> web.StreamResponse:
        body = _object_body(await _json_body(request), target.rt, target.version)
        updated = self.store.update(
            body,
            name=target.name,
            namespace=target.namespace,
            resource=target.rt,
            scope=self._scope(target),
            dry_run=is_dry_run(request),
        )
        return json_response(self._present(target, updated))

    async def _patch(self, request: web.Request, target: ResourcePath) -> web.StreamResponse:
        assert target.name is not None
        patched = self.store.patch(
            target.rt,
            target.name,
            await request.read(),
            namespace=target.namespace,
            content_type=request.headers.get("Content-Type", ""),
            scope=self._scope(target),
            version=target.version,
            dry_run=is_dry_run(request),
        )
        return json_response(self._present(target, patched))

    async def _delete_options(self, request: web.Request) -> dict[str, Any]:
        body = await _json_body(request, required=False)
        options: dict[str, Any] = dict(body) if isinstance(body, dict) else {}
        grace = number_param(request, "gracePeriodSeconds")
        if grace is not None:
            options["gracePeriodSeconds"] = int(grace)
        if is_dry_run(request):
            options["dryRun"] = ["All"]
        return options

    async def _delete(self, request: web.Request, target: ResourcePath) -> web.StreamResponse:
        assert target.name is not None
        options = await self._delete_options(request)
        final = self.store.delete(
            target.rt,
            target.name,
            target.namespace,
            grace_period_seconds=options.get("gracePeriodSeconds"),
            preconditions=options.get("preconditions"),
            dry_run=bool(options.get("dryRun")),
        )
        still_there = self.store.find(target.rt, target.name, target.namespace) is not None
        if returns_deleted_object(target.rt) or still_there:
            return json_response(self._present(target, final))
        details = {"name": target.name, "kind": target.rt.plural, "uid": final["metadata"].get("uid", "")}
        if target.rt.group:
            details["group"] = target.rt.group
        return json_response(success_status(details=details))

    async def _delete_collection(self, request: web.Request, target: ResourcePath) -> web.StreamResponse:
        options = await self._delete_options(request)
        q = request.query
        victims = self.store.list(
            target.rt, target.namespace, q.get("labelSelector", ""), q.get("fieldSelector", "")
        )
        finals = [
            self.store.delete(
                target.rt,
                v["metadata"]["name"],
                v["metadata"].get("namespace"),
                grace_period_seconds=options.get("gracePeriodSeconds"),
                dry_run=bool(options.get("dryRun")),
            )
            for v in victims
        ]
        return json_response(list_body(target.rt, target.version, finals, self.store.resource_version))

    async def _evict(self, request: web.Request, target: ResourcePath) -> web.StreamResponse:
        assert target.name is not None
        assert target.namespace is not None
        body = await _json_body(request, required=False)
        self.store.evict(
            target.name,
            target.namespace,
            body if isinstance(body, dict) else None,
            dry_run=is_dry_run(request),
        )
        return json_response(success_status(201), 201)
