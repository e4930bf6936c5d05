"""Where the world's market signals go: the interruption SQS queue, shaped as EventBridge delivers them.

The AWS path of the collector reads interruption warnings and rebalance recommendations from an SQS queue
fed by an EventBridge rule; the simulator fills that queue in-process with the same bodies.
"""

from __future__ import annotations

from spotvortex.contracts.market import MarketEvent, MarketInterruption, MarketRebalance
from spotvortex.sim.aws import SqsQueues, events

INTERRUPTION_QUEUE = "spotvortex-interruptions"


class SqsAnnouncer:
    """Turns announcements into EventBridge messages on the interruption queue."""

    def __init__(self, queues: SqsQueues, queue: str = INTERRUPTION_QUEUE) -> None:
        self.queues = queues
        self.queue = queue
        if not queues.exists(queue):
            queues.create(queue)

    def __call__(self, event: MarketEvent) -> None:
        if (
            not isinstance(event, MarketInterruption | MarketRebalance)
            or not event.instance_id
            or not event.time
        ):
            return
        region, account = self.queues.region, self.queues.account_id
        if isinstance(event, MarketInterruption):
            body = events.spot_interruption_warning(
                event.instance_id, region=region, account=account, time=event.time, action=event.action
            )
        else:
            body = events.rebalance_recommendation(
                event.instance_id, region=region, account=account, time=event.time
            )
        self.queues.send(self.queue, events.message_body(body))
