"""Child processes of the local stack: started with their own environment, logged to files, never orphaned.

On Linux each child asks the kernel to send it SIGTERM when ``spotvortex up`` dies (``PR_SET_PDEATHSIG``),
so even a SIGKILLed parent leaves no stray process behind; a clean stop sends SIGTERM to every child, waits,
and kills what is still running.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
from pathlib import Path

from spotvortex.runtime.orphans import die_with_parent


class Child:
    """One process; its output goes to ``log``, and lines matching ``watch`` patterns are captured."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.log = log
        self.process: asyncio.subprocess.Process | None = None
        self._lines: list[str] = []
        self._new_line = asyncio.Condition()
        self._pump: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.process = await asyncio.create_subprocess_exec(
            *self.argv,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # a terminal's Ctrl-C reaches ``up`` only; ``up`` stops children in order
            preexec_fn=die_with_parent(),
        )
        self._pump = asyncio.create_task(self._copy_output())

    async def _copy_output(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        with self.log.open("ab") as sink:
            async for raw in self.process.stdout:
                sink.write(raw)
                sink.flush()
                async with self._new_line:
                    self._lines.append(raw.decode(errors="replace").rstrip("\n"))
                    del self._lines[:-200]
                    self._new_line.notify_all()
        async with self._new_line:
            self._new_line.notify_all()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def wait_for_line(self, pattern: str, timeout: float) -> re.Match[str]:
        """The first output line matching ``pattern``; fails if the process exits or time runs out first."""
        regex = re.compile(pattern)

        async def scan() -> re.Match[str]:
            seen = 0
            async with self._new_line:
                while True:
                    for line in self._lines[seen:]:
                        if match := regex.search(line):
                            return match
                    seen = len(self._lines)
                    if self._pump is not None and self._pump.done():
                        raise RuntimeError(f"{self.name} exited: {self.tail()}")
                    await self._new_line.wait()

        return await asyncio.wait_for(scan(), timeout)

    def tail(self, lines: int = 5) -> str:
        return " | ".join(self._lines[-lines:]) or "(no output)"

    async def stop(self, timeout: float = 15.0) -> None:
        if self.process is None:
            return
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                await self.process.wait()
        if self._pump is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._pump, 5)
