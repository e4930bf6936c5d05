"""One error type for unusable market input, always naming the file and, where it applies, the row and key."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class MarketDataError(ValueError):
    def __init__(self, path: str | Path, message: str, *, row: int | None = None) -> None:
        where = f"{path}" + (f", row {row}" if row is not None else "")
        super().__init__(f"{where}: {message}")
        self.path = str(path)
        self.row = row
        self._message = message

    def __reduce__(self) -> tuple[type[MarketDataError], tuple[str, str], dict[str, Any]]:
        """Rebuildable from its parts, so it crosses from an evaluation worker process intact."""
        return (self.__class__, (self.path, self._message), {"row": self.row})

    def __setstate__(self, state: dict[str, Any] | None) -> None:
        row = (state or {}).get("row")
        self.row = row
        if row is not None:
            self.args = (f"{self.path}, row {row}: {self._message}",)
