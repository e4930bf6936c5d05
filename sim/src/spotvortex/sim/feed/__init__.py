"""The market replay feed: recorded or scripted market data played onto ``spotvortex.market.<region>.<kind>``.

``plan`` and ``scripted`` turn market data into time-ordered contract events without I/O; ``replay`` paces
them onto JetStream with an injected clock; ``run`` is the process entry a command wraps.
"""

from spotvortex.sim.feed.kinds import kind_of, order_key
from spotvortex.sim.feed.plan import market_events
from spotvortex.sim.feed.replay import EventPublisher, MarketReplay, Progress, ReplayStats
from spotvortex.sim.feed.run import run_replay
from spotvortex.sim.feed.scripted import ScriptedFeed, SkippedStep, scripted_events

__all__ = [
    "EventPublisher",
    "MarketReplay",
    "Progress",
    "ReplayStats",
    "ScriptedFeed",
    "SkippedStep",
    "kind_of",
    "market_events",
    "order_key",
    "run_replay",
    "scripted_events",
]
