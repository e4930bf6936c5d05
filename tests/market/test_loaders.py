"""Market loaders on the shipped fixtures (always) and on the real data set (when it is beside the checkout)."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from spotvortex.sim.market.advisor import load_advisor
from spotvortex.sim.market.availability import load_availability
from spotvortex.sim.market.errors import MarketDataError
from spotvortex.sim.market.fixtures import generate
from spotvortex.sim.market.ondemand import load_on_demand
from spotvortex.sim.market.prices import load_spot_prices
from spotvortex.sim.market.sources import FIXTURE_FILES, FIXTURES, fixture_files, real_data_dir

T = datetime(2021, 3, 10, tzinfo=UTC)


def test_fixtures_are_regenerated_byte_for_byte(tmp_path: Path) -> None:
    generate(tmp_path, seed=7)
    for name in FIXTURE_FILES.values():
        assert (tmp_path / name).read_bytes() == (FIXTURES / name).read_bytes(), name


def test_fixture_market_loads_and_is_consistent() -> None:
    files = fixture_files()
    book = load_spot_prices(files.spot_prices)
    od = load_on_demand(files.on_demand)
    assert book.region == "us-east-1"
    assert len(book.series) == 18
    assert book.instance_types() == set(od.prices)
    for (itype, _zone), series in book.series.items():
        assert list(series.times) == sorted(series.times)
        assert all(0 < p <= od.price(itype) for p in series.prices)
    traces = load_availability(files.availability)
    assert {t.zone for t in traces} == {"us-east-1a", "us-east-1b", "us-east-1c"}
    assert all(0.5 < t.availability_share() < 1 for t in traces)
    advisor = load_advisor(files.advisor)
    band = advisor.band("us-east-1", "r5.large")
    assert band is not None
    assert band.label == "15-20%"


def test_price_is_a_step_function(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text(
        "timestamp,region,az,instance_type,product,spot_price_usd_per_hour\n"
        "2021-03-10T00:00:00Z,us-east-1,us-east-1a,m5.large,Linux/UNIX,0.03\n"
        "2021-03-10T06:00:00Z,us-east-1,us-east-1a,m5.large,Linux/UNIX,0.05\n"
        "2021-03-10T03:00:00Z,us-east-1,us-east-1a,m5.large,Windows,9.99\n"
    )
    series = load_spot_prices(path).series[("m5.large", "us-east-1a")]
    assert series.price_at(T - timedelta(seconds=1)) is None
    assert series.price_at(T) == 0.03
    assert series.price_at(T + timedelta(hours=5, minutes=59)) == 0.03
    assert series.price_at(T + timedelta(hours=6)) == 0.05
    assert series.changes_between(T, T + timedelta(days=1)) == [(T + timedelta(hours=6), 0.05)]


def test_raw_aws_cli_json_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    path.write_text(
        json.dumps(
            {
                "SpotPriceHistory": [
                    {"AvailabilityZone": "us-east-1b", "InstanceType": "c5.large", "ProductDescription": "Linux/UNIX",
                     "SpotPrice": "0.034000", "Timestamp": "2021-03-10T06:00:00+00:00"},
                    {"AvailabilityZone": "us-east-1b", "InstanceType": "c5.large", "ProductDescription": "Linux/UNIX",
                     "SpotPrice": "0.031000", "Timestamp": "2021-03-10T00:00:00+00:00"},
                ]
            }
        )
    )  # fmt: skip
    book = load_spot_prices(path)
    assert book.price_at("c5.large", "us-east-1b", T + timedelta(hours=1)) == 0.031
    assert book.price_at("c5.large", "us-east-1b", T + timedelta(hours=7)) == 0.034


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("p.csv", "timestamp,az,instance_type\n", "missing column(s) spot_price_usd_per_hour"),
        ("p.csv", "timestamp,az,instance_type,spot_price_usd_per_hour\n", "no price rows"),
        ("p.csv", "timestamp,az,instance_type,spot_price_usd_per_hour\nyesterday,us-east-1a,m5.large,0.1\n",
         "row 2: column timestamp: 'yesterday' is not an ISO 8601 time"),
        ("p.csv", "timestamp,az,instance_type,spot_price_usd_per_hour\n2021-03-10T00:00:00Z,us-east-1a,m5.large,cheap\n",
         "row 2: column spot_price_usd_per_hour: 'cheap' is not a number"),
        ("p.json", '{"SpotPriceHistory": [{"InstanceType": "m5.large"}]}', "SpotPriceHistory[0] lacks AvailabilityZone"),
        ("p.json", "[1, 2]", "expected the AWS CLI shape"),
        ("p.txt", "x", "unknown price file type"),
    ],
)  # fmt: skip
def test_bad_price_files_name_file_row_and_column(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(MarketDataError) as caught:
        load_spot_prices(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_missing_on_demand_price_is_named(tmp_path: Path) -> None:
    od = load_on_demand(fixture_files().on_demand)
    with pytest.raises(MarketDataError, match=r"no on-demand price for instance type 'x9\.huge'"):
        od.price("x9.huge")
    path = tmp_path / "od.csv"
    path.write_text("region,instance_type,ondemand_usd_per_hour\nus-east-1,m5.large,0\n")
    with pytest.raises(MarketDataError, match="row 2"):
        load_on_demand(path)


def test_availability_outages_and_wraparound(tmp_path: Path) -> None:
    path = tmp_path / "a.csv.gz"
    header = "trace_name,region,az,instance_type,timestamp_offset_s,value,start_date,gap_seconds\n"
    rows = "".join(
        f"t,us-east-1,us-east-1a,m5.large,{i * 60},{v},2021-03-01,60\n" for i, v in enumerate([1, 0, 0, 1])
    )
    with gzip.open(path, "wt") as handle:
        handle.write(header + rows)
    (trace,) = load_availability(path)
    assert trace.outages() == [(60.0, 120.0)]
    assert trace.available_at(0)
    assert not trace.available_at(61)
    assert trace.available_at(180)
    assert trace.available_at(240)  # wraps to the start
    assert trace.duration == timedelta(minutes=4)


needs_real = pytest.mark.skipif(
    real_data_dir() is None, reason="the real market data set is not beside the checkout"
)


@needs_real
def test_real_market_data_matches_its_description() -> None:
    data = real_data_dir()
    assert data is not None
    book = load_spot_prices(data / "spot_prices_us-east-1_2021-03_2021-04.csv.gz")
    assert len(book.series) == 1246
    assert len(book.zones()) == 6
    od = load_on_demand(data / "ondemand_prices_us-east-1.csv")
    assert len(od.prices) == 1369
    assert book.instance_types() <= set(od.prices)
    traces = load_availability(data / "spot_availability_traces_2023-02.csv.gz")
    assert len(traces) == 9
    shares = sorted(t.availability_share() for t in traces)
    assert 0.1 < shares[0] < 0.25
    assert 0.85 < shares[-1] < 0.95
    advisor = load_advisor(data / "spot_advisor_2025-06.json")
    assert advisor.band("us-east-1", "m5.large") is not None
