"""Loading spot price history: one parse per unchanged file, and the same book however it is read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from spotvortex.sim.market import prices
from spotvortex.sim.market.errors import MarketDataError

HEADER = "timestamp,region,az,instance_type,product,spot_price_usd_per_hour\n"
ROWS = [
    "2021-03-01T00:00:00Z,us-east-1,us-east-1a,m5.large,Linux/UNIX,0.0400\n",
    "2021-03-01T01:00:00Z,us-east-1,us-east-1a,m5.large,Linux/UNIX,0.0410\n",
    "2021-03-01T01:00:00Z,us-east-1,us-east-1a,m5.large,Windows,0.0900\n",
    "2021-03-01T00:30:00Z,us-east-1,us-east-1b,m5.large,Linux/UNIX,0.0420\n",
]


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_an_unchanged_file_is_parsed_once(tmp_path: Path) -> None:
    path = write(tmp_path / "prices.csv", HEADER + "".join(ROWS))
    first = prices.load_spot_prices(path)
    assert prices.load_spot_prices(str(path)) is first

    write(path, HEADER + "".join(ROWS).replace("0.0410", "0.0500"))
    os.utime(path, ns=(1, 1))  # a new modification time, whatever the clock's resolution
    changed = prices.load_spot_prices(path)
    assert changed is not first
    assert [s.prices for _, s in sorted(changed.series.items())] == [(0.04, 0.05), (0.042,)]


@pytest.mark.parametrize(
    "rows",
    [
        ROWS,
        [*ROWS[:2], "\n", *ROWS[2:]],  # a blank line
        [ROWS[0], "2021-03-01T02:00:00,,us-east-1a,m5.large,,0.0430\n"],  # naive time, no region or product
    ],
)
def test_the_fast_reader_agrees_with_the_checked_one(tmp_path: Path, rows: list[str]) -> None:
    path = write(tmp_path / "prices.csv", HEADER + "".join(rows))
    assert prices._load_csv(path) == prices._load_csv_checked(path)


def test_a_bad_row_is_reported_by_number(tmp_path: Path) -> None:
    path = write(tmp_path / "prices.csv", HEADER + ROWS[0] + ROWS[1].replace("0.0410", "cheap"))
    with pytest.raises(MarketDataError, match="row 3"):
        prices.load_spot_prices(path)
