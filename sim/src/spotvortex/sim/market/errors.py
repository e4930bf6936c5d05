"""One error type for unusable market input, always naming the file and, where it applies, the row and key."""

from __future__ import annotations

from pathlib import Path


class MarketDataError(ValueError):
    def __init__(self, path: str | Path, message: str, *, row: int | None = None) -> None:
        where = f"{path}" + (f", row {row}" if row is not None else "")
        super().__init__(f"{where}: {message}")
        self.path = str(path)
        self.row = row
