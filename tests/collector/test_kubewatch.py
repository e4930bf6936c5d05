"""List-then-watch details the emulator cannot show: paged lists, 410 answers, events split across chunks.

The emulator answers every list in one page and reports expiry as an ERROR event; real API servers also
page with ``continue`` tokens and may answer 410 outright. A scripted server stands in for those cases.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from prometheus_client import CollectorRegistry

from spotvortex.collector import Collector
from spotvortex.collector.kubewatch import ListCall, ResourceWatcher, WatchTiming
from spotvortex.collector.metrics import CollectorMetrics

from .builders import node


class Content:
    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    async def iter_any(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk


class Response:
    def __init__(self, status: int, body: bytes = b"", chunks: list[bytes] | None = None) -> None:
        self.status = status
        self._body = body
        self.content = Content(chunks or [])

    async def read(self) -> bytes:
        return self._body

    async def __aenter__(self) -> Response:
        return self

    async def __aexit__(self, *_: object) -> None:
        return None


def page(names: list[str], version: str, token: str | None = None) -> Response:
    meta: dict[str, Any] = {"resourceVersion": version}
    if token:
        meta["continue"] = token
    return Response(
        200,
        json.dumps(
            {"kind": "NodeList", "metadata": meta, "items": [node(n, pool="web") for n in names]}
        ).encode(),
    )


def line(event: str, name: str, version: str) -> bytes:
    obj = node(name, pool="web")
    obj["metadata"]["resourceVersion"] = version
    return json.dumps({"type": event, "object": obj}).encode() + b"\n"


class Script:
    """Answers list and watch calls from a queue of responses, recording what was asked."""

    def __init__(self, responses: list[Response]) -> None:
        self.responses = responses
        self.calls: list[dict[str, Any]] = []
        self.exhausted = asyncio.Event()

    async def __call__(self, **kwargs: Any) -> Response:
        self.calls.append({k: v for k, v in kwargs.items() if not k.startswith("_") or k == "_continue"})
        if not self.responses:
            self.exhausted.set()
            await asyncio.Event().wait()  # a watch that never ends
        return self.responses.pop(0)


async def run_script(script: Script, collector: Collector) -> ResourceWatcher:
    async def resolve() -> ListCall:
        return script

    metrics = CollectorMetrics(CollectorRegistry())
    watcher = ResourceWatcher(
        "Node", resolve, collector, metrics, WatchTiming(page_size=2, backoff_initial_seconds=0.01)
    )
    task = asyncio.create_task(watcher.run())
    try:
        await asyncio.wait_for(script.exhausted.wait(), 5)
    finally:
        task.cancel()
    return watcher


async def test_paged_list_then_watch_from_its_version() -> None:
    collector = Collector("prod")
    collector.apply("Node", "ADDED", node("stale", pool="web"))
    script = Script(
        [
            page(["a", "b"], "10", token="t1"),
            page(["c"], "10"),
            Response(
                200,
                chunks=[
                    line("MODIFIED", "a", "11")[:30],
                    line("MODIFIED", "a", "11")[30:] + line("ADDED", "d", "12"),
                ],
            ),
        ]
    )
    watcher = await run_script(script, collector)
    assert [c.get("limit") for c in script.calls[:2]] == [2, 2]
    assert [c.get("_continue") for c in script.calls[:2]] == [None, "t1"]
    assert script.calls[2]["watch"] is True
    assert script.calls[2]["resource_version"] == "10"
    assert script.calls[3]["resource_version"] == "12"  # resumed after the stream ended
    assert sorted(collector.index.nodes) == ["a", "b", "c", "d"]  # "stale" was not in the list
    assert watcher.lists == 1


async def test_gone_answers_start_the_list_over() -> None:
    collector = Collector("prod")
    script = Script(
        [
            page(["a", "b"], "10", token="t1"),
            Response(410, b'{"kind":"Status","code":410,"reason":"Expired"}'),  # the continue token expired
            page(["a", "b"], "20", token="t2"),
            page(["c"], "20"),
            Response(410, b'{"kind":"Status","code":410}'),  # the watch's version is too old
            page(["c"], "30"),
        ]
    )
    watcher = await run_script(script, collector)
    assert [c.get("_continue") for c in script.calls if not c.get("watch")] == [None, "t1", None, "t2", None]
    assert script.calls[-1]["resource_version"] == "30"
    assert sorted(collector.index.nodes) == ["c"]
    assert watcher.lists == 2  # three lists begun, the first cut short by its expired token


async def test_errors_back_off_and_keep_the_version() -> None:
    collector = Collector("prod")
    script = Script(
        [
            page(["a"], "10"),
            Response(500, b"etcd timeout"),
            Response(200, chunks=[b"not json\n"]),
            Response(200, chunks=[line("DELETED", "a", "11")]),
        ]
    )
    watcher = await run_script(script, collector)
    assert [c["resource_version"] for c in script.calls[1:]] == ["10", "10", "10", "11"]
    assert collector.index.nodes == {}
    assert watcher.lists == 1
