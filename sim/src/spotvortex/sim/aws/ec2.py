"""EC2's DescribeSpotPriceHistory over a ``SpotPriceSource``, with AWS's window and paging rules.

A window reports every change inside it plus the change in force at its start, newest first. The source
only narrows; the exact selection happens here so any source answers identically to AWS.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from fnmatch import fnmatchcase

from . import paging
from .model import AwsError, SpotPrice, SpotPriceSource
from .query import Params, indexed_list, integer, structure_list, timestamp
from .xml import XmlValue, iso_time

NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/"
VERSION = "2016-11-15"

_FILTER_FIELDS: Mapping[str, Callable[[SpotPrice], str]] = {
    "availability-zone": lambda p: p.zone,
    "instance-type": lambda p: p.instance_type,
    "product-description": lambda p: p.product,
    "spot-price": lambda p: _price(p.price),
}


def _price(value: float) -> str:
    return f"{value:.6f}"


def _invalid(message: str) -> AwsError:
    return AwsError("InvalidParameterValue", message)


def _filters(params: Params) -> list[tuple[str, list[str]]]:
    filters = [(f.get("Name", ""), indexed_list(f, "Value")) for f in structure_list(params, "Filter")]
    for name, _ in filters:
        if name not in _FILTER_FIELDS:
            raise _invalid(f"The filter '{name}' is invalid")
    return filters


def _in_window(points: Sequence[SpotPrice], start: datetime | None, end: datetime | None) -> list[SpotPrice]:
    """Changes inside [start, end] and, per pool, the last change before ``start``."""
    chosen = [p for p in points if (start is None or p.time >= start) and (end is None or p.time <= end)]
    if start is not None:
        before: dict[tuple[str, str, str], SpotPrice] = {}
        for p in points:
            pool = (p.instance_type, p.zone, p.product)
            if p.time < start and (pool not in before or p.time > before[pool].time):
                before[pool] = p
        chosen.extend(before.values())
    return chosen


class Ec2Api:
    def __init__(self, prices: SpotPriceSource) -> None:
        self._prices = prices

    def call(self, action: str, params: Params) -> Mapping[str, XmlValue]:
        if action != "DescribeSpotPriceHistory":
            raise AwsError("InvalidAction", f"The action {action} is not valid for this web service.")
        return self._describe_spot_price_history(params)

    def _describe_spot_price_history(self, params: Params) -> Mapping[str, XmlValue]:
        if params.get("DryRun", "").lower() == "true":
            raise AwsError(
                "DryRunOperation", "Request would have succeeded, but DryRun flag is set.", status=412
            )
        if "AvailabilityZoneId" in params:
            raise _invalid("AvailabilityZoneId is not supported by the SpotVortex AWS emulator.")
        types = indexed_list(params, "InstanceType")
        products = indexed_list(params, "ProductDescription")
        zone = params.get("AvailabilityZone")
        start = timestamp(params, "StartTime", code="InvalidParameterValue")
        end = timestamp(params, "EndTime", code="InvalidParameterValue")
        filters = _filters(params)
        limit = integer(params, "MaxResults") or 1000
        if not 5 <= limit <= 1000:
            raise _invalid(
                f"Value ( {limit} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000."
            )
        zones = [zone] if zone else []
        points = [
            p
            for p in self._prices.history(types, zones, products, start, end)
            if (not types or p.instance_type in types)
            and (not zones or p.zone in zones)
            and (not products or p.product in products)
            and all(any(fnmatchcase(_FILTER_FIELDS[n](p), v) for v in values) for n, values in filters)
        ]
        ordered = sorted(
            _in_window(points, start, end), key=lambda p: (-p.time.timestamp(), p.instance_type, p.zone)
        )
        listing = (
            "spot:"
            + hashlib.sha256(
                repr(
                    sorted((k, v) for k, v in params.items() if k not in ("NextToken", "MaxResults"))
                ).encode()
            ).hexdigest()[:16]
        )
        after = None
        if params.get("NextToken"):
            after = paging.decode(listing, params["NextToken"])
            if after is None:
                raise _invalid(f"The value '{params['NextToken']}' for parameter nextToken is invalid.")
        indexed = [(f"{i:09d}", p) for i, p in enumerate(ordered)]
        chosen, last = paging.page(indexed, lambda item: item[0], after, limit)
        return {
            "spotPriceHistorySet": [
                {
                    "instanceType": p.instance_type,
                    "productDescription": p.product,
                    "spotPrice": _price(p.price),
                    "timestamp": iso_time(p.time),
                    "availabilityZone": p.zone,
                }
                for _, p in chosen
            ],
            "nextToken": paging.encode(listing, last) if last is not None else None,
        }
