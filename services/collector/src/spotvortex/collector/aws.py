"""AWS inputs through aioboto3: spot price history and the EventBridge interruption queue (SQS).

Both feed the same market window as the NATS market subjects. Prices are polled for the instance types
and zones the pools use, each type from where its last successful poll ended (a type seen for the first
time gets the whole window). Queue messages are deleted once handled: understood, skipped as irrelevant,
or dead-lettered as malformed; a message whose handling failed stays for SQS to deliver again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import aioboto3
from botocore.exceptions import BotoCoreError, ClientError

from spotvortex.collector.aws_events import parse_event
from spotvortex.collector.config import AwsSettings
from spotvortex.collector.core import Collector, MarketEvent
from spotvortex.collector.metrics import CollectorMetrics
from spotvortex.collector.waiting import pause, until_stopped
from spotvortex.contracts.codec import ContractError
from spotvortex.contracts.market import MarketPrice
from spotvortex.runtime.clock import Clock, sleep_or_stop

log = logging.getLogger("spotvortex.collector.aws")

OnEvent = Callable[[MarketEvent, str], Awaitable[None]]
OnMalformed = Callable[[str, str, bytes, ContractError], Awaitable[None]]
AWS_ERRORS = (BotoCoreError, ClientError)


class AwsFeed:
    def __init__(
        self,
        settings: AwsSettings,
        region: str,
        collector: Collector,
        clock: Clock,
        metrics: CollectorMetrics,
        on_event: OnEvent,
        on_malformed: OnMalformed,
    ) -> None:
        self._settings = settings
        self._region = settings.region or region
        self._collector = collector
        self._clock = clock
        self._metrics = metrics
        self._on_event = on_event
        self._on_malformed = on_malformed
        self._session = aioboto3.Session(region_name=self._region)
        self._since: dict[str, datetime] = {}

    def _client(self, service: str) -> Any:
        return self._session.client(
            service, endpoint_url=self._settings.endpoint_url, region_name=self._region
        )

    # -- spot prices -------------------------------------------------------------------------------------

    async def poll_prices(self, stop: asyncio.Event) -> None:
        async with self._client("ec2") as ec2:
            while not stop.is_set():
                await self.prices_once(ec2)
                if await sleep_or_stop(self._clock, self._settings.price_poll_seconds, stop):
                    return

    async def prices_once(self, ec2: Any) -> int:
        """One poll of DescribeSpotPriceHistory; returns how many price points were taken in."""
        types, zones = self._collector.price_targets()
        if not types:
            return 0
        now = self._clock.now()
        oldest = now - self._collector.market.history
        groups: dict[datetime, list[str]] = defaultdict(list)
        for itype in types:
            groups[self._since.get(itype, oldest)].append(itype)
        taken = 0
        for start, group in sorted(groups.items()):
            params: dict[str, Any] = {
                "InstanceTypes": group,
                "ProductDescriptions": [self._settings.product_description],
                "StartTime": start,
            }
            if zones:
                params["Filters"] = [{"Name": "availability-zone", "Values": zones}]
            try:
                async for page in ec2.get_paginator("describe_spot_price_history").paginate(**params):
                    for row in page.get("SpotPriceHistory", []):
                        price = MarketPrice(
                            instance_type=row["InstanceType"],
                            zone=row["AvailabilityZone"],
                            spot_price=float(row["SpotPrice"]),
                            time=row["Timestamp"],
                            product=row.get("ProductDescription", self._settings.product_description),
                        )
                        self._collector.ingest(price, now)
                        taken += 1
            except AWS_ERRORS as err:
                self._metrics.aws_errors.labels("DescribeSpotPriceHistory").inc()
                log.warning("spot price history for %s not read: %s", ",".join(group), err)
                continue
            for itype in group:
                self._since[itype] = now
        self._metrics.market_events.labels("price", "aws").inc(taken)
        return taken

    # -- interruption queue ------------------------------------------------------------------------------

    async def poll_queue(self, stop: asyncio.Event) -> None:
        if not (self._settings.queue_url or self._settings.queue_name):
            return
        async with self._client("sqs") as sqs:
            url = self._settings.queue_url
            while not stop.is_set():
                try:
                    if url is None:
                        url = (await sqs.get_queue_url(QueueName=self._settings.queue_name))["QueueUrl"]
                    finished, answer = await until_stopped(
                        sqs.receive_message(
                            QueueUrl=url,
                            MaxNumberOfMessages=10,
                            WaitTimeSeconds=self._settings.queue_wait_seconds,
                        ),
                        stop,
                    )
                    if not finished:
                        return
                    for message in (answer or {}).get("Messages", []):
                        if await self._handle(message, url):
                            await sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                except AWS_ERRORS as err:
                    self._metrics.aws_errors.labels("sqs").inc()
                    log.warning("interruption queue not read: %s", err)
                    if await pause(self._settings.error_backoff_seconds, stop):
                        return

    async def _handle(self, message: dict[str, Any], url: str) -> bool:
        body = str(message.get("Body", ""))
        message_id = str(message.get("MessageId", ""))
        try:
            event = parse_event(body, self._zone_of)
        except ContractError as err:
            await self._on_malformed(url, message_id, body.encode(), err)
            return True
        if event is None:
            return True
        try:
            await self._on_event(event, f"sqs:{message_id}")
        except Exception:
            log.exception("interruption queue message %s not handled; SQS will deliver it again", message_id)
            return False
        return True

    def _zone_of(self, instance_id: str) -> str | None:
        name = self._collector.index.node_for_instance(instance_id)
        node = self._collector.index.nodes.get(name) if name else None
        return node.zone if node is not None else None
