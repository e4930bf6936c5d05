"""The world's event log: what happened, when, in order — the basis of the determinism guarantee.

Entries name things (nodes, pods, pools), never server-assigned uids or wall-clock times, so the same
scenario and seed produce a byte-identical log, and its digest is a one-line proof of that.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any


class Journal:
    """Append-only records of ``{"time", "kind", ...fields}`` with the world time of each."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self.entries: list[dict[str, Any]] = []
        self.counts: Counter[str] = Counter()

    def record(self, kind: str, **fields: Any) -> None:
        entry = {"time": self._now().isoformat(), "kind": kind, **fields}
        self.entries.append(entry)
        self.counts[kind] += 1

    def of_kind(self, *kinds: str) -> list[dict[str, Any]]:
        return [e for e in self.entries if e["kind"] in kinds]

    def lines(self) -> Iterable[str]:
        for entry in self.entries:
            yield json.dumps(entry, sort_keys=True, separators=(",", ":"))

    def digest(self) -> str:
        h = hashlib.sha256()
        for line in self.lines():
            h.update(line.encode())
            h.update(b"\n")
        return h.hexdigest()

    def write(self, path: Path) -> None:
        path.write_text("".join(line + "\n" for line in self.lines()))
