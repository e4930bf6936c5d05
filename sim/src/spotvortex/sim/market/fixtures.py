"""Generate the small market fixtures shipped with the project (``python -m spotvortex.sim.market.fixtures``).

They stand in for the real data set when it is absent, in the same file formats, so every loader, the
simulator and the evaluation run anywhere. The numbers are synthetic, shaped after the real data:
- spot prices are price-change events (mean gap about 6.6 h) around 35 % of on-demand, a slow random walk
  with rare spikes towards on-demand;
- on-demand prices are AWS's published us-east-1 Linux list prices for the six types used;
- availability alternates runs with and without capacity (exponential, means 6 h up and 40 min down) sampled
  every 195 s, as the real traces are;
- advisor bands give each type an interruption band.
The output is a pure function of ``--seed``; a test regenerates it and compares with the shipped files.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from spotvortex.sim.market.sources import FIXTURE_FILES, FIXTURES

REGION = "us-east-1"
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
ON_DEMAND = {
    "m5.large": 0.096,
    "m5.xlarge": 0.192,
    "m5.2xlarge": 0.384,
    "c5.large": 0.085,
    "c5.xlarge": 0.17,
    "r5.large": 0.126,
}
BANDS = {"m5.large": 1, "m5.xlarge": 1, "m5.2xlarge": 2, "c5.large": 0, "c5.xlarge": 2, "r5.large": 3}
START = datetime(2021, 3, 1, tzinfo=UTC)
DAYS = 31
TRACE_GAP = 195
TRACE_DAYS = 10


def _prices(rng: random.Random) -> list[str]:
    lines = ["timestamp,region,az,instance_type,product,spot_price_usd_per_hour"]
    rows: list[tuple[datetime, str, str, float]] = []
    for itype, od in ON_DEMAND.items():
        for zone in ZONES:
            level = math.log(od * rng.uniform(0.28, 0.42))
            when = START - timedelta(hours=rng.uniform(0, 6))
            while when < START + timedelta(days=DAYS):
                level += rng.gauss(0, 0.04)
                level = min(max(level, math.log(od * 0.2)), math.log(od * 0.6))
                price = math.exp(level)
                if rng.random() < 0.02:  # a rare spike towards on-demand
                    price = od * rng.uniform(0.7, 1.0)
                rows.append((when, zone, itype, round(price, 4)))
                when += timedelta(hours=rng.expovariate(1 / 6.6))
    rows.sort()
    for when, zone, itype, price in rows:
        lines.append(f"{when.strftime('%Y-%m-%dT%H:%M:%SZ')},{REGION},{zone},{itype},Linux/UNIX,{price:.4f}")
    return lines


def _on_demand() -> list[str]:
    lines = ["region,instance_type,ondemand_usd_per_hour,as_of,source_commit"]
    lines += [f"{REGION},{t},{p},2021-03-01T00:00:00Z,fixture" for t, p in ON_DEMAND.items()]
    return lines


def _availability(rng: random.Random) -> list[str]:
    lines = [
        "trace_name,cloud,region,az,instance_type,timestamp_offset_s,value,trace_kind,nodes,start_date,gap_seconds,"
        "spot_price_usd_per_hour"
    ]
    ticks = TRACE_DAYS * 86400 // TRACE_GAP
    for zone in ZONES:
        name = f"fixture/{zone}_m5.large"
        up, remaining = True, rng.expovariate(1 / (6 * 3600))
        for i in range(ticks):
            lines.append(
                f"{name},aws,{REGION},{zone},m5.large,{i * TRACE_GAP},{int(up)},availability,1,2021-03-01,{TRACE_GAP},"
            )
            remaining -= TRACE_GAP
            if remaining <= 0:
                up = not up
                remaining = rng.expovariate(1 / (6 * 3600 if up else 40 * 60))
    return lines


def _advisor() -> str:
    ranges = [
        {"index": 0, "label": "<5%", "dots": 0, "max": 5},
        {"index": 1, "label": "5-10%", "dots": 1, "max": 11},
        {"index": 2, "label": "10-15%", "dots": 2, "max": 16},
        {"index": 3, "label": "15-20%", "dots": 3, "max": 22},
        {"index": 4, "label": ">20%", "dots": 4, "max": 100},
    ]
    linux = {t: {"s": 65, "r": b} for t, b in BANDS.items()}
    document = {
        "ranges": ranges,
        "spot_advisor": {REGION: {"Linux": linux}},
        "instance_types": {},
        "global_rate": "<5%",
    }
    return json.dumps(document, indent=1, sort_keys=True) + "\n"


def generate(out: Path, seed: int = 7) -> dict[str, Path]:
    """Write the four fixture files into ``out``; returns their paths by kind."""
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    texts = {
        "spot_prices": "\n".join(_prices(rng)) + "\n",
        "on_demand": "\n".join(_on_demand()) + "\n",
        "availability": "\n".join(_availability(rng)) + "\n",
        "advisor": _advisor(),
    }
    paths = {}
    for kind, text in texts.items():
        path = out / FIXTURE_FILES[kind]
        if path.suffix == ".gz":  # mtime 0 keeps the bytes a pure function of the seed
            with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
                gz.write(text.encode())
        else:
            path.write_text(text)
        paths[kind] = path
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--out", type=Path, default=FIXTURES, help="output folder (default: the shipped fixtures)"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    for kind, path in generate(args.out, args.seed).items():
        print(f"{kind}: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
