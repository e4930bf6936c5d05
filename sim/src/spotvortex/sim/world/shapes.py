"""How big an EC2 instance type is, from its name, unless a scenario says otherwise.

EC2 names encode the size (``large`` = 2 vCPU, ``xlarge`` = 4, ``Nxlarge`` = 4N) and the family letter the
memory per vCPU (``c`` 2 GiB, ``m``/``t`` 4 GiB, ``r``/``i``/``z`` 8 GiB, ``x`` 16 GiB). That rule is exact for
the general-purpose, compute and memory families of the 5th generation onwards, which is what the market
data covers; anything else can be declared in a scenario's ``instance_types`` section.

Allocatable capacity is what the kubelet leaves after system reservations. The numbers follow the EKS AMI
formulas: CPU reserves 6 % of the first core, 1 % of the second, 0.5 % of cores 3-4, 0.25 % above;
memory reserves 255 MiB + 11 MiB per allowed pod, plus 100 MiB eviction threshold.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

_SIZE = re.compile(r"^(?P<n>\d*)xlarge$")
_NAMED_SIZES = {"nano": 2, "micro": 2, "small": 2, "medium": 1, "large": 2}
_GIB_PER_VCPU = {"c": 2, "m": 4, "t": 4, "a": 2, "r": 8, "i": 8, "z": 8, "d": 8, "x": 16, "u": 16}


@dataclass(frozen=True)
class Shape:
    """Capacity of one instance type; ``max_pods`` follows the ENI limits roughly (110 cap).

    The derived figures are cached on first use: provisioning asks for them millions of times a month.
    """

    name: str
    vcpu: int
    memory_mib: int
    arch: str = "amd64"

    @cached_property
    def cpu_millis(self) -> int:
        return self.vcpu * 1000

    @cached_property
    def max_pods(self) -> int:
        return min(110, 8 + 14 * self.vcpu)

    @cached_property
    def allocatable_cpu_millis(self) -> int:
        cores = self.vcpu
        reserved = 60.0 + (10.0 if cores >= 2 else 0.0)
        reserved += 5.0 * max(0, min(cores, 4) - 2) + 2.5 * max(0, cores - 4)
        return self.cpu_millis - round(reserved)

    @cached_property
    def allocatable_memory_mib(self) -> int:
        return self.memory_mib - (255 + 11 * self.max_pods) - 100


class UnknownInstanceType(ValueError):
    """The name does not follow EC2 conventions and no scenario declared it."""


def shape_of(instance_type: str, declared: Mapping[str, Shape] | None = None) -> Shape:
    """The shape a scenario declared for ``instance_type``, else the one its name implies."""
    if declared and instance_type in declared:
        return declared[instance_type]
    family, _, size = instance_type.partition(".")
    if not family or not size:
        raise UnknownInstanceType(f"{instance_type!r} is not of the form <family>.<size>")
    if size in _NAMED_SIZES:
        vcpu = _NAMED_SIZES[size]
    else:
        match = _SIZE.match(size)
        if not match:
            raise UnknownInstanceType(
                f"cannot tell the size of {instance_type!r}; declare it in the scenario"
            )
        vcpu = 4 * int(match.group("n") or 1)
    letter = family[0]
    if letter not in _GIB_PER_VCPU:
        raise UnknownInstanceType(f"cannot tell the memory of {instance_type!r}; declare it in the scenario")
    arch = "arm64" if re.search(r"\dg", family) else "amd64"
    return Shape(instance_type, vcpu, vcpu * _GIB_PER_VCPU[letter] * 1024, arch)
