"""Waiting for the stack's services to say they are ready (``/readyz``), with the reason when they do not."""

from __future__ import annotations

import asyncio

import aiohttp

from spotvortex.cli.stack.children import Child


async def wait_ready(child: Child, port: int, timeout: float) -> None:
    """Poll the child's ``/readyz`` until it answers 200; fail early if the process exits."""
    url = f"http://127.0.0.1:{port}/readyz"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last = "no answer yet"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while loop.time() < deadline:
            if not child.running:
                raise RuntimeError(f"{child.name} exited during start-up: {child.tail()}")
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
                    last = f"{response.status}: {await response.text()}"
            except (aiohttp.ClientError, TimeoutError) as err:
                last = repr(err)
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{child.name} not ready after {timeout:.0f}s ({last}); log: {child.log}")
