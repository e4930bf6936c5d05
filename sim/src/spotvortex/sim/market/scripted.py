"""The scripted price scenario format of the earlier implementation (upstream-spec §7.4), as a market source.

A scenario has a ``default`` step and/or ``series`` keyed ``<type>:<zone>``, ``<type>:*``, ``*:<zone>`` or
``*:*`` (looked up in that order). Each spot-price query advances its series' cursor; on-demand queries do
not. With ``repeat_last`` (default true) the last step repeats; otherwise further queries fail "exhausted".
A step with ``error`` makes the query fail with that text. Present fields override ``default`` (an explicit
0 or empty list is honoured).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from spotvortex.sim.market.errors import MarketDataError


class Step(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    current_price: float | None = None
    on_demand_price: float | None = None
    price_history: list[float] | None = None
    volatility: float | None = None
    error: str | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, f) is None for f in self.__struct_fields__)


class Scenario(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    default: Step | None = None
    series: dict[str, list[Step]] = {}
    repeat_last: bool = True


class ScriptedPriceError(RuntimeError):
    """A scripted step asked for a failure, or the series ran out."""


@dataclass(frozen=True)
class Quote:
    current_price: float
    on_demand_price: float
    price_history: list[float]
    volatility: float


@dataclass
class ScriptedPrices:
    scenario: Scenario
    _cursor: dict[str, int] = field(default_factory=dict)

    def _series_key(self, instance_type: str, zone: str) -> str | None:
        for key in (f"{instance_type}:{zone}", f"{instance_type}:*", f"*:{zone}", "*:*"):
            if key in self.scenario.series:
                return key
        return None

    def _merge(self, step: Step) -> Quote:
        base = self.scenario.default or Step()
        merged = {
            f: getattr(step, f) if getattr(step, f) is not None else getattr(base, f)
            for f in Step.__struct_fields__
        }
        if merged["error"]:
            raise ScriptedPriceError(merged["error"])
        if merged["current_price"] is None or merged["on_demand_price"] is None:
            raise ScriptedPriceError(
                "step has no current_price or on_demand_price and the default gives none"
            )
        history = (
            merged["price_history"] if merged["price_history"] is not None else [merged["current_price"]]
        )
        return Quote(
            merged["current_price"], merged["on_demand_price"], list(history), merged["volatility"] or 0.0
        )

    def spot_quote(self, instance_type: str, zone: str) -> Quote:
        """The next step of the matching series (advancing its cursor), or the default."""
        key = self._series_key(instance_type, zone)
        if key is None:
            if self.scenario.default is None or self.scenario.default.is_empty():
                raise ScriptedPriceError(f"no series for {instance_type}:{zone} and no default")
            return self._merge(Step())
        steps = self.scenario.series[key]
        position = self._cursor.get(key, 0)
        if position >= len(steps):
            if not self.scenario.repeat_last:
                raise ScriptedPriceError(f"series {key} exhausted")
            position = len(steps) - 1
        self._cursor[key] = position + 1
        return self._merge(steps[position])

    def on_demand_price(self, instance_type: str, zone: str) -> float:
        """The on-demand price of the current step, without advancing."""
        key = self._series_key(instance_type, zone)
        if key is None:
            return self._merge(Step()).on_demand_price
        steps = self.scenario.series[key]
        position = min(max(self._cursor.get(key, 0) - 1, 0), len(steps) - 1)
        return self._merge(steps[position]).on_demand_price


def parse_scripted(text: str, source: str = "<inline>") -> ScriptedPrices:
    try:
        scenario = msgspec.json.decode(text, type=Scenario)
    except (msgspec.ValidationError, msgspec.DecodeError) as err:
        raise MarketDataError(source, f"invalid price scenario: {err}") from None
    if scenario.default is None and not scenario.series:
        raise MarketDataError(source, "a price scenario needs `default` and/or `series`")
    for key, steps in scenario.series.items():
        if not key or ":" not in key:
            raise MarketDataError(
                source, f"series key {key!r} must be <instance type>:<zone> (either may be *)"
            )
        if not steps:
            raise MarketDataError(source, f"series {key!r} needs at least one step")
    return ScriptedPrices(scenario)


def load_scripted(path: str | Path) -> ScriptedPrices:
    path = Path(path)
    if not path.exists():
        raise MarketDataError(path, "file does not exist")
    return parse_scripted(path.read_text(), str(path))


__all__ = ["Quote", "ScriptedPriceError", "ScriptedPrices", "load_scripted", "parse_scripted"]
