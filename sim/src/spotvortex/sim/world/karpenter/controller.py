"""``Karpenter``: provisioning and disruption wired to one world."""

from __future__ import annotations

from collections.abc import Sequence

from spotvortex.sim.world.core import World
from spotvortex.sim.world.fleet import Fleet
from spotvortex.sim.world.shapes import Shape
from spotvortex.sim.world.spot_market import SpotMarket

from .disruption import Disruption
from .provisioner import Provisioner
from .settings import KarpenterSettings


class Karpenter:
    """The Karpenter controller as far as capacity goes; NodePools are read live from the API each batch."""

    def __init__(
        self,
        world: World,
        fleet: Fleet,
        spot_market: SpotMarket,
        catalogue: Sequence[Shape],
        zones: Sequence[str],
        settings: KarpenterSettings | None = None,
    ) -> None:
        self.settings = settings or KarpenterSettings()
        self.provisioner = Provisioner(world, fleet, catalogue, zones, self.settings)
        self.disruption = Disruption(world, fleet, self.provisioner, spot_market, self.settings)
