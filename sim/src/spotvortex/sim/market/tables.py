"""Reading CSV tables (plain or gzip) with the columns they must have, reporting bad rows by number."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from spotvortex.sim.market.errors import MarketDataError


def open_text(path: Path) -> io.TextIOBase:
    if not path.exists():
        raise MarketDataError(path, "file does not exist")
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def read_rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(row number, row)``; row 1 is the header, so the first data row is row 2, as an editor shows it."""
    with open_text(path) as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [c for c in required if c not in header]
        if missing:
            raise MarketDataError(
                path, f"missing column(s) {', '.join(missing)}; found {', '.join(header) or 'none'}"
            )
        yield from enumerate(reader, start=2)


def parse_float(path: Path, row: int, column: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise MarketDataError(path, f"column {column}: {value!r} is not a number", row=row) from None
    if number < 0:
        raise MarketDataError(path, f"column {column}: {value!r} is negative", row=row)
    return number


def parse_time(path: Path, row: int, column: str, value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise MarketDataError(path, f"column {column}: {value!r} is not an ISO 8601 time", row=row) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
